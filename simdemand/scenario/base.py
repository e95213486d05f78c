"""Shared building blocks of the scenario schema: the strict base model and value types."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(gt=0, le=1)]
Share = Annotated[float, Field(ge=0, le=1)]
Precision = Literal["bf16", "fp8"]


class Strict(BaseModel):
    """Base for every scenario section: immutable, no unknown keys, no coercion, no NaN/inf."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


def as_tuple(value: Any) -> Any:
    """Accept a TOML array (a list) where the schema keeps an immutable tuple."""
    return tuple(value) if isinstance(value, list) else value
