"""`simdemand summary` and the manifest's summary: totals that match the tables they come from."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from simdemand import load_scenario
from simdemand.analysis.market import measures as economy_measures
from simdemand.analysis.summary import json_ready, regime_totals, summarize
from simdemand.analysis.technology import looked_up
from simdemand.cli import app
from simdemand.results.reader import read_run
from simdemand.simulate import coded_frame, simulate

HERE = Path(__file__).parent / "scenarios"
# One lab archetype added to the small test-time scenario.
LAB = [
    "labs.big.reference_date=2025-01-01",
    "labs.big.compute_flop_at_reference=1e24",
    "labs.big.compute_growth_per_year=4.0",
    "labs.big.runs_per_year=12.0",
    "labs.big.cluster_gpus_at_reference=4096",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small test-time scenario plus one lab archetype, run through the CLI."""
    out = tmp_path_factory.mktemp("summary") / "run"
    sets = LAB
    args = ["run", str(HERE / "users.toml"), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, *(a for s in sets for a in ("--set", s))])
    assert result.exit_code == 0, result.output
    return out


def test_regime_totals_by_hand() -> None:
    """Two regimes in one year: sums and shares as computed by hand."""
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime(["2025-01-01", "2025-06-01", "2026-01-01"], utc=True),
            "regime": ["pretraining", "test-time", "test-time"],
            "gpu_hours": [1.0, 3.0, 5.0],
            "flop": [1.0, 1.0, 1.0],
            "energy_mwh": [0.0, 0.0, 0.0],
            "cost_usd": [2.0, 6.0, 10.0],
        }
    )
    table = regime_totals(frame)
    assert table["year"].tolist() == [2025, 2025, 2026]
    assert table["share_of_gpu_hours"].tolist() == [0.25, 0.75, 1.0]
    assert table["cost_usd"].tolist() == [2.0, 6.0, 10.0]


def test_manifest_summary_matches_tables(run_dir: Path) -> None:
    """The manifest's totals by regime and year equal sums over timeseries.parquet."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    ts = read_run(run_dir).timeseries
    by_year = {(r["year"], r["regime"]): r["gpu_hours"] for r in manifest["summary"]["regimes"]}
    sums = ts.groupby([ts["time"].dt.year, "regime"])["gpu_hours"].sum().reset_index()
    expected = {
        (int(y), str(r)): float(g)
        for y, r, g in zip(sums["time"], sums["regime"], sums["gpu_hours"], strict=True)
    }
    assert set(by_year) == set(expected)
    assert {"pretraining", "test-time"} == {regime for _, regime in by_year}
    for key, value in expected.items():
        assert by_year[key] == pytest.approx(value, rel=1e-12)
    classes = {r["class"] for r in manifest["summary"]["test_time"]["per_class"]}
    assert classes == {"chat", "reasoning", "best_of_n", "search", "agentic"}


def test_summary_cli_prints_each_regime(run_dir: Path, runner: CliRunner) -> None:
    """The text summary has the regime table and the per-class ratios to chat."""
    result = runner.invoke(app, ["summary", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert "Demand by year and regime" in result.stdout
    assert "ratio to chat" in result.stdout


def test_summary_cli_json_is_the_manifest_summary(run_dir: Path, runner: CliRunner) -> None:
    """`summary --json` gives the same figures as the manifest."""
    result = runner.invoke(app, ["summary", str(run_dir), "--json"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert json.loads(result.stdout) == manifest["summary"]


def test_summary_refuses_a_folder_without_results(tmp_path: Path, runner: CliRunner) -> None:
    """A folder that is not a run gives a one-line error and exit 2."""
    result = runner.invoke(app, ["summary", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a simdemand run folder" in result.stderr


def test_ecosystem_summary_without_post_training(tiny: Path) -> None:
    """A run with bases but no derivatives gives zero counts and ratios, not an error."""
    from simdemand import load_scenario, simulate
    from simdemand.analysis.post_training import ecosystem_summary

    results = simulate(load_scenario(tiny))
    bases = ecosystem_summary(results.models.to_pandas(), results.jobs.to_pandas())
    assert len(bases) > 0
    assert (bases["derivatives"] == 0).all()
    assert (bases["ratio"] == 0).all()


def test_coded_frame_orders_labels_alphabetically() -> None:
    """Label columns become categoricals with alphabetical categories and the same values;
    grouping by them gives the groups, sums and order that the strings give."""
    table = pa.table(
        {
            "regime": ["test-time", "pretraining", "test-time", "post-training"],
            "model_id": ["m2", "m1", "m2", "m3"],
            "gpu_hours": [1.0, 2.0, 4.0, 8.0],
        }
    )
    frame = coded_frame(table)
    assert list(frame.columns) == ["regime", "model_id", "gpu_hours"]
    assert list(frame["regime"].cat.categories) == ["post-training", "pretraining", "test-time"]
    assert frame["regime"].astype(str).tolist() == table["regime"].to_pylist()
    assert frame["model_id"].astype(str).tolist() == ["m2", "m1", "m2", "m3"]
    sums = frame.groupby("regime")["gpu_hours"].sum()
    assert list(sums.index) == ["post-training", "pretraining", "test-time"]
    assert sums.tolist() == [8.0, 2.0, 5.0]


def test_looked_up_is_a_map_with_nan_for_unknown_keys() -> None:
    """Each key's value, NaN for a key the values do not have, as `Series.map` gives."""
    keys = pd.Series(pd.Categorical(["m2", "m1", "zz", "m2"]), index=[10, 11, 12, 13])
    values = pd.Series([1.5, 2.5], index=pd.Index(["m1", "m2"], name="model_id"))
    found = looked_up(keys, values)
    assert found.index.tolist() == [10, 11, 12, 13]
    assert found.iloc[[0, 1, 3]].tolist() == [2.5, 1.5, 2.5]
    assert math.isnan(found.iloc[2])
    pd.testing.assert_series_equal(found, keys.astype(str).map(values), check_names=False)


def test_run_summary_equals_summarize_over_plain_frames() -> None:
    """The summary `simulate` adds (categorical labels, the time series first) is bit for bit
    that of `summarize` over the tables converted whole, with text columns as strings."""
    sets = [*LAB, "run.resolution=hour"]
    results = simulate(load_scenario(HERE / "users.toml", sets))
    plain = [t.to_pandas() for t in (results.timeseries, results.jobs, results.models)]
    figures = summarize(*plain)
    economy = (results.market, results.investment)
    figures.update(economy_measures(*(None if t is None else t.to_pandas() for t in economy)))
    assert results.summary == json_ready(figures)
    assert {"research_share", "test_time", "technology"} <= set(figures)
