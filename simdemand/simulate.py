"""Run one scenario: build the world, let the agents act, and turn what it recorded into tables."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simdemand.analysis import background as background_figures
from simdemand.analysis.market import measures as economy_measures
from simdemand.analysis.summary import job_figures, json_ready, series_figures
from simdemand.results.background import background_table
from simdemand.results.grid import bin_edges
from simdemand.results.market import budget_table, investment_table, market_table
from simdemand.results.run import Results
from simdemand.results.supply import supply_tables
from simdemand.results.tables import (
    Labels,
    amounts,
    jobs_table,
    models_table,
    timeseries_table,
)
from simdemand.scenario.loader import scenario_catalog
from simdemand.scenario.schema import Scenario
from simdemand.world.agents.communities import Community
from simdemand.world.agents.labs import Lab, warmup_hours
from simdemand.world.agents.users import Cohort
from simdemand.world.ledger import clip
from simdemand.world.world import World

Progress = Callable[[float, float], None]
FloatArray = npt.NDArray[np.float64]
PROGRESS_STEPS = 200


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


def simulate(scenario: Scenario, progress: Progress | None = None, summary: bool = True) -> Results:
    """Simulate a scenario to its horizon and return its tables and (unless `summary` is
    False) their headline figures; no I/O, nothing printed."""
    began = time.perf_counter()
    world = build_world(scenario)
    horizon = world.horizon_h
    if world.now < 0:
        world.env.run(until=0.0)
    for k in range(1, PROGRESS_STEPS + 1):
        world.env.run(until=horizon * k / PROGRESS_STEPS)
        if progress is not None:
            progress(world.now, horizon)
    results = tables(scenario, world)
    del world  # the ledger's chunks and the agents are not needed for the summary
    results = replace(results, wall_time_s=time.perf_counter() - began)
    return with_summary(results) if summary else results


def tables(scenario: Scenario, world: World) -> Results:
    """The world's records as the run's tables."""
    horizon = world.horizon_h
    intervals = clip(world.ledger.take(0.0, horizon), 0.0, horizon)
    labels = Labels(intervals)
    money = amounts(intervals, world.catalog, scenario.run.pue, labels)
    edges = bin_edges(scenario.run)
    supply = None
    if world.fleet is not None and world.allocator is not None:
        allocation = world.allocator.finish()
        waits = [*world.fleet.waits, *world.fleet.pending()]
        supply = supply_tables(
            allocation, waits, world.catalog, scenario.run.pue, edges, world.start
        )
    return Results(
        scenario=scenario,
        timeseries=timeseries_table(intervals, money, edges, world.start, labels),
        jobs=jobs_table(intervals, money, world.start, labels),
        models=models_table(world.registry.models, world.start),
        streams=dict(world.streams.taken),
        wall_time_s=0.0,
        supply=supply,
        background=background(scenario, world, edges),
        **economy_tables(world, edges),
    )


def background(scenario: Scenario, world: World, edges: FloatArray) -> pa.Table | None:
    """The background load's table (none without `[background]`), with what the fleet ran of
    it when there is one."""
    if not scenario.background:
        return None
    held = None
    if world.fleet is not None:
        first = -world.fleet.first
        held = {name: series[first:] for name, series in world.fleet.background.items()}
    return background_table(
        scenario.background, world.catalog, scenario.run.pue, edges, world.start, held
    )


# The columns the summary reads (analysis.summary.summarize): the others are not converted.
SUMMARY_COLUMNS = {
    "timeseries": [
        "time",
        "regime",
        "agent",
        "activity",
        "gpu_hours",
        "flop",
        "energy_mwh",
        "cost_usd",
        "queries",
        "tokens",
    ],
    "jobs": [
        "regime",
        "agent",
        "activity",
        "model_id",
        "hardware",
        "base_id",
        "start",
        "end",
        "gpus",
        "gpu_hours",
        "flop",
        "cost_usd",
        "queries",
        "tokens",
        "derivatives",
    ],
}


# The label columns of few distinct values the summary filters and groups by.
CODED = frozenset({"regime", "agent", "activity", "hardware", "model_id"})


def economy_tables(world: World, edges: FloatArray) -> dict[str, pa.Table]:
    """The market's table, and the investment loop's and the labs' budget's when they ran (none
    without `[economy]`)."""
    tables = {}
    if world.market is not None:
        tables["market"] = market_table(world.market.sales, edges, world.start)
    if world.investor is not None:
        tables["investment"] = investment_table(world.investor.decisions, world.start)
    if world.budget.spec is not None:
        tables["budget"] = budget_table(world.budget.records(), world.start)
    return tables


def with_summary(results: Results) -> Results:
    """The results with their headline figures (those of `simdemand summary --json`)."""
    supply = None
    if results.supply is not None:
        s = results.supply
        supply = (s.capacity.to_pandas(), s.fleet.to_pandas(), s.waits.to_pandas())
    timeseries = coded_frame(results.timeseries.select(SUMMARY_COLUMNS["timeseries"]))
    series = series_figures(timeseries)
    del timeseries  # let the time series go before the jobs are read
    jobs = coded_frame(results.jobs.select(SUMMARY_COLUMNS["jobs"]))
    catalog = scenario_catalog(results.scenario)
    figures = job_figures(series, jobs, results.models.to_pandas(), supply, catalog)
    del jobs
    economy = (results.market, results.investment, results.budget)
    figures.update(economy_measures(*(None if t is None else t.to_pandas() for t in economy)))
    if results.background is not None:
        figures["background"] = background_figures.by_year(results.background.to_pandas())
    summary = json_ready(figures)
    return replace(results, summary=summary)


def coded_frame(table: pa.Table) -> pd.DataFrame:
    """The table as pandas, its label columns (`CODED`) as categoricals with their labels in
    alphabetical order: filtering and grouping them moves codes, not strings, and their groups
    come in the same order as the strings'."""
    coded = CODED.intersection(table.column_names)
    frame: pd.DataFrame = table.drop_columns(sorted(coded)).to_pandas(split_blocks=True)
    for name in table.column_names:
        frame[name] = categorical(table[name]) if name in coded else frame.pop(name)
    return frame


def categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """A text column as a categorical with its labels in alphabetical order."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    labels = encoded.dictionary.to_pylist()
    order = np.argsort(np.array(labels, dtype=object), kind="stable")
    rank = np.empty(len(labels), dtype=np.int32)
    rank[order] = np.arange(len(labels), dtype=np.int32)
    codes: npt.NDArray[np.int32] = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    return pd.Categorical.from_codes(codes, categories=pd.Index([labels[i] for i in order]))
