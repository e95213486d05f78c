"""Headline figures of a run: demand by regime and year, and each regime's own measures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from simdemand import ecosystem, supply, testtime


def regime_totals(timeseries: pd.DataFrame) -> pd.DataFrame:
    """GPU-hours, FLOP, energy and cost by year and regime, and each regime's GPU-hour share."""
    year = pd.to_datetime(timeseries["time"], utc=True).dt.year.rename("year")
    sums = ["gpu_hours", "flop", "energy_mwh", "cost_usd"]
    table = timeseries.groupby([year, "regime"], sort=True)[sums].sum().reset_index()
    table["share_of_gpu_hours"] = table["gpu_hours"] / table.groupby("year")["gpu_hours"].transform(
        "sum"
    )
    return table


def summarize(
    timeseries: pd.DataFrame,
    jobs: pd.DataFrame,
    models: pd.DataFrame,
    fleet: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
) -> dict[str, Any]:
    """Every headline table of a run, by name (pandas tables and plain numbers); `fleet` holds
    the capacity, fleet and waits tables of a run with a fleet."""
    out: dict[str, Any] = {"regimes": regime_totals(timeseries)}
    if fleet is not None:
        out.update(supply.summarize(*fleet))
    if (jobs["regime"] == ecosystem.REGIME).any():
        bases = ecosystem.ecosystem_summary(models, jobs)
        out["ecosystem"] = bases
        out["ecosystem_ratio"] = ecosystem.ratio_distribution(
            bases, min_observed_days=ecosystem.MATURE_DAYS
        )
    if (jobs["regime"] == "test-time").any():
        out["test_time"] = testtime.summarize(jobs, timeseries)
    return out


def records(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary as JSON-ready values (the per-day token table left out)."""
    out: dict[str, Any] = {}
    for name, value in summary.items():
        if name == "test_time":
            out[name] = testtime.summary_records(value)
        elif isinstance(value, pd.DataFrame):
            out[name] = testtime.summary_records({name: value})[name]
        else:
            out[name] = value
    return out


def read_run(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The timeseries, jobs and models tables of a run folder."""
    ts, jobs, models = (
        pd.read_parquet(folder / f"{name}.parquet") for name in ("timeseries", "jobs", "models")
    )
    return ts, jobs, models
