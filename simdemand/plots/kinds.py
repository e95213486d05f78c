"""The named figures of a run folder, as ``simdemand plot --kind`` draws them."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from matplotlib.figure import Figure

from simdemand.analysis.periods import resolution_hours
from simdemand.analysis.post_training import ecosystem_ratios
from simdemand.analysis.pretraining import pretrained
from simdemand.analysis.technology import by_year, cost_by_class, hardware_shares, served
from simdemand.analysis.test_time import query_ratios
from simdemand.plots.demand import (
    cumulative_figure,
    daily_cycle_figure,
    growth_figure,
    hardware_figure,
    regimes_figure,
)
from simdemand.plots.models import backtest_figure, ecosystem_figure
from simdemand.plots.supply import supply_figure
from simdemand.plots.technology import technology_figure
from simdemand.plots.test_time import query_figure
from simdemand.results.reader import Run, run_catalog
from simdemand.units import POST_TRAINING, TEST_TIME


def run_figure(run: Run, kind: str) -> Figure:
    """The named figure of a run, titled with the run's name."""
    fig = KINDS[kind](run)
    fig.suptitle(f"simdemand run '{run.name}'", x=0.01, ha="left", fontsize=10, color="0.35")
    return fig


def _supply_kind(run: Run) -> Figure:
    """Demand against capacity, with the H100-equivalent weights the run wrote."""
    if run.capacity is None or run.fleet is None:
        raise ValueError(f"{run.folder}: no fleet tables")
    tables = pd.concat([run.capacity, run.fleet])
    weights = dict(zip(tables["hardware"], tables["h100e_per_gpu"], strict=True))
    return supply_figure(run.capacity, run.fleet, weights)


def _models_kind(run: Run) -> Figure:
    """The run's released models against Epoch AI's history."""
    from simdemand.calibration.history import load_epoch_models

    start = pd.to_datetime(run.timeseries["time"], utc=True).min()
    since = start if pd.notna(start) else pd.to_datetime(run.models["released"], utc=True).min()
    return backtest_figure(load_epoch_models(), [run.models], since)


def _technology_kind(run: Run) -> Figure:
    """Cost per token, GPU time per query, serving hardware and the largest run, by year."""
    start = pd.to_datetime(run.timeseries["time"], utc=True).min()
    table = by_year(run.jobs, run.models, start, run_catalog(run))
    frame = served(run.jobs, run.models)
    return technology_figure(table, cost_by_class(run.jobs), hardware_shares(frame))


KINDS: dict[str, Callable[[Run], Figure]] = {
    "regimes": lambda r: regimes_figure(r.timeseries),
    "growth": lambda r: growth_figure(r.timeseries),
    "cumulative": lambda r: cumulative_figure(r.timeseries),
    "hardware": lambda r: hardware_figure(r.timeseries),
    "daily": lambda r: daily_cycle_figure(r.timeseries),
    "models": _models_kind,
    "ecosystem": lambda r: ecosystem_figure(ecosystem_ratios(r.models, r.jobs, 365.0)),
    "queries": lambda r: query_figure(query_ratios(r.timeseries)),
    "supply": lambda r: _supply_kind(r),
    "technology": _technology_kind,
}


def missing_data(run: Run, kind: str) -> str | None:
    """Why a run cannot show a figure (no rows, no regime, no hourly bins), or None."""
    ts = run.timeseries
    regimes = set(ts["regime"])
    if kind == "models":
        return None if not pretrained(run.models).empty else "no pretrained models"
    if ts.empty:
        return "no time-series rows"
    if kind == "daily" and resolution_hours(ts["time"]) > 1.0:
        return "the daily cycle needs hourly bins (run with --set run.resolution=hour)"
    if kind == "ecosystem" and POST_TRAINING not in regimes:
        return "no post-training rows"
    if kind in ("queries", "technology") and TEST_TIME not in regimes:
        return "no test-time rows"
    if kind == "supply" and (run.capacity is None or run.fleet is None):
        return "no fleet (the scenario has no [fleet] section)"
    return None
