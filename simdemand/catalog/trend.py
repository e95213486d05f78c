"""The hardware trend law: yearly generations past the last announced part of the catalog.

Each generation is the previous one grown by the published rates below, a year later, so a
horizon past the roadmap (2028 on) still gets new hardware. Rates are per year, from Epoch AI,
"Trends in Machine Learning Hardware" (Hobbhahn, Heim, Aydos, 2023) and its "Machine Learning
Hardware" data hub (2024-25), and from log-linear fits on Epoch AI's chips.csv (NVIDIA flagship
lineage V100 -> GB300 by availability, dense per package).
"""

from __future__ import annotations

import datetime as dt

from simdemand.catalog import Catalog, Hardware

# Dense FLOP/s per package, every precision: NVIDIA flagship BF16 fit 1.47x/yr (95% CI
# 1.37-1.58); Epoch AI, per-chip performance in leading clusters 1.6x/yr ("Trends in AI
# Supercomputers", 2025); 1.5 between them (FP8 -> FP4 jumps cannot repeat below 4 bits).
FLOP_PER_S_GROWTH = 1.5
# FLOP/s per watt: flagship BF16 fit 1.22x/yr (1.17-1.27); Epoch AI 2x per ~3 years (1.26x/yr).
FLOP_PER_WATT_GROWTH = 1.25
# HBM capacity: flagship fit 1.27x/yr (1.20-1.35), 1.30 with the flagship training parts.
HBM_BYTES_GROWTH = 1.3
# HBM bandwidth: flagship fit 1.33x/yr (1.28-1.38).
HBM_BYTES_PER_S_GROWTH = 1.33
# FLOP/s per dollar: Epoch AI hub, fixed performance ~30% cheaper each year (1.3x/yr).
FLOP_PER_USD_GROWTH = 1.3
# NVIDIA's yearly cadence (Blackwell 2025, Blackwell Ultra 2025, Rubin 2026, Rubin Ultra 2027,
# Feynman 2028: GTC 2025 roadmap): one generation a year.
YEARS_PER_GENERATION = 1
# Generations are made up to this year: a 2035 horizon with a 1.5-year lag still has choices.
LAST_TREND_YEAR = 2040
PREFIX = "Trend-"


def next_generation(previous: Hardware, years: int = YEARS_PER_GENERATION) -> Hardware:
    """`previous` grown by the trend rates over `years` and available `years` later."""
    flop = FLOP_PER_S_GROWTH**years
    available = previous.available.replace(year=previous.available.year + years)
    fields = previous.model_dump()
    for precision in ("bf16", "fp8", "fp4"):
        peak = fields[f"{precision}_flop_per_s"]
        fields[f"{precision}_flop_per_s"] = None if peak is None else peak * flop
    fields.update(
        name=f"{PREFIX}{available.year}",
        aliases=(),
        hbm_bytes=previous.hbm_bytes * HBM_BYTES_GROWTH**years,
        hbm_bytes_per_s=previous.hbm_bytes_per_s * HBM_BYTES_PER_S_GROWTH**years,
        tdp_w=previous.tdp_w * (flop / FLOP_PER_WATT_GROWTH**years),
        usd_per_gpu_hour=previous.usd_per_gpu_hour * (flop / FLOP_PER_USD_GROWTH**years),
        available=available,
        default_choice=True,
        source=(
            f"Trend law (simdemand.catalog.trend) from {previous.name}, {years} year(s) on: "
            f"FLOP/s x{FLOP_PER_S_GROWTH}/yr, FLOP/s per W x{FLOP_PER_WATT_GROWTH}/yr, HBM "
            f"x{HBM_BYTES_GROWTH}/yr, bandwidth x{HBM_BYTES_PER_S_GROWTH}/yr, FLOP/s per $ "
            f"x{FLOP_PER_USD_GROWTH}/yr (Epoch AI hardware trends; fits on Epoch AI chips.csv)."
        ),
    )
    return Hardware.model_validate(fields)


def trend_generations(last: Hardware, until_year: int = LAST_TREND_YEAR) -> list[Hardware]:
    """Yearly generations after `last`, each grown from the one before, through `until_year`."""
    out: list[Hardware] = []
    previous = last
    while previous.available.year + YEARS_PER_GENERATION <= until_year:
        previous = next_generation(previous)
        out.append(previous)
    return out


def last_announced(catalog: Catalog) -> Hardware:
    """The latest-available default choice of the catalog: the trend law's starting point."""
    return catalog.newest_available(dt.date(9999, 12, 31))


def with_trend_generations(catalog: Catalog, until_year: int = LAST_TREND_YEAR) -> Catalog:
    """`catalog` plus the trend law's generations after its last announced part."""
    extra = trend_generations(last_announced(catalog), until_year)
    return Catalog([*(catalog[name] for name in catalog.names), *extra])


__all__ = ["next_generation", "trend_generations", "with_trend_generations"]
