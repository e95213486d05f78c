"""Headline figures of the supply side: demand against capacity, unmet shares, waits, power."""

from __future__ import annotations

from typing import Any, TypeVar

import pandas as pd

from simdemand.units import HOURS_PER_YEAR, SECONDS_PER_HOUR

Frame = TypeVar("Frame", pd.Series, pd.DataFrame)


def years(times: pd.Series) -> pd.Series:
    """Calendar year of each UTC timestamp."""
    return pd.to_datetime(times, utc=True).dt.year.rename("year")


def unmet_by_year(capacity: pd.DataFrame) -> pd.DataFrame:
    """Demanded, served and unmet GPU-hours by year and regime, and the unmet share: of the
    work that left the queues in the year (served or lost), the share lost. Work demanded late in
    one year can be lost early in the next, so unmet / demanded can exceed 1; this share cannot."""
    sums = ["demanded_gpu_hours", "served_gpu_hours", "unmet_gpu_hours"]
    table = capacity.groupby([years(capacity["time"]), "regime"])[sums].sum().reset_index()
    table["unmet_share"] = unmet_share(table["served_gpu_hours"], table["unmet_gpu_hours"])
    return table


def unmet_share(served: Frame, unmet: Frame) -> Frame:
    """Unmet / (served + unmet), 0 where nothing left the queues."""
    left = served + unmet
    return (unmet / left.where(left > 0)).fillna(0.0)


def fleet_by_year(fleet: pd.DataFrame) -> pd.DataFrame:
    """Mean installed and busy GPUs, utilization, mean power and energy by year and generation."""
    year = years(fleet["time"])
    sums = ["installed_gpu_hours", "used_gpu_hours", "energy_mwh", "cost_usd"]
    table = fleet.groupby([year, "hardware"])[sums].sum().reset_index()
    hours = fleet.groupby(year)["time"].nunique() * bin_hours(fleet["time"])
    span = table["year"].map(hours)
    table["installed_gpus"] = table["installed_gpu_hours"] / span
    table["utilization"] = (table["used_gpu_hours"] / table["installed_gpu_hours"]).fillna(0.0)
    table["power_mw"] = table["energy_mwh"] / span
    return table


def bin_hours(times: pd.Series) -> float:
    """Width of the output bins in hours (from the two first distinct times; a year if one)."""
    distinct = pd.to_datetime(times, utc=True).drop_duplicates().sort_values()
    if len(distinct) < 2:
        return HOURS_PER_YEAR
    return float((distinct.iloc[1] - distinct.iloc[0]).total_seconds() / SECONDS_PER_HOUR)


def wait_stats(waits: pd.DataFrame) -> dict[str, float]:
    """How long pretraining runs waited for their clusters, in hours."""
    hours = waits["wait_hours"]
    return {
        "runs": float(len(waits)),
        "waited": float((hours > 0).sum()),
        "never_started": float(waits["started"].isna().sum()),
        "median_wait_hours": float(hours.median()) if len(waits) else 0.0,
        "p90_wait_hours": float(hours.quantile(0.9)) if len(waits) else 0.0,
        "max_wait_hours": float(hours.max()) if len(waits) else 0.0,
    }


def measures(capacity: pd.DataFrame, fleet: pd.DataFrame, waits: pd.DataFrame) -> dict[str, Any]:
    """The supply side's headline tables, by name."""
    return {
        "supply": unmet_by_year(capacity),
        "fleet": fleet_by_year(fleet),
        "waits": wait_stats(waits),
    }
