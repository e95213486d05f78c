"""Background load: its sourced default, its physics, its table, and its place on the fleet."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from simdemand.calibration.scorecard import Figure, scorecard
from simdemand.catalog import load_catalog
from simdemand.cli import app
from simdemand.physics import background as physics
from simdemand.results.reader import read_run
from simdemand.results.run import Results
from simdemand.scenario.background import BackgroundWorkload
from simdemand.scenario.loader import load_scenario
from simdemand.simulate import simulate
from simdemand.units import HOURS_PER_YEAR

HERE = Path(__file__).parent
FLEET = HERE / "scenarios" / "fleet.toml"
DAY_H = 24.0


def write(folder: Path, text: str, name: str = "scenario.toml") -> Path:
    """A scenario file in `folder`."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# Two months of 2025 with no agent: only the background load runs (day bins).
ALONE = """
[run]
name = "alone"
start = 2025-01-01
end = 2025-03-01
seed = 1
resolution = "day"

[background.recommendation]
h100e_at_reference = 400.0
growth_per_year = 1.0
"""
# 1,000 H100s delivered before the start, in one pool.
TINY_FLEET = """
[fleet]
deliveries = [{ date = 2024-10-01, hardware = "H100-SXM", gpus = 1000 }]

[fleet.pools.cloud]
share = 1.0
"""
# A second workload of 1,100 H100-equivalents: 1,500 in all.
SEARCH = """
[background.search]
h100e_at_reference = 1100.0
growth_per_year = 1.0
"""


# --- the sourced default ------------------------------------------------------------------------


def test_default_is_derived_from_its_published_figures() -> None:
    """Meta: 600,000 H100e at the end of 2024 less its Llama 4 (100,000) and Llama 3 (2 x 24,576)
    clusters, 65% busy; growth 1.3M GPUs at the end of 2025 over 600,000."""
    assert physics.meta_non_generative_h100e() == 600_000 - 100_000 - 49_152
    assert pytest.approx(450_848 * 0.65) == physics.DEFAULT_H100E_AT_REFERENCE
    assert pytest.approx(1.3e6 / 6e5) == physics.DEFAULT_GROWTH_PER_YEAR
    spec = BackgroundWorkload()
    assert spec.h100e_at_reference == physics.DEFAULT_H100E_AT_REFERENCE
    assert spec.growth_per_year == physics.DEFAULT_GROWTH_PER_YEAR
    assert spec.reference_date == physics.REFERENCE_DATE
    # The baseline spells the defaults out (growth to four decimals).
    baseline = load_scenario(HERE.parent / "scenarios" / "baseline.toml").background
    assert set(baseline) == {"recommendation"}
    assert baseline["recommendation"].h100e_at_reference == spec.h100e_at_reference
    assert baseline["recommendation"].growth_per_year == pytest.approx(spec.growth_per_year, 1e-4)
    assert baseline["recommendation"].reference_date == spec.reference_date


def test_every_figure_behind_the_default_is_sourced() -> None:
    found = physics.figures()
    assert set(found) == {
        "meta_installed_h100e",
        "meta_llama4_cluster_gpus",
        "meta_llama3_cluster_gpus",
        "busy_share",
        "meta_gpus_end_2025",
    }
    for name, figure in found.items():
        assert figure.value > 0, name
        assert len(figure.source) > 40, name
        assert figure.unit, name


# --- physics -----------------------------------------------------------------------------------


def test_h100e_hours_integrate_the_trend_by_hand() -> None:
    """1,000 H100e doubling a year: the first year holds 1,000 x 8,766 h x (2 - 1) / ln 2."""
    one = physics.h100e_hours(1000.0, 2.0, np.array([0.0]), np.array([1.0]))
    assert one[0] == pytest.approx(1000.0 * HOURS_PER_YEAR / math.log(2.0))
    flat = physics.h100e_hours(1000.0, 1.0, np.array([0.5]), np.array([1.5]))
    assert flat[0] == pytest.approx(1000.0 * HOURS_PER_YEAR)
    # Hour by hour the pieces add up to the whole, and an hour holds the busy H100e of its middle.
    edges = np.linspace(-1.0, 2.0, 3 * 8766 + 1)
    pieces = physics.h100e_hours(1000.0, 2.0, edges[:-1], edges[1:])
    whole = physics.h100e_hours(1000.0, 2.0, edges[:1], edges[-1:])
    assert pieces.sum() == pytest.approx(whole[0], rel=1e-9)
    hour = 1.0 / HOURS_PER_YEAR
    assert physics.h100e_hours(1000.0, 2.0, np.array([1.0]), np.array([1.0 + hour]))[
        0
    ] == pytest.approx(2000.0 * HOURS_PER_YEAR * hour, rel=1e-4)


# --- the table ---------------------------------------------------------------------------------


def test_background_table_by_hand(tmp_path: Path) -> None:
    """400 H100e a day: 9,600 H100e-hours, 9,600 x 700 W x PUE 1.2 = 8.064 MWh, at the H100's
    price; a run without a fleet runs all of it."""
    results = simulate(load_scenario(write(tmp_path, ALONE)))
    assert results.background is not None
    table = results.background.to_pandas()
    h100 = load_catalog()["H100-SXM"]
    assert len(table) == 59  # January and February, day bins
    assert (table["workload"] == "recommendation").all()
    assert table["h100e_hours"].to_numpy() == pytest.approx(400.0 * DAY_H)
    assert table["served_h100e_hours"].to_numpy() == pytest.approx(400.0 * DAY_H)
    assert table["energy_mwh"].to_numpy() == pytest.approx(9600 * 700 * 1.2 / 1e6)
    assert table["cost_usd"].to_numpy() == pytest.approx(9600 * h100.usd_per_gpu_hour)
    assert results.summary is not None
    (year,) = results.summary["background"]
    assert year["mean_busy_h100e"] == pytest.approx(400.0)
    assert year["h100e_hours"] == pytest.approx(400.0 * 59 * DAY_H)


def test_the_three_regimes_tables_do_not_change_with_a_background(tmp_path: Path) -> None:
    """Without a fleet background load is only added: the regimes' tables are the same."""
    base = (HERE / "scenarios" / "tiny.toml").read_text(encoding="utf-8")
    without = simulate(load_scenario(write(tmp_path, base, "a.toml")), summary=False)
    loaded = load_scenario(write(tmp_path, base + SEARCH, "b.toml"))
    added = simulate(loaded, summary=False)
    assert without.background is None
    assert added.background is not None
    for name in ("timeseries", "jobs", "models"):
        mine, theirs = getattr(without, name), getattr(added, name)
        assert isinstance(mine, pa.Table), name
        assert mine.equals(theirs), name


def test_a_run_without_background_writes_no_table_and_keeps_its_hash(
    tmp_path: Path, tiny: Path
) -> None:
    results = simulate(load_scenario(tiny), summary=False)
    assert "background" not in results.tables()
    assert "background" not in results.scenario.model_dump()
    assert "background" not in load_scenario(tiny).model_dump(mode="json")


# --- on a fleet --------------------------------------------------------------------------------


def fleet_of(results: Results) -> tuple[np.ndarray, np.ndarray]:
    """Installed and used GPU-hours of the fleet table by bin."""
    assert results.supply is not None
    table = results.supply.fleet.to_pandas().groupby("time")
    return (
        table["installed_gpu_hours"].sum().to_numpy(),
        table["used_gpu_hours"].sum().to_numpy(),
    )


def test_background_runs_first_on_a_tiny_fleet(tmp_path: Path) -> None:
    """1,000 H100s: 400 H100e of background use 40% of them, every hour, and their energy is
    400 x 700 W x PUE 1.2 an hour; all of the load runs."""
    results = simulate(load_scenario(write(tmp_path, ALONE + TINY_FLEET)))
    installed, used = fleet_of(results)
    assert installed == pytest.approx(1000.0 * DAY_H)
    assert used == pytest.approx(400.0 * DAY_H)
    assert results.supply is not None
    fleet = results.supply.fleet.to_pandas()
    assert fleet["utilization"].to_numpy() == pytest.approx(0.4)
    assert fleet["energy_mwh"].sum() == pytest.approx(400 * 59 * DAY_H * 700 * 1.2 / 1e6)
    assert results.background is not None
    table = results.background.to_pandas()
    assert (table["served_h100e_hours"] == table["h100e_hours"]).all()


def test_a_load_above_the_fleet_takes_all_of_it(tmp_path: Path) -> None:
    """400 + 1,100 H100e on 1,000 H100s: the fleet is full; workloads take it in name order,
    recommendation all its 400, search the 600 left of its 1,100."""
    results = simulate(load_scenario(write(tmp_path, ALONE + TINY_FLEET + SEARCH)))
    installed, used = fleet_of(results)
    assert used == pytest.approx(installed)
    assert results.background is not None
    table = results.background.to_pandas()
    days = table.groupby("workload")[["h100e_hours", "served_h100e_hours"]].sum() / (59 * DAY_H)
    assert days.loc["recommendation"].to_numpy() == pytest.approx([400.0, 400.0])
    assert days.loc["search"].to_numpy() == pytest.approx([1100.0, 600.0])


def test_a_workload_runs_only_in_its_pools(tmp_path: Path) -> None:
    """Two pools of 500 H100s; 400 H100e of background in pool `b` fill 80% of it, none of `a`."""
    text = (
        ALONE
        + 'pools = ["b"]\n'
        + TINY_FLEET.replace("share = 1.0", "share = 0.5")
        + "\n[fleet.pools.b]\nshare = 0.5\n"
    )
    results = simulate(load_scenario(write(tmp_path, text.replace("cloud", "a"))))
    assert results.supply is not None
    fleet = results.supply.fleet.to_pandas().groupby("pool")["utilization"]
    assert fleet.min().to_dict() == pytest.approx({"a": 0.0, "b": 0.8})
    assert fleet.max().to_dict() == pytest.approx({"a": 0.0, "b": 0.8})


def test_the_regimes_get_what_background_leaves(tmp_path: Path) -> None:
    """The fleet test scenario with 10,000 H100e of background: every bin's fluid work runs at
    most what the background leaves; the regimes run less than without it, the fleet is busier."""
    without = simulate(load_scenario(FLEET), summary=False)
    text = f'extends = "{FLEET}"\n[background.ranking]\nh100e_at_reference = 10000.0\n'
    added = simulate(load_scenario(write(tmp_path, text)), summary=False)
    assert without.supply is not None
    assert added.supply is not None
    assert added.background is not None
    bins = added.background.to_pandas().groupby("time")
    held = bins["served_h100e_hours"].sum().to_numpy()
    assert (held <= bins["h100e_hours"].sum().to_numpy() + 1e-6).all()
    assert held.sum() > 0
    installed, used = fleet_of(added)
    assert (used <= installed + 1e-6).all()
    assert (used >= held - 1e-6).all()
    fluid = added.supply.capacity.to_pandas()
    fluid = fluid[fluid["regime"] != "pretraining"].groupby("time")["served_gpu_hours"].sum()
    assert (fluid.to_numpy() <= installed - held + 1e-6).all()

    def served(r: Results) -> float:
        assert r.supply is not None
        return float(r.supply.capacity.to_pandas()["served_gpu_hours"].sum())

    assert served(added) < served(without)
    assert fleet_of(added)[1].sum() > fleet_of(without)[1].sum()


# --- scorecard, summary, files -----------------------------------------------------------------


def test_scorecard_counts_background_in_demand_and_energy(tmp_path: Path) -> None:
    """A run of background alone: January's demand is its 400 H100e, its energy 400 x 744 h x
    700 W x 1.2."""
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(write(tmp_path, ALONE)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    # The run's report: 400 H100e for the 59 days of Jan-Feb = 566,400 H100e-hours, no FLOP.
    assert "background (H100e-hours) │ 5.66e+05 │ - │" in " ".join(result.output.split())
    run = read_run(out)
    assert run.background is not None

    def figure(measure: str) -> Figure:
        return Figure.model_validate(
            {
                "id": measure,
                "measure": measure,
                "period": "2025-01",
                "value": 1.0,
                "unit": "u",
                "kind": "equal",
                "within": 2.0,
                "source": "a test of the arithmetic",
            }
        )

    demand, energy = scorecard(run, (figure("demand_h100e"), figure("energy_twh")))
    assert demand.simulated == pytest.approx(400.0)
    assert energy.simulated == pytest.approx(400 * 744 * 700 * 1.2 / 1e12)
    shown = CliRunner().invoke(app, ["summary", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "Background load" in shown.output


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("background.r.h100e_at_reference=0.0", "background.r.h100e_at_reference"),
        ("background.r.h100e_at_reference=2e9", "background.r.h100e_at_reference"),
        ("background.r.growth_per_year=0.0", "background.r.growth_per_year"),
        ("background.r.reference_date=1990-01-01", "background.r.growth_per_year"),
        ("background.r.pools=['nowhere']", "background.r.pools"),
        ("fleet.pools.cloud.regimes=[]", "fleet.pools.cloud.regimes"),
        ("background.r.hardware='H100-SXM'", "background.r.hardware"),
    ],
)
def test_bad_background_is_refused_naming_the_field(
    tmp_path: Path, override: str, field: str
) -> None:
    out = tmp_path / "out"
    path = write(tmp_path, ALONE + (TINY_FLEET if "fleet" in override else ""))
    result = CliRunner().invoke(app, ["run", str(path), "--set", override, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert field in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()
