"""The fleet: installed GPUs by pool and generation, hour by hour, and cluster reservations.

The installed base is a calendar of whole hours over the run (warm-up included): GPUs enter
service on their delivery date and leave after the service life. A pretraining final run asks
for a cluster (`reserve`); it is granted, first come first served, as soon as one pool that
admits the lab has that many GPUs of one generation free for every hour of the run. Reservations
are never pre-empted. When test-time comes first, a run must also leave room for the peak
test-time demand of the last and next `headroom_hours`, as the ledger's demand meter has
recorded it so far. A waiting run is retried at whole hours, skipping those that the calendars
and the test-time recorded so far already rule out (neither can change in its favour).
Background load (ranking, recommendation, classic ML: `[background]`) runs before anything
else, in the same share of the free GPUs of every generation of its pools; it never waits and
is never pre-empted.
Test-time, experiments and post-training are fluid: the allocator in
:mod:`simdemand.world.supply.allocation` serves them, hour by hour during the run, from what the
reservations leave.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import simpy

from simdemand.catalog import Catalog
from simdemand.scenario.fleet import FleetSpec
from simdemand.units import DAYS_PER_YEAR, HOURS_PER_DAY, TEST_TIME
from simdemand.world.demand import DemandMeter
from simdemand.world.supply.installed import (
    Calendar,
    Shipment,
    deliveries,
    first_window,
    overlap,
    sliding_min,
    weights,
)

FloatArray = npt.NDArray[np.float64]

# Capacity checks allow this much rounding slack, in GPUs.
SLACK_GPUS = 1e-9
# A waiting run's next retry is computed with the test-time headroom over this many hours ahead
# (users charge their test-time a step, a week by default, ahead), with GPUs alone beyond.
RETRY_LOOKAHEAD_HOURS = 14 * 24


@dataclass(frozen=True)
class Option:
    """One way to run a job: on `gpus` GPUs of `hardware` for `hours`."""

    hardware: str
    gpus: float
    hours: float


@dataclass(frozen=True)
class Grant:
    """Where and when a reservation runs."""

    option: Option
    pool: str
    start_h: float


@dataclass
class Request:
    """A job waiting for a cluster."""

    agent: str
    archetype: str
    model_id: str
    activity: str
    options: tuple[Option, ...]
    requested_h: float
    event: simpy.Event
    can_fit: bool = True


@dataclass(frozen=True)
class Wait:
    """How long a reservation waited; `start_h` is NaN if it never started in the run."""

    agent: str
    model_id: str
    activity: str
    hardware: str
    pool: str
    gpus: float
    hours: float
    requested_h: float
    start_h: float


class Fleet:
    """Pools of installed GPUs and the queue of pretraining runs waiting for a cluster."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: FleetSpec,
        catalog: Catalog,
        start: dt.date,
        meter: DemandMeter,
        background: dict[str, tuple[FloatArray, tuple[str, ...]]] | None = None,
    ) -> None:
        self.env = env
        self.spec = spec
        self.catalog = catalog
        self.meter = meter
        self.first = meter.first
        self.hours = meter.hours
        self.calendars: dict[tuple[str, str], Calendar] = {}
        shipments = deliveries(spec, catalog, start, float(self.first + self.hours))
        for name, pool in spec.pools.items():
            for shipment in shipments:
                self.install(
                    name, Shipment(shipment.hour, shipment.hardware, shipment.gpus * pool.share)
                )
        self.weight = weights(catalog, list(catalog.names))
        self.installed_h100e = {pool: np.zeros(self.hours) for pool in spec.pools}
        for (name, hw), calendar in self.calendars.items():
            self.installed_h100e[name] += calendar.installed * self.weight[hw]
        self.free_h100e = {pool: series.copy() for pool, series in self.installed_h100e.items()}
        self.background: dict[str, FloatArray] = {}
        for name, (load, pools) in sorted((background or {}).items()):
            self.background[name] = self.occupy(load, pools or tuple(spec.pools))
        self.serving = [name for name, pool in spec.pools.items() if TEST_TIME in pool.regimes]
        self.queue: list[Request] = []
        self.waits: list[Wait] = []
        self.ticket = 0

    def occupy(self, load_h100e: FloatArray, pools: tuple[str, ...]) -> FloatArray:
        """Hold a background workload's H100-equivalents, hour by hour, before any run: the same
        share of the free GPUs of every generation of `pools`, at most all of them. Returns the
        H100-equivalents it holds in each calendar hour."""
        free = sum((self.free_h100e[pool] for pool in pools), np.zeros(self.hours))
        held = np.minimum(load_h100e, free)
        share = np.divide(held, free, out=np.zeros(self.hours), where=free > 0)
        for (pool, hw), calendar in self.calendars.items():
            if pool in pools:
                gpus = (calendar.installed - calendar.held) * share
                calendar.held += gpus
                calendar.served += gpus
                self.free_h100e[pool] -= gpus * self.weight[hw]
        held_h100e: FloatArray = held
        return held_h100e

    @property
    def hardware(self) -> list[str]:
        """Generations installed in any pool, sorted by name."""
        return sorted({hw for _, hw in self.calendars})

    def install(self, pool: str, shipment: Shipment) -> None:
        """Add a shipment to its pool's calendar from delivery to retirement."""
        key = (pool, shipment.hardware)
        if key not in self.calendars:
            self.calendars[key] = Calendar(np.zeros(self.hours))
        life_h = self.spec.service_life_years * DAYS_PER_YEAR * HOURS_PER_DAY
        lo, hi = self.index(shipment.hour), self.index(shipment.hour + life_h)
        self.calendars[key].installed[lo:hi] += shipment.gpus

    def deliver(self, shipment: Shipment) -> None:
        """Add a delivery bought during the run to the pools, all of it, split in proportion to
        their shares; then grant what waits if it now fits."""
        life_h = self.spec.service_life_years * DAYS_PER_YEAR * HOURS_PER_DAY
        lo, hi = self.index(shipment.hour), self.index(shipment.hour + life_h)
        total = sum(pool.share for pool in self.spec.pools.values())
        for name, pool in self.spec.pools.items():
            gpus = shipment.gpus * pool.share / total
            self.install(name, Shipment(shipment.hour, shipment.hardware, gpus))
            self.installed_h100e[name][lo:hi] += gpus * self.weight[shipment.hardware]
            self.free_h100e[name][lo:hi] += gpus * self.weight[shipment.hardware]
        if not self.queue:
            return
        for request in self.queue:
            request.can_fit = any(self.ever_fits(request, option) for option in request.options)
        blocker = self.dispatch()
        if blocker is not None:
            self.ticket += 1
            self.env.process(self.retry(blocker, self.ticket))

    def index(self, hour: float) -> int:
        """Calendar index of the hour containing `hour`, clipped to the calendar."""
        return min(max(math.floor(hour) - self.first, 0), self.hours)

    def reserve(
        self, agent: str, archetype: str, model_id: str, activity: str, options: tuple[Option, ...]
    ) -> simpy.Event:
        """Queue a request for a cluster; the event's value is the Grant once it starts."""
        request = Request(
            agent, archetype, model_id, activity, options, self.env.now, self.env.event()
        )
        request.can_fit = any(self.ever_fits(request, option) for option in options)
        self.queue.append(request)
        blocker = self.dispatch()
        if blocker is not None:
            self.ticket += 1
            self.env.process(self.retry(blocker, self.ticket))
        return request.event

    def retry(self, blocker: Request, ticket: int) -> Generator[simpy.Event, None, None]:
        """Retry the queue at whole hours while `blocker` heads it, from the first hour that what
        is known now allows; a newer retry (a later request) takes over."""
        while ticket == self.ticket:
            at = max(math.floor(self.env.now) + 1, self.first + self.earliest(blocker))
            yield self.env.timeout(at - self.env.now)
            if ticket != self.ticket:
                return
            next_blocker = self.dispatch()
            if next_blocker is None:
                return
            blocker = next_blocker

    def dispatch(self) -> Request | None:
        """Grant waiting requests in arrival order; return the first one that could fit later,
        which blocks the rest."""
        now = float(self.env.now)
        for request in list(self.queue):
            grant = self.place(request, now)
            if grant is not None:
                self.queue.remove(request)
                self.hold(grant)
                self.waits.append(wait(request, grant.option, grant.pool, now))
                request.event.succeed(grant)
            elif request.can_fit:
                return request
        return None

    def earliest(self, request: Request) -> int:
        """The first calendar index from now at which some option of `request` could start (the
        calendar's length if none): no earlier whole hour can grant it."""
        lo = self.index(float(self.env.now))
        best = self.hours
        for option in request.options:
            for pool in self.pools_for(request):
                calendar = self.calendars.get((pool, option.hardware))
                if calendar is not None:
                    best = min(best, self.first_fit(pool, option, calendar, lo))
        return best

    def first_fit(self, pool: str, option: Option, calendar: Calendar, lo: int) -> int:
        """The first index from `lo` at which `option` fits in `pool` as `fits` would find it
        with what is known now. Later grants only take GPUs and test-time is only ever added,
        so no earlier hour can fit later. Within `RETRY_LOOKAHEAD_HOURS` the test-time headroom
        counts; beyond, only GPUs (a run of h hours from a whole hour holds at least floor(h))."""
        length = max(math.floor(option.hours), 1)
        need_h100e = option.gpus * self.weight[option.hardware]
        hi = min(lo + RETRY_LOOKAHEAD_HOURS, self.hours)
        end = min(hi + length, self.hours)
        room = sliding_min(calendar.installed[lo:end] - calendar.held[lo:end], length, hi - lo)
        free_h100e = sliding_min(self.free_h100e[pool][lo:end], length, hi - lo)
        ok = (room + SLACK_GPUS >= option.gpus) & (
            free_h100e + SLACK_GPUS - self.headrooms(pool, lo, hi) >= need_h100e
        )
        found = np.flatnonzero(ok)
        if len(found):
            return lo + int(found[0])
        if hi >= self.hours:
            return self.hours
        room_later = calendar.installed[hi:] - calendar.held[hi:] + SLACK_GPUS >= option.gpus
        ok_later = room_later & (self.free_h100e[pool][hi:] + SLACK_GPUS >= need_h100e)
        return hi + first_window(ok_later, length)

    def pools_for(self, request: Request) -> list[str]:
        """Pools that admit pretraining by this request's lab, in the scenario's order."""
        return [
            name
            for name, pool in self.spec.pools.items()
            if "pretraining" in pool.regimes and (not pool.labs or request.archetype in pool.labs)
        ]

    def place(self, request: Request, now: float) -> Grant | None:
        """The first option and pool with room for the whole run from `now`, if any."""
        for option in request.options:
            for pool in self.pools_for(request):
                if self.fits(pool, option, now):
                    return Grant(option, pool, now)
        return None

    def fits(self, pool: str, option: Option, now: float) -> bool:
        """True if `pool` has `option.gpus` of its hardware free for every hour of the run."""
        calendar = self.calendars.get((pool, option.hardware))
        lo = self.index(now)
        if lo >= self.hours:
            return True
        if calendar is None:
            return False
        hi = max(self.index(math.ceil(now + option.hours)), lo + 1)
        room = float((calendar.installed[lo:hi] - calendar.held[lo:hi]).min()) + SLACK_GPUS
        if room < option.gpus:
            return False
        need_h100e = option.gpus * self.weight[option.hardware]
        room_h100e = float(self.free_h100e[pool][lo:hi].min()) + SLACK_GPUS
        return room_h100e - self.headroom(pool, now) >= need_h100e

    def ever_fits(self, request: Request, option: Option) -> bool:
        """True if some allowed pool ever has that many GPUs of the option's hardware installed."""
        lo = self.index(float(self.env.now))
        for pool in self.pools_for(request):
            calendar = self.calendars.get((pool, option.hardware))
            if calendar is not None and calendar.installed[lo:].max(initial=0.0) >= option.gpus:
                return True
        return False

    def headroom(self, pool: str, now: float) -> float:
        """H100-equivalents to leave for test-time in `pool`: its share (by installed H100e) of
        the peak test-time demand of the last and next `headroom_hours`."""
        if not self.keeps_headroom(pool):
            return 0.0
        window = self.spec.headroom_hours
        lo, hi = self.index(now - window), self.index(now + window)
        peak = float(self.meter.regime_h100e(TEST_TIME)[lo:hi].max(initial=0.0))
        at = min(self.index(now), self.hours - 1)
        total = sum(float(self.installed_h100e[p][at]) for p in self.serving)
        return peak * float(self.installed_h100e[pool][at]) / total if total > 0 else 0.0

    def keeps_headroom(self, pool: str) -> bool:
        """True if runs in `pool` must leave room for test-time (it serves it, and comes first)."""
        return self.spec.priority[0] == TEST_TIME and pool in self.serving

    def headrooms(self, pool: str, lo: int, hi: int) -> FloatArray:
        """`headroom` at the whole hours of calendar indices [lo, hi), computed alike."""
        if not self.keeps_headroom(pool):
            return np.zeros(hi - lo)
        window = self.spec.headroom_hours
        before, after = math.ceil(window), math.floor(window)  # [t - before, t + after)
        a, b = lo - before, hi + after
        padded = np.concatenate(
            [
                np.zeros(max(-a, 0)),
                self.meter.regime_h100e(TEST_TIME)[max(a, 0) : min(b, self.hours)],
                np.zeros(max(b - self.hours, 0)),
            ]
        )
        peak = -sliding_min(-padded, before + after, hi - lo)
        total = sum(self.installed_h100e[p][lo:hi] for p in self.serving)
        share = np.divide(
            peak * self.installed_h100e[pool][lo:hi], total, out=np.zeros(hi - lo), where=total > 0
        )
        return share

    def hold(self, grant: Grant) -> None:
        """Mark a granted run's GPUs held (whole hours) and its GPU-hours run (exact)."""
        calendar = self.calendars[(grant.pool, grant.option.hardware)]
        start, end = grant.start_h, grant.start_h + grant.option.hours
        lo = self.index(start)
        hi = max(self.index(math.ceil(end)), lo + 1)
        calendar.held[lo:hi] += grant.option.gpus
        self.free_h100e[grant.pool][lo:hi] -= grant.option.gpus * self.weight[grant.option.hardware]
        calendar.served += grant.option.gpus * overlap(start, end, self.first, self.hours)

    def pending(self) -> list[Wait]:
        """Requests still waiting, as waits that never started."""
        return [wait(r, r.options[0], "", math.nan) for r in self.queue]


def wait(request: Request, option: Option, pool: str, start_h: float) -> Wait:
    """The wait record of a request granted (or not) with `option`."""
    return Wait(
        request.agent,
        request.model_id,
        request.activity,
        option.hardware,
        pool,
        option.gpus,
        option.hours,
        request.requested_h,
        start_h,
    )
