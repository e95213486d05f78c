"""Serve the fluid regimes from the fleet, hour by hour, as the simulation runs.

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

The :class:`Allocator` is a SimPy process: once a week it serves the hours just past from the
demand the ledger's meter recorded and what the reservations left, so agents can read served
and unmet work and free capacity so far. Queues and the split of their departures among
generations keep their state from one day to the next.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import simpy

from simdemand.units import HOURS_PER_DAY, PRETRAINING
from simdemand.world.demand import DemandMeter
from simdemand.world.supply.fleet import Fleet
from simdemand.world.supply.installed import overlap

FloatArray = npt.NDArray[np.float64]

# Work left after attribution below this share of a generation's total is float rounding, not work.
ROUNDING_SHARE = 1e-9


# The allocator serves the hours just past once per this many hours (a week: what agents can
# read of served and unmet work is at most this old; the hours are served one by one).
STEP_HOURS = 7 * int(HOURS_PER_DAY)


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


class FluidQueue:
    """A first-come-first-served fluid queue that loses work older than `max_delay_h` hours
    (0: serve now or lose it; inf: wait as long as needed), fed block by block."""

    def __init__(self, max_delay_h: float) -> None:
        self.max_delay_h = max_delay_h
        self.backlog = 0.0
        self.waiting: deque[list[float]] = deque()

    def serve(
        self, arrivals: FloatArray, capacity: FloatArray, first_hour: int = 0
    ) -> tuple[FloatArray, FloatArray]:
        """Work served and work lost in each hour of a block starting at `first_hour`."""
        if self.max_delay_h == 0:
            now: FloatArray = np.minimum(arrivals, capacity)
            return now, arrivals - now
        if math.isinf(self.max_delay_h):
            arrived = self.backlog + np.cumsum(arrivals)
            offered = np.cumsum(capacity)
            done = offered + np.minimum(0.0, np.minimum.accumulate(arrived - offered))
            self.backlog = float(arrived[-1] - done[-1]) if len(done) else self.backlog
            return np.diff(done, prepend=0.0).clip(0.0), np.zeros_like(arrivals)
        return self.serve_bounded(arrivals, capacity, first_hour)

    def serve_bounded(
        self, arrivals: FloatArray, capacity: FloatArray, first_hour: int
    ) -> tuple[FloatArray, FloatArray]:
        """Hour by hour: serve the oldest work first, then lose what has waited too long."""
        served, lost = np.zeros_like(arrivals), np.zeros_like(arrivals)
        waiting = self.waiting
        for i, (new, room) in enumerate(zip(arrivals.tolist(), capacity.tolist(), strict=True)):
            h = first_hour + i
            waiting.append([float(h), new])
            while waiting and room > 0:
                take = min(room, waiting[0][1])
                waiting[0][1] -= take
                room -= take
                served[i] += take
                if waiting[0][1] <= 0:
                    waiting.popleft()
            while waiting and waiting[0][0] + self.max_delay_h <= h:
                lost[i] += waiting.popleft()[1]
        return served, lost


class FifoSplit:
    """Splits a pooled queue's served and lost work among its generations, first come first
    served, block by block.

    Generation g's work leaves the queue (served or lost) in arrival order, so its cumulative
    departures are its cumulative arrivals read at the total's departures; its share of an
    hour's departures is served in the proportion the whole queue's was. Only the arrival
    history that later departures can still reach is kept.
    """

    def __init__(self) -> None:
        self.arrived = np.zeros(1)  # cumulative total arrivals at the kept hour ends
        self.mine: dict[str, FloatArray] = {}  # the same, per generation
        self.departed = 0.0
        self.gone: dict[str, float] = {}

    def split(
        self, demand: dict[str, FloatArray], served: FloatArray, lost: FloatArray
    ) -> dict[str, tuple[FloatArray, FloatArray]]:
        """(served, lost) of each generation in a block, given the pooled queue's."""
        for name in sorted(demand):
            if name not in self.mine:
                self.mine[name] = np.zeros_like(self.arrived)
                self.gone[name] = 0.0
        total = sum((demand[n] for n in sorted(demand)), np.zeros_like(served))
        arrived = np.concatenate([self.arrived, self.arrived[-1] + np.cumsum(total)])
        departed = self.departed + np.cumsum(served + lost)
        out = served + lost
        ratio = np.divide(served, out, out=np.zeros_like(served), where=out > 0)
        result = {}
        for name, mine in self.mine.items():
            added = demand.get(name, np.zeros_like(served))
            history = np.concatenate([mine, mine[-1] + np.cumsum(added)])
            reached = np.interp(departed, arrived, history)
            gone = np.diff(reached, prepend=self.gone[name]).clip(0.0)
            self.gone[name] = float(reached[-1]) if len(reached) else self.gone[name]
            self.mine[name] = history
            result[name] = (gone * ratio, gone - gone * ratio)
        self.arrived = arrived
        self.departed = float(departed[-1]) if len(departed) else self.departed
        self.trim()
        return result

    def trim(self) -> None:
        """Drop arrival history below the last point at or before what has departed."""
        keep = max(int(np.searchsorted(self.arrived, self.departed, side="right")) - 1, 0)
        if keep:
            self.arrived = self.arrived[keep:]
            self.mine = {name: history[keep:] for name, history in self.mine.items()}

    def left(self) -> dict[str, float]:
        """Work of each generation that never left the queue; a residue below
        `ROUNDING_SHARE` of the generation's total is rounding, not work."""
        out = {}
        for name, history in self.mine.items():
            rest = float(history[-1] - self.gone[name])
            if rest > ROUNDING_SHARE * max(float(history[-1]), 1.0):
                out[name] = rest
        return out


class Allocator:
    """Serves test-time, experiments and post-training from what the reservations leave, in
    the scenario's priority order, each pool in turn, once a week during the run."""

    def __init__(
        self, env: simpy.Environment, fleet: Fleet, meter: DemandMeter, hours: int
    ) -> None:
        self.env = env
        self.fleet = fleet
        self.meter = meter
        self.hours = hours
        self.done = 0
        self.flows: dict[tuple[str, str], Flow] = {}
        self.fluid_h100e = {pool: np.zeros(hours) for pool in fleet.spec.pools}
        self.used = {key: np.zeros(hours) for key in fleet.calendars}
        self.queues = {r: FluidQueue(fleet.spec.max_delay_hours(r)) for r in fleet.spec.priority}
        self.splits = {r: FifoSplit() for r in fleet.spec.priority}
        env.process(self.run())

    def run(self) -> Generator[simpy.Event, None, None]:
        """Each week, serve the hours that have just passed."""
        if self.env.now < 0:
            yield self.env.timeout(-self.env.now)
        while self.done < self.hours:
            until = min(self.done + STEP_HOURS, self.hours)
            yield self.env.timeout(until - self.env.now)
            self.serve(self.done, until)

    def serve(self, lo: int, hi: int) -> None:
        """Serve the hours [lo, hi) since the start from the demand recorded for them."""
        fleet, w = self.fleet, self.fleet.weight
        offset = -fleet.first
        span = slice(offset + lo, offset + hi)
        reserved = {key: cal.served[span] for key, cal in fleet.calendars.items()}
        free = {
            key: np.maximum(cal.installed[span] - reserved[key], 0.0)
            for key, cal in fleet.calendars.items()
        }
        free_h100e = {pool: np.zeros(hi - lo) for pool in fleet.spec.pools}
        for (pool, hw), gpus in free.items():
            free_h100e[pool] += gpus * w[hw]
        share = {
            (pool, hw): np.divide(
                gpus * w[hw], free_h100e[pool], out=np.zeros(hi - lo), where=free_h100e[pool] > 0
            )
            for (pool, hw), gpus in free.items()
        }
        fluid_h100e = {pool: np.zeros(hi - lo) for pool in fleet.spec.pools}
        for regime in fleet.spec.priority:
            demand = {
                hw: d * w[hw]
                for hw, d in self.meter.demand(regime, offset + lo, offset + hi).items()
            }
            if not demand:
                continue
            admitting = [p for p, pool in fleet.spec.pools.items() if regime in pool.regimes]
            capacity = sum((free_h100e[p] for p in admitting), np.zeros(hi - lo))
            total = sum(demand.values(), np.zeros(hi - lo))
            served, lost = self.queues[regime].serve(total, capacity, lo)
            for hw, (run, gone) in self.splits[regime].split(demand, served, lost).items():
                flow = self.flow(regime, hw)
                flow.demanded[lo:hi] += demand.get(hw, 0.0) / w[hw]
                flow.served[lo:hi] += run / w[hw]
                flow.unmet[lo:hi] += gone / w[hw]
            for pool in admitting:
                take = np.minimum(served, free_h100e[pool])
                free_h100e[pool] -= take
                fluid_h100e[pool] += take
                served = served - take
        for (pool, hw), part in share.items():
            used = self.used.setdefault((pool, hw), np.zeros(self.hours))
            used[lo:hi] = reserved[(pool, hw)] + fluid_h100e[pool] * part / w[hw]
        for pool, series in fluid_h100e.items():
            self.fluid_h100e[pool][lo:hi] = series
        self.done = hi

    def flow(self, regime: str, hardware: str) -> Flow:
        """The flow of one regime on one generation, created empty on first use."""
        key = (regime, hardware)
        if key not in self.flows:
            self.flows[key] = Flow(*(np.zeros(self.hours) for _ in range(3)))
        return self.flows[key]

    def served_so_far(self, regime: str) -> float:
        """H100-equivalent hours of fluid work of `regime` served up to the last served hour."""
        return self.so_far(regime, "served")

    def unmet_so_far(self, regime: str) -> float:
        """H100-equivalent hours of fluid work of `regime` lost up to the last served hour."""
        return self.so_far(regime, "unmet")

    def so_far(self, regime: str, part: str) -> float:
        """One part of a regime's flows (H100-equivalent hours) up to the last served hour."""
        w = self.fleet.weight
        flows = [(getattr(f, part), w[hw]) for (r, hw), f in self.flows.items() if r == regime]
        return sum(float(hours[: self.done].sum()) * weight for hours, weight in flows)

    def idle_h100e(self, pool: str) -> float:
        """H100-equivalent GPUs of `pool` left idle in the last served hour."""
        if self.done == 0:
            return 0.0
        at = self.done - 1
        installed = sum(
            float(cal.installed[at - self.fleet.first]) * self.fleet.weight[hw]
            for (p, hw), cal in self.fleet.calendars.items()
            if p == pool
        )
        busy = sum(
            float(self.used[(p, hw)][at]) * self.fleet.weight[hw]
            for (p, hw) in self.used
            if p == pool
        )
        return max(installed - busy, 0.0)

    def finish(self) -> Allocation:
        """Serve the hours not yet served, lose what still waits, add the final runs' flows."""
        if self.done < self.hours:
            self.serve(self.done, self.hours)
        for regime, split in self.splits.items():
            for hw, rest in split.left().items():
                self.flow(regime, hw).unmet[-1] += rest / self.fleet.weight[hw]
        flows = dict(self.flows)
        for hw, flow in reservations(self.fleet, self.hours).items():
            key = (PRETRAINING, hw)
            flows[key] = flows[key] + flow if key in flows else flow
        for key in self.fleet.calendars:
            self.used.setdefault(key, np.zeros(self.hours))
        offset = -self.fleet.first
        installed = {
            key: cal.installed[offset : offset + self.hours]
            for key, cal in self.fleet.calendars.items()
        }
        return Allocation(flows, installed, self.used)


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
