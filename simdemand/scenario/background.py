"""The `[background]` section: accelerator work outside the three regimes, by named workload."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from simdemand.physics.background import (
    DEFAULT_GROWTH_PER_YEAR,
    DEFAULT_H100E_AT_REFERENCE,
    REFERENCE_DATE,
)
from simdemand.scenario.base import Date, Growth, Name, Strict, about, as_tuple

SOURCE = "Meta's non-generative accelerators (simdemand/physics/data/background.toml)"


class BackgroundWorkload(Strict):
    """One exogenous workload (ranking, recommendation, search, classic ML): busy
    H100-equivalents at a reference date, growing by a factor a year; on a fleet it runs first."""

    h100e_at_reference: Annotated[
        float,
        # Up to 1e9 busy H100-equivalents: 50x the world's ~2e7 installed at the end of 2025
        # (Epoch AI); a typo or a unit slip, not a forecast, above that.
        Field(gt=0, le=1e9),
        about(
            "Busy H100-equivalents at the reference date (mean over the hour).",
            "H100-equivalents",
            f"{SOURCE}: (600,000 - 149,152) x 0.65 busy",
        ),
    ] = DEFAULT_H100E_AT_REFERENCE
    reference_date: Annotated[
        Date, about("Date of `h100e_at_reference`.", "date", "the end of 2024 (Meta's fleet)")
    ] = REFERENCE_DATE
    growth_per_year: Annotated[
        Growth,
        about(
            "Growth of the busy H100-equivalents.",
            "x per year",
            f"{SOURCE}: 1.3M GPUs at the end of 2025 / 600,000 H100e at the end of 2024",
        ),
    ] = DEFAULT_GROWTH_PER_YEAR
    pools: Annotated[
        tuple[Name, ...],
        BeforeValidator(as_tuple),
        about(
            "Fleet pools it runs in, in proportion to their free GPUs; empty: every pool.",
            "1",
            "scenario choice",
        ),
    ] = ()
