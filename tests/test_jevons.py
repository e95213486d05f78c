"""The Jevons experiment in small: a 10x serving-efficiency shock under constant-elasticity
demand. Test-time GPU-hours scale by 10^(e - 1) and spend by 10^(e - 1) too (price falls 10x,
tokens rise 10^e): invariant at e = 1, falling below, rising above."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simdemand import load_scenario, simulate
from simdemand.analysis.market import paired_ratio_bands
from simdemand.experiments import load_sweep, run_sweep
from simdemand.results.run import Results

ROOT = Path(__file__).parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
# Eight months at month bins; the shock on 1 April. Demand answers the price of the step before,
# so the first shocked week sells the old quantity: May-August are compared.
SETS = ["run.end=2025-09-01", "run.resolution=month", "economy.length_elasticity=0.0"]
SHOCK = "economy.shock={date=2025-04-01,speedup=10.0}"
AFTER = (5, 8)


def after_shock(results: Results) -> tuple[float, float]:
    """Test-time GPU-hours and token revenue (USD) from May to August."""
    ts = results.timeseries.to_pandas()
    months = ts["time"].dt.month.between(*AFTER)
    gpu_hours = float(ts.loc[months & (ts["regime"] == "test-time"), "gpu_hours"].sum())
    assert results.market is not None
    market = results.market.to_pandas()
    revenue = float(market.loc[market["time"].dt.month.between(*AFTER), "revenue_usd"].sum())
    return gpu_hours, revenue


def ratios(elasticity: float) -> tuple[float, float]:
    """(GPU-hours, revenue) with the shock over without it, at a volume elasticity."""
    sets = [*SETS, f"economy.volume_elasticity={elasticity}"]
    shocked = after_shock(simulate(load_scenario(BASELINE, [*sets, SHOCK])))
    calm = after_shock(simulate(load_scenario(BASELINE, sets)))
    return shocked[0] / calm[0], shocked[1] / calm[1]


def test_unit_elasticity_keeps_spend() -> None:
    """e = 1: spend and GPU-hours after a 10x shock equal those without it (within 2%: Poisson
    and length scatter on ~1e15 tokens a month are far smaller)."""
    gpu_hours, spend = ratios(1.0)
    assert spend == pytest.approx(1.0, rel=0.02)
    assert gpu_hours == pytest.approx(1.0, rel=0.02)


@pytest.mark.parametrize("elasticity", [0.3, 2.0])
def test_demand_falls_below_one_and_rises_above(elasticity: float) -> None:
    """e = 0.3: GPU-hours fall to 10^-0.7 = 0.20 of the calm run's; e = 2: rise to 10x
    (within 3%)."""
    gpu_hours, spend = ratios(elasticity)
    expected = 10.0 ** (elasticity - 1.0)
    assert gpu_hours == pytest.approx(expected, rel=0.03)
    assert spend == pytest.approx(expected, rel=0.03)


def test_shock_without_response_cuts_gpu_hours_tenfold() -> None:
    """e = 0 (the open loop's demand): the shock divides test-time GPU-hours by 10 (1e-6) and
    leaves the quantities sold alone."""
    gpu_hours, spend = ratios(0.0)
    assert gpu_hours == pytest.approx(0.1, rel=1e-6)
    assert spend == pytest.approx(0.1, rel=1e-6)


@pytest.mark.parametrize(("name", "size"), [("jevons", 30), ("jevons-constrained", 8)])
def test_shipped_sweeps_load(name: str, size: int) -> None:
    """The shipped Jevons sweeps validate: every scenario they make loads, in the stated count."""
    sweep = load_sweep(ROOT / "scenarios" / "sweeps" / f"{name}.toml")
    assert sweep.size == size


def test_paired_ratio_bands_on_a_small_sweep(tmp_path: Path) -> None:
    """A 2 x 2 grid with 2 replications (the Jevons sweep in small): each shocked run over its
    unshocked twin is exactly 1 in the quarter before the shock, and 10^(e - 1) for test-time
    in the quarter after the one it falls in (3%); the total lies between 1 and that."""
    economy = (ROOT / "scenarios" / "economy.toml").as_posix()
    sweep_file = tmp_path / "jevons-small.toml"
    sweep_file.write_text(
        f"""
scenario = "{economy}"
replications = 2
seed = 3
[set]
"run.end" = 2025-10-01
"run.resolution" = "month"
"economy.length_elasticity" = 0.0
"economy.capability_elasticity" = 0.0
"economy.shock.date" = 2025-04-01
[grid]
"economy.shock.speedup" = [1.0, 10.0]
"economy.volume_elasticity" = [0.3, 2.0]
"""
    )
    report = run_sweep(load_sweep(sweep_file), tmp_path / "out")
    assert report.done == 8
    bands = paired_ratio_bands(tmp_path / "out", "economy.shock.speedup", 1.0, freq="quarter")
    assert set(bands["economy.shock.speedup"]) == {10.0}
    assert (bands["replications"] == 2).all()
    first = bands[bands["time"].dt.month == 1]
    assert np.allclose(first[["p5", "p50", "p95"]], 1.0, rtol=1e-12)
    after = bands[bands["time"].dt.month == 7].set_index(["economy.volume_elasticity", "regime"])
    for e in (0.3, 2.0):
        expected = 10.0 ** (e - 1.0)
        assert after.loc[(e, "test-time"), "p50"] == pytest.approx(expected, rel=0.03)
        total = after.loc[(e, "total"), "p50"]
        assert min(1.0, expected) < total < max(1.0, expected)
