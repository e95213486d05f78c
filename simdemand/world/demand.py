"""Hourly demand the world has recorded so far: GPU-hours of fluid work by regime and hardware.

Fluid work is everything but pretraining final runs (which hold clusters): test-time, the
experiments before a pretraining run, and post-training. The ledger feeds the meter as agents
charge it, so the fleet and its allocator read demand from what was recorded, hour by hour.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from simdemand.units import PRETRAINING
from simdemand.world.binning import split

FloatArray = npt.NDArray[np.float64]

# The activity of a pretraining run proper: it reserves a cluster instead of flowing.
FINAL_RUN = "final-run"


class DemandMeter:
    """Hourly GPU-hours over the calendar hours [first, first + hours), by (regime, hardware),
    and their sum in H100-equivalents by regime."""

    def __init__(self, first_h: float, horizon_h: float, weight: dict[str, float]) -> None:
        self.first = math.floor(first_h)
        self.hours = math.ceil(horizon_h) - self.first
        self.weight = weight
        self.series: dict[tuple[str, str], FloatArray] = {}
        self.total_h100e: dict[str, FloatArray] = {}

    def index(self, hour: float) -> int:
        """Calendar index of the hour containing `hour`, clipped to the calendar."""
        return min(max(math.floor(hour) - self.first, 0), self.hours)

    def flows(self, regime: str, activity: str) -> bool:
        """True for work that flows (everything but a pretraining final run)."""
        return not (regime == PRETRAINING and activity == FINAL_RUN)

    def add_hourly(self, regime: str, hardware: str, start_h: float, gpu_hours: FloatArray) -> None:
        """Add GPU-hours given for each whole hour from `start_h` (a whole hour)."""
        lo = self.index(start_h)
        hi = min(lo + len(gpu_hours), self.hours)
        self.add(regime, hardware, lo, hi, gpu_hours[: hi - lo])

    def add_intervals(
        self,
        regime: str,
        hardware: str,
        start_h: FloatArray,
        end_h: FloatArray,
        gpu_hours: FloatArray,
    ) -> None:
        """Add intervals' GPU-hours, each spread evenly over its span and split at whole hours."""
        lo_h, hi_h = float(self.first), float(self.first + self.hours)
        start, end = np.maximum(start_h, lo_h), np.minimum(end_h, hi_h)
        keep = end > start
        if not keep.any():
            return
        kept = gpu_hours[keep] * (end - start)[keep] / (end_h - start_h)[keep]
        if len(kept) == 1:
            self.add_one(regime, hardware, float(start[keep][0]), float(end[keep][0]), kept[0])
            return
        edges = np.arange(self.hours + 1, dtype=np.float64) + lo_h
        row, bins, share = split(start[keep], end[keep], edges)
        lo, hi = int(bins.min()), int(bins.max()) + 1
        summed = np.bincount(bins - lo, weights=kept[row] * share, minlength=hi - lo)
        hourly: FloatArray = np.asarray(summed, dtype=np.float64)
        self.add(regime, hardware, lo, hi, hourly)

    def add_one(
        self, regime: str, hardware: str, start_h: float, end_h: float, gpu_hours: float
    ) -> None:
        """Add one interval inside the calendar, spread evenly and split at whole hours."""
        lo, hi = math.floor(start_h), math.ceil(end_h)
        edges = np.arange(lo, hi + 1, dtype=np.float64)
        inside = np.minimum(edges[1:], end_h) - np.maximum(edges[:-1], start_h)
        share: FloatArray = inside / (end_h - start_h)
        self.add(regime, hardware, lo - self.first, hi - self.first, gpu_hours * share)

    def add(self, regime: str, hardware: str, lo: int, hi: int, gpu_hours: FloatArray) -> None:
        """Add GPU-hours to calendar indices [lo, hi) of one regime and hardware."""
        series = self.series.setdefault((regime, hardware), np.zeros(self.hours))
        series[lo:hi] += gpu_hours
        total = self.total_h100e.setdefault(regime, np.zeros(self.hours))
        total[lo:hi] += gpu_hours * self.weight[hardware]

    def demand(self, regime: str, lo: int, hi: int) -> dict[str, FloatArray]:
        """GPU-hours of `regime` in calendar indices [lo, hi), by hardware (sorted by name)."""
        return {hw: series[lo:hi] for (r, hw), series in sorted(self.series.items()) if r == regime}

    def regime_h100e(self, regime: str) -> FloatArray:
        """Hourly H100-equivalent hours of one regime over the whole calendar."""
        return self.total_h100e.get(regime, np.zeros(self.hours))
