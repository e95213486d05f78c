"""The `[economy]` section: token prices, demand's response to them, a serving-efficiency
shock, an investment loop that turns revenue into GPU deliveries, and the labs' compute budgets.

Without it nothing responds to price and every output is what it was; with it and every
elasticity 0 the demand tables are unchanged and the market is only recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, model_validator

from simdemand.physics import economics
from simdemand.scenario.base import Date, Days, Strict, about, as_tuple
from simdemand.scenario.base import Growth as GrowthFactor

# Elasticities up to 5: the published estimates are ~0.3-1.8 (see Demand); 5 is far outside.
Elasticity = Annotated[float, Field(ge=0, le=5)]
# A price over cost from 0.1 (sold at a tenth of cost) to 100 (100x: no market prices so).
Markup = Annotated[float, Field(ge=0.1, le=100)]
# A token price from 1e-6 USD per million tokens to 1e4 (~100x GPT-4 32K's $120 at launch).
UsdPerMillion = Annotated[float, Field(ge=1e-6, le=1e4)]

# Calibration of the default elasticities (docs/economics.md). Published: -1.11 within model
# across providers on OpenRouter (NBER working paper, "The Emerging Market for Intelligence",
# Dec 2025; a substitution elasticity, so an upper bound on the market's); 1.06-1.69 as the arc
# elasticity of Google's tokens (x49.5, May 2024 -> May 2025) over price falls of 10-40x a year
# at fixed capability (Epoch AI, Mar 2025; a16z, Nov 2024), an upper bound as adoption and
# capability are confounded. Tokens respond with volume + length = 1.5, inside that range; with
# it (and scenarios/economy.toml's capability elasticity) the market's tokens grow ~8x from
# January to October 2025, against Google's ~10x (9.7T tokens/month May 2024 -> 480T May 2025 ->
# 1.3 quadrillion Oct 2025) while it gained share. The split between volume and length is a
# stylised guess: OpenRouter's prompts grew ~4x in a year (a16z, Dec 2025), queries faster.
VOLUME_ELASTICITY = 1.0
LENGTH_ELASTICITY = 0.5
SOURCE_ELASTICITY = (
    "volume + length = 1.5: inside 1.06-1.69 (Google's tokens vs fixed-capability price falls, "
    "2024-25) and near 1.11 (OpenRouter, NBER Dec 2025); split stylised; see docs/economics.md"
)


class Shock(Strict):
    """A one-off serving-efficiency shock: every cohort's serving software gets `speedup`
    times faster from `date` on (a "DeepSeek moment")."""

    date: Annotated[Date, about("Day the shock takes effect.", "date", "scenario choice")]
    # 1/100 (a setback) to 1,000x.
    speedup: Annotated[
        float,
        Field(ge=0.01, le=1000),
        about(
            "Tokens per GPU-second after the shock over before.",
            "x",
            "scenario choice; the Jevons experiment uses 10x",
        ),
    ] = 10.0


class PricePoint(Strict):
    """A tier's token prices from a date on (until the tier's next point), given instead of
    serving cost x markup."""

    date: Annotated[Date, about("Day the prices take effect.", "date", "scenario choice")]
    tier: Annotated[
        Literal["frontier", "efficient"],
        about(
            "The serving tier they apply to; `frontier` also prices a cohort's single tier.",
            "1",
            "scenario choice",
        ),
    ]
    usd_per_million_input_tokens: Annotated[
        UsdPerMillion,
        about("Price of input tokens.", "USD per 1e6 tokens", "scenario choice"),
    ]
    usd_per_million_output_tokens: Annotated[
        UsdPerMillion,
        about("Price of output tokens.", "USD per 1e6 tokens", "scenario choice"),
    ]


class Investment(Strict):
    """The investment loop: each quarter, revenue and outside investment fund GPU orders,
    spent as far as utilization and unmet demand call for them, delivered after a lead time,
    within production and power limits. Needs a `[fleet]`."""

    revenue_share: Annotated[
        float,
        Field(ge=0, le=1),
        about(
            "Share of the last quarter's token revenue reinvested in GPUs.",
            "fraction",
            "stylised: hyperscaler capex was ~4x depreciation and far above AI revenue in "
            "2024-25 (filings), so all of it is taken as reinvested",
        ),
    ] = 1.0
    outside_usd_per_year: Annotated[
        float,
        Field(ge=0, le=1e13),
        about(
            "Investment from outside the simulated market (hyperscalers' other cash flows, "
            "equity) at the start of the run.",
            "USD per year",
            "stylised: a share of the four hyperscalers' ~$410B 2025 capex (filings, Feb 2026); "
            "0 leaves revenue alone to fund GPUs",
        ),
    ] = 0.0
    outside_growth_per_year: Annotated[
        GrowthFactor,
        about(
            "Growth of the outside investment.",
            "x per year",
            "hyperscaler capex ~$230B (2024) -> ~$410B (2025): 1.8x (filings)",
        ),
    ] = 1.8
    target_utilization: Annotated[
        float,
        Field(gt=0, le=1),
        about(
            "Utilization (plus unmet share) at which the whole budget is spent; below it, "
            "that fraction of it.",
            "fraction",
            "stylised",
        ),
    ] = 0.8
    lead_time_days: Annotated[
        Days,
        about(
            "From order to service: chip production and data-centre build.",
            "days",
            "Blackwell booked out 12 months (Morgan Stanley, Oct 2024); GW campuses 1-3.6 yr "
            "(Epoch AI, Nov 2025)",
        ),
    ] = economics.LEAD_TIME_DAYS
    capex_usd_per_gw: Annotated[
        float,
        Field(gt=0, le=1e12),
        about(
            "Capex per GW of facility power (chips and buildings); a GPU costs its TDP x PUE "
            "at this rate.",
            "USD per GW",
            "Epoch AI, Frontier Data Centers Hub (Nov 2025): ~$29B per GW",
        ),
    ] = economics.CAPEX_USD_PER_GW
    gpus_per_quarter: Annotated[
        float,
        Field(gt=0, le=1e9),
        about(
            "Production limit on deliveries at the start of the run.",
            "GPUs per quarter",
            "NVIDIA ~6M Blackwell dies (~3M packages) in 4 quarters to Oct 2025 plus TPUs "
            "(Huang, GTC Oct 2025; JPMorgan)",
        ),
    ] = economics.GPUS_PER_QUARTER
    production_growth_per_year: Annotated[
        GrowthFactor,
        about(
            "Growth of the production limit.",
            "x per year",
            "TSMC CoWoS ~35K -> 65-80K wafers/month, 2024 -> 2025 (TrendForce, JPMorgan)",
        ),
    ] = economics.PRODUCTION_GROWTH_PER_YEAR
    gw_per_year: Annotated[
        float,
        Field(gt=0, le=1000),
        about(
            "Power limit: facility GW of GPUs delivered in a calendar year.",
            "GW per year",
            "US AI capacity ~5 GW (2025) -> >50 GW (2030), EPRI and Epoch AI (Aug 2025)",
        ),
    ] = economics.GW_PER_YEAR


class LabBudget(Strict):
    """The labs' compute budget: a share of the trailing year's token revenue plus outside
    investment. Whenever the labs' trends would spend more in a year, each run they plan (with
    its experiments and post-training) and their research shrink by budget / trend spend."""

    revenue_share: Annotated[
        float,
        Field(ge=0, le=5),
        about(
            "Share of the trailing year's token revenue (annualized while the run is younger) "
            "that the labs spend on training compute.",
            "fraction",
            "OpenAI: R&D compute ~$9B 2025 (Epoch AI) / revenue ~$13.1B 2025 (The Information)",
        ),
    ] = economics.LAB_REVENUE_SHARE
    outside_usd_per_year: Annotated[
        float,
        Field(ge=0, le=1e14),
        about(
            "Outside investment in the labs' compute at `reference_date`.",
            "USD per year",
            "calibrated: funds the baseline's 2025 trend; OpenAI, Anthropic and xAI raised ~$67B "
            "in 2025 (announcements); OpenAI compute ~$7B 2024 (Epoch AI) -> ~$50B 2026 "
            "projected (Brockman, May 2026)",
        ),
    ] = economics.LAB_OUTSIDE_USD_PER_YEAR
    outside_growth_per_year: Annotated[
        GrowthFactor,
        about(
            "Growth of the outside investment.",
            "x per year",
            "hyperscaler capex ~$230B (2024) -> ~$410B (2025): 1.8x (filings)",
        ),
    ] = economics.LAB_OUTSIDE_GROWTH_PER_YEAR
    reference_date: Annotated[
        Date,
        about("Date of `outside_usd_per_year`.", "date", "the baseline's start"),
    ] = dt.date(2025, 1, 1)


class Economy(Strict):
    """Prices (serving cost x markup by tier), demand's response to price and capability, an
    optional serving-efficiency shock and an optional investment loop."""

    volume_elasticity: Annotated[
        Elasticity,
        about(
            "Queries per user respond to the last step's price per token of their class: "
            "q ~ (p / p0)^-e, p0 the price in the run's first step.",
            "1",
            SOURCE_ELASTICITY,
        ),
    ] = VOLUME_ELASTICITY
    length_elasticity: Annotated[
        Elasticity,
        about(
            "Tokens per query respond likewise: length ~ (p / p0)^-e.",
            "1",
            SOURCE_ELASTICITY,
        ),
    ] = LENGTH_ELASTICITY
    capability_elasticity: Annotated[
        Elasticity,
        about(
            "Queries per user grow exp(e x (L0 - L)) with the served model's predicted loss L "
            "(nats/token) below that of the first step, L0.",
            "per nat",
            "stylised (no published estimate); users favour capability over price (a16z and "
            "OpenRouter, Dec 2025)",
        ),
    ] = 0.0
    markup_frontier: Annotated[
        Markup,
        about(
            "Price over serving cost (at the catalog's rental price) of the frontier tier "
            "(and of a cohort's single tier).",
            "x",
            "OpenAI ~40% gross margin 2024, Anthropic ~40% 2025 (The Information): 1/(1-0.4)",
        ),
    ] = economics.MARKUP_FRONTIER
    markup_efficient: Annotated[
        Markup,
        about(
            "Price over serving cost of the efficient tier.",
            "x",
            "DeepSeek: list prices ~6.5x its serving cost at $2/GPU-hour (Mar 2025)",
        ),
    ] = economics.MARKUP_EFFICIENT
    prices: Annotated[
        tuple[PricePoint, ...],
        BeforeValidator(as_tuple),
        about(
            "A price path: each tier's prices from each point's date on, instead of serving "
            "cost x markup (which prices a tier before its first point).",
            "1",
            "scenario choice; e.g. list prices (GPT-4o mini $0.15/$0.60 per 1e6, Jul 2024)",
        ),
    ] = ()
    shock: Annotated[
        Shock | None,
        about("A one-off serving-efficiency shock; none by default.", "1", "scenario choice"),
    ] = None
    investment: Annotated[
        Investment | None,
        about(
            "The investment loop (needs a `[fleet]`); without it deliveries follow the fleet's "
            "own law only.",
            "1",
            "scenario choice",
        ),
    ] = None

    labs: Annotated[
        LabBudget | None,
        about(
            "The labs' compute budgets from revenue and outside investment; without it the "
            "labs follow their compute trends.",
            "1",
            "scenario choice",
        ),
    ] = None

    @model_validator(mode="after")
    def _one_point_per_day(self) -> Self:
        """Reject two price points of one tier on the same day."""
        seen = [(p.tier, p.date) for p in self.prices]
        if len(set(seen)) != len(seen):
            raise ValueError("prices: two points of one tier on the same date")
        return self

    def markup(self, tier: str) -> float:
        """Price over serving cost of a serving tier."""
        return self.markup_efficient if tier == "efficient" else self.markup_frontier
