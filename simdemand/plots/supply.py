"""Figures of the supply side: demand against installed capacity, unmet shares."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from simdemand.analysis.periods import per_period, pick_period
from simdemand.analysis.supply import unmet_share
from simdemand.plots.style import (
    FRONTIER_COLOR,
    TOTAL_COLOR,
    colors_for,
    new_figure,
    regime_order,
    style_axes,
)


def supply_figure(capacity: pd.DataFrame, fleet: pd.DataFrame, weights: dict[str, float]) -> Figure:
    """Demand against capacity in H100-equivalent GPU-hours, and the unmet share by regime."""
    fig = new_figure(rows=2, height=3.4)
    top, bottom = fig.axes
    bottom.sharex(top)
    period = pick_period(capacity["time"])
    scaled = capacity.assign(
        **{
            c: capacity[c] * capacity["hardware"].map(weights)
            for c in ("demanded_gpu_hours", "served_gpu_hours", "unmet_gpu_hours")
        }
    )
    served = per_period(scaled, "regime", "served_gpu_hours", period)
    names = regime_order(list(served.columns))
    top.stackplot(
        served.index,
        *(served[n] for n in names),
        labels=[f"{n} served" for n in names],
        colors=colors_for(names),
        alpha=0.9,
    )
    wanted = per_period(scaled, "regime", "demanded_gpu_hours", period).sum(axis=1)
    top.plot(wanted.index, wanted, color=TOTAL_COLOR, ls="--", lw=1.2, label="demanded")
    installed = fleet.assign(
        installed_gpu_hours=fleet["installed_gpu_hours"] * fleet["hardware"].map(weights)
    )
    capacity_line = per_period(installed, "pool", "installed_gpu_hours", period).sum(axis=1)
    top.plot(capacity_line.index, capacity_line, color=FRONTIER_COLOR, lw=1.6, label="installed")
    top.set_ylim(bottom=0)
    ylabel = f"H100-equivalent GPU-hours per {period.noun}"
    style_axes(top, "Demand against capacity", ylabel, dates=True, legend_loc="upper left")
    unmet = per_period(scaled, "regime", "unmet_gpu_hours", period)
    share = 100.0 * unmet_share(served, unmet)
    for name, color in zip(names, colors_for(names), strict=True):
        bottom.plot(share.index, share[name], color=color, lw=1.4, label=name)
    bottom.set_ylim(0, 100)
    style_axes(
        bottom,
        "Unmet share by regime",
        f"% of work served or lost, per {period.noun}",
        y_style="percent",
        dates=True,
        legend_loc="upper left",
    )
    return fig
