"""Figures of runs, sweeps and backtests: matplotlib Figures built from the result tables.

Every builder takes pandas frames shaped like a run's Parquet files (or like the frames that
:mod:`simdemand.analysis` returns) and returns a :class:`matplotlib.figure.Figure` drawn on the
Agg canvas; nothing touches pyplot's global state, so figures are garbage-collected like any
object. Save one with ``fig.savefig("out.png")``; a notebook shows one returned by a cell.

A regime with no rows is simply absent from a figure; a figure whose subject is absent
altogether (no post-training, no test-time, no hourly bins) draws a one-line note instead of
failing. Time axes show UTC dates; amounts are summed per month, week, day or hour, whichever
suits the span of the data, and the axis label says which.
"""

from simdemand.plots.demand import (
    cumulative_figure,
    daily_cycle_figure,
    growth_figure,
    hardware_figure,
    regimes_figure,
)
from simdemand.plots.experiments import fan_figure, sobol_figure
from simdemand.plots.kinds import KINDS, missing_data, run_figure
from simdemand.plots.models import backtest_figure, ecosystem_figure
from simdemand.plots.style import human
from simdemand.plots.supply import supply_figure
from simdemand.plots.technology import technology_figure
from simdemand.plots.test_time import query_figure

__all__ = [
    "KINDS",
    "backtest_figure",
    "cumulative_figure",
    "daily_cycle_figure",
    "ecosystem_figure",
    "fan_figure",
    "growth_figure",
    "hardware_figure",
    "human",
    "missing_data",
    "query_figure",
    "regimes_figure",
    "run_figure",
    "sobol_figure",
    "supply_figure",
    "technology_figure",
]
