"""Comparing two runs: by regime and year, differences and ratios computed by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simdemand import load_scenario, simulate, write_results
from simdemand.analysis.comparison import compare_runs
from simdemand.cli import app
from simdemand.results.reader import Run

HERE = Path(__file__).parent


def run_of(rows: list[tuple[int, str, float, float, float]]) -> Run:
    """A run whose time series has one row per (year, regime, GPU-hours, tokens, USD)."""
    series = pd.DataFrame(
        {
            "time": [pd.Timestamp(dt.datetime(y, 6, 1, tzinfo=dt.UTC)) for y, *_ in rows],
            "regime": [r for _, r, *_ in rows],
            "gpu_hours": [g for *_, g, _, _ in rows],
            "tokens": [t for *_, t, _ in rows],
            "cost_usd": [c for *_, c in rows],
            "energy_mwh": [1.0 for _ in rows],
        }
    )
    empty = pd.DataFrame()
    return Run(Path("x"), {"name": "x"}, series, empty, empty)


def test_differences_and_ratios_by_hand() -> None:
    """b doubles test-time GPU-hours in 2025 and halves its price; a regime only b has counts
    as zero in a (no ratio)."""
    a = run_of([(2025, "test-time", 10.0, 1e6, 4.0), (2025, "pretraining", 5.0, 0.0, 2.0)])
    b = run_of(
        [
            (2025, "test-time", 20.0, 4e6, 8.0),
            (2025, "pretraining", 5.0, 0.0, 2.0),
            (2025, "post-training", 3.0, 0.0, 1.0),
        ]
    )
    table = compare_runs(a, b).set_index(["regime", "measure"])
    assert table.loc[("test-time", "gpu_hours"), "difference"] == 10.0
    assert table.loc[("test-time", "gpu_hours"), "ratio"] == 2.0
    # Price: a 4 USD / 1e6 tokens = 4 USD/M; b 8 / 4e6 = 2 USD/M.
    assert table.loc[("test-time", "usd_per_million_tokens"), "a"] == pytest.approx(4.0)
    assert table.loc[("test-time", "usd_per_million_tokens"), "ratio"] == pytest.approx(0.5)
    assert table["a"].isna()[("pretraining", "usd_per_million_tokens")]
    assert table.loc[("post-training", "gpu_hours"), "a"] == 0.0
    assert table["ratio"].isna()[("post-training", "gpu_hours")]


def test_a_run_against_itself_differs_by_nothing(tmp_path: Path) -> None:
    """`simdemand compare A A --json` and --out: every difference 0, every defined ratio 1."""
    folder = write_results(
        simulate(load_scenario(HERE / "scenarios" / "users.toml")), tmp_path / "r"
    )
    result = CliRunner().invoke(
        app, ["compare", str(folder), str(folder), "--json", "--out", str(tmp_path / "d.csv")]
    )
    assert result.exit_code == 0, result.output
    rows = pd.DataFrame(json.loads(result.stdout))
    assert (rows["difference"] == 0).all()
    assert (rows["ratio"].dropna() == 1.0).all()
    assert len(pd.read_csv(tmp_path / "d.csv")) == len(rows)
    missing = CliRunner().invoke(app, ["compare", str(folder), str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert len(missing.stderr.strip().splitlines()) == 1
