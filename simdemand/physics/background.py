"""Background load: accelerator time outside the three regimes, as busy H100-equivalents.

Ranking, recommendation, ads, search and classic ML run on the same fleet as the three regimes
but are not modelled agent by agent: each is an exogenous series, busy H100-equivalents growing
by a factor a year from a reference date. Its GPU time is counted in H100-equivalent hours (the
unit of the fleet's fluid work), powered and priced as H100s (simdemand.physics.energy). Its FLOP
are left out: recommendation models are bound by embedding lookups in memory, and no one
publishes their achieved FLOP per busy hour.

The default workload is derived from the published figures in ``data/background.toml`` (each
with its source): Meta's non-generative accelerators at the end of 2024, busy at the scorecard's
central share, growing as Meta's fleet did in 2025.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass
from importlib import resources

import numpy as np

from simdemand.physics.arrays import FloatArray
from simdemand.units import HOURS_PER_YEAR


@dataclass(frozen=True)
class Figure:
    """A published figure behind the default background load."""

    value: float
    unit: str
    date: dt.date
    source: str
    url: str | None = None


def figures() -> dict[str, Figure]:
    """The published figures of ``data/background.toml``, by name."""
    text = (resources.files("simdemand.physics") / "data" / "background.toml").read_text()
    return {name: Figure(**row) for name, row in tomllib.loads(text)["figure"].items()}


FIGURES = figures()
# The reference date of the default workload: the start of 2025, the end-2024 fleet's date.
REFERENCE_DATE = dt.date(2025, 1, 1)


def meta_non_generative_h100e(found: dict[str, Figure] = FIGURES) -> float:
    """H100-equivalents at Meta at the end of 2024 outside its generative-AI training clusters."""
    genai = found["meta_llama4_cluster_gpus"].value + found["meta_llama3_cluster_gpus"].value
    return found["meta_installed_h100e"].value - genai


def default_h100e_at_reference(found: dict[str, Figure] = FIGURES) -> float:
    """Busy H100-equivalents of the default workload at `REFERENCE_DATE`: Meta's
    non-generative accelerators x the busy share (600,000 - 149,152 = 450,848; x 0.65)."""
    return meta_non_generative_h100e(found) * found["busy_share"].value


def default_growth_per_year(found: dict[str, Figure] = FIGURES) -> float:
    """Growth of the default workload, x per year: Meta's fleet over 2025 (1.3M GPUs at the
    end of 2025 over 600K H100-equivalents at the end of 2024), its split assumed to hold."""
    return found["meta_gpus_end_2025"].value / found["meta_installed_h100e"].value


DEFAULT_H100E_AT_REFERENCE = default_h100e_at_reference()
DEFAULT_GROWTH_PER_YEAR = default_growth_per_year()


def h100e_hours(
    h100e_at_reference: float,
    growth_per_year: float,
    start_years: FloatArray,
    end_years: FloatArray,
) -> FloatArray:
    """H100-equivalent hours of each interval [start, end) (years from the reference date): the
    integral over it of the busy H100-equivalents, h100e_at_reference x growth_per_year^t."""
    span = end_years - start_years
    rate = math.log(growth_per_year)
    if rate == 0.0:
        hours: FloatArray = h100e_at_reference * HOURS_PER_YEAR * span
        return hours
    grown = h100e_at_reference * np.power(growth_per_year, start_years)
    integral: FloatArray = grown * HOURS_PER_YEAR * np.expm1(rate * span) / rate
    return integral
