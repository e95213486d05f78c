"""Figures of sweeps: fan charts across replications and Sobol indices."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simdemand.analysis.periods import naive_utc
from simdemand.plots.style import (
    MEASURES,
    colors_for,
    new_figure,
    note,
    regime_order,
    style_axes,
)


def fan_figure(
    bands: pd.DataFrame,
    measure: str = "gpu_hours",
    lo: str = "p5",
    mid: str = "p50",
    hi: str = "p95",
    by: str = "regime",
    per: str = "month",
    log_y: bool = True,
    title: str | None = None,
) -> Figure:
    """Fan chart: per regime (or other `by` value), the median line and a shaded lo-hi band.

    ``bands`` is tidy, as :func:`simdemand.analysis.bands` gives it for one scenario: a ``time``
    column, a ``by`` column and the quantile columns; ``per`` names the period of a row.
    """
    fig = new_figure(height=4.6)
    ax = fig.axes[0]
    m = MEASURES[measure]
    title = title or f"{m.name} by {by}: median and {lo}-{hi} band over replications"
    if bands.empty:
        note(ax, title, "no bands to draw")
        return fig
    names = regime_order(list(bands[by].astype(str).unique()))
    for name, color in zip(names, colors_for(names), strict=True):
        rows = bands.loc[bands[by] == name].sort_values("time")
        t = naive_utc(rows["time"])
        ax.fill_between(t, rows[lo], rows[hi], color=color, alpha=0.25, lw=0)
        ax.plot(t, rows[mid], color=color, lw=2, label=name)
    unit = f"{m.unit} per {per}" if per else m.unit
    style_axes(ax, title, unit, y_style=m.style, log_y=log_y, dates=True)
    return fig


def sobol_figure(indices: pd.DataFrame, output: str = "total GPU-hours") -> Figure:
    """First-order (S1) and total (ST) Sobol indices per parameter with 95% confidence bars.

    ``indices`` has one row per parameter (a ``parameter`` column, else the index) and columns
    S1, S1_conf, ST, ST_conf, as :func:`simdemand.experiments.analyze` gives them in ``.table``.
    """
    if "parameter" in indices.columns:
        indices = indices.set_index("parameter")
    ranked = indices.sort_values("ST")
    fig = new_figure(height=max(3.0, 0.55 * len(ranked) + 1.6))
    ax = fig.axes[0]
    y = np.arange(len(ranked))
    for offset, name, color, label in (
        (0.2, "ST", "#3b6ea8", "total ST"),
        (-0.2, "S1", "#9ccfae", "first order S1"),
    ):
        ax.barh(
            y + offset,
            ranked[name],
            height=0.4,
            color=color,
            label=label,
            xerr=ranked[f"{name}_conf"],
            capsize=3,
        )
    low = float(min(0.0, (ranked["S1"] - ranked["S1_conf"]).min()))
    high = float(max(1.0, (ranked["ST"] + ranked["ST_conf"]).max()))
    ax.set_xlim(low - 0.02, high + 0.02)
    ax.axvline(0, color="0.4", lw=0.8)
    xlabel = "Sobol index: share of output variance (whiskers: 95% confidence interval)"
    style_axes(ax, f"Sensitivity of {output}", "", xlabel, y_style=None)
    ax.set_yticks(y, [str(i) for i in ranked.index])
    return fig
