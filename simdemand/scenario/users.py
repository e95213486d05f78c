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
    SOFTWARE_GAIN_PER_YEAR,
    SOFTWARE_REFERENCE_DATE,
)
from simdemand.scenario.base import (
    CallTokens,
    Date,
    Days,
    Growth,
    Name,
    Params,
    Population,
    Share,
    Sigma,
    Strict,
    Weight,
    as_tuple,
)

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
# Lognormal log-sd of a query's input and output lengths: stylised heavy right tail (public
# traces such as BurstGPT, Wang et al. 2024, span three to four decades of lengths). It sets
# only the variance of hourly token totals, not their mean.
DEFAULT_TOKENS_SIGMA = 1.0
# Fallback served model before any release qualifies (or with no labs): DeepSeek-V3, 671B
# parameters, 37B active (DeepSeek-V3 technical report, 2024), the open frontier at early 2025.
DEFAULT_INITIAL_MODEL_ID = "DeepSeek-V3"
DEFAULT_INITIAL_PARAMS = 671e9
DEFAULT_INITIAL_ACTIVE_PARAMS = 37e9
# Serving lags. Migration: consumer products switch to a new flagship within weeks of release.
# Hardware: the same 180 days from catalog availability to use at scale as the labs' default.
DEFAULT_MIGRATION_LAG_DAYS = 30.0
DEFAULT_HARDWARE_LAG_DAYS = 180.0


ServingPrecision = Literal["bf16", "fp8", "fp4"]
Profile = Annotated[tuple[Weight, ...], BeforeValidator(as_tuple)]
# Adoption rates per year: up to 100. ChatGPT's first two months (1M to 100M users) are a
# logistic rate of ~30 a year; Bass p and q of consumer durables are 0.03 and 0.38.
AdoptionRate = Annotated[float, Field(gt=0, le=100)]


class TimeZone(Strict):
    """A share of a cohort's users living at one offset from UTC."""

    utc_offset_h: Annotated[float, Field(ge=-12.0, le=14.0)]
    share: Share


class _Adoption(Strict):
    """Users over time, anchored at the cohort's reference date."""

    users_at_reference: Population
    ceiling_users: Population

    @model_validator(mode="after")
    def _below_ceiling(self) -> Self:
        """Reject a population that starts at or above its ceiling."""
        if self.users_at_reference >= self.ceiling_users:
            raise ValueError(
                f"users_at_reference ({self.users_at_reference:g}) must be below "
                f"ceiling_users ({self.ceiling_users:g})"
            )
        return self


class LogisticAdoption(_Adoption):
    """N(t) = K / (1 + (K/N0 - 1) exp(-r t)): early growth ~exp(r) per year, ceiling K."""

    curve: Literal["logistic"]
    rate_per_year: AdoptionRate


class BassAdoption(_Adoption):
    """Bass diffusion: innovation p and imitation q per year, market m = ceiling_users."""

    curve: Literal["bass"]
    innovation_per_year: AdoptionRate
    imitation_per_year: Annotated[float, Field(ge=0, le=100)]


Adoption = Annotated[LogisticAdoption | BassAdoption, Field(discriminator="curve")]


class _QueryClass(Strict):
    """Token lengths of one class of query and its share of the cohort's queries.

    Lengths are per call: `input_tokens` is the prompt (system prompt, history, retrieved
    context), `output_tokens` what the model generates (thinking included). Means grow by
    `*_growth_per_year` from the cohort's reference date and saturate at `*_tokens_max`.
    """

    share: Share
    share_final: Share | None = None
    input_tokens: CallTokens
    input_sigma: Sigma = DEFAULT_TOKENS_SIGMA
    input_growth_per_year: Growth = 1.0
    input_tokens_max: CallTokens | None = None
    cached_fraction: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    output_tokens: CallTokens
    output_sigma: Sigma = DEFAULT_TOKENS_SIGMA
    output_growth_per_year: Growth = 1.0
    output_tokens_max: CallTokens | None = None
    # Share of the class's queries served by the cohort's efficient tier ("mini"/"flash"
    # models, `serving.efficient_max_active_params`); the rest go to the frontier tier.
    efficient_share: Share = 0.0

    @model_validator(mode="after")
    def _ceilings_above_start(self) -> Self:
        """Reject a length ceiling at or below the starting mean."""
        for name in ("input", "output"):
            cap = getattr(self, f"{name}_tokens_max")
            start = getattr(self, f"{name}_tokens")
            if cap is not None and cap <= start:
                raise ValueError(
                    f"{name}_tokens_max ({cap:g}) must exceed {name}_tokens ({start:g})"
                )
        return self


class ChatClass(_QueryClass):
    """A plain single pass: prefill the prompt, decode the answer."""

    kind: Literal["chat"]


class ReasoningClass(_QueryClass):
    """One long pass: the output includes the thinking tokens."""

    kind: Literal["reasoning"]


class BestOfNClass(_QueryClass):
    """`samples` answers decoded from one shared (prefilled once) prompt."""

    kind: Literal["best_of_n"]
    samples: Annotated[int, Field(ge=2, le=100_000)]


class SearchClass(_QueryClass):
    """Tree exploration: `branching` branches kept at each of `depth` levels, each level a
    step of `output_tokens`; the prompt is prefilled once, branches continue cached prefixes."""

    kind: Literal["search"]
    branching: Annotated[int, Field(ge=1, le=10_000)]
    depth: Annotated[int, Field(ge=1, le=10_000)]


class AgenticClass(_QueryClass):
    """`steps` sequential calls; each call's context grows by the previous output plus
    `tool_tokens` of tool results. `cached_fraction` is the share of all input from cache."""

    kind: Literal["agentic"]
    steps: Annotated[int, Field(ge=1, le=10_000)]
    tool_tokens: Annotated[float, Field(ge=0, le=1e8)] = 0.0


QueryClass = Annotated[
    ChatClass | ReasoningClass | BestOfNClass | SearchClass | AgenticClass,
    Field(discriminator="kind"),
]


class ServedModel(Strict):
    """A model given by size, used before any release qualifies or when no labs exist."""

    model_id: Name = DEFAULT_INITIAL_MODEL_ID
    params: Params = DEFAULT_INITIAL_PARAMS
    active_params: Params = DEFAULT_INITIAL_ACTIVE_PARAMS

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
    `initial_model`. `max_active_params` excludes models too costly to serve to this cohort.
    `efficient_max_active_params` adds an efficient tier: the same policy's best model within
    that budget, serving each class's `efficient_share` of queries.
    """

    policy: Literal["frontier", "open", "fixed"] = "frontier"
    migration_lag_days: Days = DEFAULT_MIGRATION_LAG_DAYS
    max_active_params: Params | None = None
    efficient_max_active_params: Params | None = None
    initial_model: ServedModel = ServedModel()
    # Number format of weights and math: FP4 where the hardware has it (Blackwell's MLPerf
    # Inference results are FP4), else FP8, else BF16.
    precision: ServingPrecision = "fp4"
    hardware_lag_days: Days = DEFAULT_HARDWARE_LAG_DAYS
    # 50 ms per output token: simdemand.serving.DEFAULT_LATENCY_TARGET_S (between MLPerf v5.0's
    # Llama-2-70B interactive 40 ms and server 200 ms limits); 0.1 ms to an hour (offline
    # batches, no latency bound).
    latency_target_s: Annotated[float, Field(ge=1e-4, le=3600)] = DEFAULT_LATENCY_TARGET_S
    # Serving software gain on the same hardware, x per year from `software_reference_date`
    # (simdemand.physics.serving.SOFTWARE_GAIN_PER_YEAR: MLPerf round over round, 1.5x).
    software_gain_per_year: Growth = SOFTWARE_GAIN_PER_YEAR
    software_reference_date: Date = SOFTWARE_REFERENCE_DATE


class CohortSpec(Strict):
    """A user cohort: population, usage, daily and weekly cycles, class mix and serving."""

    reference_date: Date
    adoption: Adoption
    # Up to 1e5 a day, one query a second around the clock (ChatGPT: ~3 a day per weekly user).
    queries_per_user_per_day: Annotated[float, Field(gt=0, le=1e5)]
    queries_growth_per_year: Growth = 1.0
    # A day's volume varies by tens of percent; 2 puts +3 sd at e^6 = 400x the mean day.
    day_sigma: Annotated[float, Field(ge=0, le=2)] = 0.0
    daily_profile: Profile = DEFAULT_DAILY_PROFILE
    weekly_profile: Profile = DEFAULT_WEEKLY_PROFILE
    timezones: Annotated[tuple[TimeZone, ...], BeforeValidator(as_tuple)] = (
        TimeZone(utc_offset_h=0.0, share=1.0),
    )
    classes: dict[Name, QueryClass]
    mix_final_date: Date | None = None
    serving: Serving = Serving()
    step_days: Annotated[int, Field(ge=1, le=28)] = 7

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
        if tiered and self.serving.efficient_max_active_params is None:
            raise ValueError(
                f"efficient_share given ({', '.join(tiered)}) but no "
                "serving.efficient_max_active_params"
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


__all__ = [
    "AgenticClass",
    "BassAdoption",
    "BestOfNClass",
    "ChatClass",
    "CohortSpec",
    "LogisticAdoption",
    "QueryClass",
    "ReasoningClass",
    "SearchClass",
    "ServedModel",
    "Serving",
    "TimeZone",
]
