"""Where and how many a cohort's users are: time zones, and adoption curves (logistic, Bass)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from simdemand.scenario.base import (
    Population,
    Share,
    Strict,
    about,
)

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
