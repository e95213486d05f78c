"""The scenario schema: frozen, strict pydantic models, one per section of a scenario file."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from simdemand.physics.training import ALGORITHMIC_HALVING_MONTHS, ALGORITHMIC_REFERENCE_DATE
from simdemand.scenario.background import BackgroundWorkload
from simdemand.scenario.base import (
    Date,
    Days,
    Growth,
    Name,
    PositiveDays,
    Sigma,
    Strict,
    about,
)
from simdemand.scenario.communities import CommunitySpec
from simdemand.scenario.economy import Economy
from simdemand.scenario.fleet import FleetSpec
from simdemand.scenario.lab_tables import Campus, LabFamily, LabPostTraining, LabResearch
from simdemand.scenario.users import CohortSpec

Resolution = Literal["hour", "day", "week", "month"]
# Labs may train in FP4 on hardware that has it (NVFP4 pretraining: NVIDIA, arXiv:2509.25149,
# Sep 2025; MLPerf Training v5.1, Nov 2025).
LabPrecision = Literal["bf16", "fp8", "fp4"]
HardwareValue = str | bool | int | float | dt.date


class RunConfig(Strict):
    """What to simulate: the horizon, the seed and the output grid."""

    name: Annotated[
        Name,
        about("Run name; the default output folder is `runs/<name>`.", "1", "scenario choice"),
    ]
    start: Annotated[Date, about("First day of the horizon, UTC.", "date", "scenario choice")]
    end: Annotated[
        Date, about("End of the horizon, UTC; after `start`.", "date", "scenario choice")
    ]
    seed: Annotated[
        int,
        Field(ge=0, lt=2**63),
        about("Root of every random stream of the run.", "1", "scenario choice"),
    ]
    resolution: Annotated[
        Resolution,
        about(
            "Output bins: `hour`, `day`, `week` (from `start`) or `month` (calendar).",
            "1",
            "scenario choice",
        ),
    ] = "day"
    pue: Annotated[
        float,
        Field(ge=1.0, le=3.0),
        about(
            "Data-centre power usage effectiveness: facility energy per GPU energy.",
            "1",
            "typical 1.1-1.4 (LBNL 2024)",
        ),
    ] = 1.2

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

    count: Annotated[
        int,
        Field(ge=1, le=1000),
        about(
            "Labs of this archetype, simulated as `ARCHETYPE-1`, `ARCHETYPE-2`, ..., each with "
            "its own random stream.",
            "count",
            "scenario choice",
        ),
    ] = 1
    reference_date: Annotated[
        Date,
        about(
            "Date at which `compute_flop_at_reference` and `cluster_gpus_at_reference` hold.",
            "date",
            "scenario choice",
        ),
    ]
    # 1e12 FLOP (a second of one GPU) to 1e32 (at a GB200's ~2e12 FLOP/J, 5e19 J: half the
    # world's yearly electricity).
    compute_flop_at_reference: Annotated[
        float,
        Field(ge=1e12, le=1e32),
        about(
            "Median compute of a final run at the reference date.",
            "FLOP",
            "scenario choice; the largest runs of 2025 were ~5e26 FLOP",
        ),
    ]
    compute_growth_per_year: Annotated[
        Growth,
        about(
            "Growth of the median final-run compute.",
            "x per year",
            "scenario choice; frontier training compute grew ~4-5x a year (Epoch AI)",
        ),
    ]
    compute_sigma: Annotated[
        Sigma,
        about("Lognormal scatter of a run's compute around the trend.", "ln units", "assumption"),
    ] = 0.5
    # Up to 1,000 new runs a year per lab (about three a day): no lab trains that many bases.
    runs_per_year: Annotated[
        float,
        Field(gt=0, le=1000),
        about(
            "Mean rate of new final runs (exponential gaps between them).",
            "1/year",
            "scenario choice",
        ),
    ]
    # Up to 1e8 GPUs in one cluster (the world shipped ~4e6 data-centre GPUs in 2024).
    cluster_gpus_at_reference: Annotated[
        int,
        Field(ge=1, le=100_000_000),
        about(
            "Largest cluster the lab can use at the reference date (unless `campus` is given).",
            "GPUs",
            "scenario choice",
        ),
    ]
    cluster_growth_per_year: Annotated[
        Growth, about("Growth of that cluster.", "x per year", "scenario choice")
    ] = 1.0
    min_run_days: Annotated[
        PositiveDays,
        about(
            "Shortest final run: the cluster is the smallest that finishes within it.",
            "days",
            "assumption",
        ),
    ] = 14.0
    max_run_days: Annotated[
        PositiveDays,
        about(
            "Longest final run: a run that needs more than the cluster can do in this time is "
            "capped.",
            "days",
            "assumption",
        ),
    ] = 120.0
    # 1e6 leaves room above the most over-trained models; 0.1 is far under-trained.
    tokens_per_param: Annotated[
        float,
        Field(ge=0.1, le=1e6),
        about(
            "Sizing rule: training tokens per active parameter (D = r N).",
            "tokens per parameter",
            "Chinchilla compute-optimal is 20; small open models are over-trained to ~1e4-6e4 "
            "(Llama 3 8B: 1,900; Qwen3 0.6B: 36T tokens, 6e4); 0.1 is far under-trained",
        ),
    ] = 20.0
    # 1e-3 leaves room below the sparsest MoE models.
    active_fraction: Annotated[
        float,
        Field(ge=1e-3, le=1),
        about(
            "Active over total parameters (MoE); 1 is dense.",
            "fraction",
            "MoE active shares: DeepSeek-V3 0.055, Kimi K2 0.032",
        ),
    ] = 1.0
    hardware: Annotated[
        str | None,
        about(
            "A catalog GPU to pin; by default the newest generation available at the run's start.",
            "1",
            "scenario choice",
        ),
    ] = None
    hardware_lag_days: Annotated[
        Days,
        about("Lag from a GPU's catalog availability to its use at scale.", "days", "assumption"),
    ] = 180.0
    precision: Annotated[
        LabPrecision,
        about(
            "Number format of training: `fp8` or `fp4` where the hardware supports it, else the "
            "next wider format it has.",
            "1",
            "scenario choice; FP8: DeepSeek-V3 (Dec 2024); NVFP4: 12B model on 10T tokens "
            "(NVIDIA, arXiv:2509.25149, Sep 2025) and MLPerf Training v5.1 (Nov 2025)",
        ),
    ] = "bf16"
    experiments_multiple: Annotated[
        float,
        Field(ge=0, le=100),
        about(
            "Development compute (experiments, ablations, failed runs) as a multiple of the "
            "final run.",
            "1",
            'calibration: ~0.5-4; "10 to 100X" for recipes (Lambert, RLHF book, App. C)',
        ),
    ] = 1.0
    experiments_days: Annotated[
        PositiveDays,
        about("Experiments run in this many days before the final run.", "days", "assumption"),
    ] = 90.0
    open_weights: Annotated[bool, about("Release the weights openly.", "1", "scenario choice")] = (
        False
    )
    release_lag_days: Annotated[
        Days, about("From the end of training to the release.", "days", "assumption")
    ] = 30.0
    # 1 month (4,096x a year) to 1,000 years (no progress).
    algorithmic_halving_months: Annotated[
        float,
        Field(ge=1, le=12_000),
        about(
            "Months for the compute of a fixed loss to halve; the predicted loss of a run uses "
            "its effective compute, its FLOP stay physical.",
            "months",
            "Ho et al. 2024: ~8, 95% CI 5-14",
        ),
    ] = ALGORITHMIC_HALVING_MONTHS
    algorithmic_reference_date: Annotated[
        Date,
        about(
            "Date at which effective compute equals physical compute.",
            "date",
            "simdemand.physics.training.ALGORITHMIC_REFERENCE_DATE",
        ),
    ] = ALGORITHMIC_REFERENCE_DATE
    post_training: Annotated[
        LabPostTraining | None,
        about(
            "The lab's own post-training of each base (RL, supervised data, SFT), between the "
            "final run and the release; none without the table.",
            "1",
            "scenario choice; defaults: DeepSeek-R1, OpenAI o3, Llama 3.1",
        ),
    ] = None
    research: Annotated[
        LabResearch | None,
        about(
            "The lab's standing research programme (activity `research`); none without the table.",
            "1",
            "scenario choice; OpenAI 2024 (Epoch AI, 23 Mar 2026)",
        ),
    ] = None
    campus: Annotated[
        Campus | None,
        about(
            "The lab's largest campus by power; it replaces `cluster_gpus_at_reference` and "
            "`cluster_growth_per_year` when given.",
            "1",
            "scenario choice; published campuses 0.15-5 GW (2024-28)",
        ),
    ] = None
    family: Annotated[
        LabFamily | None,
        about(
            "Smaller models trained beside each flagship on its data, on its hardware, and "
            "released with it as base models; none without the table.",
            "1",
            "scenario choice; Llama 3 (Jul 2024), Qwen3 (May 2025), Gemma 3 (Mar 2025)",
        ),
    ] = None

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

    run: Annotated[
        RunConfig, about("What to simulate: horizon, seed, output grid.", "1", "scenario choice")
    ]
    hardware: Annotated[
        dict[Name, dict[str, HardwareValue]],
        about(
            "GPUs added to the bundled catalog, or fields of a bundled one overridden, by name; "
            "a new entry gives every catalog field.",
            "1",
            "simdemand/catalog/hardware.toml (a source for every row)",
        ),
    ] = Field(default_factory=dict)
    labs: Annotated[
        dict[Name, LabArchetype],
        about("Lab archetypes of the pretraining regime, by name.", "1", "scenario choice"),
    ] = Field(default_factory=dict)
    communities: Annotated[
        dict[Name, CommunitySpec],
        about(
            "Derivative-model communities of the post-training regime, by name.",
            "1",
            "scenario choice",
        ),
    ] = Field(default_factory=dict)
    users: Annotated[
        dict[Name, CohortSpec],
        about("User cohorts of the test-time regime, by name.", "1", "scenario choice"),
    ] = Field(default_factory=dict)
    fleet: Annotated[
        FleetSpec | None,
        about(
            "The installed GPU base and its pools; without it supply is unconstrained.",
            "1",
            "scenario choice",
        ),
    ] = None
    # Left out of the resolved scenario when absent, so scenarios without it keep their hash.
    background: Annotated[
        dict[Name, BackgroundWorkload],
        Field(exclude_if=lambda value: not value),
        about(
            "Accelerator work outside the three regimes (ranking, recommendation, search, "
            "classic ML), by workload: an exogenous series that runs first on a fleet.",
            "1",
            "scenario choice; defaults from Meta's non-generative fleet (docs/calibration.md)",
        ),
    ] = Field(default_factory=dict)
    # Left out of the resolved scenario when absent, so scenarios without it keep their hash.
    economy: Annotated[
        Economy | None,
        Field(exclude_if=lambda value: value is None),
        about(
            "Prices, demand's response to them and the investment loop; without it nothing "
            "responds to price.",
            "1",
            "scenario choice",
        ),
    ] = None
