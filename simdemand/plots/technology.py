"""Figure of technology progress by calendar year: what a token costs, what a query takes,
which GPUs serve, and the largest pretraining run."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from simdemand.plots.style import OTHER_COLORS, TOTAL_COLOR, new_figure, note, style_axes

TITLES = (
    "Test-time USD per million tokens",
    "GPU-seconds per language query",
    "Serving GPU-hours by hardware",
    "Largest pretraining run started",
)


def technology_figure(table: pd.DataFrame, by_class: pd.DataFrame, shares: pd.Series) -> Figure:
    """Four panels by year from :func:`simdemand.analysis.technology.by_year` (`table`),
    :func:`~simdemand.analysis.technology.cost_by_class` (`by_class`) and
    :func:`~simdemand.analysis.technology.hardware_shares` (`shares`)."""
    fig = new_figure(rows=2, cols=2, width=11.0, height=3.8)
    cost, seconds, mix, runs = fig.axes
    served = table.dropna(subset=["usd_per_m_tokens"])
    if served.empty:
        for ax, title in zip((cost, seconds, mix), TITLES, strict=False):
            note(ax, title, "no test-time queries in this run")
    else:
        cost_panel(cost, served, by_class)
        seconds.plot(served["year"], served["gpu_s_per_query"], marker="o", color=TOTAL_COLOR)
        style_axes(seconds, TITLES[1], "GPU-seconds per query", "year", log_y=True, legend=False)
        mix_panel(mix, shares)
    runs_panel(runs, table.dropna(subset=["largest_run_flop"]))
    for ax in fig.axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def cost_panel(ax: Axes, served: pd.DataFrame, by_class: pd.DataFrame) -> None:
    """USD per million tokens: each class, all classes, and at fixed capability (the cheapest
    served model, and the cheapest available one)."""
    classes = [c for c in by_class.columns if c != "year"]
    for name, color in zip(classes, OTHER_COLORS, strict=False):
        ax.plot(by_class["year"], by_class[name], marker=".", color=color, lw=1, label=name)
    ax.plot(served["year"], served["usd_per_m_tokens"], marker="o", color=TOTAL_COLOR, label="all")
    ax.plot(
        served["year"],
        served["usd_per_m_tokens_fixed"],
        ls="--",
        marker="s",
        color=TOTAL_COLOR,
        label="fixed capability, served",
    )
    ax.plot(
        served["year"],
        served["usd_per_m_tokens_available"],
        ls=":",
        marker="D",
        color=TOTAL_COLOR,
        label="fixed capability, available",
    )
    style_axes(ax, TITLES[0], "USD per million tokens", "year", y_style="usd", log_y=True)


def mix_panel(ax: Axes, shares: pd.Series) -> None:
    """Stacked shares of serving GPU-hours by hardware, one bar per year."""
    wide = shares.unstack("hardware").fillna(0.0)
    bottom = np.zeros(len(wide))
    for name, color in zip(wide.columns, OTHER_COLORS * 4, strict=False):
        values = 100.0 * wide[name].to_numpy(np.float64)
        ax.bar(wide.index, values, bottom=bottom, color=color, label=str(name), width=0.7)
        bottom += values
    style_axes(ax, TITLES[2], "share of GPU-hours (%)", "year", y_style="percent", legend=False)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)


def runs_panel(ax: Axes, runs: pd.DataFrame) -> None:
    """The largest final run's FLOP (left, log) and GPUs (right, log) by year of start."""
    if runs.empty:
        note(ax, TITLES[3], "no pretraining runs in this run")
        return
    ax.plot(runs["year"], runs["largest_run_flop"], marker="o", color=TOTAL_COLOR, label="FLOP")
    style_axes(ax, TITLES[3], "FLOP", "year", y_style="sci", log_y=True)
    gpus = ax.twinx()
    gpus.plot(runs["year"], runs["largest_run_gpus"], marker="s", ls="--", color=OTHER_COLORS[0])
    gpus.set_yscale("log")
    gpus.set_ylabel("GPUs (dashed)", color=OTHER_COLORS[0])
