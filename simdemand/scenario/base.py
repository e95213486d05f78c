"""Shared building blocks of the scenario schema: the strict base model and value types.

Types carry physical bounds, not only signs: a value outside them is a typo or a unit slip, and
would make the simulator overflow, hang or return nonsense. Each bound is generous (every bundled
scenario sits far inside it) and says why it is where it is. What depends on the horizon (a trend
extrapolated over it, the work of a run) is checked in simdemand.scenario.plausibility and
simdemand.scenario.workload.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(gt=0, le=1)]
Share = Annotated[float, Field(ge=0, le=1)]
Precision = Literal["bf16", "fp8"]

# Dates: 1950 (before any computer that could train a model) to 2200 (pandas' nanosecond
# timestamps end in 2262, and no trend in a scenario means anything that far out).
FIRST_DATE = dt.date(1950, 1, 1)
LAST_DATE = dt.date(2200, 12, 31)
Date = Annotated[dt.date, Field(ge=FIRST_DATE, le=LAST_DATE)]
# A factor per year of growth (or decline): 1/100 to 100. The steepest trends in the data are
# ~4-5x a year (frontier training compute, Epoch AI); 100x a year is no trend anyone measured.
Growth = Annotated[float, Field(ge=0.01, le=100.0)]
# Lags and durations in days: up to ten years (a GPU's service life is 5-6 years; the longest
# training runs took months).
Days = Annotated[float, Field(ge=0, le=3650)]
# A span that must be positive is at least a minute: shorter ones vanish in floating point
# against the hours since the start (an interval would end where it begins).
PositiveDays = Annotated[float, Field(ge=1 / 1440, le=3650)]
# Log-normal scatter in ln units: 5 puts +3 sd at e^15 = 3e6x the median, wider than any
# spread in the data (Hugging Face derivative counts span ~4 decades).
Sigma = Annotated[float, Field(ge=0, le=5)]
# Tokens per call, per prompt, or kept per derivative model: up to 1e8 for a call (10x the
# longest context windows offered in 2025, 1e6-1e7 tokens).
CallTokens = Annotated[float, Field(gt=0, le=1e8)]
# Parameters of a model: 1e6 (smaller than any served language model) to 1e15 (500x the largest
# announced models, ~2e12).
Params = Annotated[float, Field(ge=1e6, le=1e15)]
# People (or agents counted as users) in a cohort: up to 1e11, 12x the world's population.
Population = Annotated[float, Field(gt=0, le=1e11)]
# A relative weight (profiles are normalised to mean 1): up to 1e6, so sums stay finite.
Weight = Annotated[float, Field(ge=0, le=1e6)]


def about(description: str, unit: str, source: str) -> Any:
    """What a field is, in what unit, and where its default or bound comes from: metadata for
    `Annotated[...]` that reaches the JSON Schema (`description`, `unit`, `source`) and the
    generated scenario reference. It changes no default, bound or validation.

    `unit` is "1" (or "fraction", "share", "count", "x per year") for unitless values; `source`
    is a citation, or "assumption" / "scenario choice" where there is none.
    """
    return Field(description=description, json_schema_extra={"unit": unit, "source": source})


class Strict(BaseModel):
    """Base for every scenario section: immutable, no unknown keys, no coercion, no NaN/inf."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def as_tuple(value: Any) -> Any:
    """Accept a TOML array (a list) where the schema keeps an immutable tuple."""
    return tuple(value) if isinstance(value, list) else value
