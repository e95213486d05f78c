"""The output time grid: bin edges in simulated hours for each resolution."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from simdemand.scenario.schema import RunConfig

STEP_HOURS = {"hour": 1.0, "day": 24.0, "week": 168.0}


def bin_edges(run: RunConfig) -> npt.NDArray[np.float64]:
    """Edges in hours since the start; the last bin ends at the horizon (it may be short)."""
    horizon = run.horizon_hours
    if run.resolution == "month":
        edges = [(d - run.start).days * 24.0 for d in month_starts(run.start, run.end)]
    else:
        edges = list(np.arange(0.0, horizon, STEP_HOURS[run.resolution]))
    return np.array([*edges, horizon], dtype=np.float64)


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The start date, then the first of each following month before the end date."""
    out = [start]
    year, month = start.year, start.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        first = dt.date(year, month, 1)
        if first >= end:
            return out
        out.append(first)
