"""The labs' compute budget ([economy.labs]): its arithmetic by hand, the multiplier it puts on
the labs' trends, that a budget which never binds changes nothing, and the economy scenario's
2025-2030 story by year (docs/economics.md)."""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simdemand import load_scenario, simulate
from simdemand.catalog import Hardware
from simdemand.physics import economics, lab_work
from simdemand.results.reader import read_run
from simdemand.results.run import Results
from simdemand.results.writer import write_results
from simdemand.scenario.economy import LabBudget
from simdemand.scenario.loader import scenario_catalog
from simdemand.units import HOURS_PER_YEAR
from simdemand.world.budget import Budget
from simdemand.world.market import Market

ROOT = Path(__file__).parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
ECONOMY = ROOT / "scenarios" / "economy.toml"
SHORT = ["run.end=2025-07-01", "run.resolution=month", "economy.markup_frontier=1.67"]
LAB_PREFIXES = r"^(frontier_closed|frontier_open|midsize_open|academic)-"


def test_budget_arithmetic_by_hand() -> None:
    """Budget = share x revenue + outside; multiplier = min(1, budget / trend), 1 without a
    trend; half a year's $10B is $20B a year; the trend's spend adds the mean run's work and the
    median run's research; a log-normal's mean over median is exp(sigma^2 / 2)."""
    assert economics.lab_budget_usd_per_year(20e9, 0.69, 40e9) == pytest.approx(53.8e9)
    assert economics.budget_multiplier(50e9, 200e9) == 0.25
    assert economics.budget_multiplier(300e9, 200e9) == 1.0
    assert economics.budget_multiplier(0.0, 0.0) == 1.0
    assert economics.annualized_usd(10e9, HOURS_PER_YEAR / 2) == pytest.approx(20e9)
    assert economics.annualized_usd(10e9, 0.0) == 0.0
    # 1.5 runs x $2/GPU-hour x (1e6 GPU-hours x 2.5 + 5e5 x 4.5) = $14.25M a year.
    spend = economics.trend_spend_usd_per_year(1.5, 2.0, 1e6, 2.5, 5e5, 4.5)
    assert spend == pytest.approx(14.25e6)
    assert economics.mean_over_median(0.7) == pytest.approx(1.2776, abs=1e-4)


class StubMarket:
    """A market whose revenue is a constant rate in USD per hour from hour 0."""

    def __init__(self, usd_per_hour: float) -> None:
        self.usd_per_hour = usd_per_hour

    def revenue_between(self, lo_h: float, hi_h: float) -> float:
        """Revenue of [lo_h, hi_h) at the constant rate."""
        return self.usd_per_hour * max(math.floor(hi_h) - math.floor(max(lo_h, 0.0)), 0)


@dataclass(frozen=True)
class StubRun:
    """A sized run of 1e6 GPU-hours per 1e25 FLOP."""

    gpu_hours: float


class StubLab:
    """A lab whose runs take 1e6 GPU-hours per 1e25 FLOP on the H100."""

    def __init__(self, spec: Any, hardware: Hardware) -> None:
        self.spec = spec
        self.hw = hardware

    def hardware(self, start_h: float) -> Hardware:
        """Always the same hardware."""
        return self.hw

    def size(self, wanted: float, start_h: float, hardware: Hardware) -> StubRun:
        """GPU-hours proportional to FLOP."""
        return StubRun(wanted / 1e25 * 1e6)


def test_allowance_by_hand() -> None:
    """One lab (the baseline's frontier_closed spec, its research and post-training) against a
    market earning $1M an hour: at hour 4383 (half a year) the trailing revenue is annualized,
    the outside investment grown 1.8^(years), the trend's spend hand-computed, and the
    multiplier is their ratio; the evaluation is recorded once per time."""
    scenario = load_scenario(BASELINE)
    spec = scenario.labs["frontier_closed"]
    catalog = scenario_catalog(scenario)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

    def years_since(hours: float, reference: dt.date) -> float:
        ref = dt.datetime.combine(reference, dt.time(), tzinfo=dt.UTC)
        return ((start - ref).total_seconds() / 3600.0 + hours) / HOURS_PER_YEAR

    budget_spec = LabBudget(revenue_share=0.5, outside_usd_per_year=1e8)
    budget = Budget(budget_spec, cast(Market, StubMarket(1e4)), years_since)
    lab = StubLab(spec, catalog["H100-SXM"])
    budget.join(lab)
    at = 4383.0
    multiplier = budget.multiplier(at)
    years = years_since(at, dt.date(2025, 1, 1))
    revenue = 1e4 * 4383 * HOURS_PER_YEAR / 4383
    outside = 1e8 * 1.8**years
    grown = spec.compute_flop_at_reference * spec.compute_growth_per_year**years
    mean_hours = grown * math.exp(0.5 * spec.compute_sigma**2) / 1e25 * 1e6
    median_hours = grown / 1e25 * 1e6
    assert spec.post_training is not None
    assert spec.research is not None
    rl = lab_work.rl_share(years_since(at, spec.post_training.reference_date))
    work = 1 + spec.experiments_multiple + rl * (1 + spec.post_training.synthetic_data_per_rl)
    usd = catalog["H100-SXM"].usd_per_gpu_hour
    trend = spec.runs_per_year * usd * (mean_hours * work + median_hours * spec.research.multiple)
    (row,) = budget.records()
    assert row.revenue_usd_per_year == pytest.approx(revenue)
    assert row.outside_usd_per_year == pytest.approx(outside)
    assert row.budget_usd_per_year == pytest.approx(0.5 * revenue + outside)
    assert row.trend_usd_per_year == pytest.approx(trend, rel=1e-9)
    assert multiplier == pytest.approx(min(1.0, (0.5 * revenue + outside) / trend))
    assert multiplier < 1.0
    assert budget.multiplier(at) == multiplier
    assert len(budget.records()) == 1


def test_no_budget_is_exactly_one() -> None:
    """Without [economy.labs] the multiplier is exactly 1, no lab is counted, nothing recorded."""
    budget = Budget(None, None, lambda hours, reference: 0.0)
    budget.join(cast(Any, object()))
    assert budget.multiplier(123.0) == 1.0
    assert budget.labs == []
    assert budget.records() == []


def parquet_bytes(table: pa.Table) -> bytes:
    """A table as Parquet bytes, without the schema metadata that names its scenario."""
    sink = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(None), sink, compression="zstd")
    return sink.getvalue()


def test_a_budget_that_never_binds_changes_nothing(tmp_path: Path) -> None:
    """A budget far above every trend (multiplier 1 throughout) leaves the demand and market
    tables byte-identical to the run without [economy.labs], which writes no budget table; the
    budget table reads back with its units."""
    without = simulate(load_scenario(BASELINE, SHORT))
    rich = simulate(load_scenario(BASELINE, [*SHORT, "economy.labs.outside_usd_per_year=1e14"]))
    assert without.budget is None
    assert "budget" not in without.tables()
    for name in ("timeseries", "jobs", "models", "market"):
        assert parquet_bytes(rich.tables()[name]) == parquet_bytes(without.tables()[name]), name
    assert rich.budget is not None
    assert rich.budget.num_rows > 0
    assert set(rich.budget.column("multiplier").to_pylist()) == {1.0}
    read = read_run(write_results(rich, tmp_path / "run"))
    assert isinstance(read.budget, pd.DataFrame)
    assert len(read.budget) == rich.budget.num_rows
    unit = rich.budget.schema.field("budget_usd_per_year").metadata[b"unit"].decode()
    assert unit.startswith("USD per year")


def test_a_binding_budget_shrinks_the_runs() -> None:
    """A flat $100M a year (no revenue share, no growth) caps every decision at budget / trend and
    the labs' final runs of the half year are smaller than without it."""
    sets = [
        "economy.labs.outside_usd_per_year=1e8",
        "economy.labs.revenue_share=0.0",
        "economy.labs.outside_growth_per_year=1.0",
    ]
    poor = simulate(load_scenario(BASELINE, [*SHORT, *sets]))
    without = simulate(load_scenario(BASELINE, SHORT))
    assert poor.budget is not None
    rows = poor.budget.to_pandas()
    assert (rows["budget_usd_per_year"] == 1e8).all()
    expected = (1e8 / rows["trend_usd_per_year"]).clip(upper=1.0)
    assert (rows["multiplier"] - expected).abs().max() < 1e-12
    assert rows["multiplier"].max() < 0.05

    def final_flop(results: Results) -> float:
        jobs = results.jobs.to_pandas()
        runs = jobs[(jobs["activity"] == "final-run") & jobs["agent"].str.match(LAB_PREFIXES)]
        return float(runs["flop"].sum())

    assert final_flop(poor) < 0.1 * final_flop(without)


@pytest.fixture(scope="module")
def economy() -> Results:
    """The economy scenario (with [economy.labs]) as shipped."""
    return simulate(load_scenario(ECONOMY))


@pytest.fixture(scope="module")
def unfunded() -> Results:
    """The economy scenario without [economy.labs]: the labs follow their trends."""
    scenario = load_scenario(ECONOMY)
    assert scenario.economy is not None
    economy = scenario.economy.model_copy(update={"labs": None})
    return simulate(scenario.model_copy(update={"economy": economy}))


def labs_spend_by_year(results: Results) -> pd.Series:
    """The labs' pretraining and own post-training cost (USD) by the year their jobs start."""
    jobs = results.jobs.to_pandas()
    mine = jobs[jobs["agent"].str.match(LAB_PREFIXES)]
    spend: pd.Series = mine.groupby(mine["start"].dt.year)["cost_usd"].sum()
    return spend


def test_labs_spend_what_the_budget_funds(economy: Results, unfunded: Results) -> None:
    """In 2026-2029 the labs spend between 0.6x and 1.25x the year's mean budget (the trend's
    spend leaves out family members and a cluster's cap on the log-normal runs; jobs are counted
    in the year they start; observed 0.94, 1.03, 1.14, 0.78), where their trends would have
    spent more: the budget binds every year (observed 1.10, 1.23, 1.77, 3.34). 2025 is funded
    (multiplier 1): its spend is the unfunded run's."""
    assert economy.budget is not None
    rows = economy.budget.to_pandas()
    budget = rows.groupby(rows["time"].dt.year)["budget_usd_per_year"].mean()
    spend, trend = labs_spend_by_year(economy), labs_spend_by_year(unfunded)
    assert spend[2025] == pytest.approx(trend[2025], rel=1e-12)
    for year in range(2026, 2030):
        assert 0.6 <= spend[year] / budget[year] <= 1.25, year
        assert trend[year] > spend[year], year


def test_economy_story_by_year(economy: Results) -> None:
    """The economy scenario's budget by year (docs/economics.md): funded through 2025
    (multiplier 1; token revenue 2025 $20-60B against OpenAI's ~$13.1B + Anthropic's ~$4.5B
    (The Information) + Microsoft's AI business, a $13B annual run rate in Jan 2025 (FY25 Q2
    call) + Google, xAI and others, undisclosed); the 2026 budget $100-200B (OpenAI alone
    projected ~$50B of compute in 2026, Brockman); the multiplier falling each year to 0.1-0.4
    in 2029 (observed: revenue 2025 $56.8B; budget $185B, $414B, $830B, $1.40T in 2026-2029;
    multiplier 0.93, 0.81, 0.54, 0.28)."""
    assert economy.budget is not None
    assert economy.market is not None
    rows = economy.budget.to_pandas()
    by_year = rows.groupby(rows["time"].dt.year)
    multiplier = by_year["multiplier"].mean()
    budget = by_year["budget_usd_per_year"].mean()
    assert by_year["multiplier"].min()[2025] == 1.0
    market = economy.market.to_pandas()
    revenue = market.groupby(market["time"].dt.year)["revenue_usd"].sum()
    assert 20e9 <= revenue[2025] <= 60e9
    assert 100e9 <= budget[2026] <= 200e9
    assert all(multiplier[y + 1] < multiplier[y] for y in range(2025, 2029))
    assert 0.1 <= multiplier[2029] <= 0.4
