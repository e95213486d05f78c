"""Figures of models: simulated releases against Epoch AI's history, derivative ecosystems."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from simdemand.analysis.periods import naive_utc
from simdemand.analysis.pretraining import as_utc, pretrained, trend_line
from simdemand.plots.style import (
    FRONTIER_COLOR,
    OBSERVED_COLOR,
    REGIME_COLORS,
    TIMES,
    TOTAL_COLOR,
    headroom,
    new_figure,
    note,
    style_axes,
)


def simulated_frontiers(
    observed: pd.DataFrame, simulated: Sequence[pd.DataFrame], since: pd.Timestamp, top_n: int
) -> list[pd.DataFrame]:
    """The frontier models of each replication, ranked against Epoch's models before `since`."""
    from simdemand.calibration.backtest import with_history
    from simdemand.calibration.history import frontier_models

    frontiers = [
        frontier_models(with_history(frame, observed, since), top_n, since=since)
        for frame in simulated
    ]
    return [f for f in frontiers if f["released"].nunique() >= 3]


def backtest_figure(
    observed: pd.DataFrame,
    simulated: Sequence[pd.DataFrame],
    since: str | pd.Timestamp,
    table: pd.DataFrame | None = None,
    top_n: int = 10,
    observed_since: str = "2012-01-01",
) -> Figure:
    """Training compute of released models: Epoch AI's data vs simulated runs, frontier trends.

    ``simulated`` holds the models table of each replication; only pretrained models released
    from ``since`` on are drawn, and frontier ranks see Epoch's models before ``since``. With
    ``table`` (from :func:`simdemand.calibration.backtest.backtest`), a second panel compares
    yearly counts.
    """
    from simdemand.calibration.history import frontier_models

    start = as_utc(since)
    fig = new_figure(rows=2 if table is not None else 1, height=4.6)
    ax = fig.axes[0]
    seen = pretrained(observed)
    seen = seen.loc[pd.to_datetime(seen["released"], utc=True) >= as_utc(observed_since)]
    ax.scatter(
        naive_utc(seen["released"]),
        seen["training_flop"],
        s=14,
        color=OBSERVED_COLOR,
        label=f"Epoch AI data ({len(seen)} models)",
        zorder=3,
    )
    runs = [pretrained(m) for m in simulated]
    sim = pd.concat([m.loc[pd.to_datetime(m["released"], utc=True) >= start] for m in runs])
    plural = "s" if len(runs) > 1 else ""
    ax.scatter(
        naive_utc(sim["released"]),
        sim["training_flop"],
        s=10,
        alpha=0.35 if len(runs) > 1 else 0.7,
        color=REGIME_COLORS["pretraining"],
        label=f"simulated ({len(sim)} models, {len(runs)} replication{plural})",
    )
    last = pd.to_datetime(seen["released"], utc=True).max()
    fit_since = min(start, last - pd.Timedelta(days=7 * 365))  # at least 7 years of history
    x, y, growth = trend_line(frontier_models(observed, top_n, since=fit_since))
    label = f"Epoch frontier (top {top_n}) since {fit_since.year}: {TIMES}{growth:.2g}/yr"
    ax.plot(x, y, color=TOTAL_COLOR, lw=2, zorder=5, label=label)
    frontiers = simulated_frontiers(observed, simulated, start, top_n)
    lines = [trend_line(f) for f in frontiers]
    for k, (x, y, _) in enumerate(lines):
        median = float(np.median([g for _, _, g in lines]))
        label = f"simulated frontier: {TIMES}{median:.2g}/yr" + (
            " (median)" if len(lines) > 1 else ""
        )
        alpha = 0.5 if len(lines) > 1 else 1.0
        ax.plot(
            x, y, color=FRONTIER_COLOR, zorder=4, lw=1.6, alpha=alpha, label=None if k else label
        )
    style_axes(
        ax,
        "Pretraining compute of released models",
        "training compute (FLOP)",
        y_style="sci",
        log_y=True,
        dates=True,
    )
    if table is not None:
        counts_panel(fig.axes[1], table)
    return fig


def counts_panel(
    ax: Axes, table: pd.DataFrame, metrics: Sequence[str] = ("n_ge_1e24", "n_ge_1e25")
) -> Axes:
    """Yearly counts of models above thresholds: data as bars, simulation as median, p10-p90."""
    width = 0.8 / len(metrics)
    for i, metric in enumerate(metrics):
        color = f"C{i}"
        rows = table.loc[table["metric"] == metric]
        years = rows["period"].astype(int).to_numpy() + (i - (len(metrics) - 1) / 2) * width
        label = "≥ " + metric.removeprefix("n_ge_") + " FLOP"
        ax.bar(years, rows["data"], width=width, color=color, alpha=0.35, label=f"{label}: data")
        err = [rows["sim_median"] - rows["sim_p10"], rows["sim_p90"] - rows["sim_median"]]
        ax.errorbar(
            years,
            rows["sim_median"],
            yerr=err,
            fmt="o",
            color=color,
            capsize=3,
            label=f"{label}: simulated median, p10-p90",
        )
    ax.xaxis.set_major_locator(MultipleLocator(1))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))
    return style_axes(
        ax,
        "Models released per year above a compute threshold",
        "models per year",
        "year of release",
    )


def ecosystem_figure(
    ratios: pd.DataFrame, reference: float = 30.0, column: str = "ratio"
) -> Figure:
    """Derivatives per base and their post-training compute as a multiple of the base's own.

    ``ratios`` is :func:`ecosystem_ratios`; ``column`` is ``ratio`` (GPU-hours) or
    ``ratio_flop`` (FLOP).
    """
    fig = new_figure(cols=2, height=4.4, width=11.0)
    left, right = fig.axes
    titles = ("Derivatives per base model", "Post-training / pretraining compute, per base")
    if ratios.empty:
        note(left, titles[0], "no derivative models in this run")
        note(right, titles[1], "no post-training in this run")
        return fig
    color = REGIME_COLORS["post-training"]
    by_count = ratios["derivatives"].sort_values(ascending=False)
    rank = np.arange(1, len(ratios) + 1)
    headroom(left, by_count)
    left.bar(rank, by_count.where(by_count > 0), width=1.0, color=color)
    days = float(ratios.attrs.get("min_observed_days", 0.0))
    xlabel = f"bases observed {days:g}+ days, ranked" if days else "base models, ranked"
    style_axes(left, titles[0], "derivative models", xlabel, log_y=True)
    by_ratio = ratios[column].sort_values(ascending=False)
    headroom(right, by_ratio, reference)
    right.bar(rank, by_ratio.where(by_ratio > 0), width=1.0, color=color)
    seed = f"seed: up to ~{reference:g}{TIMES} the base's pretraining"
    right.axhline(reference, ls="--", color=TOTAL_COLOR, label=seed)
    median = float(by_ratio.median())
    label = f"median base: {median:.3g}{TIMES}"
    right.axhline(median, ls=":", color=FRONTIER_COLOR, label=label)
    unit = "FLOP" if column == "ratio_flop" else "GPU-hours"
    ylabel = f"tree post-training / base pretraining ({unit}, ratio)"
    style_axes(right, titles[1], ylabel, xlabel, "ratio", log_y=True, framed=True)
    return fig
