"""The scenario schema: frozen, strict pydantic models, one per section of a scenario file."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from simdemand.scenario.base import (
    Fraction,
    Name,
    NonNegativeFloat,
    PositiveFloat,
    Precision,
    Strict,
)
from simdemand.scenario.communities import CommunitySpec
from simdemand.scenario.fleet import FleetSpec
from simdemand.scenario.users import CohortSpec

Resolution = Literal["hour", "day", "week", "month"]
HardwareValue = str | bool | int | float | dt.date


class RunConfig(Strict):
    """What to simulate: the horizon, the seed and the output grid."""

    name: Name
    start: dt.date
    end: dt.date
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    resolution: Resolution = "day"
    pue: Annotated[float, Field(ge=1.0, le=3.0)] = 1.2

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        """Reject an empty or reversed horizon."""
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self

    @property
    def horizon_hours(self) -> float:
        """Length of the run in hours."""
        return (self.end - self.start).days * 24.0


class LabArchetype(Strict):
    """A kind of lab (frontier closed, open-weights, academic, ...) and how many there are."""

    count: Annotated[int, Field(ge=1, le=1000)] = 1
    reference_date: dt.date
    compute_flop_at_reference: PositiveFloat
    compute_growth_per_year: PositiveFloat
    compute_sigma: NonNegativeFloat = 0.5
    runs_per_year: PositiveFloat
    cluster_gpus_at_reference: Annotated[int, Field(ge=1)]
    cluster_growth_per_year: PositiveFloat = 1.0
    min_run_days: PositiveFloat = 14.0
    max_run_days: PositiveFloat = 120.0
    tokens_per_param: PositiveFloat = 20.0
    active_fraction: Fraction = 1.0
    hardware: str | None = None
    hardware_lag_days: NonNegativeFloat = 180.0
    precision: Precision = "bf16"
    experiments_multiple: NonNegativeFloat = 1.0
    experiments_days: PositiveFloat = 90.0
    open_weights: bool = False
    release_lag_days: NonNegativeFloat = 30.0

    @model_validator(mode="after")
    def _run_days_ordered(self) -> Self:
        """Reject a minimum run length above the maximum."""
        if self.min_run_days > self.max_run_days:
            raise ValueError(
                f"min_run_days ({self.min_run_days}) exceeds max_run_days ({self.max_run_days})"
            )
        return self


class Scenario(Strict):
    """A whole scenario, as read from a file after `extends` and `--set` were applied."""

    run: RunConfig
    hardware: dict[Name, dict[str, HardwareValue]] = Field(default_factory=dict)
    labs: dict[Name, LabArchetype] = Field(default_factory=dict)
    communities: dict[Name, CommunitySpec] = Field(default_factory=dict)
    users: dict[Name, CohortSpec] = Field(default_factory=dict)
    fleet: FleetSpec | None = None
