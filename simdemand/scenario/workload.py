"""The work a scenario asks for, estimated before it runs: simulation events, table rows, memory.

A pure function of the Scenario. Each agent's part is an order-of-magnitude upper estimate of
what `simulate` builds (rows of the jobs, models, time-series and supply tables, and the events
and hourly cells that produce them), so a horizon, a rate or a count that would run for hours or
exhaust memory is refused before anything runs, naming the part that dominates. The limit is a
number of rows and events together; the command line raises it with `--max-work`.

The agents' timing mirrors simdemand.world.agents (labs start their warm-up before the horizon,
communities step from at most 60 days before it, cohorts from its start); tests pin the two.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass

from simdemand.catalog import Catalog
from simdemand.errors import FieldError, InputError
from simdemand.scenario.communities import CommunitySpec
from simdemand.scenario.loader import scenario_catalog
from simdemand.scenario.schema import LabArchetype, RunConfig, Scenario
from simdemand.scenario.techniques import CLOSED_TECHNIQUES, TECHNIQUES
from simdemand.scenario.timing import (
    community_first_step,
    horizon_days,
    lab_warmup_days,
    years_between,
)
from simdemand.units import DAYS_PER_YEAR, HOURS_PER_DAY, HOURS_PER_MONTH

# Rows and events a run may hold unless the user raises the limit: the bundled fleet scenario
# (five years of hourly bins, the largest bundled run) needs ~5e6 and ~1.3 GB; 2e7 is ~6 GB.
DEFAULT_MAX_WORK = 2e7
# Peak memory per row held (Arrow tables, the pandas frames of the summary, the ledger):
# measured ~390 bytes per written row on the bundled fleet scenario, which this estimate
# overcounts by ~1.4x.
BYTES_PER_ROW = 300.0
BASE_BYTES = 150e6  # the interpreter with numpy, pandas, pyarrow and SimPy loaded
# SimPy events per lab run: its process, the wait before the final run, the release.
EVENTS_PER_RUN = 6.0
# A base's stream fades e-fold every decay_months; after three it draws few derivatives.
DECAY_SPANS = 3.0
BIN_HOURS = {"hour": 1.0, "day": 24.0, "week": 168.0, "month": HOURS_PER_MONTH}
REGIME_COUNT = 3


@dataclass(frozen=True)
class Part:
    """The work of one agent (or the fleet): where it is in the file, events and rows."""

    path: str
    what: str
    events: float
    rows: float

    @property
    def work(self) -> float:
        """Events and rows together: the figure the limit applies to."""
        return self.events + self.rows


@dataclass(frozen=True)
class Workload:
    """The estimated work of a whole run, part by part."""

    parts: tuple[Part, ...]

    @property
    def events(self) -> float:
        """Simulation events (SimPy events and agent steps)."""
        return sum(p.events for p in self.parts)

    @property
    def rows(self) -> float:
        """Table rows and hourly cells held in memory."""
        return sum(p.rows for p in self.parts)

    @property
    def work(self) -> float:
        """Events and rows together."""
        return self.events + self.rows

    @property
    def memory_bytes(self) -> float:
        """Peak memory, estimated from the rows."""
        return BASE_BYTES + BYTES_PER_ROW * self.rows

    def largest(self) -> Part | None:
        """The part with the most work, if any."""
        return max(self.parts, key=lambda p: p.work, default=None)

    def describe(self) -> str:
        """A short summary, e.g. '~2.1e+06 rows and events, ~0.8 GB'."""
        return f"~{self.work:.2g} rows and events, ~{self.memory_bytes / 1e9:.2g} GB"


def estimate(scenario: Scenario, catalog: Catalog | None = None) -> Workload:
    """The work of simulating `scenario`, by agent; no simulation, no I/O. `catalog` defaults
    to the bundled one with the scenario's hardware."""
    catalog = catalog if catalog is not None else scenario_catalog(scenario)
    parts = [
        *lab_parts(scenario),
        *community_parts(scenario),
        *cohort_parts(scenario),
        *fleet_parts(scenario, catalog),
    ]
    return Workload(tuple(parts))


def check_workload(scenario: Scenario, source: str, limit: float = DEFAULT_MAX_WORK) -> Workload:
    """The workload of `scenario`; InputError if it is over `limit`, naming the largest part."""
    load = estimate(scenario)
    if load.work <= limit:
        return load
    top = load.largest()
    where, what = (top.path, f"; most of it {top.what}") if top is not None else ("run", "")
    enough = 10 ** math.ceil(math.log10(load.work))
    message = (
        f"this run needs {load.describe()}{what}, over the limit of {limit:.2g}; shorten the "
        "horizon, coarsen run.resolution or lower the rates, or raise the limit with "
        f"--max-work {enough:.0e}"
    )
    raise InputError(source, [FieldError(where, message)])


# --- each agent's part ----------------------------------------------------------------------


def bins(run: RunConfig) -> float:
    """Output time bins over the horizon."""
    return math.ceil(horizon_days(run) * HOURS_PER_DAY / BIN_HOURS[run.resolution])


def lab_runs(run: RunConfig, spec: LabArchetype) -> float:
    """Expected pretraining runs of an archetype, warm-up included."""
    years = (horizon_days(run) + lab_warmup_days(spec)) / DAYS_PER_YEAR
    return spec.count * spec.runs_per_year * years


def lab_parts(scenario: Scenario) -> Iterator[Part]:
    """Runs of each archetype: two job rows, a model row and their time-series bins each."""
    run = scenario.run
    bin_h = BIN_HOURS[run.resolution]
    for name, spec in scenario.labs.items():
        runs = lab_runs(run, spec)
        typical_h = (spec.experiments_days + (spec.min_run_days + spec.max_run_days) / 2) * 24
        per_run = 3.0 + typical_h / bin_h + 2.0
        yield Part(f"labs.{name}", f"{runs:.2g} runs", runs * EVENTS_PER_RUN, runs * per_run)


def all_lab_runs(scenario: Scenario) -> float:
    """Expected runs of every lab: the bases the communities build on."""
    return sum(lab_runs(scenario.run, spec) for spec in scenario.labs.values())


def derivatives(scenario: Scenario, spec: CommunitySpec, monthly: float, growth: float) -> float:
    """Derivatives made over the community's steps: the integral of `monthly` x growth^t."""
    first = community_first_step(scenario, spec)
    if first is None or monthly == 0:
        return 0.0
    t0 = years_between(spec.reference_date, first)
    t1 = years_between(spec.reference_date, scenario.run.end)
    per_year = 12.0 * monthly
    if growth == 1.0:
        return per_year * (t1 - t0)
    ln_g = math.log(growth)
    return per_year * (exp_capped(t1 * ln_g) - exp_capped(t0 * ln_g)) / ln_g


def exp_capped(x: float) -> float:
    """e^x, saturating at the largest float instead of raising OverflowError."""
    return math.exp(min(x, 700.0))


def community_parts(scenario: Scenario) -> Iterator[Part]:
    """Steps of each community: a bulk row per base and technique, derivatives that are bases."""
    run = scenario.run
    bases = all_lab_runs(scenario)
    per_month = sum(s.count * s.runs_per_year for s in scenario.labs.values()) / 12.0
    techniques = len(TECHNIQUES) + len(CLOSED_TECHNIQUES)
    for name, spec in scenario.communities.items():
        first = community_first_step(scenario, spec)
        if first is None:
            continue
        steps = max(1.0, (run.end - first).days / spec.step_days)
        made = derivatives(scenario, spec, spec.derivatives_per_month, spec.growth_per_year)
        made += derivatives(
            scenario, spec, spec.closed.derivatives_per_month, spec.closed.growth_per_year
        )
        alive = min(bases, per_month * DECAY_SPANS * spec.decay_months)  # bases still in use
        bulk = steps * min(alive * techniques, made / steps)
        registered = made * spec.base_probability
        series = bins(run) * techniques * 2.0  # two GPU generations in use at a time
        rows = bulk + registered + series
        events = steps * techniques + registered
        yield Part(f"communities.{name}", f"{made:.2g} derivatives", events, rows)


def cohort_parts(scenario: Scenario) -> Iterator[Part]:
    """Hours of each cohort: a job row per hour (or day) and class, and their bins."""
    run = scenario.run
    hours = horizon_days(run) * HOURS_PER_DAY
    for name, spec in scenario.users.items():
        classes = len(spec.classes)
        per = hours if run.resolution == "hour" else hours / HOURS_PER_DAY
        rows = classes * (per + bins(run))  # jobs, time series
        steps = hours / (HOURS_PER_DAY * spec.step_days)
        yield Part(f"users.{name}", f"{classes} classes x {per:.2g} bins", steps, rows)


def fleet_parts(scenario: Scenario, catalog: Catalog) -> Iterator[Part]:
    """The fleet's capacity and fleet tables per bin, pool and GPU, and its hourly meter."""
    fleet = scenario.fleet
    if fleet is None:
        return
    gens = len(fleet_generations(scenario, catalog))
    hours = horizon_days(scenario.run) * HOURS_PER_DAY
    pools = len(fleet.pools)
    rows = gens * bins(scenario.run) * (REGIME_COUNT + pools) + hours * pools
    days = horizon_days(scenario.run)
    yield Part("fleet", f"{pools} pools x {gens} GPU generations", days * pools, rows)


def fleet_generations(scenario: Scenario, catalog: Catalog) -> set[str]:
    """The GPUs a fleet may hold: those delivered, and those its growth law picks."""
    fleet = scenario.fleet
    if fleet is None:
        return set()
    gens = {
        catalog.resolve(d.hardware) if d.hardware in catalog else d.hardware
        for d in fleet.deliveries
    }
    growth = fleet.growth
    if growth is None:
        return gens
    if growth.hardware != "newest":
        gens.add(growth.hardware)
        return gens
    lag = dt.timedelta(days=growth.lag_days)
    begin, end = growth.start - lag, (growth.end or scenario.run.end) - lag
    ready = [catalog[n] for n in catalog.names if catalog[n].available <= begin]
    if ready:
        gens.add(max(ready, key=lambda hw: hw.available).name)
    gens.update(n for n in catalog.names if begin < catalog[n].available <= end)
    return gens
