"""Serve the fluid regimes from the fleet, hour by hour.

Pretraining final runs hold their clusters (see :mod:`simdemand.world.supply.fleet`). Everything
else is fluid work measured in H100-equivalent hours (dense BF16 peak relative to the H100, the
unit of Epoch AI's chip counts) that may run on any generation of a pool admitting its regime:
test-time, pretraining experiments and post-training, served in the scenario's priority order
from what the reservations leave, each pool in turn. Work of each regime queues first come
first served and is lost when it has waited longer than the regime's maximum delay.

Each (regime, generation) is a flow of work in GPU-hours of that generation: `demanded` is
the work the regime wanted to do in an hour (what an unconstrained run charges there: final
runs at their planned times), `served` what ran in the hour, `unmet` what was lost in it
(waited too long, or still waiting at the horizon). So ``demanded + queued before = served +
unmet + queued after`` in every hour, and ``served + unmet = demanded`` over the run and in
every hour where nothing waits. The first hour's demand includes work carried in from the
warm-up.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simdemand.catalog import Catalog
from simdemand.units import POST_TRAINING, PRETRAINING, TEST_TIME
from simdemand.world.binning import split
from simdemand.world.ledger import Intervals
from simdemand.world.supply.fleet import Fleet, overlap, weights

FloatArray = npt.NDArray[np.float64]

# Work left after attribution below this share of a generation's total is float rounding, not work.
ROUNDING_SHARE = 1e-9


@dataclass
class Flow:
    """Hourly GPU-hours of one regime on one generation: wanted, run and lost."""

    demanded: FloatArray
    served: FloatArray
    unmet: FloatArray

    def __add__(self, other: Flow) -> Flow:
        return Flow(
            self.demanded + other.demanded, self.served + other.served, self.unmet + other.unmet
        )

    def scaled(self, factor: float) -> Flow:
        """The same flow in other units."""
        return Flow(self.demanded * factor, self.served * factor, self.unmet * factor)

    @property
    def queued(self) -> FloatArray:
        """Work waiting at the end of each hour."""
        waiting: FloatArray = np.cumsum(self.demanded - self.served - self.unmet).clip(0.0)
        return waiting


@dataclass(frozen=True)
class Allocation:
    """What the fleet did over [0, horizon) hour by hour: each (regime, generation)'s flow, and
    each (pool, generation)'s installed and busy GPUs."""

    flows: dict[tuple[str, str], Flow]
    installed: dict[tuple[str, str], FloatArray]
    used: dict[tuple[str, str], FloatArray]


def hourly(iv: Intervals, mask: npt.NDArray[np.bool_], hours: int) -> dict[str, FloatArray]:
    """GPU-hours of the masked intervals in each hour [0, hours), by hardware."""
    edges = np.arange(hours + 1, dtype=np.float64)
    start, end = iv.start_h[mask], np.minimum(iv.end_h[mask], float(hours))
    keep = end > start
    row, bins, share = split(start[keep], end[keep], edges)
    gpu_hours, hardware = iv.gpu_hours[mask][keep], iv.hardware[mask][keep]
    out: dict[str, FloatArray] = {}
    for name in sorted(set(hardware.tolist())):
        rows = hardware[row] == name
        out[name] = np.bincount(
            bins[rows], weights=(gpu_hours[row] * share)[rows], minlength=hours
        ).astype(np.float64)
    return out


def queue(
    arrivals: FloatArray, capacity: FloatArray, max_delay_h: float
) -> tuple[FloatArray, FloatArray]:
    """Work served and work lost each hour by a first-come-first-served fluid queue that loses
    work older than `max_delay_h` hours (0: serve now or lose it; inf: wait as long as needed)."""
    if max_delay_h == 0:
        now: FloatArray = np.minimum(arrivals, capacity)
        return now, arrivals - now
    if math.isinf(max_delay_h):
        arrived, offered = np.cumsum(arrivals), np.cumsum(capacity)
        done = offered + np.minimum(0.0, np.minimum.accumulate(arrived - offered))
        return np.diff(done, prepend=0.0).clip(0.0), np.zeros_like(arrivals)
    served, lost = np.zeros_like(arrivals), np.zeros_like(arrivals)
    waiting: deque[list[float]] = deque()
    for h, (new, room) in enumerate(zip(arrivals.tolist(), capacity.tolist(), strict=True)):
        waiting.append([float(h), new])
        while waiting and room > 0:
            take = min(room, waiting[0][1])
            waiting[0][1] -= take
            room -= take
            served[h] += take
            if waiting[0][1] <= 0:
                waiting.popleft()
        while waiting and waiting[0][0] + max_delay_h <= h:
            lost[h] += waiting.popleft()[1]
    return served, lost


def attribute(
    demand: dict[str, FloatArray], served: FloatArray, lost: FloatArray
) -> dict[str, Flow]:
    """Split a regime's served and lost work among its generations, first come first served.

    Generation g's work leaves the queue (served or lost) in arrival order, so its cumulative
    departures are its cumulative arrivals read at the total's departures; its share of an
    hour's departures is served in the proportion the whole queue's was. Work still waiting at
    the last hour is lost there; a residue below `ROUNDING_SHARE` of the total is rounding.
    """
    names = sorted(demand)
    arrived = np.concatenate([[0.0], np.cumsum(sum((demand[n] for n in names), 0.0 * served))])
    departed = np.cumsum(served + lost)
    total = served + lost
    ratio = np.divide(served, total, out=np.zeros_like(served), where=total > 0)
    flows = {}
    for name in names:
        mine = np.cumsum(demand[name])
        gone = np.diff(np.interp(departed, arrived, np.concatenate([[0.0], mine])), prepend=0.0)
        gone = gone.clip(0.0)
        run = gone * ratio
        lost_here = gone - run
        left = float(mine[-1] - gone.sum())
        if left > ROUNDING_SHARE * max(float(mine[-1]), 1.0):
            lost_here[-1] += left
        flows[name] = Flow(demand[name], run, lost_here)
    return flows


def allocate(fleet: Fleet, iv: Intervals, catalog: Catalog, hours: int) -> Allocation:
    """Serve the run's fluid work over [0, hours) from what the reservations leave."""
    window = slice(-fleet.first, -fleet.first + hours)
    spec = fleet.spec
    names = sorted(set(fleet.hardware) | set(iv.hardware.tolist()) | set(fleet.test_time))
    w = weights(catalog, names)
    reserved = {key: cal.served[window] for key, cal in fleet.calendars.items()}
    free = {
        key: np.maximum(cal.installed[window] - reserved[key], 0.0)
        for key, cal in fleet.calendars.items()
    }
    free_e = {p: np.zeros(hours) for p in spec.pools}
    for (pool, hw), gpus in free.items():
        free_e[pool] += gpus * w[hw]
    share = {
        (pool, hw): np.divide(
            gpus * w[hw], free_e[pool], out=np.zeros(hours), where=free_e[pool] > 0
        )
        for (pool, hw), gpus in free.items()
    }
    fluid_e = {p: np.zeros(hours) for p in spec.pools}
    demands = {
        TEST_TIME: {hw: series[window] for hw, series in fleet.test_time.items()},
        PRETRAINING: hourly(iv, (iv.regime == PRETRAINING) & (iv.activity != "final-run"), hours),
        POST_TRAINING: hourly(iv, iv.regime == POST_TRAINING, hours),
    }
    flows: dict[tuple[str, str], Flow] = {}
    for regime in spec.priority:
        demand = {hw: d * w[hw] for hw, d in demands[regime].items()}
        if not demand:
            continue
        admitting = [p for p, pool in spec.pools.items() if regime in pool.regimes]
        capacity = sum((free_e[p] for p in admitting), np.zeros(hours))
        served, lost = queue(
            sum(demand.values(), np.zeros(hours)), capacity, spec.max_delay_hours(regime)
        )
        for hw, flow in attribute(demand, served, lost).items():
            flows[(regime, hw)] = flow.scaled(1.0 / w[hw])
        for pool in admitting:
            take = np.minimum(served, free_e[pool])
            free_e[pool] -= take
            fluid_e[pool] += take
            served = served - take
    for hw, flow in reservations(fleet, hours).items():
        key = (PRETRAINING, hw)
        flows[key] = flows[key] + flow if key in flows else flow
    used = {
        key: reserved[key] + fluid_e[key[0]] * share[key] / w[key[1]] for key in fleet.calendars
    }
    installed = {key: cal.installed[window] for key, cal in fleet.calendars.items()}
    return Allocation(flows, installed, used)


def reservations(fleet: Fleet, hours: int) -> dict[str, Flow]:
    """Final runs by generation: wanted at their planned times, run when granted; runs never
    granted are lost at the horizon. Work of the warm-up still to run at hour 0 is carried in;
    work of delayed runs that falls after the horizon stays queued."""
    start, span = -fleet.first, (fleet.first, fleet.hours)
    flows: dict[str, Flow] = {}
    for wait in [*fleet.waits, *fleet.pending()]:
        flow = flows.setdefault(wait.hardware, Flow(*(np.zeros(fleet.hours) for _ in range(3))))
        planned = wait.gpus * overlap(wait.requested_h, wait.requested_h + wait.hours, *span)
        flow.demanded += planned
        if math.isnan(wait.start_h):
            flow.unmet[-1] += planned.sum()
        else:
            ran = (wait.start_h, wait.start_h + wait.hours)
            flow.served += wait.gpus * overlap(*ran, *span)
    for flow in flows.values():
        flow.demanded[start] += flow.demanded[:start].sum() - flow.served[:start].sum()
    return {hw: window(flow, start, hours) for hw, flow in flows.items()}


def window(flow: Flow, start: int, hours: int) -> Flow:
    """A flow's hours [start, start + hours) of the calendar."""
    part = slice(start, start + hours)
    return Flow(flow.demanded[part], flow.served[part], flow.unmet[part])
