"""Measures of the pretraining regime: base models, frontier trends, and labs' research shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simdemand.analysis.periods import naive_utc
from simdemand.analysis.technology import FINAL_RUN
from simdemand.units import POST_TRAINING, PRETRAINING


def pretrained(models: pd.DataFrame, parent_col: str = "parent_id") -> pd.DataFrame:
    """Models without a parent, with a release date and positive training compute."""
    parent = models[parent_col] if parent_col in models else pd.Series(pd.NA, index=models.index)
    keep = parent.isna() & (pd.to_numeric(models["training_flop"], errors="coerce") > 0)
    return models.loc[keep & models["released"].notna()]


def trend_line(frontier: pd.DataFrame) -> tuple[pd.DatetimeIndex, np.ndarray, float]:
    """Ends of the least-squares line of log10 FLOP on time, and its growth per year."""
    dates = naive_utc(frontier["released"])
    years = ((dates - dates.min()) / pd.Timedelta(days=365.25)).to_numpy(np.float64)
    slope, intercept = np.polyfit(years, np.log10(frontier["training_flop"].to_numpy(float)), 1)
    ends = np.array([years.min(), years.max()])
    stamps = pd.DatetimeIndex([dates.min() + pd.Timedelta(days=365.25 * y) for y in ends])
    return stamps, 10.0 ** (intercept + slope * ends), float(10.0**slope)


def as_utc(value: str | pd.Timestamp) -> pd.Timestamp:
    """A UTC timestamp; a naive value is taken to be in UTC."""
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def archetype_of(agent: pd.Series) -> pd.Series:
    """A lab's archetype from its agent name (`ARCHETYPE-i`)."""
    return agent.str.replace(r"-\d+$", "", regex=True)


def research_share(timeseries: pd.DataFrame) -> pd.DataFrame:
    """By year and lab archetype: the labs' GPU-hours (pretraining and their own post-training)
    and the share of them outside final runs (experiments, research, post-training).

    Labs are the agents with pretraining rows; columns: year, archetype, gpu_hours,
    final_run_gpu_hours, research_share.
    """
    labs = timeseries.loc[timeseries["regime"] == PRETRAINING, "agent"].unique()
    rows = timeseries.loc[
        timeseries["agent"].isin(labs) & timeseries["regime"].isin([PRETRAINING, POST_TRAINING]),
        ["time", "agent", "activity", "gpu_hours"],
    ]
    final = rows["gpu_hours"].where(rows["activity"] == FINAL_RUN, 0.0)
    frame = pd.DataFrame(
        {
            "year": pd.to_datetime(rows["time"], utc=True).dt.year,
            "archetype": archetype_of(rows["agent"]),
            "gpu_hours": rows["gpu_hours"],
            "final_run_gpu_hours": final,
        }
    )
    table = frame.groupby(["year", "archetype"], sort=True).sum().reset_index()
    outside = table["gpu_hours"] - table["final_run_gpu_hours"]
    table["research_share"] = outside / table["gpu_hours"].where(table["gpu_hours"] > 0)
    return table
