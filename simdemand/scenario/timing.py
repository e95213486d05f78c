"""When agents act: the dates a scenario's labs, communities and cohorts first need GPUs.

These mirror the processes of simdemand.world.agents (labs start a warm-up before the horizon so
that runs are under way at its start; communities step from at most 60 days before it; cohorts
from its start); tests pin the two against each other.
"""

from __future__ import annotations

import datetime as dt
import math

from simdemand.scenario.communities import CommunitySpec
from simdemand.scenario.schema import LabArchetype, RunConfig, Scenario
from simdemand.units import DAYS_PER_YEAR, HOURS_PER_DAY

# Communities step from at most this many days before the start (WARMUP_DAYS of
# simdemand.world.agents.communities).
COMMUNITY_WARMUP_DAYS = 60.0


def lab_warmup_days(spec: LabArchetype) -> float:
    """Days before the start a lab begins (simdemand.world.agents.labs.warmup_hours / 24)."""
    return spec.experiments_days + spec.max_run_days + spec.release_lag_days


def world_warmup_days(scenario: Scenario) -> float:
    """Days before the start the simulated clock begins: the longest warm-up of any lab."""
    return max((lab_warmup_days(spec) for spec in scenario.labs.values()), default=0.0)


def at(run: RunConfig, days: float) -> dt.date:
    """The UTC date `days` after the start (before it if negative)."""
    start = dt.datetime.combine(run.start, dt.time())
    return (start + dt.timedelta(days=days)).date()


def horizon_days(run: RunConfig) -> float:
    """Days from start to end."""
    return float((run.end - run.start).days)


def first_run_start(run: RunConfig, spec: LabArchetype) -> dt.date:
    """The earliest date a lab's final run can start: its first decision comes after its warm-up
    begins, and the run starts `experiments_days` later."""
    return at(run, spec.experiments_days - lab_warmup_days(spec))


def community_first_step(scenario: Scenario, spec: CommunitySpec) -> dt.date | None:
    """The date of a community's first step (None if it takes none before the end)."""
    step_h = spec.step_days * HOURS_PER_DAY
    first_h = max(-world_warmup_days(scenario), -COMMUNITY_WARMUP_DAYS) * HOURS_PER_DAY
    clock_h = math.ceil(first_h / step_h) * step_h
    if clock_h >= horizon_days(scenario.run) * HOURS_PER_DAY:
        return None
    return at(scenario.run, clock_h / HOURS_PER_DAY)


def years_between(reference: dt.date, when: dt.date) -> float:
    """Years from `reference` to `when` (negative before it)."""
    return (when - reference).days / DAYS_PER_YEAR
