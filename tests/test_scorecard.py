"""The calibration scorecard: its measures on a run built by hand, its verdicts, its data."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from simdemand.calibration.scorecard import (
    MEASURES,
    Figure,
    Period,
    judge,
    only_agents,
    published,
    scorecard,
)
from simdemand.results.reader import Run, read_run

UTC = dt.UTC


def stamp(year: int, month: int, day: int) -> pd.Timestamp:
    """A UTC timestamp at midnight."""
    return pd.Timestamp(dt.datetime(year, month, day, tzinfo=UTC))


def hand_run(fleet: bool = True) -> Run:
    """Two monthly bins of 2025 (Jan, Feb) in a run of Jan-Feb 2025: test-time on H100s and
    B200s, a final run and experiments on H100s; two pretrained models and a derivative."""
    jan, feb = stamp(2025, 1, 1), stamp(2025, 2, 1)
    timeseries = pd.DataFrame(
        {
            "time": [jan, jan, jan, jan, feb],
            "regime": ["test-time", "test-time", "pretraining", "pretraining", "test-time"],
            "agent": ["users", "users", "lab-1", "lab-1", "users"],
            "activity": ["chat", "chat", "final-run", "experiments", "chat"],
            "hardware": ["H100-SXM", "B200", "H100-SXM", "H100-SXM", "H100-SXM"],
            "gpu_hours": [744.0, 744.0, 1488.0, 4464.0, 672.0],
            "tokens": [3.1e9, 0.0, 0.0, 0.0, 2.8e9],
            "queries": [31e6, 0.0, 0.0, 0.0, 28e6],
            "cost_usd": [100.0, 100.0, 200.0, 600.0, 0.0],
            "energy_mwh": [1e6, 0.0, 0.0, 0.0, 0.5e6],
        }
    )
    models = pd.DataFrame(
        {
            "model_id": ["a/1", "b/1", "c/d1"],
            "released": [stamp(2025, 1, 10), stamp(2025, 2, 10), stamp(2025, 2, 11)],
            "training_flop": [2e25, 5e24, 1e30],
            "parent_id": [None, None, "a/1"],
        }
    )
    supply = {}
    if fleet:
        supply["fleet"] = pd.DataFrame(
            {
                "time": [jan, jan, feb, feb],
                "pool": ["p", "p", "p", "p"],
                "hardware": ["H100-SXM", "B200", "H100-SXM", "B200"],
                "installed_gpu_hours": [7440.0, 744.0, 6720.0, 1344.0],
                "used_gpu_hours": [3720.0, 744.0, 672.0, 0.0],
                "h100e_per_gpu": [1.0, 2250 / 989, 1.0, 2250 / 989],
            }
        )
        supply["capacity"] = supply["waits"] = pd.DataFrame()
    manifest = {"name": "hand", "scenario": {"run": {"start": "2025-01-01", "end": "2025-03-01"}}}
    return Run(Path("hand"), manifest, timeseries, pd.DataFrame(), models, **supply)


def figure(measure: str, period: str, value: float = 1.0, kind: str = "equal") -> Figure:
    """A figure to hold a measure against."""
    return Figure.model_validate(
        {
            "id": measure,
            "measure": measure,
            "period": period,
            "value": value,
            "unit": "u",
            "kind": kind,
            "within": 2.0,
            "source": "a test of the arithmetic",
        }
    )


def simulated(measure: str, period: str, run: Run | None = None) -> float | None:
    """The run's value of one measure over one period."""
    (row,) = scorecard(run or hand_run(), (figure(measure, period),))
    return row.simulated


def test_measures_by_hand() -> None:
    """January has 744 hours, February 672."""
    # Jan: (744 + 744 x 2250/989 + 1488 + 4464) H100e-hours / 744 h = 1 + 2.275 + 2 + 6 = 11.275.
    assert simulated("demand_h100e", "2025-01") == pytest.approx(9 + 2250 / 989)
    # The last bin of January: 7440 / 744 h H100s + 744 / 744 h B200s = 10 + 2.275.
    assert simulated("installed_h100e", "2025-01") == pytest.approx(10 + 2250 / 989)
    # The last bin of February ends at the run's end: 6720 / 672 h + 2 x 2.275.
    assert simulated("installed_h100e", "2025-02") == pytest.approx(10 + 2 * 2250 / 989)
    assert simulated("fleet_utilization", "2025-01") == pytest.approx(4464 / 8184)
    assert simulated("tokens_per_day", "2025-02") == pytest.approx(1e8)  # 2.8e9 / 28 days
    assert simulated("queries_per_day", "2025-01") == pytest.approx(1e6)  # 31e6 / 31 days
    assert simulated("largest_run_flop", "2025-02") == 5e24  # the derivative is not a run
    assert simulated("runs_over_1e25", "2025-01") == 1.0
    assert simulated("research_share", "2025-01") == pytest.approx(4464 / 5952)
    assert simulated("test_time_share_of_spend", "2025-01") == pytest.approx(0.2)
    assert simulated("spend_usd", "2025-01") == 1000.0
    assert simulated("test_time_spend_usd", "2025-01") == 200.0  # the two chat rows
    assert simulated("energy_twh", "2025-01") == 1.0
    # Jan's chat: 1e6 MWh = 1e12 Wh over 31e6 queries; the experiments' energy is not a query's.
    assert simulated("chat_wh_per_query", "2025-01") == pytest.approx(1e12 / 31e6)
    assert simulated("chat_wh_per_query", "2025-02") == pytest.approx(0.5e12 / 28e6)


def test_wh_per_query_reads_each_class_by_its_kind() -> None:
    """January with one row per text kind of cohort `users` (2e6 queries and 1e5 MWh each,
    `coding` an agentic class), an image class named `search` (1e6, 9e9 MWh) and 4e5 MWh of
    `chat` queries of cohort `other`: text = the four text rows (`coding` one of them) and the
    chat rows, (1e6 + 4 x 1e5 + 4e5) MWh over (31e6 + 4 x 2e6 + 4e6) queries; chat = the chat
    rows of both cohorts, (1e6 + 4e5) MWh over (31e6 + 4e6); the class named `search` is an image.
    Scoped to `users`, the other cohort's chat goes."""
    run = hand_run()
    jan = stamp(2025, 1, 1)
    names = ["reasoning", "best_of_n", "agentic", "coding", "search", "chat"]
    extra = pd.DataFrame(
        {
            "time": [jan] * 6,
            "regime": ["test-time"] * 6,
            "agent": ["users"] * 5 + ["other"],
            "activity": names,
            "hardware": ["H100-SXM"] * 6,
            "gpu_hours": [10.0] * 6,
            "tokens": [1e9] * 4 + [0.0, 1e9],
            "queries": [2e6] * 4 + [1e6, 4e6],
            "cost_usd": [1.0] * 6,
            "energy_mwh": [1e5] * 4 + [9e9, 4e5],
        }
    )
    kinds = {"chat": "chat", "reasoning": "reasoning", "best_of_n": "best_of_n"}
    kinds |= {"agentic": "agentic", "coding": "agentic", "search": "image"}
    users = {
        "users": {"classes": {name: {"kind": kind} for name, kind in kinds.items()}},
        "other": {"classes": {"chat": {"kind": "chat"}}},
    }
    manifest = {**run.manifest, "scenario": {**run.manifest["scenario"], "users": users}}
    rows = pd.concat([run.timeseries, extra], ignore_index=True)
    run = dataclasses.replace(run, timeseries=rows, manifest=manifest)
    text_mwh, text_queries = 1e6 + 4 * 1e5 + 4e5, 31e6 + 4 * 2e6 + 4e6
    assert simulated("text_wh_per_query", "2025-01", run) == pytest.approx(
        text_mwh * 1e6 / text_queries
    )
    assert simulated("chat_wh_per_query", "2025-01", run) == pytest.approx(1.4e12 / 35e6)
    scoped = only_agents(run, "users")
    assert simulated("chat_wh_per_query", "2025-01", scoped) == pytest.approx(1e12 / 31e6)
    assert simulated("text_wh_per_query", "2025-01", scoped) == pytest.approx(
        (1e6 + 4e5) * 1e6 / (31e6 + 8e6)
    )


def test_a_scoped_figure_reads_only_its_agents_and_its_own_period() -> None:
    """`agents` keeps one archetype's work (the other lab's experiments and all serving go);
    `simulated_period` holds January against a figure dated 2024."""
    run = hand_run()
    extra = pd.DataFrame(
        {
            "time": [stamp(2025, 1, 1)] * 3,
            "regime": ["pretraining", "post-training", "post-training"],
            "agent": ["other-1", "lab-1", "community"],
            "activity": ["experiments", "rl", "lora"],
            "hardware": ["H100-SXM"] * 3,
            "gpu_hours": [9999.0, 48.0, 777.0],
            "tokens": [0.0] * 3,
            "queries": [0.0] * 3,
            "cost_usd": [0.0] * 3,
            "energy_mwh": [0.0] * 3,
        }
    )
    run = Run(run.folder, run.manifest, pd.concat([run.timeseries, extra]), run.jobs, run.models)
    scoped = figure("research_share", "2024").model_copy(
        update={"agents": "lab", "simulated_period": "2025-01"}
    )
    (row,) = scorecard(run, (scoped,))
    # lab-1: experiments 4,464 + its own RL 48 outside a final run of 1,488.
    assert row.simulated == pytest.approx(4512 / 6000)
    (everyone,) = scorecard(run, (figure("research_share", "2025-01"),))
    # Every lab (other-1 too) but never the communities or users.
    assert everyone.simulated == pytest.approx((4512 + 9999) / (6000 + 9999))


def test_periods_the_run_does_not_cover_are_not_judged() -> None:
    """A year the run covers only in part, and supply measures of a run without a fleet."""
    assert simulated("spend_usd", "2025") is None
    assert simulated("installed_h100e", "2025-01", hand_run(fleet=False)) is None
    assert judge(figure("spend_usd", "2025"), None).verdict == "not covered"


@pytest.mark.parametrize(
    ("kind", "value", "verdict"),
    [
        ("equal", 2.0, "consistent"),  # ratio 0.5, the edge of within 2
        ("equal", 2.1, "low"),
        ("equal", 0.49, "high"),
        ("at_least", 2.0, "consistent"),
        ("at_least", 3.0, "low"),
        ("at_least", 0.001, "consistent"),
        ("at_most", 0.5, "consistent"),
        ("at_most", 0.4, "high"),
        ("at_most", 1000.0, "consistent"),
    ],
)
def test_verdicts_follow_the_kind_and_the_factor(kind: str, value: float, verdict: str) -> None:
    """A simulated 1.0 against `value`, within a factor 2."""
    row = judge(figure("spend_usd", "2025", value, kind), 1.0)
    assert row.ratio == pytest.approx(1.0 / value)
    assert row.verdict == verdict


def test_published_figures_are_sourced_and_computable() -> None:
    """Every bundled figure names a measure the scorecard has, a source, and a unit."""
    figures = published()
    assert len(figures) >= 10
    assert {f.measure for f in figures} <= set(MEASURES)
    assert len({f.id for f in figures}) == len(figures)
    assert all(f.source and f.unit for f in figures)


def test_an_unknown_measure_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown measure 'mystery'"):
        figure("mystery", "2025")


def test_months_and_years_are_whole() -> None:
    assert Period.parse("2025-12").days == 31
    assert Period.parse("2024").days == 366


def test_the_command_prints_the_scorecard_of_a_run(tmp_path: Path) -> None:
    """`simdemand scorecard RUN --json`: one record per figure; the covered spend of 2025 is
    the sum of the run's 2025 cost; a folder that is no run is one line and exit 2."""
    import json

    from typer.testing import CliRunner

    from simdemand import load_scenario, simulate, write_results
    from simdemand.cli import app

    here = Path(__file__).parent
    folder = write_results(
        simulate(load_scenario(here / "scenarios" / "fleet.toml")), tmp_path / "r"
    )
    runner = CliRunner()
    result = runner.invoke(app, ["scorecard", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["figure"]: r for r in json.loads(result.stdout)}
    assert len(rows) == len(published())
    assert {r["verdict"] for r in rows.values()} <= {"consistent", "low", "high", "not covered"}
    series = pd.read_parquet(folder / "timeseries.parquet")
    spend = series.loc[series["time"].dt.year == 2025, "cost_usd"].sum()
    demand = rows["demand-h100e-2025"]
    assert demand["simulated"] is not None
    assert rows["openai-spend-2024"]["verdict"] == "not covered"  # the run starts in 2025
    assert simulated("spend_usd", "2025", read_run(folder)) == pytest.approx(spend)
    bad = runner.invoke(app, ["scorecard", str(tmp_path)])
    assert bad.exit_code == 2
    assert len(bad.stderr.strip().splitlines()) == 1


def test_the_baselines_2025_against_the_published_figures(tmp_path: Path) -> None:
    """The baseline read through the scorecard: every figure its 2025 (and May 2026) covers is
    consistent within its stated factor. Ratios observed: demand 0.62, OpenAI's inference spend
    1.09 (a floor), Google's prompt 0.63, Altman's query 1.84, the largest run 0.51, research
    share 0.98."""
    from simdemand import load_scenario, simulate, write_results

    here = Path(__file__).parent.parent / "scenarios" / "baseline.toml"
    folder = write_results(simulate(load_scenario(here)), tmp_path / "baseline")
    rows = {row.figure.id: row for row in scorecard(read_run(folder))}
    covered = {k: r for k, r in rows.items() if r.verdict != "not covered"}
    assert len(covered) >= 15
    assert {k: r.verdict for k, r in covered.items() if r.verdict != "consistent"} == {}
