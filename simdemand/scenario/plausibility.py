"""Checks that need the horizon: no GPU before it exists, no trend beyond physical bounds.

Field bounds (simdemand.scenario.base) hold each value on its own; here the values meet the
horizon. A GPU is used only from its `available` date: every agent must find one in the
catalog when it first needs it, found here rather than by a silent fallback to the oldest GPU.
And every trend (value x growth^years from its reference date) stays within physical bounds,
and within floating point, over the span in which the simulator evaluates it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

from simdemand.catalog import Catalog
from simdemand.errors import FieldError
from simdemand.scenario.adoption import LogisticAdoption
from simdemand.scenario.queries import AgenticClass, BestOfNClass, SearchClass
from simdemand.scenario.schema import Scenario
from simdemand.scenario.timing import (
    at,
    community_first_step,
    first_run_start,
    horizon_days,
    years_between,
)

# Median final-run compute of a lab's trend: 1e12 FLOP (a second of one GPU) to 1e32 FLOP (at a
# GB200's ~2e12 FLOP/J, 5e19 J: half the world's yearly electricity, ~3e4 TWh).
MIN_RUN_FLOP, MAX_RUN_FLOP = 1e12, 1e32
# Largest cluster a trend may reach: 1e8 GPUs (the world shipped ~4e6 data-centre GPUs in 2024).
MAX_CLUSTER_GPUS = 1e8
# Derivatives a community makes per month: 1e9, 5e4x all new LLM derivatives on Hugging Face.
MAX_DERIVATIVES_PER_MONTH = 1e9
# Queries a cohort issues per day at its ceiling: 1e13, over 1,000 a day for every person alive
# (ChatGPT answered ~2.5e9 prompts a day in 2025). Keeps hourly Poisson means far below numpy's
# limit (~9e18) whatever the profiles and the daily scatter.
MAX_QUERIES_PER_DAY = 1e13
# Mean tokens of one call: 1e8, 10x the longest context windows offered in 2025.
MAX_CALL_TOKENS = 1e8
# Tokens one query reads and writes in all (every call, sample, branch): 1e10, ~100x the largest
# agentic tasks reported in 2025.
MAX_QUERY_TOKENS = 1e10
# GPUs a growth law delivers in one quarter: 1e10 (the world shipped ~1e6 a quarter in 2024).
MAX_GPUS_PER_QUARTER = 1e10
# Busy H100-equivalents of a background workload: 1e10, 500x the world's ~2e7 installed at the
# end of 2025 (Epoch AI).
MAX_BACKGROUND_H100E = 1e10
# A growth factor g^t is evaluated in floating point: |t ln g| must stay below ln(1e300).
MAX_EXPONENT = math.log(1e300)
# Algorithmic progress multiplies effective compute by 2^halvings: at most 2^+-1000 (~1e+-301),
# so that neither it nor the model sizes it scales overflow or vanish.
MAX_HALVINGS = 1000.0


def plausibility_errors(scenario: Scenario, catalog: Catalog) -> list[FieldError]:
    """Every problem of GPU availability and of trends over the horizon."""
    return [
        *lab_errors(scenario, catalog),
        *community_errors(scenario, catalog),
        *cohort_errors(scenario, catalog),
        *fleet_errors(scenario, catalog),
        *background_errors(scenario),
    ]


def no_gpu(catalog: Catalog, need: dt.date, lag_days: float, why: str) -> str | None:
    """Why no catalog GPU is ready (available + lag) by `need`, or None if one is."""
    try:
        catalog.newest_available(need, lag_days)
    except LookupError:
        oldest = min((catalog[n] for n in catalog.names), key=lambda hw: (hw.available, hw.name))
        return (
            f"no GPU in the catalog is available {lag_days:g} days (hardware_lag_days) before "
            f"{why} on {need}: the oldest, {oldest.name}, arrives {oldest.available}; start "
            "later, shorten the lag, or add an older GPU under [hardware.NAME]"
        )
    return None


def span(reference: dt.date, first: dt.date, last: dt.date) -> tuple[float, float]:
    """Years from `reference` to the first and last dates a trend is evaluated at."""
    return years_between(reference, first), years_between(reference, last)


def trend(value: float, growth: float, years: tuple[float, float]) -> tuple[float, float]:
    """log10 of value x growth^t at both ends of `years` (no overflow)."""
    first, last = years
    log_value, log_growth = math.log10(value), math.log10(growth)
    return log_value + first * log_growth, log_value + last * log_growth


def overflows(growth: float, years: tuple[float, float]) -> bool:
    """True if growth^t overflows a float somewhere in `years`."""
    return max(abs(t * math.log(growth)) for t in years) > MAX_EXPONENT


def background_errors(scenario: Scenario) -> Iterator[FieldError]:
    """Each background workload's trend within bounds over the horizon, in pools that exist; a
    pool that admits no regime holds some workload."""
    run = scenario.run
    specs = {} if scenario.fleet is None else scenario.fleet.pools
    pools = tuple(specs)
    named = {pool for spec in scenario.background.values() for pool in spec.pools}
    for pool, pool_spec in specs.items():
        if not pool_spec.regimes and pool not in named:
            yield FieldError(
                f"fleet.pools.{pool}.regimes",
                "the pool admits no regime and no [background] workload runs in it (`pools`)",
            )
    for name, spec in scenario.background.items():
        unknown = [pool for pool in spec.pools if pool not in pools]
        if unknown:
            yield FieldError(
                f"background.{name}.pools",
                f"no pool '{unknown[0]}' in [fleet]"
                + (f" (pools: {', '.join(pools)})" if pools else " (the scenario has no fleet)"),
            )
        years = span(spec.reference_date, run.start, run.end)
        if overflows(spec.growth_per_year, years) or max(
            trend(spec.h100e_at_reference, spec.growth_per_year, years)
        ) > math.log10(MAX_BACKGROUND_H100E):
            yield FieldError(
                f"background.{name}.growth_per_year",
                "h100e_at_reference x growth_per_year^t reaches over 1e10 busy H100-equivalents "
                f"between {run.start} and {run.end} (the world had ~2e7 at the end of 2025); "
                "check growth_per_year and reference_date",
            )


def lab_errors(scenario: Scenario, catalog: Catalog) -> Iterator[FieldError]:
    """A GPU at each archetype's first run; compute and cluster trends within bounds."""
    run = scenario.run
    for name, spec in scenario.labs.items():
        where = f"labs.{name}"
        first = first_run_start(run, spec)
        if spec.hardware is not None:
            hw = catalog[spec.hardware]
            if hw.available > first:
                yield FieldError(
                    f"{where}.hardware",
                    f"{hw.name} is available from {hw.available}, after this lab's first "
                    f"possible run on {first}; pin an older GPU or start later",
                )
        else:
            problem = no_gpu(catalog, first, spec.hardware_lag_days, "this lab's first run")
            if problem:
                yield FieldError(where, problem)
        # Runs are decided until the end and start experiments_days later.
        last = at(run, horizon_days(run) + spec.experiments_days)
        years = span(spec.reference_date, first, last)
        low, high = sorted(
            trend(spec.compute_flop_at_reference, spec.compute_growth_per_year, years)
        )
        if high > math.log10(MAX_RUN_FLOP) or low < math.log10(MIN_RUN_FLOP):
            bad = high if high > math.log10(MAX_RUN_FLOP) else low
            yield FieldError(
                where,
                f"the compute trend (compute_flop_at_reference x compute_growth_per_year^t from "
                f"reference_date {spec.reference_date}) reaches 1e{bad:.0f} FLOP per run between "
                f"{first} and {last}, outside 1e12-1e32 (1e32 is half the world's yearly "
                "electricity); check reference_date and compute_growth_per_year",
            )
        progress = span(spec.algorithmic_reference_date, first, last)
        if max(abs(t) for t in progress) * 12.0 / spec.algorithmic_halving_months > MAX_HALVINGS:
            yield FieldError(
                f"{where}.algorithmic_halving_months",
                f"halving every {spec.algorithmic_halving_months:g} months over the "
                f"{max(abs(t) for t in progress):.0f} years between algorithmic_reference_date "
                f"({spec.algorithmic_reference_date}) and this lab's runs makes effective compute "
                "overflow; move algorithmic_reference_date nearer or lengthen the halving time",
            )
        cluster = max(trend(spec.cluster_gpus_at_reference, spec.cluster_growth_per_year, years))
        if cluster > math.log10(MAX_CLUSTER_GPUS):
            yield FieldError(
                where,
                f"the cluster trend (cluster_gpus_at_reference x cluster_growth_per_year^t) "
                f"reaches 1e{cluster:.0f} GPUs by {last}, over 1e8 (the world shipped ~4e6 "
                "data-centre GPUs in 2024); check reference_date and cluster_growth_per_year",
            )


def community_errors(scenario: Scenario, catalog: Catalog) -> Iterator[FieldError]:
    """A GPU at each community's first step; derivative counts within bounds."""
    for name, spec in scenario.communities.items():
        first = community_first_step(scenario, spec)
        if first is None:
            continue
        where = f"communities.{name}"
        problem = no_gpu(catalog, first, spec.hardware_lag_days, "its first step")
        if problem:
            yield FieldError(where, problem)
        years = span(spec.reference_date, first, scenario.run.end)
        for key, channel in (("", spec), ("closed.", spec.closed)):
            rate, growth = channel.derivatives_per_month, channel.growth_per_year
            if rate > 0 and max(trend(rate, growth, years)) > math.log10(MAX_DERIVATIVES_PER_MONTH):
                yield FieldError(
                    f"{where}.{key}growth_per_year",
                    f"derivatives_per_month x growth_per_year^t reaches over 1e9 a month between "
                    f"{first} and {scenario.run.end} (Hugging Face saw ~2e4 a month in 2025); "
                    "check growth_per_year and reference_date",
                )


def cohort_errors(scenario: Scenario, catalog: Catalog) -> Iterator[FieldError]:
    """A GPU at each cohort's start; queries, tokens and adoption within bounds."""
    run = scenario.run
    for name, spec in scenario.users.items():
        where = f"users.{name}"
        lag = spec.serving.hardware_lag_days
        problem = no_gpu(catalog, run.start, lag, "the start, when this cohort is first served")
        if problem:
            yield FieldError(where, problem)
        years = span(spec.reference_date, run.start, run.end)
        most = spec.adoption.ceiling_users * spec.queries_per_user_per_day
        if max(trend(most, spec.queries_growth_per_year, years)) > math.log10(MAX_QUERIES_PER_DAY):
            yield FieldError(
                f"{where}.queries_per_user_per_day",
                "at its ceiling_users, the cohort would issue over 1e13 queries a day (x "
                "queries_growth_per_year^t) within the horizon; ChatGPT answered ~2.5e9 a day in "
                "2025",
            )
        adoption = spec.adoption
        if isinstance(adoption, LogisticAdoption) and -min(years) * adoption.rate_per_year > 700:
            yield FieldError(
                f"{where}.adoption.rate_per_year",
                f"the logistic curve traced back {-min(years):.0f} years from reference_date at "
                f"{adoption.rate_per_year:g} a year overflows; move reference_date nearer",
            )
        serving = spec.serving
        gains = span(serving.software_reference_date, run.start, run.end)
        if overflows(serving.software_gain_per_year, gains):
            yield FieldError(
                f"{where}.serving.software_gain_per_year",
                f"{serving.software_gain_per_year:g}^t over the {max(abs(t) for t in gains):.0f} "
                "years from software_reference_date overflows; move software_reference_date "
                "nearer the horizon",
            )
        for cls_name, cls in spec.classes.items():
            yield from class_errors(f"{where}.classes.{cls_name}", cls, years)


def class_errors(where: str, cls: object, years: tuple[float, float]) -> Iterator[FieldError]:
    """Token means of one query class within bounds over the horizon (image and video
    classes have no tokens)."""
    if getattr(cls, "kind", "") in ("image", "video"):
        return
    means = {}
    for which in ("input", "output"):
        start = float(getattr(cls, f"{which}_tokens"))
        growth = float(getattr(cls, f"{which}_growth_per_year"))
        cap = getattr(cls, f"{which}_tokens_max")
        if overflows(growth, years):
            yield FieldError(
                f"{where}.{which}_growth_per_year",
                f"{growth:g}^t over the {max(abs(t) for t in years):.0f} years from the cohort's "
                "reference_date overflows; move reference_date nearer the horizon",
            )
            return
        top = 10 ** max(trend(start, growth, years))
        means[which] = top if cap is None else min(top, float(cap))
        if cap is None and top > MAX_CALL_TOKENS:
            yield FieldError(
                f"{where}.{which}_growth_per_year",
                f"the mean {which} grows to {top:.2g} tokens a call within the horizon, over 1e8 "
                f"(10x the longest context windows); set {which}_tokens_max or lower the growth",
            )
            return
    tokens = query_tokens(cls, means["input"], means["output"])
    if tokens > MAX_QUERY_TOKENS:
        yield FieldError(
            where,
            f"a query reads and writes up to {tokens:.2g} tokens in all calls within the horizon, "
            "over 1e10 (~100x the largest agentic tasks of 2025); lower the token lengths, "
            "samples, branching, depth or steps",
        )


def query_tokens(cls: object, input_tokens: float, output_tokens: float) -> float:
    """Tokens one query puts through prefill and decode (as simdemand.world.agents.users)."""
    if isinstance(cls, BestOfNClass):
        return input_tokens + cls.samples * output_tokens
    if isinstance(cls, SearchClass):
        return input_tokens + cls.branching * cls.depth * output_tokens
    if isinstance(cls, AgenticClass):
        s = cls.steps
        prefill = s * input_tokens + s * (s - 1) / 2.0 * (output_tokens + cls.tool_tokens)
        return prefill + s * output_tokens
    return input_tokens + output_tokens


def fleet_errors(scenario: Scenario, catalog: Catalog) -> Iterator[FieldError]:
    """Deliveries only of GPUs that exist by then; the growth law within bounds."""
    fleet = scenario.fleet
    if fleet is None:
        return
    for i, delivery in enumerate(fleet.deliveries):
        hw = catalog[delivery.hardware]
        if delivery.date < hw.available:
            yield FieldError(
                f"fleet.deliveries.{i}.date",
                f"{hw.name} delivered on {delivery.date}, before it is available ({hw.available})",
            )
    growth = fleet.growth
    stop = scenario.run.end if growth is None or growth.end is None else growth.end
    if growth is None or growth.start >= stop:
        return
    if growth.hardware == "newest":
        problem = no_gpu(catalog, growth.start, growth.lag_days, "the first delivery")
        if problem:
            yield FieldError("fleet.growth", problem.replace("hardware_lag_days", "lag_days"))
    elif catalog[growth.hardware].available > growth.start:
        hw = catalog[growth.hardware]
        yield FieldError(
            "fleet.growth.start",
            f"{hw.name} delivered from {growth.start}, before it is available ({hw.available})",
        )
    years = (0.0, years_between(growth.start, stop))
    top = max(trend(growth.gpus_per_quarter, growth.growth_per_year, years))
    if top > math.log10(MAX_GPUS_PER_QUARTER):
        yield FieldError(
            "fleet.growth.growth_per_year",
            f"gpus_per_quarter x growth_per_year^t reaches 1e{top:.0f} GPUs a quarter by {stop}, "
            "over 1e10 (the world shipped ~1e6 data-centre GPUs a quarter in 2024)",
        )
