"""The World: one simpy Environment with everything the agents share."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import simpy

from simdemand.catalog import Catalog
from simdemand.errors import FieldError, InputError
from simdemand.scenario.schema import Scenario
from simdemand.units import DAYS_PER_YEAR, HOURS_PER_DAY
from simdemand.world import background
from simdemand.world.budget import Budget
from simdemand.world.demand import DemandMeter
from simdemand.world.ledger import Ledger
from simdemand.world.market import Market
from simdemand.world.registry import Registry
from simdemand.world.rng import Streams
from simdemand.world.supply.allocation import Allocator
from simdemand.world.supply.fleet import Fleet
from simdemand.world.supply.installed import weights
from simdemand.world.supply.investment import Investor

NO_FLEET = "the investment loop needs a [fleet] to deliver GPUs to"


class World:
    """Simulated time is hours since the scenario's start (negative during warm-up)."""

    def __init__(self, scenario: Scenario, catalog: Catalog, warmup_h: float = 0.0) -> None:
        self.scenario = scenario
        self.catalog = catalog
        self.env = simpy.Environment(initial_time=-warmup_h)
        self.registry = Registry()
        self.streams = Streams(scenario.run.seed)
        self.start = dt.datetime.combine(scenario.run.start, dt.time(), tzinfo=dt.UTC)
        self.horizon_h = scenario.run.horizon_hours
        self.fleet: Fleet | None = None
        self.allocator: Allocator | None = None
        meter = None
        if scenario.fleet is not None:
            weight = weights(catalog, list(catalog.names))
            meter = DemandMeter(-warmup_h, self.horizon_h, weight)
            load = background.loads(
                scenario.background, scenario.run.start, meter.first, meter.hours
            )
            self.fleet = Fleet(self.env, scenario.fleet, catalog, scenario.run.start, meter, load)
            hours = math.ceil(self.horizon_h)
            self.allocator = Allocator(self.env, self.fleet, meter, hours)
        self.ledger = Ledger(meter)
        self.market: Market | None = None
        self.investor: Investor | None = None
        if scenario.economy is not None:
            economy = scenario.economy
            self.market = Market(economy, catalog, self.registry, self.start, self.horizon_h)
            if economy.investment is not None:
                if self.fleet is None or self.allocator is None:
                    raise InputError("scenario", [FieldError("economy.investment", NO_FLEET)])
                self.investor = Investor(
                    self.env,
                    economy.investment,
                    self.fleet,
                    self.allocator,
                    self.market,
                    self.start,
                    scenario.run.pue,
                )
        labs = scenario.economy.labs if scenario.economy is not None else None
        self.budget = Budget(labs, self.market, self.years_since)

    @property
    def now(self) -> float:
        """Current simulated time in hours since the start."""
        return float(self.env.now)

    def rng(self, name: str) -> np.random.Generator:
        """Return the random stream keyed by `name`."""
        return self.streams.generator(name)

    def date_at(self, hours: float) -> dt.date:
        """Calendar date (UTC) at a simulated time."""
        return (self.start + dt.timedelta(hours=hours)).date()

    def years_since(self, hours: float, reference: dt.date) -> float:
        """Years from a reference date to a simulated time."""
        ref = dt.datetime.combine(reference, dt.time(), tzinfo=dt.UTC)
        return ((self.start - ref).total_seconds() / 3600.0 + hours) / (
            HOURS_PER_DAY * DAYS_PER_YEAR
        )
