"""Background load hour by hour: each workload's H100-equivalent hours in whole hours of the run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from simdemand.physics.background import h100e_hours
from simdemand.scenario.background import BackgroundWorkload
from simdemand.scenario.timing import years_between
from simdemand.units import HOURS_PER_YEAR

FloatArray = npt.NDArray[np.float64]


def hourly(
    workloads: Mapping[str, BackgroundWorkload], start: dt.date, first: int, hours: int
) -> dict[str, FloatArray]:
    """H100-equivalent hours of each workload in the hours [first + i, first + i + 1) since the
    start (the mean busy H100-equivalents of each hour), by workload name."""
    edges = (first + np.arange(hours + 1, dtype=np.float64)) / HOURS_PER_YEAR
    out = {}
    for name in sorted(workloads):
        spec = workloads[name]
        years = years_between(spec.reference_date, start) + edges
        out[name] = h100e_hours(
            spec.h100e_at_reference, spec.growth_per_year, years[:-1], years[1:]
        )
    return out


def loads(
    workloads: Mapping[str, BackgroundWorkload], start: dt.date, first: int, hours: int
) -> dict[str, tuple[FloatArray, tuple[str, ...]]]:
    """Each workload's hourly H100-equivalent hours and the pools it runs in (empty: all)."""
    found = hourly(workloads, start, first, hours)
    return {name: (found[name], workloads[name].pools) for name in found}
