"""Analysis of results: per-regime measures, supply, summaries, and sums of runs and sweeps.

    from simdemand import analysis
    bands = analysis.bands("runs/baseline-grid", freq="year")   # p5 / p50 / p95 by regime
    analysis.compare("runs/baseline-grid", freq=None)           # scenarios side by side

Reading is :mod:`simdemand.results.reader`'s; its functions are repeated here for notebooks.
"""

from simdemand.analysis.aggregate import (
    aggregate,
    bands,
    compare,
    metric,
    runs,
    scenarios,
    totals,
    year_filter,
)
from simdemand.results.reader import (
    Run,
    finished_runs,
    open_sweep,
    open_table,
    read_run,
    read_sweep,
    read_table,
)

__all__ = [
    "Run",
    "aggregate",
    "bands",
    "compare",
    "finished_runs",
    "metric",
    "open_sweep",
    "open_table",
    "read_run",
    "read_sweep",
    "read_table",
    "runs",
    "scenarios",
    "totals",
    "year_filter",
]
