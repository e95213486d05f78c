"""Headline figures of a run: demand by regime and year, and each regime's own measures."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from simdemand.analysis import post_training, pretraining, supply, technology, test_time
from simdemand.catalog import Catalog
from simdemand.units import POST_TRAINING, PRETRAINING, TEST_TIME


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
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """Every headline table of a run, by name (pandas tables and plain numbers); `fleet` holds
    the capacity, fleet and waits tables of a run with a fleet; `catalog` the run's hardware
    (the bundled catalog by default)."""
    return job_figures(series_figures(timeseries), jobs, models, fleet, catalog)


def series_figures(timeseries: pd.DataFrame) -> dict[str, Any]:
    """The figures of the time series alone: `summarize` finishes them with `job_figures`, so
    that a caller can let the time series go before it reads the jobs."""
    out: dict[str, Any] = {"regimes": regime_totals(timeseries)}
    if (timeseries["regime"] == PRETRAINING).any():
        out["research_share"] = pretraining.research_share(timeseries)
    if (timeseries["regime"] == TEST_TIME).any():
        out["test_time"] = test_time.series_measures(timeseries)
        out["start"] = pd.to_datetime(timeseries["time"], utc=True).min()
    return out


def job_figures(
    series: dict[str, Any],
    jobs: pd.DataFrame,
    models: pd.DataFrame,
    fleet: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """The headline figures from those of the time series (`series_figures`) and the jobs."""
    out: dict[str, Any] = {"regimes": series["regimes"]}
    if fleet is not None:
        out.update(supply.measures(*fleet))
    if "research_share" in series:
        out["research_share"] = series["research_share"]
    if (jobs["regime"] == POST_TRAINING).any():
        bases = post_training.ecosystem_summary(models, jobs)
        out["ecosystem"] = bases
        out["ecosystem_ratio"] = post_training.ratio_distribution(
            bases, min_observed_days=post_training.MATURE_DAYS
        )
    if "test_time" in series and (jobs["regime"] == TEST_TIME).any():
        out["test_time"] = test_time.with_job_measures(series["test_time"], jobs)
        out["technology"] = technology.by_year(jobs, models, series["start"], catalog)
        out["cost_by_class"] = technology.cost_by_class(jobs)
        generated = technology.generation_by_class(jobs)
        if len(generated):
            out["generation"] = generated
    return out


def json_ready(summary: dict[str, Any], skip: tuple[str, ...] = ("tokens_per_day",)) -> Any:
    """The summary as JSON-ready values: tables as lists of records, NaN as None, dates as ISO
    strings; the per-day token table (a row per day x cohort x class) is left out."""
    out: dict[str, Any] = {}
    for name, value in summary.items():
        if name in skip:
            continue
        if isinstance(value, dict):
            out[name] = json_ready(value, skip)
        elif isinstance(value, pd.DataFrame):
            rows = value.to_dict("records")
            out[name] = [{k: json_value(v) for k, v in row.items()} for row in rows]
        else:
            out[name] = json_value(value)
    return out


def json_value(value: Any) -> Any:
    """A plain JSON value: floats (NaN as None), ints, strings, ISO dates; lists item by item."""
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value
