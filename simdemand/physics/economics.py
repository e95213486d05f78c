"""The economics of serving and building compute: prices from serving cost, constant-elasticity
demand, what a GPU costs to install and how it depreciates, and the labs' compute budgets.

Every formula of the market and the investment loop is here, with its units; the defaults carry
their sources. "Stylised" marks a value that no publication pins.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from simdemand.units import HOURS_PER_YEAR, SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]

TOKENS_PER_MILLION = 1e6
W_PER_GW = 1e9

# Price over serving cost (revenue per token / GPU cost per token at the catalog's rental price).
# Frontier tier: OpenAI's gross margin ~40% in 2024 (The Information, via press, Jan 2026) and
# Anthropic's ~40% in 2025 (The Information, 21 Jan 2026): price = cost / (1 - 0.4) = 1.67.
MARKUP_FRONTIER = 1.67
# Efficient tier: DeepSeek's list prices are ~6.5x its own serving cost at $2 per H800-hour
# (DeepSeek, "Day 6: inference system overview", Mar 2025: 545% cost-profit ratio at R1 prices).
MARKUP_EFFICIENT = 6.5

# Capex per GW of facility power of frontier AI data centres, chips and buildings together:
# ~$29B (Epoch AI, Frontier Data Centers Hub, Nov 2025; low-medium confidence).
CAPEX_USD_PER_GW = 29e9
# Order to service: chips booked out ~12 months (Morgan Stanley on Blackwell, Oct 2024, via
# DataCenterDynamics); gigawatt campuses take 1-3.6 years from construction start (Epoch AI,
# "Build times for gigawatt-scale data centers can be 2 years or less", Nov 2025).
LEAD_TIME_DAYS = 365.0
# Production: NVIDIA shipped ~6M Blackwell dies (~3M packages) in the four quarters to Oct 2025
# (Huang, GTC Washington, 28 Oct 2025), plus ~2M TPUs and other accelerators: ~1.2M GPUs a
# quarter in 2025; TSMC CoWoS capacity ~35K wafers/month (2024) -> 65-80K (end 2025): ~2x a year
# (TrendForce, JPMorgan estimates).
GPUS_PER_QUARTER = 1.2e6
PRODUCTION_GROWTH_PER_YEAR = 2.0
# Power: US AI data-centre capacity ~5 GW (2025) -> >50 GW (2030) (EPRI and Epoch AI, Aug 2025),
# ~9 GW of additions a year; global construction 31.7 GW under way in 2025 (DCD report).
GW_PER_YEAR = 10.0

# Labs' compute budgets. Share of token revenue spent on training compute (final runs,
# experiments, research, post-training): OpenAI's R&D compute ~$9B in 2025 (Epoch AI, GPT-5
# article, projected) over its 2025 revenue ~$13.1B (The Information, via Reuters, Feb 2026):
# 0.69. (In 2024 it spent ~$5B of R&D compute on ~$3.7-4B of revenue: more than all of it.)
LAB_REVENUE_SHARE = 0.69
# Outside investment in the labs' compute at 2025-01-01, USD per year: calibrated so that the
# baseline's 2025 trend (whose research share is OpenAI's 2024 split) is funded through 2025;
# against it, OpenAI ($40B, Mar 2025), Anthropic ($3.5B Mar + $13B Sep 2025) and xAI (~$10B,
# Jul 2025) raised ~$67B in 2025 (company announcements), and OpenAI's compute spend went from
# ~$7B (2024, Epoch AI) to a projected ~$50B (2026, Brockman, 6 May 2026). Calibrated, not
# published as such.
LAB_OUTSIDE_USD_PER_YEAR = 40e9
# Its growth: the four hyperscalers' capex ~$230B (2024) -> ~$410B (2025) (filings), 1.8x; their
# 2026 guidance ~$630-725B is 1.5-1.8x more. OpenAI's own compute (x2.7/yr 2024 -> 2026) grows
# faster, but its ~$600B of compute through 2030 (Reuters, Feb 2026) does not keep that pace.
LAB_OUTSIDE_GROWTH_PER_YEAR = 1.8


def token_price_usd(
    gpu_seconds_per_token: float | FloatArray, usd_per_gpu_hour: float, markup: float
) -> float | FloatArray:
    """Price of a token in USD: GPU-seconds per token x USD per GPU-hour / 3600 x markup."""
    price: float | FloatArray = (
        np.multiply(gpu_seconds_per_token, usd_per_gpu_hour / SECONDS_PER_HOUR) * markup
    )
    return price


def price_response(price: FloatArray, reference: FloatArray, elasticity: float) -> FloatArray:
    """Constant-elasticity demand: (p / p0)^-elasticity, 1 where a price is not known (0, NaN)
    and exactly 1 at elasticity 0."""
    known = (price > 0) & (reference > 0)
    ratio = np.divide(price, reference, out=np.ones_like(price), where=known)
    response: FloatArray = np.power(ratio, -elasticity)
    return response


def capability_response(
    loss_nats: FloatArray, reference_nats: FloatArray, elasticity: float
) -> FloatArray:
    """Demand for capability: exp(elasticity x (L0 - L)), with L the served model's predicted
    loss in nats/token; 1 where a loss is unknown (NaN) and exactly 1 at elasticity 0."""
    gain = np.nan_to_num(reference_nats - loss_nats, nan=0.0)
    response: FloatArray = np.exp(elasticity * gain)
    return response


def capex_per_gpu_usd(tdp_w: float, pue: float, usd_per_gw: float) -> float:
    """Capex of one installed GPU: its facility power (TDP x PUE) at the capex per GW."""
    return tdp_w * pue / W_PER_GW * usd_per_gw


def facility_gw(gpus: float, tdp_w: float, pue: float) -> float:
    """Facility power of `gpus` GPUs at full load, in GW."""
    return gpus * tdp_w * pue / W_PER_GW


def depreciation_usd(capex_usd: float, life_years: float, years: float) -> float:
    """Straight-line depreciation of `capex_usd` over `life_years` within `years` of service."""
    return capex_usd * min(max(years, 0.0), life_years) / life_years


def growth(per_year: float, years: float) -> float:
    """A factor per year compounded over `years`."""
    return math.pow(per_year, years)


def annualized_usd(usd: float, hours: float) -> float:
    """A sum of USD over `hours` as USD per year (0 over no time)."""
    return usd * HOURS_PER_YEAR / hours if hours > 0 else 0.0


def lab_budget_usd_per_year(
    revenue_usd_per_year: float, revenue_share: float, outside_usd_per_year: float
) -> float:
    """The labs' compute budget in USD per year: share x trailing token revenue + outside
    investment."""
    return revenue_share * revenue_usd_per_year + outside_usd_per_year


def mean_over_median(sigma: float) -> float:
    """Mean over median of a log-normal with log-sd `sigma`: exp(sigma^2 / 2)."""
    return math.exp(0.5 * sigma * sigma)


def trend_spend_usd_per_year(
    runs_per_year: float,
    usd_per_gpu_hour: float,
    run_gpu_hours: float,
    work_per_run: float,
    research_gpu_hours: float,
    research_multiple: float,
) -> float:
    """What a lab's trend spends in USD per year: runs per year x USD per GPU-hour x (the mean
    run's GPU-hours x its work per final-run GPU-hour (1 + experiments + post-training) + the
    median run's GPU-hours x the research multiple)."""
    per_run = run_gpu_hours * work_per_run + research_gpu_hours * research_multiple
    return runs_per_year * usd_per_gpu_hour * per_run


def budget_multiplier(budget_usd: float, trend_usd: float) -> float:
    """The factor on the trend's run sizes that the budget allows: min(1, budget / trend spend);
    1 when the trend spends nothing."""
    return min(1.0, budget_usd / trend_usd) if trend_usd > 0 else 1.0
