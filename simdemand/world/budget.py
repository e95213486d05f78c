"""The labs' compute budget: a share of the token revenue of the trailing year plus outside
investment, against what the labs' compute trends would spend.

Each lab joins at its creation. When a lab plans a run or charges a step of research it asks
for the multiplier of the moment, min(1, budget / trend spend), and scales the trend's FLOP by
it; experiments and post-training follow the run's size. The budget is split between the labs
in proportion to their trend spend, so one multiplier serves all of them. Without
`[economy.labs]` the multiplier is exactly 1 and nothing is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from simdemand.catalog import Hardware
from simdemand.physics import economics, lab_work
from simdemand.scenario.economy import LabBudget
from simdemand.scenario.schema import LabArchetype
from simdemand.units import HOURS_PER_YEAR
from simdemand.world.market import Market


class Sized(Protocol):
    """A sized run: its GPU-hours."""

    @property
    def gpu_hours(self) -> float:
        """GPU-hours of the run."""
        ...


class Planner(Protocol):
    """A lab as the budget sees it: its archetype, its hardware and how it sizes a run."""

    spec: LabArchetype

    def hardware(self, start_h: float) -> Hardware:
        """The hardware of a run starting at `start_h`."""
        ...

    def size(self, wanted: float, start_h: float, hardware: Hardware) -> Sized:
        """A run of `wanted` FLOP fitted to the cluster."""
        ...


@dataclass(frozen=True)
class Allowance:
    """One evaluation of the budget (amounts in USD per year, time in hours)."""

    hour: float
    revenue_usd_per_year: float
    outside_usd_per_year: float
    budget_usd_per_year: float
    trend_usd_per_year: float
    multiplier: float


class Budget:
    """The labs' yearly compute budget and the multiplier it puts on their trends."""

    def __init__(
        self,
        spec: LabBudget | None,
        market: Market | None,
        years_since: Callable[[float, dt.date], float],
    ) -> None:
        self.spec = spec
        self.market = market
        self.years_since = years_since
        self.labs: list[Planner] = []
        self.allowances: dict[float, Allowance] = {}

    def join(self, lab: Planner) -> None:
        """Count `lab`'s trend in the spend the budget must cover."""
        if self.spec is not None:
            self.labs.append(lab)

    def multiplier(self, at_h: float) -> float:
        """min(1, budget / trend spend) at `at_h`; exactly 1 without a budget."""
        if self.spec is None or self.market is None:
            return 1.0
        if at_h not in self.allowances:
            self.allowances[at_h] = self.allowance(self.spec, self.market, at_h)
        return self.allowances[at_h].multiplier

    def allowance(self, spec: LabBudget, market: Market, at_h: float) -> Allowance:
        """The budget and the trends' spend at `at_h`, from the revenue charged before it."""
        lo = max(at_h - HOURS_PER_YEAR, 0.0)
        revenue = economics.annualized_usd(market.revenue_between(lo, at_h), max(at_h - lo, 0.0))
        years = self.years_since(at_h, spec.reference_date)
        outside = spec.outside_usd_per_year * economics.growth(spec.outside_growth_per_year, years)
        budget = economics.lab_budget_usd_per_year(revenue, spec.revenue_share, outside)
        trend = sum(self.trend_usd_per_year(lab, at_h) for lab in self.labs)
        multiplier = economics.budget_multiplier(budget, trend)
        return Allowance(at_h, revenue, outside, budget, trend, multiplier)

    def trend_usd_per_year(self, lab: Planner, at_h: float) -> float:
        """What `lab`'s trend spends a year at `at_h`: its mean run (median x exp(sigma^2 / 2)) as
        its cluster allows, with experiments and post-training, and research on its median run
        (family members left out)."""
        spec = lab.spec
        years = self.years_since(at_h, spec.reference_date)
        median = spec.compute_flop_at_reference * spec.compute_growth_per_year**years
        mean = median * economics.mean_over_median(spec.compute_sigma)
        hardware = lab.hardware(at_h)
        research = spec.research.multiple if spec.research is not None else 0.0
        return economics.trend_spend_usd_per_year(
            spec.runs_per_year,
            hardware.usd_per_gpu_hour,
            lab.size(mean, at_h, hardware).gpu_hours,
            self.work_per_run(spec, at_h),
            lab.size(median, at_h, hardware).gpu_hours if research > 0 else 0.0,
            research,
        )

    def work_per_run(self, spec: LabArchetype, at_h: float) -> float:
        """GPU-hours of a lab's work per final-run GPU-hour at `at_h`: 1 + experiments +
        post-training (the RL share, with its synthetic data)."""
        post = 0.0
        if (p := spec.post_training) is not None:
            years = self.years_since(at_h, p.reference_date)
            share = lab_work.rl_share(
                years, p.rl_share_at_reference, p.rl_share_growth_per_year, p.rl_share_max
            )
            post = share * (1.0 + p.synthetic_data_per_rl)
        return 1.0 + spec.experiments_multiple + post

    def records(self) -> list[Allowance]:
        """Every evaluation, in time order."""
        return [self.allowances[h] for h in sorted(self.allowances)]
