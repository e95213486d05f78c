"""The history scenario reproduces Epoch AI's record of large training runs (2018 to mid-2025)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from simdemand.calibration.backtest import (
    backtest,
    compare,
    distribution_table,
    simulated_models,
    with_history,
)
from simdemand.calibration.history import load_epoch_models
from simdemand.cli import app
from simdemand.scenario import load_scenario

HISTORY = Path(__file__).parent.parent / "scenarios" / "history-2018-2025.toml"


Rows = dict[tuple[str, str], dict[Any, Any]]


@pytest.fixture(scope="module")
def frames() -> list[pd.DataFrame]:
    """The models of 20 replications of the history scenario."""
    return simulated_models(load_scenario(HISTORY), replications=20)


@pytest.fixture(scope="module")
def table(frames: list[pd.DataFrame]) -> Rows:
    """The backtest over 20 replications, keyed by (metric, period)."""
    frame = compare(load_scenario(HISTORY), frames)
    return {(r["metric"], r["period"]): r for r in frame.to_dict("records")}


def test_distribution_of_large_runs_matches_by_year(frames: list[pd.DataFrame]) -> None:
    """For models >= 1e23 FLOP, yearly median and p90 of log10 FLOP within 0.5 dex, 2022-2025."""
    rows = distribution_table(load_scenario(HISTORY), frames)
    years = rows["year"].tolist()
    for q in ("p50", "p90"):
        data = dict(zip(years, rows[f"data_log10_flop_{q}"].to_numpy(float), strict=True))
        sim = dict(zip(years, rows[f"sim_log10_flop_{q}"].to_numpy(float), strict=True))
        for year in (2022, 2023, 2024, 2025):
            assert abs(sim[year] - data[year]) <= 0.5, (year, q, sim[year], data[year])


def test_backtest_is_compare_over_replications() -> None:
    """backtest() equals compare() over simulated_models() with the same count."""
    scenario = load_scenario(HISTORY)
    expected = compare(scenario, simulated_models(scenario, 2))
    pd.testing.assert_frame_equal(backtest(scenario, 2), expected)


def test_frontier_growth_within_25_percent(table: Rows) -> None:
    """Median frontier growth within ±25% of the data's ≈4.6x/yr (Epoch AI, top-10 since 2018)."""
    row = table[("frontier_growth_per_year", "2018-01-01/2025-06-30")]
    assert row["data"] == pytest.approx(4.62, abs=0.01)
    assert row["sim_median"] == pytest.approx(row["data"], rel=0.25)


def test_models_over_1e25_by_mid_2025_within_40_percent(table: Rows) -> None:
    """Median count of pretrained models >= 1e25 FLOP by 2025-06-30 within ±40% of the data.

    The data hold 24 such models, one a derivative (Llama Nemotron Ultra, whose Epoch compute
    includes its base's pretraining); pretrained models only, 23 (docs/calibration.md; Epoch AI).
    """
    row = table[("cum_ge_1e25", "by 2025-06-30")]
    assert row["data"] == 23
    assert row["sim_median"] == pytest.approx(24, rel=0.40)


def test_models_over_1e24_and_1e26(table: Rows) -> None:
    """Counts >= 1e24 within ±30% of the data's 78 (pretrained); >= 1e26 a handful, as the 2."""
    assert table[("cum_ge_1e24", "by 2025-06-30")]["sim_median"] == pytest.approx(78, rel=0.3)
    assert 0 <= table[("cum_ge_1e26", "by 2025-06-30")]["sim_median"] <= 5


def test_threshold_counts_rise_each_year(table: Rows) -> None:
    """As in the data, no model reaches 1e25 before 2022 and the yearly count peaks in 2024."""
    n25 = {
        period: row["sim_median"]
        for (metric, period), row in table.items()
        if metric == "n_ge_1e25"
    }
    assert n25["2018"] + n25["2019"] + n25["2020"] == 0
    assert max(n25, key=lambda period: n25[period]) == "2024"


def test_history_before_window_feeds_ranks_only() -> None:
    """Observed models before the window are kept for ranking; simulated ones before it dropped."""
    observed = load_epoch_models()
    since = pd.Timestamp("2018-01-01", tz="UTC")
    simulated = pd.DataFrame(
        {
            "model_id": ["old", "new"],
            "released": pd.to_datetime(["2017-06-01", "2019-06-01"], utc=True),
            "training_flop": [1e22, 1e23],
            "parent_id": [None, None],
            "open_weights": [True, False],
        }
    )
    merged = with_history(simulated, observed, since)
    assert "old" not in set(merged["model_id"])
    assert "new" in set(merged["model_id"])
    assert (merged["released"] < since).sum() == (observed["released"] < since).sum()


def test_cli_prints_side_by_side(runner: CliRunner) -> None:
    """`simdemand backtest` prints data and simulated columns for each metric."""
    result = runner.invoke(app, ["backtest", str(HISTORY), "--replications", "2"])
    assert result.exit_code == 0, result.output
    assert "frontier" in result.stdout
    assert "sim_median" in result.stdout
