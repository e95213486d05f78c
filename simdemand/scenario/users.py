"""Scenario section `[users.COHORT]`: user cohorts of the test-time regime.

A cohort is a population on an adoption curve issuing queries on a daily and weekly cycle;
each query belongs to a class (plain chat, reasoning, best-of-n, search, agentic) with its own
token lengths, and the cohort is served by a model picked from the registry by a policy.
Defaults name their source; "stylised" marks a shape chosen for plausibility, not fitted.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, model_validator

from simdemand.physics.serving import (
    DEFAULT_LATENCY_TARGET_S,
    PRODUCTION_FACTOR,
    SOFTWARE_GAIN_PER_YEAR,
    SOFTWARE_REFERENCE_DATE,
)
from simdemand.scenario.adoption import Adoption, TimeZone
from simdemand.scenario.base import (
    Date,
    Days,
    Growth,
    Name,
    Params,
    Strict,
    Weight,
    about,
    as_tuple,
)
from simdemand.scenario.queries import QueryClass

# Shares (class mix, time zones) must sum to 1 within this tolerance.
SHARE_TOLERANCE = 1e-6
HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7

# Relative query rate by local hour 0..23. Stylised human diurnal cycle of interactive services:
# trough around 04:00 at about a quarter of the late-morning to afternoon plateau, an evening
# shoulder. Provider dashboards show peaks in local working hours and a night trough (e.g. the
# Office 365 LLM traces, Jaiswal et al. 2025, "SageServe", arXiv:2502.14617); replace with a
# measured curve where one is available.
DEFAULT_DAILY_PROFILE: tuple[float, ...] = (
    0.35, 0.25, 0.20, 0.18, 0.18, 0.22, 0.35, 0.55,
    0.80, 1.00, 1.10, 1.15, 1.10, 1.10, 1.15, 1.15,
    1.10, 1.00, 0.95, 0.95, 0.95, 0.85, 0.70, 0.50,
)  # fmt: skip
# Relative query rate Monday..Sunday: flat (no weekly cycle) unless a scenario says otherwise.
DEFAULT_WEEKLY_PROFILE: tuple[float, ...] = (1.0,) * DAYS_PER_WEEK
# Fallback served model before any release qualifies (or with no labs): DeepSeek-V3, 671B
# parameters, 37B active (DeepSeek-V3 technical report, 2024), the open frontier at early 2025.
DEFAULT_INITIAL_MODEL_ID = "DeepSeek-V3"
DEFAULT_INITIAL_PARAMS = 671e9
DEFAULT_INITIAL_ACTIVE_PARAMS = 37e9
SOURCE_INITIAL_MODEL = (
    "DeepSeek-V3 technical report (2024): 671B parameters, 37B active, the open frontier at "
    "early 2025"
)
# Serving lags. Migration: consumer products switch to a new flagship within weeks of release.
# Hardware: the same 180 days from catalog availability to use at scale as the labs' default.
DEFAULT_MIGRATION_LAG_DAYS = 30.0
DEFAULT_HARDWARE_LAG_DAYS = 180.0
# Capability need of the `cheapest` policy's tiers: the best base model released this long
# ago. Frontier tier: the best model now (a flagship product serves the frontier). Efficient
# tier: 9 months, the lag after which open models small enough for one consumer GPU (<= ~40B
# parameters) match the frontier (Epoch AI, "Frontier AI performance becomes accessible on
# consumer hardware within 9 months", data insight, 15 Aug 2025; 6-12 months by benchmark).
DEFAULT_NEED_LAG_DAYS = 0.0
DEFAULT_EFFICIENT_NEED_LAG_DAYS = 274.0
SOURCE_EFFICIENT_NEED_LAG = (
    "Epoch AI, 'Frontier AI performance becomes accessible on consumer hardware within 9 "
    "months', data insight, 15 Aug 2025 (6-12 months by benchmark)"
)


ServingPrecision = Literal["bf16", "fp8", "fp4"]
Profile = Annotated[tuple[Weight, ...], BeforeValidator(as_tuple)]


class ServedModel(Strict):
    """A model given by size, used before any release qualifies or when no labs exist."""

    model_id: Annotated[
        Name, about("Id of the model in the outputs.", "1", SOURCE_INITIAL_MODEL)
    ] = DEFAULT_INITIAL_MODEL_ID
    params: Annotated[Params, about("Total parameters.", "parameters", SOURCE_INITIAL_MODEL)] = (
        DEFAULT_INITIAL_PARAMS
    )
    active_params: Annotated[
        Params,
        about(
            "Parameters active per token (MoE); at most `params`.",
            "parameters",
            SOURCE_INITIAL_MODEL,
        ),
    ] = DEFAULT_INITIAL_ACTIVE_PARAMS

    @model_validator(mode="after")
    def _active_within_total(self) -> Self:
        """Reject more active parameters than parameters."""
        if self.active_params > self.params:
            raise ValueError(
                f"active_params ({self.active_params:g}) exceeds params ({self.params:g})"
            )
        return self


class Serving(Strict):
    """Which model serves the cohort, on which hardware, at what latency.

    Policies: `frontier` the base model with the lowest predicted loss released at least
    `migration_lag_days` ago; `open` the same among open-weights models; `fixed` always
    `initial_model`; `cheapest` the base model with the fewest GPU-seconds per query on the
    step's hardware among those at least as good as the tier's need (the best base model
    released `need_lag_days`, or `efficient_need_lag_days`, ago). `max_active_params` excludes
    models too costly to serve to this cohort. `efficient_max_active_params` adds an efficient
    tier: the same policy's best model within that budget, serving each class's
    `efficient_share` of queries (`cheapest` always has the efficient tier).
    """

    policy: Annotated[
        Literal["frontier", "open", "fixed", "cheapest"],
        about(
            "Which model serves: `frontier` the base model with the lowest predicted loss, "
            "`open` the same among open-weights models, `fixed` always `initial_model`, "
            "`cheapest` the cheapest to serve among models meeting the tier's need.",
            "1",
            "scenario choice",
        ),
    ] = "frontier"
    need_lag_days: Annotated[
        Days,
        about(
            "`cheapest`: the frontier tier needs the capability (predicted loss) of the best "
            "base model released this long ago.",
            "days",
            "a flagship product serves the frontier: 0",
        ),
    ] = DEFAULT_NEED_LAG_DAYS
    efficient_need_lag_days: Annotated[
        Days,
        about(
            "`cheapest`: the efficient tier needs the capability of the best base model "
            "released this long ago.",
            "days",
            SOURCE_EFFICIENT_NEED_LAG,
        ),
    ] = DEFAULT_EFFICIENT_NEED_LAG_DAYS
    mode: Annotated[
        Literal["production", "benchmark"],
        about(
            "`benchmark`: tokens per GPU-second of the roofline calibrated to MLPerf; "
            f"`production`: x {PRODUCTION_FACTOR:.3f}, interactive streaming (MLPerf "
            "interactive/offline 0.59) x utilization of capacity provisioned for the peak "
            "(0.82).",
            "1",
            "simdemand.physics.serving.PRODUCTION_FACTOR: MLPerf Inference v5.1 Llama-2-70B "
            "8x B200 interactive/offline; DeepSeek V3/R1 inference system overview (1 Mar "
            "2025), average/peak nodes",
        ),
    ] = "production"
    migration_lag_days: Annotated[
        Days,
        about(
            "A release is eligible this long after it.",
            "days",
            "consumer products switch to a new flagship within weeks of release",
        ),
    ] = DEFAULT_MIGRATION_LAG_DAYS
    max_active_params: Annotated[
        Params | None,
        about(
            "Models with more active parameters are not served to this cohort; none: no cap.",
            "parameters",
            "scenario choice",
        ),
    ] = None
    efficient_max_active_params: Annotated[
        Params | None,
        about(
            "Budget of the efficient tier: the same policy's best model within it serves each "
            "class's `efficient_share`; none: no efficient tier.",
            "parameters",
            "scenario choice",
        ),
    ] = None
    initial_model: Annotated[
        ServedModel,
        about(
            "Model served until a release qualifies, or always without labs or with `fixed`.",
            "1",
            SOURCE_INITIAL_MODEL,
        ),
    ] = ServedModel()
    precision: Annotated[
        ServingPrecision,
        about(
            "Number format of weights and math: FP4 where the hardware has it, else FP8, "
            "else BF16.",
            "1",
            "Blackwell's MLPerf Inference results are FP4",
        ),
    ] = "fp4"
    hardware_lag_days: Annotated[
        Days,
        about(
            "Serve on the newest catalog GPU available this many days before the date.",
            "days",
            "as the labs' default: catalog availability to use at scale",
        ),
    ] = DEFAULT_HARDWARE_LAG_DAYS
    # 0.1 ms to an hour (offline batches, no latency bound).
    latency_target_s: Annotated[
        float,
        Field(ge=1e-4, le=3600),
        about(
            "Latency bound per output token on the decode batch.",
            "s",
            "simdemand.physics.serving.DEFAULT_LATENCY_TARGET_S, 50 ms: between MLPerf "
            "v5.0's Llama-2-70B interactive (40 ms) and server (200 ms) limits",
        ),
    ] = DEFAULT_LATENCY_TARGET_S
    software_gain_per_year: Annotated[
        Growth,
        about(
            "Serving software gain on the same hardware from `software_reference_date`.",
            "x per year",
            "simdemand.physics.serving.SOFTWARE_GAIN_PER_YEAR: MLPerf round over round, 1.5x",
        ),
    ] = SOFTWARE_GAIN_PER_YEAR
    software_reference_date: Annotated[
        Date,
        about(
            "Date from which the software gain compounds.",
            "date",
            "simdemand.physics.serving.SOFTWARE_REFERENCE_DATE",
        ),
    ] = SOFTWARE_REFERENCE_DATE


class CohortSpec(Strict):
    """A user cohort: population, usage, daily and weekly cycles, class mix and serving."""

    reference_date: Annotated[
        Date,
        about(
            "Anchor of the adoption curve, of usage and length growth, and start of the mix shift.",
            "date",
            "scenario choice",
        ),
    ]
    adoption: Annotated[
        Adoption,
        about(
            "Users over time: a `logistic` or `bass` curve.",
            "1",
            "scenario choice",
        ),
    ]
    # Up to 1e5 a day, one query a second around the clock.
    queries_per_user_per_day: Annotated[
        float,
        Field(gt=0, le=1e5),
        about(
            "Queries per user per day at the reference date.",
            "queries per user per day",
            "scenario choice; ChatGPT: ~3 a day per weekly user",
        ),
    ]
    queries_growth_per_year: Annotated[
        Growth, about("Growth of usage per user.", "x per year", "scenario choice")
    ] = 1.0
    # 2 puts +3 sd at e^6 = 400x the mean day.
    day_sigma: Annotated[
        float,
        Field(ge=0, le=2),
        about(
            "Mean-one lognormal scatter of each day's volume.",
            "ln units",
            "scenario choice; a day's volume varies by tens of percent",
        ),
    ] = 0.0
    daily_profile: Annotated[
        Profile,
        about(
            "Relative query rate by local hour 0-23 (24 weights): trough ~0.2 at 03:00-04:00, "
            "plateau ~1.1 from 10:00 to 17:00, an evening shoulder.",
            "1",
            "stylised human diurnal cycle of interactive services: provider dashboards show "
            "peaks in local working hours and a night trough (e.g. the Office 365 LLM traces, "
            "Jaiswal et al. 2025, SageServe, arXiv:2502.14617)",
        ),
    ] = DEFAULT_DAILY_PROFILE
    weekly_profile: Annotated[
        Profile,
        about(
            "Relative query rate Monday..Sunday (7 weights); flat by default.",
            "1",
            "assumption: no weekly cycle unless a scenario says otherwise",
        ),
    ] = DEFAULT_WEEKLY_PROFILE
    timezones: Annotated[
        tuple[TimeZone, ...],
        BeforeValidator(as_tuple),
        about(
            "Users by offset from UTC; the shares sum to 1. By default all at UTC.",
            "1",
            "scenario choice",
        ),
    ] = (TimeZone(utc_offset_h=0.0, share=1.0),)
    classes: Annotated[
        dict[Name, QueryClass],
        about(
            "Query classes (at least one), by name: the name is the `activity` in the outputs.",
            "1",
            "scenario choice",
        ),
    ]
    mix_final_date: Annotated[
        Date | None,
        about(
            "Date at which each class's `share_final` holds; needed when any is given.",
            "date",
            "scenario choice",
        ),
    ] = None
    serving: Annotated[
        Serving,
        about("Which model and GPU serve the cohort, at what latency.", "1", "scenario choice"),
    ] = Serving()
    step_days: Annotated[
        int,
        Field(ge=1, le=28),
        about(
            "The cohort wakes once per step; releases take effect at the next step.",
            "days",
            "scenario choice",
        ),
    ] = 7

    @model_validator(mode="after")
    def _profiles_well_formed(self) -> Self:
        """Reject profiles of the wrong length or with no weight at all."""
        for name, length in (("daily_profile", HOURS_PER_DAY), ("weekly_profile", DAYS_PER_WEEK)):
            values = getattr(self, name)
            if len(values) != length:
                raise ValueError(f"{name} needs {length} values, got {len(values)}")
            if sum(values) <= 0:
                raise ValueError(f"{name} needs at least one positive value")
        return self

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Self:
        """Reject class mixes and time-zone mixes whose shares do not sum to 1."""
        if not self.classes:
            raise ValueError("classes needs at least one query class")
        check_sum("classes.*.share", [c.share for c in self.classes.values()])
        finals = [
            c.share if c.share_final is None else c.share_final for c in self.classes.values()
        ]
        check_sum("classes.*.share_final", finals)
        if not self.timezones:
            raise ValueError("timezones needs at least one time zone")
        check_sum("timezones.*.share", [tz.share for tz in self.timezones])
        return self

    @model_validator(mode="after")
    def _efficient_tier_defined(self) -> Self:
        """Require an efficient tier's budget when a class sends queries to it."""
        tiered = [n for n, c in self.classes.items() if c.efficient_share > 0]
        serving = self.serving
        if tiered and serving.efficient_max_active_params is None and serving.policy != "cheapest":
            raise ValueError(
                f"efficient_share given ({', '.join(tiered)}) but no "
                "serving.efficient_max_active_params (or serving.policy = 'cheapest')"
            )
        return self

    @model_validator(mode="after")
    def _mix_dates_ordered(self) -> Self:
        """Require mix_final_date after reference_date when any share_final is given."""
        shifted = [n for n, c in self.classes.items() if c.share_final is not None]
        if shifted and self.mix_final_date is None:
            raise ValueError(f"share_final given ({', '.join(shifted)}) but no mix_final_date")
        if self.mix_final_date is not None and self.mix_final_date <= self.reference_date:
            raise ValueError(
                f"mix_final_date ({self.mix_final_date}) must be after "
                f"reference_date ({self.reference_date})"
            )
        return self


def check_sum(what: str, shares: list[float]) -> None:
    """ValueError unless `shares` sum to 1 within SHARE_TOLERANCE."""
    total = math.fsum(shares)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"{what} must sum to 1, got {total:.6g}")
