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
    about,
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
SOURCE_INITIAL_MODEL = (
    "DeepSeek-V3 technical report (2024): 671B parameters, 37B active, the open frontier at "
    "early 2025"
)
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

    utc_offset_h: Annotated[
        float,
        Field(ge=-12.0, le=14.0),
        about("Offset of local time from UTC (fractions blend hours).", "hours", "scenario choice"),
    ]
    share: Annotated[
        Share,
        about(
            "Share of the cohort's users at this offset; the shares sum to 1.",
            "share",
            "scenario choice",
        ),
    ]


class _Adoption(Strict):
    """Users over time, anchored at the cohort's reference date."""

    users_at_reference: Annotated[
        Population,
        about("Users N0 at the cohort's reference date.", "users", "scenario choice"),
    ]
    ceiling_users: Annotated[
        Population,
        about(
            "Ceiling K (logistic) or market m (Bass); above `users_at_reference`.",
            "users",
            "scenario choice",
        ),
    ]

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

    curve: Annotated[
        Literal["logistic"], about("The adoption curve: `logistic`.", "1", "scenario choice")
    ]
    rate_per_year: Annotated[
        AdoptionRate,
        about(
            "Logistic rate r: early growth ~exp(r) per year.",
            "1/year",
            "scenario choice; ChatGPT's first two months (1M to 100M users) are ~30 a year",
        ),
    ]


class BassAdoption(_Adoption):
    """Bass diffusion: innovation p and imitation q per year, market m = ceiling_users."""

    curve: Annotated[
        Literal["bass"],
        about(
            "The adoption curve: `bass` (Bass diffusion, anchored so that N(0) = N0).",
            "1",
            "scenario choice",
        ),
    ]
    innovation_per_year: Annotated[
        AdoptionRate,
        about(
            "Bass innovation coefficient p.",
            "1/year",
            "consumer durables average p = 0.03 (Sultan, Farley & Lehmann 1990)",
        ),
    ]
    imitation_per_year: Annotated[
        float,
        Field(ge=0, le=100),
        about(
            "Bass imitation coefficient q.",
            "1/year",
            "consumer durables average q = 0.38 (Sultan, Farley & Lehmann 1990)",
        ),
    ]


Adoption = Annotated[LogisticAdoption | BassAdoption, Field(discriminator="curve")]


class _QueryClass(Strict):
    """Token lengths of one class of query and its share of the cohort's queries.

    Lengths are per call: `input_tokens` is the prompt (system prompt, history, retrieved
    context), `output_tokens` what the model generates (thinking included). Means grow by
    `*_growth_per_year` from the cohort's reference date and saturate at `*_tokens_max`.
    """

    share: Annotated[
        Share,
        about(
            "Share of the cohort's queries at the reference date; the classes' shares sum to 1.",
            "share",
            "scenario choice",
        ),
    ]
    share_final: Annotated[
        Share | None,
        about(
            "Share at `mix_final_date` (linear from the reference date, constant after); by "
            "default `share`. The classes' final shares sum to 1.",
            "share",
            "scenario choice",
        ),
    ] = None
    input_tokens: Annotated[
        CallTokens,
        about(
            "Mean prompt per call (system prompt, history, retrieved context) at the reference "
            "date.",
            "tokens",
            "scenario choice",
        ),
    ]
    input_sigma: Annotated[
        Sigma,
        about(
            "Lognormal log-sd of a query's input length; sets only the variance of hourly "
            "token totals, not their mean.",
            "ln units",
            "stylised heavy tail: public traces such as BurstGPT (Wang et al. 2024) span three "
            "to four decades of lengths",
        ),
    ] = DEFAULT_TOKENS_SIGMA
    input_growth_per_year: Annotated[
        Growth, about("Growth of the mean input.", "x per year", "scenario choice")
    ] = 1.0
    input_tokens_max: Annotated[
        CallTokens | None,
        about(
            "Ceiling of the mean input (above `input_tokens`); none: unbounded growth.",
            "tokens",
            "scenario choice",
        ),
    ] = None
    cached_fraction: Annotated[
        float,
        Field(ge=0.0, le=1.0),
        about(
            "Share of input read from the prefix cache (no prefill compute); for `agentic`, "
            "of all input.",
            "fraction",
            "scenario choice",
        ),
    ] = 0.0
    output_tokens: Annotated[
        CallTokens,
        about(
            "Mean output per call, thinking included, at the reference date.",
            "tokens",
            "scenario choice; reasoning ~8x non-reasoning (Epoch AI, Apr 2025)",
        ),
    ]
    output_sigma: Annotated[
        Sigma,
        about(
            "Lognormal log-sd of a query's output length (as `input_sigma`).",
            "ln units",
            "stylised heavy tail: public traces such as BurstGPT (Wang et al. 2024) span three "
            "to four decades of lengths",
        ),
    ] = DEFAULT_TOKENS_SIGMA
    output_growth_per_year: Annotated[
        Growth,
        about(
            "Growth of the mean output.",
            "x per year",
            "scenario choice; Epoch AI: reasoning 5x a year, non-reasoning 2.2x a year "
            "(benchmark answers, Apr 2025)",
        ),
    ] = 1.0
    output_tokens_max: Annotated[
        CallTokens | None,
        about(
            "Ceiling of the mean output (above `output_tokens`); none: unbounded growth.",
            "tokens",
            "scenario choice",
        ),
    ] = None
    efficient_share: Annotated[
        Share,
        about(
            "Share of the class's queries served by the cohort's efficient tier (\"mini\" / "
            '"flash" models, `serving.efficient_max_active_params`); the rest go to the '
            "frontier tier.",
            "share",
            "scenario choice",
        ),
    ] = 0.0

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

    kind: Annotated[
        Literal["chat"], about("The class's kind: a plain single pass.", "1", "scenario choice")
    ]


class ReasoningClass(_QueryClass):
    """One long pass: the output includes the thinking tokens."""

    kind: Annotated[
        Literal["reasoning"],
        about("The class's kind: one long pass, thinking included.", "1", "scenario choice"),
    ]


class BestOfNClass(_QueryClass):
    """`samples` answers decoded from one shared (prefilled once) prompt."""

    kind: Annotated[
        Literal["best_of_n"],
        about("The class's kind: n answers from one shared prompt.", "1", "scenario choice"),
    ]
    samples: Annotated[
        int,
        Field(ge=2, le=100_000),
        about(
            "Answers n decoded from one shared (prefilled once) prompt.",
            "count",
            "scenario choice",
        ),
    ]


class SearchClass(_QueryClass):
    """Tree exploration: `branching` branches kept at each of `depth` levels, each level a
    step of `output_tokens`; the prompt is prefilled once, branches continue cached prefixes."""

    kind: Annotated[
        Literal["search"], about("The class's kind: tree exploration.", "1", "scenario choice")
    ]
    branching: Annotated[
        int,
        Field(ge=1, le=10_000),
        about("Branches b kept at each level.", "count", "scenario choice"),
    ]
    depth: Annotated[
        int,
        Field(ge=1, le=10_000),
        about("Levels d, each a step of `output_tokens`.", "count", "scenario choice"),
    ]


class AgenticClass(_QueryClass):
    """`steps` sequential calls; each call's context grows by the previous output plus
    `tool_tokens` of tool results. `cached_fraction` is the share of all input from cache."""

    kind: Annotated[
        Literal["agentic"],
        about("The class's kind: sequential calls with a growing context.", "1", "scenario choice"),
    ]
    steps: Annotated[
        int,
        Field(ge=1, le=10_000),
        about("Sequential calls s per query.", "count", "scenario choice"),
    ]
    tool_tokens: Annotated[
        float,
        Field(ge=0, le=1e8),
        about(
            "Tool results T appended to the context after each call.", "tokens", "scenario choice"
        ),
    ] = 0.0


QueryClass = Annotated[
    ChatClass | ReasoningClass | BestOfNClass | SearchClass | AgenticClass,
    Field(discriminator="kind"),
]


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
    `initial_model`. `max_active_params` excludes models too costly to serve to this cohort.
    `efficient_max_active_params` adds an efficient tier: the same policy's best model within
    that budget, serving each class's `efficient_share` of queries.
    """

    policy: Annotated[
        Literal["frontier", "open", "fixed"],
        about(
            "Which model serves: `frontier` the base model with the lowest predicted loss, "
            "`open` the same among open-weights models, `fixed` always `initial_model`.",
            "1",
            "scenario choice",
        ),
    ] = "frontier"
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
