"""The investment loop: funds, orders, limits, lead time and accounts, on the supply-constrained
economy scenario made to bind its limits. Each test states its invariant and tolerance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simdemand import load_scenario, simulate
from simdemand.errors import InputError
from simdemand.results.run import Results
from simdemand.units import HOURS_PER_YEAR

ROOT = Path(__file__).parent.parent
CONSTRAINED = ROOT / "scenarios" / "economy-constrained.toml"
BASELINE = ROOT / "scenarios" / "baseline.toml"
# Two and a half years, with outside money and limits tight enough that each of them binds
# (the closed labs' research programme off, so that demand too binds in some quarter).
SETS = [
    "run.end=2027-07-01",
    "labs.frontier_closed.research.multiple=0",
    "economy.investment.outside_usd_per_year=2e10",
    "economy.investment.gpus_per_quarter=1.5e5",
    "economy.investment.production_growth_per_year=1.5",
    "economy.investment.gw_per_year=0.8",
]


@pytest.fixture(scope="module")
def results() -> Results:
    """The constrained economy with tight limits."""
    return simulate(load_scenario(CONSTRAINED, SETS))


@pytest.fixture(scope="module")
def decisions(results: Results) -> pd.DataFrame:
    """The investment table, with each decision's years since the start."""
    assert results.investment is not None
    table: pd.DataFrame = results.investment.to_pandas()
    start = pd.Timestamp(results.scenario.run.start, tz="UTC")
    table["years"] = (table["time"] - start).dt.total_seconds() / 3600.0 / HOURS_PER_YEAR
    return table


def test_a_decision_each_quarter(decisions: pd.DataFrame) -> None:
    """Nine whole quarters in 2.5 years (at 91.3, 182.6, ... days), one decision each."""
    assert len(decisions) == 9
    gaps = decisions["time"].diff().dropna().dt.total_seconds() / 86400.0
    assert np.allclose(gaps, 365.25 / 4, atol=1e-6)


def test_capex_never_exceeds_funds(results: Results, decisions: pd.DataFrame) -> None:
    """capex <= funds = revenue share x last quarter's revenue + outside investment, which is
    a quarter of the stated yearly sum grown 1.8x a year (1e-9)."""
    spec = results.scenario.economy.investment  # type: ignore[union-attr]
    assert spec is not None
    outside = spec.outside_usd_per_year / 4 * spec.outside_growth_per_year ** decisions["years"]
    assert np.allclose(decisions["outside_usd"], outside, rtol=1e-9)
    funds = spec.revenue_share * decisions["revenue_usd"] + outside
    assert np.allclose(decisions["funds_usd"], funds, rtol=1e-9)
    assert (decisions["capex_usd"] <= decisions["funds_usd"] * (1 + 1e-9)).all()
    assert decisions["capex_usd"].sum() > 0


def test_demand_bound_spends_the_utilization_share(
    results: Results, decisions: pd.DataFrame
) -> None:
    """Where demand binds, capex = funds x (utilization + unmet share) / target (1e-9)."""
    spec = results.scenario.economy.investment  # type: ignore[union-attr]
    assert spec is not None
    rows = decisions[decisions["bound"] == "demand"]
    assert len(rows) > 0
    want = rows["funds_usd"] * (rows["utilization"] + rows["unmet_share"]) / spec.target_utilization
    assert np.allclose(rows["capex_usd"], want, rtol=1e-9)


def test_orders_respect_production_and_power(results: Results, decisions: pd.DataFrame) -> None:
    """GPUs a quarter <= the production limit grown 1.5x/yr; GW delivered in a calendar year
    <= the power limit (1e-9); both limits bind at least once here."""
    spec = results.scenario.economy.investment  # type: ignore[union-attr]
    assert spec is not None
    limit = spec.gpus_per_quarter * spec.production_growth_per_year ** decisions["years"]
    assert (decisions["ordered_gpus"] <= limit * (1 + 1e-9)).all()
    per_year = decisions.groupby(decisions["delivery"].dt.year)["ordered_gw"].sum()
    assert (per_year <= spec.gw_per_year * (1 + 1e-9)).all()
    assert {"production", "power"} <= set(decisions["bound"])


def test_lead_time_between_order_and_delivery(results: Results, decisions: pd.DataFrame) -> None:
    """Each order is delivered exactly the lead time after it (to the microsecond)."""
    spec = results.scenario.economy.investment  # type: ignore[union-attr]
    assert spec is not None
    lead = (decisions["delivery"] - decisions["time"]).dt.total_seconds() / 86400.0
    assert np.allclose(lead, spec.lead_time_days, atol=1e-6)


def test_fleet_grows_only_after_the_first_delivery(
    results: Results, decisions: pd.DataFrame
) -> None:
    """Installed GPU-hours with the loop equal those without it (revenue and outside money set to
    0) in every month before the first delivery, and exceed them after it by the GPUs ordered."""
    none = ["economy.investment.revenue_share=0.0", "economy.investment.outside_usd_per_year=0.0"]
    without = simulate(load_scenario(CONSTRAINED, [*SETS, *none]))
    assert results.supply is not None
    assert without.supply is not None

    def installed(r: Results) -> pd.Series:
        fleet = r.supply.fleet.to_pandas()  # type: ignore[union-attr]
        series: pd.Series = fleet.groupby("time")["installed_gpu_hours"].sum()
        return series

    extra = installed(results) - installed(without)
    months = pd.Series(extra.index, index=extra.index)
    first = decisions.loc[decisions["ordered_gpus"] > 0, "delivery"].min()
    before = extra[months + pd.Timedelta(days=31) <= first]
    after = extra[months >= first + pd.Timedelta(days=1)]
    assert len(before) > 0
    assert len(after) > 0
    assert np.allclose(before, 0.0, atol=1e-6)
    assert (after > 0).all()


def test_depreciation_straight_line(results: Results, decisions: pd.DataFrame) -> None:
    """Depreciation of each quarter = sum over orders of capex x years in service within the
    quarter / service life (1e-9 relative); never more than the capex delivered so far."""
    life = results.scenario.fleet.service_life_years  # type: ignore[union-attr]
    quarter = 0.25
    want = []
    for t in decisions["years"]:
        total = 0.0
        for _, order in decisions[decisions["years"] < t].iterrows():
            delivered = order["years"] + (order["delivery"] - order["time"]).days / 365.25
            in_service = min(max(t - delivered, 0.0), quarter)
            total += order["capex_usd"] * in_service / life
        want.append(total)
    assert np.allclose(decisions["depreciation_usd"], want, rtol=1e-6, atol=1.0)
    assert 0 < decisions["depreciation_usd"].sum() <= decisions["capex_usd"].sum()


def test_investment_finite_and_non_negative(decisions: pd.DataFrame) -> None:
    """Every number is finite and >= 0; utilization and unmet share are fractions."""
    numbers = decisions.select_dtypes("number").to_numpy()
    assert np.isfinite(numbers).all()
    assert (numbers >= 0).all()
    assert decisions["utilization"].between(0, 1).all()
    assert decisions["unmet_share"].between(0, 1).all()


def test_investment_needs_a_fleet() -> None:
    """An investment loop without a fleet is refused, naming the field."""
    scenario = load_scenario(BASELINE, ["run.end=2025-02-01", "economy.investment={}"])
    with pytest.raises(InputError, match=r"economy\.investment"):
        simulate(scenario)


def test_revenue_counts_only_served_work(decisions: pd.DataFrame) -> None:
    """Revenue earned = what the market sold x the share of test-time work served (1e-12);
    it falls below the sales in quarters where the tight fleet loses test-time work."""
    assert np.allclose(
        decisions["revenue_usd"], decisions["sold_usd"] * decisions["served_share"], rtol=1e-12
    )
    assert decisions["served_share"].between(0, 1).all()
    assert (decisions["served_share"] < 1).any()
    assert (decisions["sold_usd"] > 0).all()
