"""The scenario schema: frozen, strict pydantic models, one per section of a scenario file."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from simdemand.physics.training import ALGORITHMIC_HALVING_MONTHS, ALGORITHMIC_REFERENCE_DATE
from simdemand.scenario.base import (
    Date,
    Days,
    Growth,
    Name,
    PositiveDays,
    Precision,
    Sigma,
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
    start: Date
    end: Date
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
    reference_date: Date
    # 1e12 FLOP (a second of one GPU) to 1e32 (at a GB200's ~2e12 FLOP/J, 5e19 J: half the
    # world's yearly electricity); the largest runs of 2025 were ~5e26.
    compute_flop_at_reference: Annotated[float, Field(ge=1e12, le=1e32)]
    compute_growth_per_year: Growth
    compute_sigma: Sigma = 0.5
    # Up to 1,000 new runs a year per lab (about three a day): no lab trains that many bases.
    runs_per_year: Annotated[float, Field(gt=0, le=1000)]
    # Up to 1e8 GPUs in one cluster (the world shipped ~4e6 data-centre GPUs in 2024).
    cluster_gpus_at_reference: Annotated[int, Field(ge=1, le=100_000_000)]
    cluster_growth_per_year: Growth = 1.0
    min_run_days: PositiveDays = 14.0
    max_run_days: PositiveDays = 120.0
    # Chinchilla is 20; small open models are over-trained to ~1e4-6e4 (Llama 3 8B: 1,900;
    # Qwen3 0.6B: 36T tokens, 6e4); 1e6 leaves room, 0.1 is far under-trained.
    tokens_per_param: Annotated[float, Field(ge=0.1, le=1e6)] = 20.0
    # MoE active share: DeepSeek-V3 0.055, Kimi K2 0.032; 1e-3 leaves room.
    active_fraction: Annotated[float, Field(ge=1e-3, le=1)] = 1.0
    hardware: str | None = None
    hardware_lag_days: Days = 180.0
    precision: Precision = "bf16"
    # Development compute per final run: ~0.5-4 in the calibration, "10 to 100X" for recipes.
    experiments_multiple: Annotated[float, Field(ge=0, le=100)] = 1.0
    experiments_days: PositiveDays = 90.0
    open_weights: bool = False
    release_lag_days: Days = 30.0
    # Months for the compute of a fixed loss to halve (Ho et al. 2024: ~8, 95% CI 5-14); the
    # predicted loss of a run uses its effective compute, its FLOP stay physical. 1 month (4,096x
    # a year) to 1,000 years (no progress).
    algorithmic_halving_months: Annotated[float, Field(ge=1, le=12_000)] = (
        ALGORITHMIC_HALVING_MONTHS
    )
    algorithmic_reference_date: Date = ALGORITHMIC_REFERENCE_DATE

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
