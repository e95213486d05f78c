"""End to end: a scenario run writes a results folder that is complete, typed and reproducible."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simdemand import load_scenario, simulate, write_results
from simdemand.cli import app

TABLES = ("timeseries.parquet", "jobs.parquet", "models.parquet")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny scenario, run once through the CLI."""
    out = tmp_path_factory.mktemp("runs") / "tiny"
    scenario = Path(__file__).parent / "scenarios" / "tiny.toml"
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_folder_holds_tables_and_manifest_only(run_dir: Path) -> None:
    """Exactly the promised files, with nothing partial left beside them."""
    assert sorted(p.name for p in run_dir.iterdir()) == sorted([*TABLES, "manifest.json"])
    assert [p.name for p in run_dir.parent.iterdir()] == ["tiny"]


def test_conservation_per_regime(run_dir: Path) -> None:
    """The time series sums to the job rows it came from, per regime, within 1e-9."""
    ts = pd.read_parquet(run_dir / "timeseries.parquet").groupby("regime")[["gpu_hours", "flop"]]
    jobs = pd.read_parquet(run_dir / "jobs.parquet").groupby("regime")[["gpu_hours", "flop"]]
    a, b = ts.sum(), jobs.sum()
    assert list(a.index) == list(b.index) == ["pretraining"]
    assert ((a - b).abs() / b).max().max() <= 1e-9
    assert float(b.loc["pretraining", "gpu_hours"]) > 0  # type: ignore[arg-type]


def test_readers_agree_on_types(run_dir: Path) -> None:
    """pandas, DuckDB and polars read UTC timestamps and the same totals."""
    jobs = run_dir / "jobs.parquet"
    df = pd.read_parquet(jobs)
    assert str(df["start"].dtype) == "datetime64[us, UTC]"
    query = f"select typeof(start) t, sum(gpu_hours) g from '{jobs}' group by 1"
    ddb = duckdb.connect().execute(query).fetchall()
    assert ddb[0][0] == "TIMESTAMP WITH TIME ZONE"
    pol = pl.read_parquet(jobs)
    assert pol.schema["start"] == pl.Datetime("us", "UTC")
    assert ddb[0][1] == pytest.approx(df["gpu_hours"].sum(), rel=1e-12)
    assert pol["gpu_hours"].sum() == pytest.approx(df["gpu_hours"].sum(), rel=1e-12)
    models = pd.read_parquet(run_dir / "models.parquet")
    assert str(models["released"].dtype) == "datetime64[us, UTC]"
    assert models["open_weights"].dtype == bool


def test_jobs_lie_in_horizon_and_models_match_jobs(run_dir: Path) -> None:
    """Clipped jobs stay within [start, end); every released model has its final-run job."""
    jobs = pd.read_parquet(run_dir / "jobs.parquet")
    assert jobs["start"].min() >= pd.Timestamp("2024-01-01", tz="UTC")
    assert jobs["end"].max() <= pd.Timestamp("2027-01-01", tz="UTC")
    assert bool((jobs["end"] > jobs["start"]).all())
    models = pd.read_parquet(run_dir / "models.parquet")
    finals = set(jobs.loc[jobs["activity"] == "final-run", "model_id"])
    in_horizon = models[models["released"] >= pd.Timestamp("2024-06-01", tz="UTC")]
    assert len(in_horizon) > 0
    assert set(in_horizon["model_id"]) <= finals


def test_manifest_describes_the_run(run_dir: Path) -> None:
    """The manifest holds the resolved scenario, its hash, seed, counts and provenance."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert manifest["scenario"]["labs"]["big"]["count"] == 2
    for name in ("timeseries", "jobs", "models"):
        assert manifest["counts"][name] == pq.read_metadata(run_dir / f"{name}.parquet").num_rows
    meta = pq.read_schema(run_dir / "jobs.parquet").metadata
    assert meta[b"simdemand.scenario_sha256"].decode() == manifest["scenario_sha256"]
    assert sorted(manifest["streams"]) == [f"lab:big-{i}" for i in (1, 2)] + [
        f"lab:small-{i}" for i in (1, 2, 3)
    ]


def test_existing_folder_refused_then_forced(run_dir: Path, tiny: Path, runner: CliRunner) -> None:
    """A second run into the same folder exits 2 unless --force, which replaces it whole."""
    before = (run_dir / "jobs.parquet").read_bytes()
    refused = runner.invoke(app, ["run", str(tiny), "--out", str(run_dir)])
    assert refused.exit_code == 2
    assert "--force" in refused.stderr
    forced = runner.invoke(app, ["run", str(tiny), "--out", str(run_dir), "--force", "--seed", "8"])
    assert forced.exit_code == 0, forced.output
    assert (run_dir / "jobs.parquet").read_bytes() != before
    assert json.loads((run_dir / "manifest.json").read_text())["seed"] == 8
    assert [p.name for p in run_dir.parent.iterdir()] == ["tiny"]


def test_same_seed_gives_identical_bytes(tmp_path: Path, tiny: Path) -> None:
    """Two runs of one scenario and seed write byte-identical Parquet files."""
    scenario = load_scenario(tiny)
    a = write_results(simulate(scenario), tmp_path / "a")
    b = write_results(simulate(scenario), tmp_path / "b")
    for name in TABLES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.parametrize("hashseed", ["0", "1"])
def test_identical_under_any_hash_seed(tmp_path: Path, tiny: Path, hashseed: str) -> None:
    """A fresh interpreter with another PYTHONHASHSEED writes the same bytes."""
    reference = write_results(simulate(load_scenario(tiny)), tmp_path / "ref")
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    out = tmp_path / f"h{hashseed}"
    cmd = [sys.executable, "-m", "simdemand", "run", str(tiny), "--out", str(out)]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    for name in TABLES:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


def test_other_seed_changes_results(tiny: Path) -> None:
    """Another seed gives other draws."""
    a = simulate(load_scenario(tiny)).jobs
    b = simulate(load_scenario(tiny, ["run.seed=8"])).jobs
    assert not a.equals(b)


def test_adding_a_lab_leaves_other_labs_unchanged(tiny: Path) -> None:
    """Keyed streams: more labs in one archetype, or a new archetype, change no other lab's jobs."""
    base = simulate(load_scenario(tiny)).jobs.to_pandas()
    more = simulate(
        load_scenario(
            tiny,
            [
                "labs.small.count=4",
                "labs.extra.reference_date=2024-01-01",
                "labs.extra.compute_flop_at_reference=1e23",
                "labs.extra.compute_growth_per_year=2.0",
                "labs.extra.runs_per_year=3.0",
                "labs.extra.cluster_gpus_at_reference=512",
            ],
        )
    ).jobs.to_pandas()
    assert set(more["agent"]) - set(base["agent"]) >= {"small-4", "extra-1"}
    cols = ["agent", "activity", "model_id", "hardware", "start", "end", "gpu_hours", "flop"]
    for agent in sorted(set(base["agent"])):
        x = base.loc[base["agent"] == agent, cols].reset_index(drop=True)
        y = more.loc[more["agent"] == agent, cols].reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y)
