"""Run one scenario: build the world, let the agents act, and turn what it recorded into tables."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

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
from simdemand.results.run import Parts, Results, provenance
from simdemand.results.supply import supply_tables
from simdemand.results.tables import (
    JOBS,
    ROWS_PER_PART,
    TIMESERIES,
    Labels,
    Series,
    amounts,
    job_columns,
    jobs_parts,
    microseconds,
    models_table,
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
    records = Records(scenario, run_world(scenario, progress), summary)
    timeseries = whole(TIMESERIES, records.timeseries_parts())
    results = Results(
        scenario=scenario,
        timeseries=timeseries,
        jobs=whole(JOBS, records.jobs_parts()),
        models=records.models,
        streams=records.streams,
        wall_time_s=time.perf_counter() - began,
        supply=records.supply,
        background=records.background,
        **records.economy,
    )
    return replace(results, summary=records.summary()) if summary else results


def simulate_parts(
    scenario: Scenario, progress: Progress | None = None, summary: bool = True
) -> Streamed:
    """Simulate a scenario to its horizon; its time series and jobs are made part by part as
    they are written (`write_results`), so that memory is bounded by a part, not the horizon.
    The route of `simdemand run` and of sweeps."""
    began = time.perf_counter()
    records = Records(scenario, run_world(scenario, progress), summary)
    return Streamed(records, time.perf_counter() - began)


def run_world(scenario: Scenario, progress: Progress | None = None) -> World:
    """Build the world and run it to its horizon."""
    world = build_world(scenario)
    horizon = world.horizon_h
    if world.now < 0:
        world.env.run(until=0.0)
    for k in range(1, PROGRESS_STEPS + 1):
        world.env.run(until=horizon * k / PROGRESS_STEPS)
        if progress is not None:
            progress(world.now, horizon)
    return world


def whole(schema: pa.Schema, parts: Iterator[pa.Table]) -> pa.Table:
    """A table from its parts."""
    tables = list(parts)
    return pa.concat_tables(tables) if tables else schema.empty_table()


class Records:
    """What a run recorded, ready to be made into its tables: the intervals (labels coded once,
    amounts costed), the small tables, and the time series and the jobs part by part.

    With `summarize`, the summary is computed from the columns it reads, never from the whole
    tables as text: the time series' columns kept (labels as codes) as its parts are made, and
    the jobs' made from the intervals.
    """

    def __init__(self, scenario: Scenario, world: World, summarize: bool = True) -> None:
        horizon = world.horizon_h
        self.scenario = scenario
        self.summarize = summarize
        # Every interval taken overlaps the horizon: clipping cuts some, drops none.
        taken, coded = world.ledger.take_coded(0.0, horizon)
        self.intervals = clip(taken, 0.0, horizon)
        self.labels = Labels(coded=dict(coded))
        self.money = amounts(self.intervals, world.catalog, scenario.run.pue, self.labels)
        self.start = world.start
        edges = bin_edges(scenario.run)
        self.series = Series(self.intervals, self.money, edges, world.start, self.labels)
        self.models = models_table(world.registry.models, world.start)
        self.streams = dict(world.streams.taken)
        self.supply = None
        if world.fleet is not None and world.allocator is not None:
            allocation = world.allocator.finish()
            waits = [*world.fleet.waits, *world.fleet.pending()]
            self.supply = supply_tables(
                allocation, waits, world.catalog, scenario.run.pue, edges, world.start
            )
        self.economy = economy_tables(world, edges)
        self.background = background(scenario, world, edges)
        self.kept: dict[str, list[npt.NDArray[Any]]] = {}
        self.rows = ROWS_PER_PART  # rows per part of the time series and the jobs

    def timeseries_parts(self) -> Iterator[pa.Table]:
        """The time series in parts; with `summarize`, the columns the summary reads are kept as
        the parts are made."""
        names = SUMMARY_COLUMNS["timeseries"] if self.summarize else []
        self.kept = {name: [] for name in names}
        for cells in self.series.parts(self.rows):
            for name, values in self.series.arrays(cells, names).items():
                self.kept[name].append(values)
            yield self.series.table(cells)

    def jobs_parts(self) -> Iterator[pa.Table]:
        """The jobs in parts."""
        yield from jobs_parts(self.intervals, self.money, self.start, self.labels, self.rows)

    def summary(self) -> dict[str, Any]:
        """The headline figures (those of `simdemand summary --json`), once the time series'
        parts have all been made (with `summarize`)."""
        if not self.summarize:
            raise RuntimeError("the summary needs the time series' columns (summarize)")
        supply = None
        if self.supply is not None:
            s = self.supply
            supply = (s.capacity.to_pandas(), s.fleet.to_pandas(), s.waits.to_pandas())
        jobs, timeseries = self.jobs_frame(), self.kept_frame()
        self.let_go()  # all but what the two frames hold, before the figures are computed
        series = series_figures(timeseries)
        del timeseries
        catalog = scenario_catalog(self.scenario)
        figures = job_figures(series, jobs, self.models.to_pandas(), supply, catalog)
        del jobs
        economy = (self.economy.get(name) for name in ("market", "investment", "budget"))
        figures.update(economy_measures(*(None if t is None else t.to_pandas() for t in economy)))
        if self.background is not None:
            figures["background"] = background_figures.by_year(self.background.to_pandas())
        summary: dict[str, Any] = json_ready(figures)
        return summary

    def let_go(self) -> None:
        """Let go of the intervals and what is made of them (the run's parts can no longer be
        made): the last step of the summary."""
        del self.intervals, self.money, self.labels, self.series

    def jobs_frame(self) -> pd.DataFrame:
        """The columns of the jobs the summary reads, as the frame `coded_frame` makes of them
        (labels as categoricals), from the intervals: their amounts are not copied."""
        iv = self.intervals
        frame: dict[str, Any] = {}
        for name in SUMMARY_COLUMNS["jobs"]:
            if name in CODED:
                codes, labels = self.labels(name)
                frame[name] = pd.Categorical.from_codes(codes, categories=pd.Index(list(labels)))
            elif name in ("start", "end"):
                frame[name] = utc(microseconds(self.start, getattr(iv, f"{name}_h")))
            elif name in self.money:
                frame[name] = self.money[name]
            else:  # gpus and base_id, as the jobs table has them
                column = job_columns(iv, self.money, self.start, self.labels, [name], 0, len(iv))
                frame[name] = column.column(0).to_pandas()
        return pd.DataFrame(frame, copy=False)

    def kept_frame(self) -> pd.DataFrame:
        """The kept columns of the time series as the frame `coded_frame` makes of them (labels
        as categoricals), each column joined in turn and its parts let go."""
        frame: dict[str, Any] = {}
        for name in SUMMARY_COLUMNS["timeseries"]:
            parts = self.kept.pop(name, [])
            values = np.concatenate(parts) if parts else np.empty(0, np.int64)
            del parts
            if name == "time":
                frame[name] = utc(values)
            elif name in CODED:
                categories = pd.Index(self.series.labels(name))
                frame[name] = pd.Categorical.from_codes(values, categories=categories)
            else:
                frame[name] = values.astype(np.float64, copy=False)
        return pd.DataFrame(frame, copy=False)


class Streamed:
    """A run whose time series and jobs are `Parts`, made as `write_results` writes them; its
    summary (unless left out) is computed once they are written."""

    def __init__(self, records: Records, wall_time_s: float) -> None:
        self.records = records
        self.scenario = records.scenario
        self.streams = records.streams
        self.wall_time_s = wall_time_s
        self.figures: dict[str, Any] | None = None
        # The jobs first: their parts are then written before the time series' columns are kept.
        self.parts = {
            "jobs": Parts(JOBS, records.jobs_parts),
            "timeseries": Parts(TIMESERIES, records.timeseries_parts),
        }

    @property
    def summary(self) -> dict[str, Any] | None:
        """The headline figures, computed when first asked for (after the parts are written)."""
        if self.records.summarize and self.figures is None:
            self.figures = self.records.summary()
        return self.figures

    def tables(self) -> dict[str, pa.Table | Parts]:
        """The run's tables by file name, as `Results.tables` names them (the jobs first)."""
        records = self.records
        out: dict[str, pa.Table | Parts] = {**self.parts, "models": records.models}
        if records.supply is not None:
            s = records.supply
            out.update(capacity=s.capacity, fleet=s.fleet, waits=s.waits)
        out.update(records.economy)
        if records.background is not None:
            out["background"] = records.background
        return out

    def provenance(self) -> dict[str, str]:
        """Facts that identify the run."""
        return provenance(self.scenario)


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


def utc(microseconds: npt.NDArray[np.int64]) -> pd.Series:
    """Microseconds since the epoch as UTC times, as a timestamp column converts to pandas."""
    return pd.Series(microseconds.view("datetime64[us]"), copy=False).dt.tz_localize("UTC")


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
