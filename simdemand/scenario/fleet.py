"""The `[fleet]` section: the installed GPU base, its pools and how regimes share it."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, model_validator

from simdemand.scenario.base import Date, Days, Name, Strict, as_tuple
from simdemand.scenario.base import Growth as GrowthFactor

Regime = Literal["pretraining", "post-training", "test-time"]
REGIMES: tuple[Regime, ...] = ("pretraining", "post-training", "test-time")
# The orders a scenario may choose; post-training always backfills what is left.
PRIORITIES: tuple[tuple[Regime, Regime, Regime], ...] = (
    ("test-time", "pretraining", "post-training"),
    ("pretraining", "test-time", "post-training"),
)
SHARE_TOLERANCE = 1e-9
# GPUs in one delivery or one quarter: up to 1e9, ~250x the world's data-centre GPU shipments
# of 2024 (~4e6).
Gpus = Annotated[float, Field(gt=0, le=1e9)]
# Waits and windows in hours: up to ten years.
Hours = Annotated[float, Field(ge=0, le=87_600)]
Priority = Annotated[tuple[Regime, Regime, Regime], BeforeValidator(as_tuple)]


class Delivery(Strict):
    """GPUs of one generation put into service on a date (dates before the start are history)."""

    date: Date
    hardware: str
    gpus: Annotated[int, Field(ge=1, le=1_000_000_000)]


class Growth(Strict):
    """Quarterly deliveries of the newest generation: `gpus` in the first quarter, then x growth."""

    start: Date
    end: Date | None = None
    gpus_per_quarter: Gpus
    growth_per_year: GrowthFactor = 1.0
    hardware: str = "newest"
    lag_days: Days = 0.0

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        """Reject an end before the start."""
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class PoolSpec(Strict):
    """A pool (a lab's own clusters, a shared cloud): its share of every delivery and which
    regimes (and, for pretraining, which lab archetypes) may use it."""

    share: Annotated[float, Field(gt=0, le=1)]
    regimes: Annotated[tuple[Regime, ...], BeforeValidator(as_tuple)] = REGIMES
    labs: Annotated[tuple[Name, ...], BeforeValidator(as_tuple)] = ()

    @model_validator(mode="after")
    def _regimes(self) -> Self:
        """At least one regime, none twice."""
        if not self.regimes:
            raise ValueError("a pool must admit at least one regime")
        if len(set(self.regimes)) != len(self.regimes):
            raise ValueError("regimes are listed twice")
        return self


class FleetSpec(Strict):
    """The supply side: GPUs delivered over time, the pools that share them, and the order in
    which regimes are served."""

    deliveries: Annotated[tuple[Delivery, ...], BeforeValidator(as_tuple)] = ()
    growth: Growth | None = None
    pools: dict[Name, PoolSpec]
    priority: Priority = PRIORITIES[0]
    service_life_years: Annotated[float, Field(gt=0, le=50)] = 5.0  # hyperscalers: 5-6 years
    test_time_max_delay_hours: Hours = 0.0
    experiments_max_delay_hours: Hours = 720.0
    post_training_max_delay_hours: Hours = 720.0
    headroom_hours: Annotated[float, Field(gt=0, le=8760)] = 24.0  # up to a year

    def max_delay_hours(self, regime: Regime) -> float:
        """How long a regime's fluid work may wait before it is lost."""
        if regime == "test-time":
            return self.test_time_max_delay_hours
        if regime == "pretraining":
            return self.experiments_max_delay_hours
        return self.post_training_max_delay_hours

    @model_validator(mode="after")
    def _known_priority(self) -> Self:
        """Accept only the priority orders the allocator implements."""
        if self.priority not in PRIORITIES:
            allowed = " or ".join(str(list(p)) for p in PRIORITIES)
            raise ValueError(f"priority must be {allowed}")
        if not self.pools:
            raise ValueError("a fleet needs at least one pool")
        if not self.deliveries and self.growth is None:
            raise ValueError("a fleet needs `deliveries` or a `growth` law")
        total = sum(pool.share for pool in self.pools.values())
        if total > 1.0 + SHARE_TOLERANCE:
            raise ValueError(f"pool shares add up to {total:g}, more than 1")
        return self
