"""Figures of the test-time regime: compute per query class against a single pass."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simdemand.plots.style import (
    CLEAR,
    REGIME_COLORS,
    TIMES,
    TOTAL_COLOR,
    new_figure,
    note,
    style_axes,
)


def query_figure(ratios: pd.DataFrame, reference: float = 100.0) -> Figure:
    """Compute per query of each class vs a single pass, and each class's share of queries."""
    fig = new_figure(cols=2, height=4.0, width=11.0)
    left, right = fig.axes
    ref = str(ratios.attrs.get("reference", "single pass"))
    titles = (f"Compute per query vs a single pass ({ref})", "Share of queries and of GPU time")
    if ratios.empty:
        note(left, titles[0], "no test-time queries in this run")
        note(right, titles[1], "no test-time queries in this run")
        return fig
    names = [str(n) for n in ratios.index]
    y = np.arange(len(names))
    left.set_xscale("log")
    bars = (
        ("ratio", "FLOP per query", 0.2, "#9ccfae"),
        ("gpu_seconds_ratio", "GPU-seconds per query", -0.2, REGIME_COLORS["test-time"]),
    )
    for column, label, offset, color in bars:
        ratio = ratios[column].to_numpy(np.float64)
        left.barh(y + offset, ratio - 1.0, left=1.0, height=0.4, color=color, label=label)
        for row, value in zip(y + offset, ratio, strict=True):
            text = f" {value:.3g}{TIMES}"
            left.text(max(value, 1.0), float(row), text, va="center", fontsize=8, bbox=CLEAR)
    left.axvline(
        reference,
        ls="--",
        color=TOTAL_COLOR,
        zorder=0,
        label=f"seed: ~{reference:g}{TIMES} (reasoning)",
    )
    high = float(ratios[["ratio", "gpu_seconds_ratio"]].max().max())
    low = float(ratios[["ratio", "gpu_seconds_ratio"]].min().min())
    left.set_xlim(min(0.5, low / 2), max(reference, high) * 6)
    xlabel = "per query, relative to a single pass (ratio)"
    style_axes(
        left,
        titles[0],
        "",
        xlabel,
        None,
        log_x=True,
        x_style="ratio",
        legend_loc="lower right",
        framed=True,
    )
    left.set_yticks(y, names)
    right.barh(
        y + 0.2,
        100 * ratios["share_of_queries"],
        height=0.4,
        color="#9ccfae",
        label="share of queries",
    )
    right.barh(
        y - 0.2,
        100 * ratios["share_of_gpu_hours"],
        height=0.4,
        color=REGIME_COLORS["test-time"],
        label="share of GPU-hours",
    )
    style_axes(
        right, titles[1], "", "share of the test-time total (%)", y_style=None, x_style="percent"
    )
    right.set_yticks(y, names)
    return fig
