"""The installed base: GPUs delivered by date (listed, or by a growth law), their hourly
calendars, and the H100-equivalent weight of each generation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simdemand.catalog import Catalog
from simdemand.scenario.fleet import FleetSpec, Growth
from simdemand.units import DAYS_PER_YEAR, HOURS_PER_DAY

FloatArray = npt.NDArray[np.float64]

# H100-equivalents weigh a GPU by its dense BF16 peak against the H100 SXM's, as Epoch AI's
# cumulative chip counts do (docs/calibration.md, Energy).
REFERENCE_HARDWARE = "H100-SXM"
QUARTERS_PER_YEAR = 4
DAYS_PER_QUARTER = DAYS_PER_YEAR / QUARTERS_PER_YEAR


@dataclass(frozen=True)
class Shipment:
    """GPUs of one generation entering service at an hour (hours since the start)."""

    hour: float
    hardware: str
    gpus: float


@dataclass
class Calendar:
    """Hourly arrays over [first, last): installed GPUs, GPUs held (whole hours), GPU-hours run."""

    installed: FloatArray
    held: FloatArray = field(init=False)
    served: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.held = np.zeros_like(self.installed)
        self.served = np.zeros_like(self.installed)


def weights(catalog: Catalog, names: list[str]) -> dict[str, float]:
    """H100-equivalents per GPU of each named generation."""
    reference = catalog[REFERENCE_HARDWARE].bf16_flop_per_s
    return {name: catalog[name].bf16_flop_per_s / reference for name in names}


def overlap(start: float, end: float, first: int, hours: int) -> FloatArray:
    """Hours of [start, end) inside each calendar hour [first + i, first + i + 1)."""
    edges = first + np.arange(hours + 1, dtype=np.float64)
    inside = np.minimum(edges[1:], end) - np.maximum(edges[:-1], start)
    hours_in: FloatArray = np.clip(inside, 0.0, 1.0)
    return hours_in


def sliding_min(values: FloatArray, length: int, count: int) -> FloatArray:
    """min(values[i : i + length]) for i < count, windows cut at the end of `values`; +inf
    for an empty window (van Herk / Gil-Werman: block prefix and suffix minima)."""
    if length <= 0:
        return np.full(count, np.inf)
    blocks = -(-(count + length - 1) // length)
    padded = np.full(blocks * length, np.inf)
    padded[: min(len(values), len(padded))] = values[: len(padded)]
    grid = padded.reshape(blocks, length)
    prefix = np.minimum.accumulate(grid, axis=1).ravel()
    suffix = np.minimum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    shifted = np.concatenate([prefix[length - 1 :], np.full(length - 1, np.inf)])
    mins: FloatArray = np.minimum(suffix[:count], shifted[:count])
    return mins


def first_window(ok: npt.NDArray[np.bool_], length: int) -> int:
    """The first index i with `ok` true over [i, i + length) (cut at the end of `ok`), or
    len(ok) if there is none."""
    bad = np.concatenate([[0], np.cumsum(~ok)])
    starts = np.arange(len(ok))
    ends = np.minimum(starts + length, len(ok))
    clear = np.flatnonzero(bad[ends] == bad[starts])
    return int(clear[0]) if len(clear) else len(ok)


def deliveries(
    fleet: FleetSpec, catalog: Catalog, start: dt.date, horizon_h: float
) -> list[Shipment]:
    """The listed deliveries and the growth law's quarterly ones, as shipments."""
    shipments = [
        Shipment((d.date - start).days * HOURS_PER_DAY, d.hardware, float(d.gpus))
        for d in fleet.deliveries
    ]
    if fleet.growth is not None:
        shipments += growth_shipments(fleet.growth, catalog, start, horizon_h)
    return shipments


def growth_shipments(
    growth: Growth, catalog: Catalog, start: dt.date, horizon_h: float
) -> list[Shipment]:
    """Quarterly deliveries from `growth.start`, growing by `growth_per_year`, to its end."""
    stop_h = horizon_h if growth.end is None else (growth.end - start).days * HOURS_PER_DAY
    begin_h = (growth.start - start).days * HOURS_PER_DAY
    shipments = []
    k = 0
    while (hour := begin_h + k * DAYS_PER_QUARTER * HOURS_PER_DAY) < stop_h:
        day = start + dt.timedelta(hours=hour)
        if growth.hardware == "newest":
            hardware = catalog.newest_available(day, growth.lag_days).name
        else:
            hardware = growth.hardware
        gpus = growth.gpus_per_quarter * growth.growth_per_year ** (k / QUARTERS_PER_YEAR)
        shipments.append(Shipment(hour, hardware, gpus))
        k += 1
    return shipments
