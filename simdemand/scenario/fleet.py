"""The `[fleet]` section: the installed GPU base, its pools and how regimes share it."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, model_validator

from simdemand.scenario.base import Date, Days, Name, Strict, about, as_tuple
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

    date: Annotated[
        Date,
        about("Day the GPUs enter service (before the start: history).", "date", "scenario choice"),
    ]
    hardware: Annotated[str, about("Catalog name of the GPUs.", "1", "scenario choice")]
    gpus: Annotated[
        int,
        Field(ge=1, le=1_000_000_000),
        about("GPUs delivered.", "GPUs", "scenario choice"),
    ]


class Growth(Strict):
    """Quarterly deliveries of the newest generation: `gpus` in the first quarter, then x growth."""

    start: Annotated[
        Date,
        about("First quarterly delivery; then one every 91.3 days.", "date", "scenario choice"),
    ]
    end: Annotated[
        Date | None,
        about(
            "Last day of deliveries; by default the end of the horizon.",
            "date",
            "scenario choice",
        ),
    ] = None
    gpus_per_quarter: Annotated[
        Gpus, about("Deliveries in the first quarter.", "GPUs", "scenario choice")
    ]
    growth_per_year: Annotated[
        GrowthFactor,
        about("Growth of the quarterly deliveries.", "x per year", "scenario choice"),
    ] = 1.0
    hardware: Annotated[
        str,
        about(
            "A catalog name, or `newest`: the newest generation available `lag_days` before "
            "each delivery.",
            "1",
            "scenario choice",
        ),
    ] = "newest"
    lag_days: Annotated[
        Days,
        about(
            "Lag from catalog availability to delivery of the `newest` generation.",
            "days",
            "scenario choice",
        ),
    ] = 0.0

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        """Reject an end before the start."""
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class PoolSpec(Strict):
    """A pool (a lab's own clusters, a shared cloud): its share of every delivery and which
    regimes (and, for pretraining, which lab archetypes) may use it."""

    share: Annotated[
        float,
        Field(gt=0, le=1),
        about(
            "The pool's share of every delivery; the pools' shares add up to at most 1.",
            "share",
            "scenario choice",
        ),
    ]
    regimes: Annotated[
        tuple[Regime, ...],
        BeforeValidator(as_tuple),
        about(
            "Regimes that may use the pool (all three by default); empty: only background load "
            "(`[background.NAME]` `pools`) runs in it.",
            "1",
            "scenario choice",
        ),
    ] = REGIMES
    labs: Annotated[
        tuple[Name, ...],
        BeforeValidator(as_tuple),
        about(
            "Lab archetypes whose final runs may reserve clusters here (e.g. their own "
            "clusters); empty: all.",
            "1",
            "scenario choice",
        ),
    ] = ()

    @model_validator(mode="after")
    def _regimes(self) -> Self:
        """No regime twice."""
        if len(set(self.regimes)) != len(self.regimes):
            raise ValueError("regimes are listed twice")
        return self


class FleetSpec(Strict):
    """The supply side: GPUs delivered over time, the pools that share them, and the order in
    which regimes are served."""

    deliveries: Annotated[
        tuple[Delivery, ...],
        BeforeValidator(as_tuple),
        about(
            "GPUs entering service on given dates (before the start: history).",
            "1",
            "scenario choice",
        ),
    ] = ()
    growth: Annotated[
        Growth | None,
        about(
            "Quarterly deliveries of the newest generation after the listed ones.",
            "1",
            "scenario choice",
        ),
    ] = None
    pools: Annotated[
        dict[Name, PoolSpec],
        about("The pools that share every delivery, by name.", "1", "scenario choice"),
    ]
    priority: Annotated[
        Priority,
        about(
            "Order in which fluid work of the regimes is served: test-time or pretraining "
            "first; post-training always backfills.",
            "1",
            "scenario choice",
        ),
    ] = PRIORITIES[0]
    service_life_years: Annotated[
        float,
        Field(gt=0, le=50),
        about(
            "GPUs retire this long after their delivery.",
            "years",
            "hyperscalers depreciate servers over 5-6 years (10-K filings 2022-24)",
        ),
    ] = 5.0
    test_time_max_delay_hours: Annotated[
        Hours,
        about(
            "Longest wait of test-time work before it is lost: interactive queries are served "
            "in their hour or lost.",
            "hours",
            "scenario choice",
        ),
    ] = 0.0
    experiments_max_delay_hours: Annotated[
        Hours,
        about(
            "Longest wait of pretraining experiments before they are dropped (a month).",
            "hours",
            "scenario choice",
        ),
    ] = 720.0
    post_training_max_delay_hours: Annotated[
        Hours,
        about(
            "Longest wait of post-training work before it is dropped (a month).",
            "hours",
            "scenario choice",
        ),
    ] = 720.0
    # Up to a year.
    headroom_hours: Annotated[
        float,
        Field(gt=0, le=8760),
        about(
            "Window of the test-time peak (last and next hours) a new reservation leaves room "
            "for when test-time comes first.",
            "hours",
            "scenario choice",
        ),
    ] = 24.0

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
