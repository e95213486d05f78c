"""Run one scenario: build the world, let the agents act, and turn the ledger into tables."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from simdemand.results.capacity import Capacity, allocate
from simdemand.results.grid import bin_edges
from simdemand.results.tables import amounts, jobs_table, models_table, timeseries_table
from simdemand.scenario.loader import scenario_catalog
from simdemand.scenario.schema import Scenario
from simdemand.world.agents.communities import Community
from simdemand.world.agents.labs import Lab, warmup_hours
from simdemand.world.agents.users import Cohort
from simdemand.world.ledger import clip
from simdemand.world.world import World

Progress = Callable[[float, float], None]
PROGRESS_STEPS = 200


@dataclass(frozen=True)
class Results:
    """The tables of one run and what is needed to say where they came from."""

    scenario: Scenario
    timeseries: pa.Table
    jobs: pa.Table
    models: pa.Table
    streams: dict[str, tuple[int, ...]]
    wall_time_s: float
    capacity: Capacity | None = None

    def provenance(self) -> dict[str, str]:
        """Facts that identify the run, the same for every identical run (no wall time)."""
        from simdemand import __version__

        return {
            "simdemand.version": __version__,
            "simdemand.scenario": self.scenario.run.name,
            "simdemand.scenario_sha256": scenario_hash(self.scenario),
            "simdemand.seed": str(self.scenario.run.seed),
        }


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario as canonical JSON."""
    return hashlib.sha256(canonical_json(scenario).encode()).hexdigest()


def canonical_json(scenario: Scenario) -> str:
    """The resolved scenario as JSON with sorted keys."""
    data: dict[str, Any] = scenario.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def build_world(scenario: Scenario) -> World:
    """Create the world and every agent the scenario names."""
    warmup = max((warmup_hours(spec) for spec in scenario.labs.values()), default=0.0)
    world = World(scenario, scenario_catalog(scenario), warmup_h=warmup)
    for name, community in scenario.communities.items():
        Community(world, name, community)
    for name, cohort in scenario.users.items():
        Cohort(world, name, cohort)
    for archetype, spec in scenario.labs.items():
        for i in range(1, spec.count + 1):
            Lab(world, f"{archetype}-{i}", spec, archetype)
    return world


def simulate(scenario: Scenario, progress: Progress | None = None) -> Results:
    """Simulate a scenario to its horizon and return its tables; no I/O, nothing printed."""
    began = time.perf_counter()
    world = build_world(scenario)
    horizon = world.horizon_h
    if world.now < 0:
        world.env.run(until=0.0)
    for k in range(1, PROGRESS_STEPS + 1):
        world.env.run(until=horizon * k / PROGRESS_STEPS)
        if progress is not None:
            progress(world.now, horizon)
    intervals = clip(world.ledger.intervals(), 0.0, horizon)
    money = amounts(intervals, world.catalog, scenario.run.pue)
    edges = bin_edges(scenario.run)
    capacity = None
    if world.fleet is not None:
        capacity = allocate(
            world.fleet, intervals, world.catalog, scenario.run.pue, edges, world.start
        )
    return Results(
        scenario=scenario,
        timeseries=timeseries_table(intervals, money, edges, world.start),
        jobs=jobs_table(intervals, money, world.start),
        models=models_table(world.registry.models, world.start),
        streams=dict(world.streams.taken),
        wall_time_s=time.perf_counter() - began,
        capacity=capacity,
    )
