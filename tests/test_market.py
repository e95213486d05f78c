"""The token market: prices from serving cost x markup, demand's response to them, and the
market table. Every figure is checked against a hand computation or an invariant."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simdemand import load_scenario, simulate
from simdemand.analysis.comparison import compare_runs
from simdemand.physics import economics
from simdemand.results.reader import read_run
from simdemand.results.run import Results
from simdemand.results.writer import write_results

ROOT = Path(__file__).parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
# Half a year of the baseline at month bins: every cohort, class and tier, a second or two.
SHORT = ["run.end=2025-07-01", "run.resolution=month"]
ZERO = ["economy.volume_elasticity=0.0", "economy.length_elasticity=0.0"]


def run(*sets: str) -> Results:
    """The short baseline with overrides."""
    return simulate(load_scenario(BASELINE, [*SHORT, *sets]))


@pytest.fixture(scope="module")
def open_loop() -> Results:
    """The short baseline without `[economy]`."""
    return run()


@pytest.fixture(scope="module")
def closed() -> Results:
    """The short baseline with `[economy]` at its default elasticities."""
    return run("economy.markup_frontier=1.67")


def test_price_response_is_constant_elasticity() -> None:
    """(p / p0)^-e by hand: half the price at e = 1 doubles demand, at e = 2 quadruples it;
    an unknown price (NaN, 0) leaves demand alone; e = 0 gives exactly 1."""
    price, ref = np.array([0.5, 0.5, np.nan, 0.0, 3.0]), np.array([1.0, 1.0, 1.0, 1.0, 1.0])
    assert economics.price_response(price[:2], ref[:2], 1.0) == pytest.approx([2.0, 2.0])
    assert economics.price_response(price[:1], ref[:1], 2.0) == pytest.approx([4.0])
    assert economics.price_response(price[2:4], ref[2:4], 1.5).tolist() == [1.0, 1.0]
    assert economics.price_response(price, ref, 0.0).tolist() == [1.0] * 5


def test_capability_response_by_hand() -> None:
    """exp(e (L0 - L)): 0.1 nats lower loss at e = 2 per nat gives e^0.2; unknown loss gives 1."""
    got = economics.capability_response(np.array([1.9, np.nan]), np.array([2.0, 2.0]), 2.0)
    assert got == pytest.approx([np.exp(0.2), 1.0])


def test_token_price_and_capex_by_hand() -> None:
    """0.36 GPU-ms per token at $2/GPU-hour x 1.5 = $3e-7 per token ($0.30 per million); a
    1,000 W GPU at PUE 1.2 and $29B/GW costs $34,800 and draws 1.2e-6 GW."""
    assert economics.token_price_usd(3.6e-4, 2.0, 1.5) == pytest.approx(3e-7)
    assert economics.capex_per_gpu_usd(1000.0, 1.2, 29e9) == pytest.approx(34_800.0)
    assert economics.facility_gw(1.0, 1000.0, 1.2) == pytest.approx(1.2e-6)
    assert economics.depreciation_usd(100.0, 5.0, 1.0) == pytest.approx(20.0)
    assert economics.depreciation_usd(100.0, 5.0, 7.0) == pytest.approx(100.0)
    assert economics.depreciation_usd(100.0, 5.0, -1.0) == 0.0


def test_absent_economy_keeps_the_scenario_and_its_tables(open_loop: Results) -> None:
    """Without `[economy]` the resolved scenario has no such key (its hash is unchanged) and the
    run writes no market or investment table."""
    assert "economy" not in open_loop.scenario.model_dump(mode="json")
    # The baseline's background load is no part of the economy.
    assert set(open_loop.tables()) == {"timeseries", "jobs", "models", "background"}


def parquet_bytes(table: pa.Table) -> bytes:
    """A table as Parquet bytes, without the schema metadata that names its scenario."""
    sink = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(None), sink, compression="zstd")
    return sink.getvalue()


def test_zero_elasticity_equals_open_loop(open_loop: Results) -> None:
    """Every elasticity 0: the demand tables are the open loop's byte for byte (as Parquet,
    without the provenance metadata, which names the scenario); the market is recorded beside
    them."""
    zero = run(*ZERO)
    for name in ("timeseries", "jobs", "models"):
        assert parquet_bytes(zero.tables()[name]) == parquet_bytes(open_loop.tables()[name]), name
    assert zero.market is not None
    assert zero.market.num_rows > 0


def test_revenue_is_price_times_quantity(closed: Results) -> None:
    """Each row: revenue = input price x input tokens + output price x output tokens, or for
    image and video rows (no tokens) price per request x requests (1e-9)."""
    assert closed.market is not None
    m = closed.market.to_pandas()
    expected = (
        m["usd_per_million_input_tokens"] * m["input_tokens"]
        + m["usd_per_million_output_tokens"] * m["output_tokens"]
    ) / 1e6 + m["usd_per_request"] * m["queries"]
    assert np.allclose(m["revenue_usd"], expected, rtol=1e-9, atol=0.0)
    assert m["revenue_usd"].sum() > 0
    requests = m["input_tokens"] + m["output_tokens"] == 0
    assert set(m.loc[requests, "class"]) == {"image", "video"}
    assert (m.loc[requests, "usd_per_request"] > 0).all()
    assert (m.loc[~requests, "usd_per_request"] == 0).all()


def test_revenue_over_cost_is_the_tier_markup(closed: Results) -> None:
    """Revenue / serving cost is the tier's markup in every row (1e-9)."""
    assert closed.market is not None
    m = closed.market.to_pandas()
    economy = closed.scenario.economy
    assert economy is not None
    markup = np.where(m["tier"] == "efficient", economy.markup_efficient, economy.markup_frontier)
    assert np.allclose(m["revenue_usd"] / m["cost_usd"], markup, rtol=1e-9)


def test_market_quantities_match_the_timeseries(closed: Results) -> None:
    """Queries and tokens of the market, per month and cohort, are the timeseries' test-time
    queries and tokens (1e-9): one set of books."""
    assert closed.market is not None
    m = closed.market.to_pandas()
    m["tokens"] = m["input_tokens"] + m["output_tokens"]
    market = m.groupby(["time", "cohort"])[["queries", "tokens"]].sum()
    ts = closed.timeseries.to_pandas()
    ts = ts[ts["regime"] == "test-time"].rename(columns={"agent": "cohort"})
    series = ts.groupby(["time", "cohort"])[["queries", "tokens"]].sum()
    joined = market.join(series.add_suffix("_ts"), how="outer")
    assert len(joined) == len(series)
    assert np.allclose(joined["queries"], joined["queries_ts"], rtol=1e-9)
    assert np.allclose(joined["tokens"], joined["tokens_ts"], rtol=1e-9)


def test_market_outputs_finite_and_non_negative(closed: Results) -> None:
    """Every number of the market table is finite and >= 0, and prices are positive where
    tokens were sold."""
    assert closed.market is not None
    m = closed.market.to_pandas()
    numbers = m.select_dtypes("number")
    assert np.isfinite(numbers.to_numpy()).all()
    assert (numbers.to_numpy() >= 0).all()
    assert (m.loc[m["input_tokens"] > 0, "usd_per_million_input_tokens"] > 0).all()


def test_market_table_units_and_labels(closed: Results) -> None:
    """Amount columns carry units in their field metadata; labels are the scenario's."""
    assert closed.market is not None
    schema = closed.market.schema
    for name in ("revenue_usd", "usd_per_million_input_tokens", "input_tokens", "queries"):
        assert schema.field(name).metadata is not None, name
    m = closed.market.to_pandas()
    assert set(m["cohort"]) == set(closed.scenario.users)
    generated = m["class"].isin(["image", "video"])
    assert set(m.loc[~generated, "tier"]) == {"frontier", "efficient"}
    assert set(m.loc[generated, "tier"]) == {""}  # generation has one tier of its own


def test_falling_price_raises_demand() -> None:
    """Over 2025 the served price per token falls (by Q4 at least 20% below January's); with
    elasticities > 0 the closed loop's Q4 tokens exceed the open loop's (same seed) by more than
    the noise (5%)."""
    sets = ["run.end=2026-01-01", "run.resolution=month"]
    closed = simulate(load_scenario(BASELINE, [*sets, "economy.markup_frontier=1.67"]))
    open_loop = simulate(load_scenario(BASELINE, sets))
    assert closed.market is not None
    m = closed.market.to_pandas()
    month = m.groupby(m["time"].dt.month)[["revenue_usd", "input_tokens", "output_tokens"]].sum()
    price = month["revenue_usd"] / (month["input_tokens"] + month["output_tokens"])
    assert price.loc[10:12].max() < 0.8 * price.loc[1]

    def q4(results: Results) -> float:
        ts = results.timeseries.to_pandas()
        ts = ts[(ts["regime"] == "test-time") & (ts["time"].dt.month >= 10)]
        return float(ts["tokens"].sum())

    assert q4(closed) > 1.05 * q4(open_loop)


def test_same_seed_same_market_files(tmp_path: Path) -> None:
    """Two runs of the same scenario and seed write byte-identical market tables."""
    sets = ["run.end=2025-03-01", "run.resolution=month"]
    files = []
    for k in range(2):
        out = write_results(
            simulate(load_scenario(BASELINE, [*sets, *ZERO[:1]])), tmp_path / f"r{k}"
        )
        files.append((out / "market.parquet").read_bytes())
    assert files[0] == files[1]


def test_market_table_reads_back(tmp_path: Path, closed: Results) -> None:
    """The written market table reads back through the run reader with its columns and rows;
    a run without the investment loop has no investment table."""
    assert closed.market is not None
    run_read = read_run(write_results(closed, tmp_path / "run"))
    assert isinstance(run_read.market, pd.DataFrame)
    assert list(run_read.market.columns) == closed.market.schema.names
    assert len(run_read.market) == closed.market.num_rows
    assert run_read.investment is None


def test_compare_adds_revenue_and_price_paid(tmp_path: Path, open_loop: Results) -> None:
    """`compare_runs` of two runs with a market adds test-time revenue and the mean price paid
    by year (b / a of a 10x shock at e = 0: revenue and price both 1/10 after it, so over the
    half-year between 0.1 and 1); with a run without a market, neither measure appears."""
    sets = [*ZERO, "economy.shock={date=2025-02-01,speedup=10.0}"]
    a = read_run(write_results(run(*ZERO), tmp_path / "a"))
    b = read_run(write_results(run(*sets), tmp_path / "b"))
    table = compare_runs(a, b)
    year = table[(table["regime"] == "test-time") & (table["year"] == 2025)].set_index("measure")
    revenue = year.loc["revenue_usd"]
    price = year.loc["price_usd_per_million_tokens"]
    assert 0.1 < revenue["ratio"] < 0.3
    assert price["ratio"] == pytest.approx(revenue["ratio"], rel=0.01)
    assert revenue["a"] == pytest.approx(a.market["revenue_usd"].sum(), rel=1e-12)  # type: ignore[index]
    plain = read_run(write_results(open_loop, tmp_path / "plain"))
    assert not set(compare_runs(plain, b)["measure"]) & {
        "revenue_usd",
        "price_usd_per_million_tokens",
    }


def test_price_path_sets_the_prices() -> None:
    """With a price path for both tiers from the start, every row's prices are the path's
    (1e-12) and revenue is price x tokens; cost still comes from the physics."""
    path = (
        "economy.prices=["
        "{date=2025-01-01,tier='frontier',usd_per_million_input_tokens=2.5,"
        "usd_per_million_output_tokens=10.0},"
        "{date=2025-01-01,tier='efficient',usd_per_million_input_tokens=0.15,"
        "usd_per_million_output_tokens=0.6}]"
    )
    results = run(*ZERO, path)
    assert results.market is not None
    m = results.market.to_pandas()
    m = m[m["tier"] != ""]  # image and video requests: cost x markup, not the token path
    frontier = m["tier"] == "frontier"
    assert np.allclose(m.loc[frontier, "usd_per_million_input_tokens"], 2.5, rtol=1e-12)
    assert np.allclose(m.loc[~frontier, "usd_per_million_output_tokens"], 0.6, rtol=1e-12)
    revenue = (m["usd_per_million_input_tokens"] * m["input_tokens"]) / 1e6 + (
        m["usd_per_million_output_tokens"] * m["output_tokens"]
    ) / 1e6
    assert np.allclose(m["revenue_usd"], revenue, rtol=1e-9)
    assert (m["cost_usd"] > 0).all()


def test_demand_answers_a_price_path() -> None:
    """Both tiers' prices halve on 1 April: at volume elasticity 1 queries in May and June are
    2x those of the same run with the prices kept (5%), and before April they are equal."""

    def path(factor: float) -> str:
        points = [
            f"{{date={day},tier='{tier}',usd_per_million_input_tokens={price * k},"
            f"usd_per_million_output_tokens={4 * price * k}}}"
            for day, k in (("2025-01-01", 1.0), ("2025-04-01", factor))
            for tier, price in (("frontier", 2.5), ("efficient", 0.15))
        ]
        return "economy.prices=[" + ",".join(points) + "]"

    def queries(factor: float) -> pd.Series:
        sets = ["economy.volume_elasticity=1.0", "economy.length_elasticity=0.0", path(factor)]
        m = run(*sets).market
        assert m is not None
        frame = m.to_pandas()
        series: pd.Series = frame.groupby(frame["time"].dt.month)["queries"].sum()
        return series

    ratio = queries(0.5) / queries(1.0)
    assert np.allclose(ratio.loc[1:3], 1.0, rtol=1e-12)
    assert ratio.loc[5:6].to_numpy() == pytest.approx([2.0, 2.0], rel=0.05)
