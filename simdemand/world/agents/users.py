"""User cohorts: the agents of test-time scaling; they issue queries and charge serving time.

A cohort never makes one event per query. It wakes once per step (`step_days`), draws the
step's hourly query counts per class (Poisson around the adoption x usage x daily/weekly
profile x class-mix rate) and their token totals (gamma aggregates with the mean and variance
of sums of lognormal lengths) with numpy, prices them with the prefill/decode roofline of
:mod:`simdemand.physics.serving` on the serving model and hardware of the step, and charges the
ledger one interval per hour and class (per day and class when the output grid is a day or
coarser: the binned series are the same, the jobs table 24x smaller).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import simpy

from simdemand.catalog import Hardware, Precision
from simdemand.physics import generation, serving
from simdemand.scenario.queries import QueryClass
from simdemand.scenario.users import CohortSpec
from simdemand.units import (
    DAYS_PER_YEAR,
    HOURS_PER_DAY,
    HOURS_PER_WEEK,
    SECONDS_PER_HOUR,
    TEST_TIME,
)
from simdemand.world.agents.usage import (
    adoption_users,
    context_bucket,
    context_tokens,
    generation_model_id,
    lognormal_sums,
    mean_tokens,
    request_flop,
    utc_week_profile,
    work_coefficients,
)
from simdemand.world.registry import ModelRecord
from simdemand.world.world import World

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Served:
    """The model serving a cohort: its id and size."""

    model_id: str
    params: float
    active_params: float


@dataclass(frozen=True)
class Prices:
    """Cost of one class's tokens on a serving point, from the serving roofline."""

    gpu_s_per_input_token: float
    gpu_s_per_output_token: float
    flop_per_computed_token: float


class Bar:
    """One tier's base models past the migration lag, kept for its capability need.

    The need is the lowest loss of the bases released by a cutoff that only moves forward, so
    it only falls: a base once above it never meets it again and is let go (each call costs
    the bases that arrived since, not all of them).
    """

    def __init__(self) -> None:
        self.lowest = math.inf  # the lowest loss of the bases released by the last cutoff
        self.later: list[ModelRecord] = []  # bases released after the last cutoff
        self.meets: list[ModelRecord] = []  # eligible bases not above the last need, in order

    def admit(self, model: ModelRecord, eligible: bool) -> None:
        """Take a base model past the migration lag (a candidate if the tier allows it)."""
        self.later.append(model)
        if eligible:
            self.meets.append(model)

    def need(self, cutoff_h: float) -> float:
        """The lowest loss of the bases released by `cutoff_h`; if none was, of those released
        by the run's start (hour 0), or else of the first release (inf before any base);
        cutoffs must not go back in time."""
        if self.lowest == math.inf and self.later:
            # The run holds no release that old: the frontier it starts from stands for the
            # older ones (the frontier of a year before was no cheaper to meet).
            first = min(m.released_h for m in self.later)
            if first > cutoff_h:
                cutoff_h = max(first, 0.0)
        later = []
        for model in self.later:
            if model.released_h <= cutoff_h:
                self.lowest = min(self.lowest, model.predicted_loss)
            else:
                later.append(model)
        self.later = later
        return self.lowest

    def meeting(self, need: float) -> list[ModelRecord]:
        """The eligible bases whose loss meets `need` (not above it), in order of arrival."""
        self.meets = [m for m in self.meets if m.predicted_loss <= need]
        return self.meets


class Cohort:
    """A population of users issuing queries of several classes to a served model."""

    def __init__(self, world: World, name: str, spec: CohortSpec) -> None:
        self.world = world
        self.name = name
        self.spec = spec
        self.rng = world.rng(f"cohort:{name}")
        self.class_names = list(spec.classes)
        self.classes = [spec.classes[n] for n in self.class_names]
        self.week = utc_week_profile(spec.daily_profile, spec.weekly_profile, spec.timezones)
        self.first_weekday = world.start.weekday()
        hourly = world.scenario.run.resolution == "hour"
        self.charge_hours = 1 if hourly else int(HOURS_PER_DAY)
        initial = spec.serving.initial_model
        self.initial = Served(initial.model_id, initial.params, initial.active_params)
        self.tiers = tier_caps(spec)
        self.best: dict[str, ModelRecord | None] = dict.fromkeys(self.tiers)
        self.efficient_shares = np.array([c.efficient_share for c in self.classes])
        self.seen = 0
        self.pending: list[ModelRecord] = []  # base models not yet past the migration lag
        self.bars = {tier: Bar() for tier in self.tiers}
        self.mode_factor = serving.mode_factor(spec.serving.mode)
        self.coefficients = np.array([work_coefficients(c) for c in self.classes])
        self.request_flop = np.array([request_flop(c) for c in self.classes])
        self.text = self.request_flop == 0.0
        self.cached = np.array([c.cached_fraction for c in self.classes])
        self.sigmas = np.array(
            [c.input_sigma for c in self.classes] + [c.output_sigma for c in self.classes]
        )
        self.points: dict[tuple[str, str, str, float], serving.ServingPoint] = {}
        self.prices_cache: dict[tuple[str, str, float, float], Prices] = {}
        self.ranks: dict[tuple[str, str], float] = {}
        world.env.process(self.run())

    def run(self) -> Generator[simpy.Event, None, None]:
        """Wake once per step from hour 0 to the horizon and charge that step's queries."""
        step_h = self.spec.step_days * HOURS_PER_DAY
        horizon = self.world.horizon_h
        start_h = 0.0
        if self.world.now < 0:
            yield self.world.env.timeout(-self.world.now)
        while start_h < horizon:
            hours = int(min(step_h, horizon - start_h))
            self.step(start_h, hours)
            start_h += hours
            if start_h >= horizon:
                self.flush()
            yield self.world.env.timeout(max(0.0, start_h - self.world.now))

    def step(self, start_h: float, hours: int) -> None:
        """Draw and charge the queries of `hours` whole hours from `start_h`."""
        offset = self.world.years_since(start_h, self.spec.reference_date)
        years = offset + (np.arange(hours, dtype=np.float64) + 0.5) / (
            HOURS_PER_DAY * DAYS_PER_YEAR
        )
        rate = self.query_rate(start_h, years)
        shares, market = self.shares(years), self.world.market
        if market is not None:
            volume, length = market.response(self.name, len(self.classes))
            shares = shares * volume[:, None]
        counts = self.rng.poisson(rate[None, :] * shares).astype(np.float64)
        mid_years = float(years[hours // 2])
        inputs = np.array([mean_tokens(c, "input", mid_years) for c in self.classes])
        outputs = np.array([mean_tokens(c, "output", mid_years) for c in self.classes])
        if market is not None:
            inputs, outputs = inputs * length, outputs * length
        sums = lognormal_sums(
            self.rng,
            np.concatenate([counts, counts]),
            np.concatenate([inputs, outputs])[:, None],
            self.sigmas[:, None],
        )
        sum_in, sum_out = sums[: len(self.classes)], sums[len(self.classes) :]
        per_in, per_out, per_query, decoded = (self.coefficients[:, k, None] for k in range(4))
        prefill = per_in * sum_in + per_out * sum_out + per_query * counts
        decode = decoded * sum_out
        hardware = self.hardware(start_h)
        speedup = self.software_speedup(start_h + hours / 2.0) * self.mode_factor
        contexts = [context_tokens(c, inputs[i], outputs[i]) for i, c in enumerate(self.classes)]
        for tier, share in self.tier_shares():
            model = self.serving_model(start_h, tier, hardware)
            prices = [
                self.prices(model, hardware, cls, contexts[i]) for i, cls in enumerate(self.classes)
            ]
            seconds_in = np.array([p.gpu_s_per_input_token for p in prices])[:, None]
            seconds_out = np.array([p.gpu_s_per_output_token for p in prices])[:, None]
            flop_per_token = np.array([p.flop_per_computed_token for p in prices])[:, None]
            tier_prefill, tier_decode = prefill * share, decode * share
            seconds = tier_prefill * seconds_in + tier_decode * seconds_out
            gpu_hours = seconds / SECONDS_PER_HOUR / speedup
            flop = (tier_prefill * (1.0 - self.cached[:, None]) + tier_decode) * flop_per_token
            amounts = (gpu_hours, flop, counts * share, tier_prefill + tier_decode)
            served = np.flatnonzero(share[:, 0] * self.text)
            self.charge(start_h, (model.model_id, hardware.name), amounts, tier, served)
            if market is not None:
                hours_in = tier_prefill * seconds_in / SECONDS_PER_HOUR / speedup
                hours_out = tier_decode * seconds_out / SECONDS_PER_HOUR / speedup
                sold = tuple(  # token classes only: images and videos are not priced
                    a * self.text[:, None]
                    for a in (counts * share, tier_prefill, tier_decode, hours_in, hours_out)
                )
                labels = (model.model_id, hardware.name)
                market.record(
                    self.name, self.class_names, tier, labels, start_h, self.charge_hours, sold
                )
        self.charge_generation(start_h, counts, hardware, speedup)

    def charge_generation(
        self, start_h: float, counts: FloatArray, hardware: Hardware, speedup: float
    ) -> None:
        """Charge the step's image and video requests: GPU-hours and FLOP per request from
        the generation physics, 0 tokens, each class under its own model label."""
        generated = np.flatnonzero(~self.text)
        if not len(generated):
            return
        seconds = np.array([generation.request_gpu_seconds(f, hardware) for f in self.request_flop])
        gpu_hours = counts * seconds[:, None] / SECONDS_PER_HOUR / speedup
        amounts = (gpu_hours, counts * self.request_flop[:, None], counts, np.zeros_like(counts))
        market = self.world.market
        for i in generated:
            labels = (generation_model_id(self.classes[i]), hardware.name)
            self.charge(start_h, labels, amounts, "", np.array([i]))
            if market is not None:
                mine = np.zeros_like(counts)
                mine[i] = 1.0
                zero = np.zeros_like(counts)
                sold = (counts * mine, zero, zero, zero, gpu_hours * mine)
                market.record(
                    self.name, self.class_names, "", labels, start_h, self.charge_hours, sold
                )

    def tier_shares(self) -> list[tuple[str, FloatArray]]:
        """Each serving tier with a share of queries: (tier, share of each class, as a column).

        One unnamed tier taking everything when the cohort has no efficient tier."""
        if len(self.tiers) == 1:
            return [("", np.ones((len(self.classes), 1)))]
        efficient = self.efficient_shares[:, None]
        shares = [("frontier", 1.0 - efficient), ("efficient", efficient)]
        return [(tier, share) for tier, share in shares if share.any()]

    def software_speedup(self, at_h: float) -> float:
        """Serving software's gain in tokens per GPU-second at `at_h` over its reference date."""
        spec = self.spec.serving
        years = self.world.years_since(at_h, spec.software_reference_date)
        gain = serving.software_speedup(spec.software_gain_per_year, years)
        market = self.world.market
        return gain if market is None else gain * market.shock(at_h)

    def query_rate(self, start_h: float, years: FloatArray) -> FloatArray:
        """Expected queries in each hour of the step, all classes together."""
        spec = self.spec
        per_day = adoption_users(spec.adoption, years) * spec.queries_per_user_per_day
        per_day = per_day * np.power(spec.queries_growth_per_year, years)
        first = (self.first_weekday * int(HOURS_PER_DAY) + int(start_h)) % HOURS_PER_WEEK
        profile = self.week[(first + np.arange(len(years))) % HOURS_PER_WEEK]
        return per_day / HOURS_PER_DAY * profile * self.day_factors(len(years))

    def day_factors(self, hours: int) -> FloatArray:
        """Mean-one lognormal scatter of each day's volume (1 when day_sigma is 0)."""
        sigma = self.spec.day_sigma
        if sigma == 0:
            return np.ones(hours)
        days = math.ceil(hours / HOURS_PER_DAY)
        factors = np.exp(sigma * self.rng.standard_normal(days) - sigma * sigma / 2.0)
        return np.repeat(factors, int(HOURS_PER_DAY))[:hours]

    def shares(self, years: FloatArray) -> FloatArray:
        """Each class's share of queries at each hour: classes x hours."""
        spec = self.spec
        start = np.array([c.share for c in self.classes])
        if spec.mix_final_date is None:
            return np.repeat(start[:, None], len(years), axis=1)
        final = np.array(
            [c.share if c.share_final is None else c.share_final for c in self.classes]
        )
        span = (spec.mix_final_date - spec.reference_date).days / DAYS_PER_YEAR
        progress = np.clip(years / span, 0.0, 1.0)
        shares: FloatArray = start[:, None] + (final - start)[:, None] * progress[None, :]
        return shares

    def serving_model(
        self, at_h: float, tier: str = "", hardware: Hardware | None = None
    ) -> Served:
        """The policy's model of `tier` at `at_h` among releases at least the migration lag old
        (`cheapest` ranks them on `hardware`)."""
        serving = self.spec.serving
        if serving.policy == "fixed":
            return self.initial
        models = self.world.registry.models
        # Derivatives (models with a parent) are never eligible: only base models wait here.
        self.pending.extend(m for m in models[self.seen :] if m.parent_id is None)
        self.seen = len(models)
        lag_h = serving.migration_lag_days * HOURS_PER_DAY
        waiting: list[ModelRecord] = []
        for model in self.pending:
            if model.released_h + lag_h > at_h:
                waiting.append(model)
                continue
            for name, bar in self.bars.items():
                bar.admit(model, self.eligible(model, self.tiers[name]))
            for name, best in self.best.items():
                if self.eligible(model, self.tiers[name]) and (
                    best is None or model.predicted_loss < best.predicted_loss
                ):
                    self.best[name] = model
        self.pending = waiting
        best = self.best[tier or "frontier"]
        if serving.policy == "cheapest" and best is not None:
            best = self.cheapest(
                at_h, tier or "frontier", self.hardware(at_h) if hardware is None else hardware
            )
        if best is None:
            return self.initial
        return Served(best.model_id, best.params, best.active_params)

    def cheapest(self, at_h: float, tier: str, hardware: Hardware) -> ModelRecord | None:
        """The tier's eligible model with the fewest GPU-seconds per ranking query on `hardware`
        among those meeting its need (the tier's best eligible model if none does)."""
        good = self.bars[tier].meeting(self.need_loss(at_h, tier))
        if not good:
            return self.best[tier]
        return min(good, key=lambda m: (self.ranking_seconds(m, hardware), m.predicted_loss))

    def need_loss(self, at_h: float, tier: str) -> float:
        """The tier's capability need: the lowest predicted loss of a base model released at
        least its need lag (and the migration lag) before `at_h`, or of those released by the
        run's start when the run holds none that old (inf before any: any model will do)."""
        serving = self.spec.serving
        lag = serving.efficient_need_lag_days if tier == "efficient" else serving.need_lag_days
        cutoff_h = at_h - max(lag, serving.migration_lag_days) * HOURS_PER_DAY
        return self.bars[tier].need(cutoff_h)

    def ranking_seconds(self, model: ModelRecord, hardware: Hardware) -> float:
        """GPU-seconds of the ranking query on `model` served on `hardware` (cached)."""
        key = (model.model_id, hardware.name)
        if key not in self.ranks:
            served = Served(model.model_id, model.params, model.active_params)
            context = context_bucket(
                serving.RANKING_INPUT_TOKENS + serving.RANKING_OUTPUT_TOKENS / 2.0
            )
            point = self.point(served, hardware, context)
            self.ranks[key] = float(
                serving.query_gpu_seconds(
                    point, serving.RANKING_INPUT_TOKENS, serving.RANKING_OUTPUT_TOKENS
                )
            )
        return self.ranks[key]

    def eligible(self, model: ModelRecord, cap: float | None) -> bool:
        """A base model (no parent) the policy allows and within the active-parameter cap."""
        if model.parent_id is not None:
            return False
        if self.spec.serving.policy == "open" and not model.open_weights:
            return False
        return cap is None or model.active_params <= cap

    def hardware(self, at_h: float) -> Hardware:
        """The newest generation available (after the lag) at `at_h` (validation made sure
        there is one from the cohort's start)."""
        return self.world.catalog.newest_available(
            self.world.date_at(at_h), self.spec.serving.hardware_lag_days
        )

    def prices(self, model: Served, hardware: Hardware, cls: QueryClass, context: float) -> Prices:
        """GPU-seconds per input and output token and FLOP per computed token (cached)."""
        bucket = context_bucket(context)
        key = (model.model_id, hardware.name, bucket, cls.cached_fraction)
        if key not in self.prices_cache:
            self.prices_cache[key] = self.price(model, hardware, cls, bucket)
        return self.prices_cache[key]

    def price(self, model: Served, hardware: Hardware, cls: QueryClass, context: float) -> Prices:
        """Prices of a class's tokens on the serving point at a (bucketed) mean context."""
        point = self.point(model, hardware, context)
        return Prices(
            float(serving.query_gpu_seconds(point, 1.0, 0.0, cls.cached_fraction)),
            float(serving.query_gpu_seconds(point, 0.0, 1.0)),
            serving.inference_flop_per_token(model.active_params, point.context_tokens),
        )

    def point(self, model: Served, hardware: Hardware, context: float) -> serving.ServingPoint:
        """The (cached) serving point of `model` on `hardware` at a mean context."""
        precision = self.precision(hardware)
        key = (model.model_id, hardware.name, precision, context)
        if key not in self.points:
            self.points[key] = serving.serving_point(
                model.params,
                model.active_params,
                hardware,
                precision,
                serving.default_kv_bytes_per_token(model.active_params, precision),
                context,
                latency_target_s=self.spec.serving.latency_target_s,
            )
        return self.points[key]

    def precision(self, hardware: Hardware) -> Precision:
        """The cohort's serving precision, or the narrowest wider one the hardware has."""
        return hardware.supported(self.spec.serving.precision)

    def charge(
        self,
        start_h: float,
        labels: tuple[str, str],
        amounts: tuple[FloatArray, ...],
        tier: str,
        classes: npt.NDArray[np.intp],
    ) -> None:
        """Charge a step's hourly amounts (classes x hours: GPU-hours, FLOP, queries, tokens)
        of the `classes` a tier serves, each as intervals of `charge_hours`, buffered apart per
        tier."""
        for i in classes:
            hourly = [column[i] for column in amounts]
            self.world.ledger.record_hours(
                TEST_TIME,
                self.name,
                self.class_names[i],
                labels,
                start_h,
                hourly,
                self.charge_hours,
                tier,
            )

    def flush(self) -> None:
        """Append every buffered charge of this cohort to the ledger."""
        self.world.ledger.flush_buffers(self.name)


def tier_caps(spec: CohortSpec) -> dict[str, float | None]:
    """Active-parameter cap of each serving tier: the frontier tier, and the efficient one if
    the cohort has it (a budget, or the `cheapest` policy)."""
    caps = {"frontier": spec.serving.max_active_params}
    if spec.serving.efficient_max_active_params is not None or spec.serving.policy == "cheapest":
        caps["efficient"] = spec.serving.efficient_max_active_params
    return caps
