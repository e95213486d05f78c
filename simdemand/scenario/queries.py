"""Query classes of a user cohort: plain chat, reasoning, best-of-n, search and agentic, each
with its share of queries and its input and output token lengths over time."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from simdemand.scenario.base import (
    CallTokens,
    Growth,
    Share,
    Sigma,
    Strict,
    about,
)

# Lognormal log-sd of a query's input and output lengths: stylised heavy right tail (public
# traces such as BurstGPT, Wang et al. 2024, span three to four decades of lengths). It sets
# only the variance of hourly token totals, not their mean.
DEFAULT_TOKENS_SIGMA = 1.0


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
