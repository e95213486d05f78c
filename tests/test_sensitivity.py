"""Sensitivity: SALib indices rank a known dominant parameter first; missing runs are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from simdemand.cli.experiments import sensitivity, sweep
from simdemand.experiments import analyze, load_sweep, run_sweep
from simdemand.experiments.sensitivity import MissingRuns

HERE = Path(__file__).parent / "scenarios"
FLOP = "labs.big.compute_flop_at_reference"
LAG = "labs.big.release_lag_days"


def cli() -> typer.Typer:
    """An app with the experiment commands, as simdemand.cli registers them."""
    app = typer.Typer()
    app.command()(sweep)
    app.command()(sensitivity)
    return app


@pytest.fixture(scope="module")
def sobol(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The Sobol design run through the CLI: its folder and the printed output."""
    out = tmp_path_factory.mktemp("sobol") / "sobol"
    file = HERE / "sweep_sobol.toml"
    result = CliRunner().invoke(cli(), ["sensitivity", str(file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.stdout


def test_sobol_ranks_the_dominant_parameter_first(sobol: tuple[Path, str]) -> None:
    """Two decades of compute per run explain the GPU-hours; the release lag explains none."""
    out, printed = sobol
    table = pd.read_csv(out / "sensitivity.csv")
    assert list(table["parameter"]) == [FLOP, LAG]
    flop, lag = table.iloc[0], table.iloc[1]
    assert flop["ST"] > 10 * lag["ST"]
    assert lag["ST"] < 0.05
    assert "sobol indices of pretraining gpu_hours, whole horizon" in printed
    record = json.loads((out / "sensitivity.json").read_text())
    assert record["method"] == "sobol"
    assert record["runs"] == 8 * (2 + 2)
    assert [row["parameter"] for row in record["indices"]] == [FLOP, LAG]


def test_morris_ranks_the_dominant_parameter_first(tmp_path: Path) -> None:
    """Morris screening over one year agrees: mu* of the compute is far above the lag's."""
    plan = load_sweep(HERE / "sweep_morris.toml")
    run_sweep(plan, tmp_path / "morris")
    indices = analyze(plan, tmp_path / "morris")
    assert list(indices.table["parameter"]) == [FLOP, LAG]
    mu_star = indices.table.set_index("parameter")["mu_star"]
    assert mu_star[FLOP] > 20 * mu_star[LAG]


def test_refuses_when_a_run_is_missing(sobol: tuple[Path, str], tmp_path: Path) -> None:
    """Drop one finished run from a copy of the folder: the analysis refuses, exit 2."""
    out, _ = sobol
    copy = tmp_path / "partial"
    copy.mkdir()
    lines = (out / "manifest.jsonl").read_text().splitlines(keepends=True)
    (copy / "manifest.jsonl").write_text("".join(lines[:-1]))
    plan = load_sweep(HERE / "sweep_sobol.toml")
    with pytest.raises(MissingRuns, match="1 of 32 runs are missing"):
        analyze(plan, copy)
    args = ["sensitivity", str(HERE / "sweep_sobol.toml"), "--out", str(copy), "--no-run"]
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 2
    assert "1 of 32 runs are missing" in result.stderr
    assert "--resume" in result.stderr
    assert not (copy / "sensitivity.csv").exists()
