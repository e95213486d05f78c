"""Figures and the `plot` command: titles, units on axes, series, scales, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

import typer
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import Rectangle
from typer.testing import CliRunner

import simdemand
from simdemand import load_scenario, plots, simulate, write_results
from simdemand.analysis import post_training, test_time
from simdemand.cli.plot import KIND_NAMES, plot

QUERY_FLOP = {"chat": 1e13, "best-of-n": 8e13, "reasoning": 1.2e15, "agentic": 3e15}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny scenario (pretraining only), simulated and written once."""
    scenario = load_scenario(Path(__file__).parent / "scenarios" / "tiny.toml")
    return write_results(simulate(scenario), tmp_path_factory.mktemp("runs") / "tiny")


@pytest.fixture(scope="module")
def hourly_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny scenario over three weeks in hourly bins."""
    sets = ["run.resolution=hour", "run.end=2024-01-22"]
    scenario = load_scenario(Path(__file__).parent / "scenarios" / "tiny.toml", sets)
    return write_results(simulate(scenario), tmp_path_factory.mktemp("runs") / "hourly")


def with_all_regimes(run: simdemand.Run, seed: int = 1) -> simdemand.Run:
    """The run plus made-up post-training and test-time rows (until those regimes exist)."""
    rng = np.random.default_rng(seed)
    models = run.models.loc[run.models["parent_id"].isna()]
    jobs = run.jobs.loc[run.jobs["regime"] == "pretraining"]
    ts = run.timeseries.loc[run.timeseries["regime"] == "pretraining"]
    bases = models.loc[models["open_weights"]].head(6)
    derived, post = [], []
    for _, base in bases.iterrows():
        for i in range(int(rng.integers(2, 40))):
            model_id = f"{base['model_id']}/ft-{i}"
            parent = base["model_id"] if i < 2 else f"{base['model_id']}/ft-{i % 2}"
            flop = float(base["training_flop"]) * rng.uniform(0.001, 2.0)
            derived.append({**base.to_dict(), "model_id": model_id, "parent_id": parent})
            hours = float(base["gpu_hours"]) * flop / float(base["training_flop"])
            post.append(
                {"regime": "post-training", "model_id": model_id, "flop": flop, "derivatives": 1.0}
                | {"gpu_hours": hours}
            )
    times = ts["time"].drop_duplicates().sort_values()
    post_rows = pd.DataFrame(
        {"time": times, "regime": "post-training", "agent": "hub", "activity": "lora", "flop": 1e20}
    )
    tt = pd.concat(
        pd.DataFrame({"time": times, "regime": "test-time", "agent": "consumer", "activity": c})
        for c in QUERY_FLOP
    )
    hour = pd.to_datetime(tt["time"], utc=True).dt.hour.to_numpy()
    tt["queries"] = (
        1e6
        * (1.5 + np.sin(2 * np.pi * hour / 24))
        * tt["activity"].map({"chat": 10.0, "best-of-n": 1.0, "reasoning": 2.0, "agentic": 0.5})
    )
    tt["flop"] = tt["queries"] * tt["activity"].map(QUERY_FLOP)
    for frame in (post_rows, tt):
        frame["hardware"] = "H100-SXM"
        frame["gpu_hours"] = frame["flop"] / 1e18
    timeseries = pd.concat([ts, post_rows, tt], ignore_index=True).fillna(0.0)
    return simdemand.Run(
        folder=run.folder,
        timeseries=timeseries,
        jobs=pd.concat([jobs, pd.DataFrame(post)], ignore_index=True),
        models=pd.concat([models, pd.DataFrame(derived)], ignore_index=True),
        manifest=run.manifest,
    )


def labels(ax: Axes) -> list[str]:
    """The legend entries of an axes."""
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend is not None else []


def test_regimes_figure_pretraining_only(tiny_run: Path) -> None:
    """A run with one regime: three panels, each one stacked series with its unit per period."""
    fig = plots.regimes_figure(simdemand.read_run(tiny_run).timeseries)
    assert isinstance(fig, Figure)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["GPU time by regime", "Energy by regime", "Cost by regime"]
    units = [ax.get_ylabel() for ax in fig.axes]
    assert units == ["GPU-hours per month", "MWh per month", "USD per month"]
    assert [len(ax.collections) for ax in fig.axes] == [1, 1, 1]
    assert labels(fig.axes[0]) == ["pretraining"]


def test_regimes_figure_three_regimes_in_order(tiny_run: Path) -> None:
    """All three regimes stack in the fixed order, with their fixed colours."""
    run = with_all_regimes(simdemand.read_run(tiny_run))
    ax = plots.regimes_figure(run.timeseries).axes[0]
    assert labels(ax) == ["pretraining", "post-training", "test-time"]
    assert len(ax.collections) == 3


def test_growth_and_cumulative_use_log_scale(tiny_run: Path) -> None:
    """Exponential growth on log axes: a line per regime and a dashed total."""
    run = with_all_regimes(simdemand.read_run(tiny_run))
    growth = plots.growth_figure(run.timeseries).axes[0]
    cumulative = plots.cumulative_figure(run.timeseries).axes[0]
    for ax in (growth, cumulative):
        assert ax.get_yscale() == "log"
        assert len(ax.get_lines()) == 4
    assert growth.get_ylabel() == "GPU-hours per month"
    assert cumulative.get_ylabel() == "GPU-hours since start"
    assert all("/yr)" in text for text in labels(growth))


def test_hardware_figure_has_a_series_per_gpu(tiny_run: Path) -> None:
    """One stacked series per hardware name in the run."""
    ts = simdemand.read_run(tiny_run).timeseries
    ax = plots.hardware_figure(ts).axes[0]
    assert len(ax.collections) == ts["hardware"].nunique()
    assert ax.get_title(loc="left") == "GPU time by hardware"


def test_daily_cycle_needs_hourly_bins(tiny_run: Path, hourly_run: Path) -> None:
    """Weekly bins give a note; hourly bins give a log panel and an hour-of-day profile."""
    weekly = plots.daily_cycle_figure(simdemand.read_run(tiny_run).timeseries)
    assert "hourly bins" in weekly.axes[0].texts[0].get_text()
    run = with_all_regimes(simdemand.read_run(hourly_run))
    top, bottom = plots.daily_cycle_figure(run.timeseries).axes
    assert top.get_yscale() == "log"
    assert top.get_ylabel() == "GPUs busy (GPU-hours per hour)"
    assert bottom.get_xlabel() == "hour of day (UTC)"
    (line,) = (ln for ln in bottom.get_lines() if ln.get_label() == "test-time")
    profile = np.asarray(line.get_ydata())
    assert len(profile) == 24
    assert float(np.max(profile)) > 1.3  # the made-up test-time cycle peaks at 2.5/1.5


def test_ecosystem_ratios_follow_lineage(tiny_run: Path) -> None:
    """Derivatives of derivatives count toward the root base; the ratio is tree / base GPU-hours."""
    run = with_all_regimes(simdemand.read_run(tiny_run))
    table = post_training.ecosystem_ratios(run.models, run.jobs)
    derived = run.models.loc[run.models["parent_id"].notna()]
    assert int(table["derivatives"].sum()) == len(derived)
    post = run.jobs.loc[run.jobs["regime"] == "post-training", "gpu_hours"].sum()
    assert table["post_training_gpu_hours"].sum() == pytest.approx(post)
    expected = table["post_training_gpu_hours"] / table["pretraining_gpu_hours"]
    np.testing.assert_allclose(table["ratio"], expected)
    assert list(table["ratio"]) == sorted(table["ratio"], reverse=True)
    fig = plots.ecosystem_figure(table)
    assert fig.axes[1].get_yscale() == "log"
    assert any("30" in t for t in labels(fig.axes[1]))


def test_query_ratios_against_a_single_pass(tiny_run: Path) -> None:
    """The cheapest class is the single pass; ratios are FLOP per query over its own."""
    run = with_all_regimes(simdemand.read_run(tiny_run))
    table = test_time.query_ratios(run.timeseries)
    assert table.attrs["reference"] == "chat"
    expected = {c: f / QUERY_FLOP["chat"] for c, f in QUERY_FLOP.items()}
    assert table["ratio"].to_dict() == pytest.approx(expected)
    assert table["gpu_seconds_ratio"].to_dict() == pytest.approx(expected)  # 1e18 FLOP per GPU-h
    left, right = plots.query_figure(table).axes
    assert left.get_xscale() == "log"
    assert "chat" in left.get_title(loc="left")
    assert right.get_xlabel() == "share of the test-time total (%)"


def test_missing_regimes_draw_notes(tiny_run: Path) -> None:
    """Figures about an absent regime say so instead of failing."""
    run = simdemand.read_run(tiny_run)
    eco = plots.ecosystem_figure(post_training.ecosystem_ratios(run.models, run.jobs))
    queries = plots.query_figure(test_time.query_ratios(run.timeseries))
    assert "no post-training" in eco.axes[1].texts[0].get_text()
    assert "no test-time" in queries.axes[0].texts[0].get_text()
    assert plots.missing_data(run, "queries") == "no test-time rows"


def test_backtest_figure(tiny_run: Path) -> None:
    """Epoch data, simulated models and both frontier trends on a log FLOP axis."""
    from simdemand.calibration.history import load_epoch_models

    run = simdemand.read_run(tiny_run)
    table = pd.DataFrame(
        {
            "metric": ["n_ge_1e24"] * 2 + ["n_ge_1e25"] * 2,
            "period": ["2024", "2025"] * 2,
            "data": [3.0, 4.0, 1.0, 2.0],
            "sim_median": [2.0, 5.0, 1.0, 1.0],
            "sim_p10": [1.0, 3.0, 0.0, 0.0],
            "sim_p90": [4.0, 7.0, 2.0, 3.0],
        }
    )
    fig = plots.backtest_figure(load_epoch_models(), [run.models, run.models], "2024-01-01", table)
    top, bottom = fig.axes
    assert top.get_yscale() == "log"
    assert top.get_ylabel() == "training compute (FLOP)"
    texts = labels(top)
    assert texts[0].startswith("Epoch AI data")
    assert "2 replications" in texts[1]
    assert any(t.startswith("Epoch frontier") for t in texts)
    assert bottom.get_ylabel() == "models per year"


def test_fan_and_sobol_figures() -> None:
    """A band and a median per regime; S1 and ST bars with error bars per parameter."""
    times = pd.date_range("2025-01-01", periods=12, freq="MS", tz="UTC")
    bands = pd.concat(
        pd.DataFrame({"time": times, "regime": r, "p5": 1.0 + k, "p50": 2.0 + k, "p95": 4.0 + k})
        for k, r in enumerate(["test-time", "pretraining"])
    )
    ax = plots.fan_figure(bands).axes[0]
    assert labels(ax)[0].startswith("pretraining")
    assert (len(ax.get_lines()), len(ax.collections)) == (2, 2)
    assert (ax.get_yscale(), ax.get_ylabel()) == ("log", "GPU-hours per month")
    indices = pd.DataFrame(
        {"S1": [0.5, 0.1], "S1_conf": [0.05, 0.02], "ST": [0.7, 0.2], "ST_conf": [0.06, 0.03]},
        index=["labs.frontier_closed.compute_growth_per_year", "run.pue"],
    )
    ax = plots.sobol_figure(indices).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][-1].endswith("compute_growth_per_year")
    assert len(ax.patches) == 4
    assert "95% confidence" in ax.get_xlabel()


def test_human_numbers() -> None:
    """Tick labels a person reads at a glance."""
    assert plots.human(1.5e9) == "1.5B"
    assert plots.human(2e10, "usd") == "$20B"
    assert plots.human(30.0, "ratio") == "30\N{MULTIPLICATION SIGN}"
    assert plots.human(250.0) == "250"


def cli() -> typer.Typer:
    """A one-command app around `plot`, as the main CLI registers it."""
    app = typer.Typer()
    app.command()(plot)
    return app


def test_plot_command_writes_png(tiny_run: Path, tmp_path: Path) -> None:
    """Default output RUN/<kind>.png, a real image, nothing temporary left behind."""
    result = CliRunner().invoke(cli(), [str(tiny_run), "--kind", "growth"])
    assert result.exit_code == 0, result.output
    image = imread(tiny_run / "growth.png")
    assert image.shape[0] > 300
    assert image.shape[1] > 800
    assert not [p for p in tiny_run.iterdir() if p.name.startswith(".")]
    out = tmp_path / "figs" / "r.png"
    result = CliRunner().invoke(cli(), [str(tiny_run), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "no such run folder"),
        (["{empty}"], "not a simdemand run folder"),
        (["{run}", "--kind", "bogus"], "unknown --kind 'bogus'"),
        (["{run}", "--kind", "queries"], "no test-time rows"),
        (["{run}", "--kind", "daily"], "needs hourly bins"),
        (["{run}", "--out", "{tmp}/x.jpg"], "unknown image format"),
    ],
)
def test_plot_command_bad_input_exits_2(
    tiny_run: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    """Bad input: one line on stderr, exit status 2, no image written."""
    (tmp_path / "empty").mkdir()
    names = {"missing": tmp_path / "nope", "empty": tmp_path / "empty", "run": tiny_run}
    argv = [a.format(tmp=tmp_path, **names) for a in args]
    before = sorted(p.name for p in tiny_run.iterdir())
    result = CliRunner().invoke(cli(), argv)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tiny_run.iterdir()) == before


def test_kind_names_match_figures() -> None:
    """The command offers exactly the figures the package can draw."""
    assert set(KIND_NAMES) == set(plots.KINDS)


def test_technology_figure_by_year() -> None:
    """Cost per million tokens by class, all and at fixed capability, served and available (log,
    USD); GPU-seconds per query (log); hardware shares stacked to 100% per year; the largest
    run's FLOP (log) with its GPUs on a second axis."""
    years = [2025, 2026, 2027]
    table = pd.DataFrame(
        {
            "year": years,
            "usd_per_m_tokens": [0.2, 0.1, 0.05],
            "usd_per_m_tokens_fixed": [0.3, 0.1, 0.03],
            "usd_per_m_tokens_available": [0.5, 0.1, 0.02],
            "gpu_s_per_query": [2.0, 1.0, 0.5],
            "largest_run_flop": [1e27, 4e27, 1.6e28],
            "largest_run_gpus": [1e5, 2e5, 4e5],
        }
    )
    by_class = pd.DataFrame({"year": years, "chat": [0.1, 0.05, 0.02], "reasoning": [1, 0.5, 0.2]})
    index = pd.MultiIndex.from_tuples(
        [(2025, "H200-SXM"), (2025, "GB200"), (2026, "GB300"), (2027, "Rubin")],
        names=["year", "hardware"],
    )
    shares = pd.Series([0.6, 0.4, 1.0, 1.0], index=index)
    fig = plots.technology_figure(table, by_class, shares)
    cost, seconds, mix, runs, gpus = fig.axes
    assert cost.get_yscale() == "log"
    fixed = ["fixed capability, served", "fixed capability, available"]
    assert labels(cost) == ["chat", "reasoning", "all", *fixed]
    assert list(np.asarray(cost.get_lines()[-2].get_ydata())) == [0.3, 0.1, 0.03]
    assert list(np.asarray(cost.get_lines()[-1].get_ydata())) == [0.5, 0.1, 0.02]
    assert seconds.get_yscale() == "log"
    tops: dict[int, float] = {}
    for bar in mix.patches:
        assert isinstance(bar, Rectangle)
        x = round(bar.get_x() + bar.get_width() / 2)
        tops[x] = max(tops.get(x, 0.0), bar.get_y() + bar.get_height())
    assert tops == pytest.approx({2025: 100.0, 2026: 100.0, 2027: 100.0})
    assert set(labels(mix)) == {"H200-SXM", "GB200", "GB300", "Rubin"}
    assert runs.get_yscale() == "log"
    assert gpus.get_ylabel() == "GPUs (dashed)"


def test_technology_figure_without_test_time(tiny_run: Path) -> None:
    """A run without test-time rows: the kind says why, the builder draws notes."""
    run = simdemand.read_run(tiny_run)
    assert plots.missing_data(run, "technology") == "no test-time rows"
    table = pd.DataFrame(
        {"year": [2024], "largest_run_flop": [1e25], "largest_run_gpus": [1e4]}
    ).assign(usd_per_m_tokens=np.nan, usd_per_m_tokens_fixed=np.nan, gpu_s_per_query=np.nan)
    shares = pd.Series([], dtype=float)
    fig = plots.technology_figure(table, pd.DataFrame({"year": []}), shares)
    assert "no test-time" in fig.axes[0].texts[0].get_text()
    assert fig.axes[3].get_yscale() == "log"
