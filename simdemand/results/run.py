"""The results of one run: its tables, its headline summary, and what identifies it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from simdemand.scenario.identity import scenario_hash
from simdemand.scenario.schema import Scenario
from simdemand.version import __version__


@dataclass(frozen=True)
class SupplyTables:
    """The fleet's tables of one run: demand against capacity, the fleet, cluster waits."""

    capacity: pa.Table
    fleet: pa.Table
    waits: pa.Table


@dataclass(frozen=True)
class Results:
    """The tables of one run and what is needed to say where they came from."""

    scenario: Scenario
    timeseries: pa.Table
    jobs: pa.Table
    models: pa.Table
    streams: dict[str, tuple[int, ...]]
    wall_time_s: float
    supply: SupplyTables | None = None
    summary: dict[str, Any] | None = None
    market: pa.Table | None = None
    investment: pa.Table | None = None
    budget: pa.Table | None = None
    background: pa.Table | None = None

    def tables(self) -> dict[str, pa.Table]:
        """The run's tables by file name: the demand tables, and the fleet's, the economy's and
        the background load's when it has them."""
        out = {"timeseries": self.timeseries, "jobs": self.jobs, "models": self.models}
        if self.supply is not None:
            out.update(
                capacity=self.supply.capacity, fleet=self.supply.fleet, waits=self.supply.waits
            )
        if self.market is not None:
            out["market"] = self.market
        if self.investment is not None:
            out["investment"] = self.investment
        if self.budget is not None:
            out["budget"] = self.budget
        if self.background is not None:
            out["background"] = self.background
        return out

    def provenance(self) -> dict[str, str]:
        """Facts that identify the run, the same for every identical run (no wall time)."""
        return provenance(self.scenario)


def provenance(scenario: Scenario) -> dict[str, str]:
    """Facts that identify a run of `scenario`, the same for every identical run."""
    return {
        "simdemand.version": __version__,
        "simdemand.scenario": scenario.run.name,
        "simdemand.scenario_sha256": scenario_hash(scenario),
        "simdemand.seed": str(scenario.run.seed),
    }


class Parts:
    """A table made part by part as it is written, never whole: its schema and a function that
    makes its parts in order (tables of that schema); `num_rows` counts the rows made by the
    last pass over the parts (all of them once written)."""

    def __init__(self, schema: pa.Schema, make: Callable[[], Iterator[pa.Table]]) -> None:
        self.schema = schema
        self.make = make
        self.num_rows = 0

    def __iter__(self) -> Iterator[pa.Table]:
        """Make the parts, counting their rows."""
        self.num_rows = 0
        for part in self.make():
            self.num_rows += part.num_rows
            yield part
