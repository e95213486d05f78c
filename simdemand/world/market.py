"""The market for tokens: each served tier's price (serving cost x markup), what cohorts buy at
it, and how their demand responds to the last step's price and the served model's capability.

Cohorts report each step's tokens and GPU time by class and tier (`record`); the market turns
them into cost, price and revenue, keeps them as intervals for the market table, and gives the
cohort its volume and length multipliers for the next step (`response`). Prices are lagged one
step, so no fixed point is solved within a step.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simdemand.catalog import Catalog
from simdemand.physics import economics
from simdemand.scenario.economy import Economy, PricePoint
from simdemand.world.registry import Registry

FloatArray = npt.NDArray[np.float64]

# Columns of a market interval after its labels: queries, input tokens, output tokens, cost and
# revenue (USD) of the input and of the output tokens.
AMOUNTS = (
    "queries",
    "input_tokens",
    "output_tokens",
    "input_cost_usd",
    "output_cost_usd",
    "input_revenue_usd",
    "output_revenue_usd",
)


@dataclass(frozen=True)
class Sale:
    """What one cohort's class bought from one tier over [start_h, start_h + width x rows):
    one row per `width` hours."""

    cohort: str
    cls: str
    tier: str
    start_h: float
    width: int
    amounts: tuple[FloatArray, ...]


@dataclass
class Demand:
    """One cohort's state: each class's price per token and loss of the last step and of the
    first, and what the current step has bought so far."""

    classes: int
    reference_price: FloatArray = field(init=False)
    last_price: FloatArray = field(init=False)
    reference_loss: FloatArray = field(init=False)
    last_loss: FloatArray = field(init=False)
    revenue: FloatArray = field(init=False)
    tokens: FloatArray = field(init=False)
    requests: FloatArray = field(init=False)
    loss_tokens: FloatArray = field(init=False)
    known_tokens: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        nan = np.full(self.classes, np.nan)
        self.reference_price, self.last_price = nan.copy(), nan.copy()
        self.reference_loss, self.last_loss = nan.copy(), nan.copy()
        self.open_step()

    def open_step(self) -> None:
        """Start a step's sums afresh."""
        self.revenue, self.tokens = np.zeros(self.classes), np.zeros(self.classes)
        self.requests = np.zeros(self.classes)
        self.loss_tokens, self.known_tokens = np.zeros(self.classes), np.zeros(self.classes)

    def close_step(self) -> None:
        """Make the finished step's mean price and loss the last ones (the first ones too, the
        first time). A token class's price is per token, an image or video class's per
        request."""
        if not (self.tokens.any() or self.requests.any()):
            return
        sold = np.where(self.tokens > 0, self.tokens, self.requests)
        price = np.divide(self.revenue, sold, out=np.full(self.classes, np.nan), where=sold > 0)
        known = self.known_tokens > 0
        loss = np.divide(
            self.loss_tokens, self.known_tokens, out=np.full(self.classes, np.nan), where=known
        )
        self.last_price = np.where(np.isnan(price), self.last_price, price)
        self.last_loss = np.where(np.isnan(loss), self.last_loss, loss)
        self.reference_price = np.where(
            np.isnan(self.reference_price), self.last_price, self.reference_price
        )
        self.reference_loss = np.where(
            np.isnan(self.reference_loss), self.last_loss, self.reference_loss
        )
        self.open_step()


class Market:
    """Prices, sales and demand response of every cohort."""

    def __init__(
        self,
        spec: Economy,
        catalog: Catalog,
        registry: Registry,
        start: dt.datetime,
        horizon_h: float,
    ) -> None:
        self.spec = spec
        self.catalog = catalog
        self.registry = registry
        self.start = start
        self.demand: dict[str, Demand] = {}
        self.sales: list[Sale] = []
        self.losses: dict[str, float] = {}
        self.seen = 0
        self.revenue_hourly = np.zeros(math.ceil(horizon_h))
        self.shock_h = math.inf
        if spec.shock is not None:
            shock_day = dt.datetime.combine(spec.shock.date, dt.time(), tzinfo=dt.UTC)
            self.shock_h = (shock_day - start).total_seconds() / 3600.0

    def shock(self, at_h: float) -> float:
        """Serving speedup of the shock at `at_h` (1 before it, or without one)."""
        if self.spec.shock is None or at_h < self.shock_h:
            return 1.0
        return self.spec.shock.speedup

    def response(self, cohort: str, classes: int) -> tuple[FloatArray, FloatArray]:
        """Each class's (volume, length) multiplier for the step that starts now, from the
        last step's price and served model against the first step's."""
        state = self.demand.setdefault(cohort, Demand(classes))
        state.close_step()
        spec = self.spec
        volume = economics.price_response(
            state.last_price, state.reference_price, spec.volume_elasticity
        ) * economics.capability_response(
            state.last_loss, state.reference_loss, spec.capability_elasticity
        )
        length = economics.price_response(
            state.last_price, state.reference_price, spec.length_elasticity
        )
        return volume, length

    def record(
        self,
        cohort: str,
        classes: list[str],
        tier: str,
        labels: tuple[str, str],
        start_h: float,
        width: int,
        hourly: tuple[FloatArray, ...],
    ) -> None:
        """Record a tier's sales of a step: `hourly` holds (queries, input tokens, output tokens,
        GPU-hours of the input, GPU-hours of the output), classes x hours; `labels` are the
        served (model_id, hardware). An image or video request sells no token: its GPU-hours
        are the output's."""
        model_id, hardware = labels
        usd_per_gpu_hour = self.catalog[hardware].usd_per_gpu_hour
        queries, inputs, outputs, in_hours, out_hours = hourly
        in_cost, out_cost = in_hours * usd_per_gpu_hour, out_hours * usd_per_gpu_hour
        in_revenue, out_revenue = self.revenue(tier, start_h, (inputs, outputs, in_cost, out_cost))
        columns = (queries, inputs, outputs, in_cost, out_cost, in_revenue, out_revenue)
        state = self.demand[cohort]
        tokens = (inputs + outputs).sum(axis=1)
        state.revenue += (in_revenue + out_revenue).sum(axis=1)
        state.tokens += tokens
        state.requests += np.where(tokens > 0, 0.0, queries.sum(axis=1))
        loss = self.loss(model_id)
        if not math.isnan(loss):
            state.loss_tokens += loss * tokens
            state.known_tokens += tokens
        first = math.floor(start_h)
        hours = self.revenue_hourly[first : first + queries.shape[1]]
        hours += (in_revenue + out_revenue).sum(axis=0)[: len(hours)]
        stacked = np.stack(columns)
        summed = stacked.reshape(len(columns), len(classes), -1, width).sum(axis=3)
        for i in np.flatnonzero(queries.any(axis=1)):
            self.sales.append(Sale(cohort, classes[i], tier, start_h, width, tuple(summed[:, i])))

    def revenue(
        self, tier: str, start_h: float, sold: tuple[FloatArray, ...]
    ) -> tuple[FloatArray, FloatArray]:
        """Revenue (USD) of input and output tokens: at the tier's price path where it has a
        point at or before `start_h`, else serving cost x the tier's markup (image and video
        requests, which a path does not price, always at cost x markup)."""
        inputs, outputs, in_cost, out_cost = sold
        point = self.price_point(tier or "frontier", start_h)
        markup = self.spec.markup(tier)
        if point is None:
            return in_cost * markup, out_cost * markup
        requests = (inputs + outputs) == 0
        return (
            inputs * (point.usd_per_million_input_tokens / economics.TOKENS_PER_MILLION),
            np.where(
                requests,
                out_cost * markup,
                outputs * (point.usd_per_million_output_tokens / economics.TOKENS_PER_MILLION),
            ),
        )

    def price_point(self, tier: str, at_h: float) -> PricePoint | None:
        """The tier's latest price point at or before `at_h`, if any."""
        at = (self.start + dt.timedelta(hours=at_h)).date()
        points = [p for p in self.spec.prices if p.tier == tier and p.date <= at]
        return max(points, key=lambda p: p.date) if points else None

    def loss(self, model_id: str) -> float:
        """Predicted loss (nats/token) of a registered model; NaN for one outside the registry."""
        models = self.registry.models
        for model in models[self.seen :]:
            self.losses[model.model_id] = model.predicted_loss
        self.seen = len(models)
        return self.losses.get(model_id, math.nan)

    def revenue_between(self, lo_h: float, hi_h: float) -> float:
        """Revenue (USD) of the whole hours in [lo_h, hi_h) charged so far."""
        lo, hi = max(math.floor(lo_h), 0), max(math.floor(hi_h), 0)
        return float(self.revenue_hourly[lo:hi].sum())
