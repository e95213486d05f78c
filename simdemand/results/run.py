"""The results of one run: its tables, its headline summary, and what identifies it."""

from __future__ import annotations

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
        return {
            "simdemand.version": __version__,
            "simdemand.scenario": self.scenario.run.name,
            "simdemand.scenario_sha256": scenario_hash(self.scenario),
            "simdemand.seed": str(self.scenario.run.seed),
        }
