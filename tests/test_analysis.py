"""The notebook API: open runs and sweeps, totals that conserve, bands, scenario comparison."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest

from simdemand import analysis
from simdemand.experiments import run_sweep

GRID = Path(__file__).parent / "scenarios" / "sweep_grid.toml"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The grid sweep (4 scenarios x 3 replications), run serially."""
    out = tmp_path_factory.mktemp("analysis") / "grid"
    run_sweep(GRID, out)
    return out


def test_open_sweep_has_run_columns_and_only_finished_runs(root: Path, tmp_path: Path) -> None:
    """Partition columns come from the folders; an unrecorded folder is not read."""
    dataset = analysis.open_sweep(root)
    assert {"scenario", "replication"} <= set(dataset.schema.names)
    rows = dataset.count_rows()
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    first = next(copy.glob("scenario=*/replication=0"))
    shutil.copytree(first, copy / "scenario=sstray" / "replication=0")
    assert analysis.open_sweep(copy).count_rows() == rows
    frame = analysis.read_sweep(root, "jobs", columns=["gpu_hours"])
    assert list(frame.columns) == ["scenario", "replication", "gpu_hours"]
    assert frame.groupby(["scenario", "replication"]).ngroups == 12


def test_totals_conserve_the_jobs(root: Path) -> None:
    """Per run and regime, the time series' total equals the sum of its jobs."""
    totals = analysis.totals(root, freq=None).set_index(["scenario", "replication", "regime"])
    jobs = analysis.read_sweep(root, "jobs", columns=["regime", "gpu_hours"])
    by_run = jobs.groupby(["scenario", "replication", "regime"])["gpu_hours"].sum()
    assert len(totals) == 12
    np.testing.assert_allclose(totals["gpu_hours"], by_run.loc[totals.index], rtol=1e-9)


def test_totals_give_every_run_every_group(root: Path) -> None:
    """Runs without activity in a period get a zero row, so quantiles see all replications."""
    only = ds.field("agent") == "small-3"
    monthly = analysis.totals(root, freq="month", filter=only)
    per_group = monthly.groupby(["scenario", "time", "regime"])["replication"].nunique()
    assert set(per_group) == {3}
    assert (monthly["gpu_hours"] == 0).any()


def test_bands_are_quantiles_over_replications(root: Path) -> None:
    """p5 <= p50 <= p95 per scenario, year and regime; p50 is the median of the runs."""
    bands = analysis.bands(root, freq="year")
    assert list(bands.columns) == [
        "scenario",
        "time",
        "regime",
        "p5",
        "p50",
        "p95",
        "mean",
        "replications",
    ]
    assert len(bands) == 4 * 2
    assert (bands["replications"] == 3).all()
    assert ((bands["p5"] <= bands["p50"]) & (bands["p50"] <= bands["p95"])).all()
    yearly = analysis.totals(root, freq="year")
    row = bands.iloc[0]
    runs = yearly[(yearly["scenario"] == row["scenario"]) & (yearly["time"] == row["time"])]
    assert row["p50"] == pytest.approx(float(np.median(runs["gpu_hours"])))


def test_compare_puts_scenarios_side_by_side(root: Path) -> None:
    """One row per scenario with its axis values; ratios to a reference scenario."""
    params = analysis.scenarios(root)
    assert list(params.columns) == ["labs.big.compute_growth_per_year", "labs.small.count"]
    slow = params.index[
        (params["labs.big.compute_growth_per_year"] == 3.0) & (params["labs.small.count"] == 1)
    ][0]
    table = analysis.compare(root, reference=slow).set_index("scenario")
    assert len(table) == 4
    assert table.loc[slow, "ratio"] == pytest.approx(1.0)
    fast = table[table["labs.big.compute_growth_per_year"] == 5.0]
    assert (fast["ratio"] > 1).all()


def test_metric_sums_a_year_and_a_share(root: Path) -> None:
    """One value per run: a year's total; the share of the only regime is 1."""
    year = analysis.metric(root, year=2026)
    yearly = analysis.totals(root, freq="year", by=())
    expected = yearly[yearly["time"] == pd.Timestamp("2026-01-01", tz="UTC")]
    np.testing.assert_allclose(year.to_numpy(), expected["gpu_hours"].to_numpy(), rtol=1e-12)
    share = analysis.metric(root, regime="pretraining", share=True)
    assert np.allclose(share.to_numpy(), 1.0)


def test_single_run_folder(root: Path) -> None:
    """A run folder opens alone, as a dataset or a DataFrame."""
    folder = next(root.glob("scenario=*/replication=0"))
    models = analysis.read_table(folder, "models")
    assert len(models) > 0
    monthly = analysis.totals(analysis.open_table(folder), freq="month")
    assert list(monthly.columns) == ["time", "regime", "gpu_hours"]
    with pytest.raises(ValueError, match="unknown table"):
        analysis.open_table(folder, "queries")
