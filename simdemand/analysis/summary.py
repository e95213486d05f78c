"""Headline figures of a run: demand by regime and year, and each regime's own measures."""

from __future__ import annotations

from typing import Any

import pandas as pd

from simdemand.analysis import post_training, supply, test_time
from simdemand.units import POST_TRAINING, TEST_TIME


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
    if (jobs["regime"] == POST_TRAINING).any():
        bases = post_training.ecosystem_summary(models, jobs)
        out["ecosystem"] = bases
        out["ecosystem_ratio"] = post_training.ratio_distribution(
            bases, min_observed_days=post_training.MATURE_DAYS
        )
    if (jobs["regime"] == TEST_TIME).any():
        out["test_time"] = test_time.summarize(jobs, timeseries)
    return out


def records(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary as JSON-ready values (the per-day token table left out)."""
    out: dict[str, Any] = {}
    for name, value in summary.items():
        if name == "test_time":
            out[name] = test_time.summary_records(value)
        elif isinstance(value, pd.DataFrame):
            out[name] = test_time.summary_records({name: value})[name]
        else:
            out[name] = value
    return out
