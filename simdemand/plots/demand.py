"""Figures of demand over time: by regime, growth, cumulative, by hardware, the daily cycle."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator

from simdemand.analysis.periods import (
    PERIODS,
    Period,
    growth_per_year,
    per_period,
    pick_period,
    resolution_hours,
)
from simdemand.plots.style import (
    DEMAND,
    MEASURES,
    TIMES,
    TOTAL_COLOR,
    colors_for,
    new_figure,
    note,
    regime_order,
    style_axes,
)


def regimes_figure(
    timeseries: pd.DataFrame, measures: Sequence[str] = DEMAND, period: Period | None = None
) -> Figure:
    """Stacked areas by regime over time, one panel per measure (GPU-hours, MWh, USD)."""
    fig = new_figure(rows=len(measures), height=3.2)
    axes = fig.axes
    for ax in axes[1:]:
        ax.sharex(axes[0])
    period = period or pick_period(timeseries["time"])
    for i, (ax, column) in enumerate(zip(axes, measures, strict=True)):
        m = MEASURES[column]
        title = f"{m.name} by regime"
        if timeseries.empty:
            note(ax, title, "no rows in this run")
            continue
        wide = per_period(timeseries, "regime", column, period)
        names = regime_order(list(wide.columns))
        ax.stackplot(
            wide.index, *(wide[n] for n in names), labels=names, colors=colors_for(names), alpha=0.9
        )
        ax.set_ylim(bottom=0)
        ylabel = f"{m.unit} per {period.noun}"
        style_axes(ax, title, ylabel, y_style=m.style, dates=True, legend=i == 0)
    return fig


def growth_figure(
    timeseries: pd.DataFrame, measure: str = "gpu_hours", period: Period | None = None
) -> Figure:
    """Each regime and the total per period on a log scale, with fitted growth per year."""
    fig = new_figure()
    ax = fig.axes[0]
    m = MEASURES[measure]
    title = f"{m.name} by regime (log scale)"
    if timeseries.empty:
        note(ax, title, "no rows in this run")
        return fig
    period = period or pick_period(timeseries["time"])
    wide = per_period(timeseries, "regime", measure, period)
    names = regime_order(list(wide.columns))
    series = {n: wide[n] for n in names}
    if len(names) > 1:
        series["total"] = wide.sum(axis=1)
    for (name, values), color in zip(
        series.items(), [*colors_for(names), TOTAL_COLOR], strict=False
    ):
        label = f"{name} ({TIMES}{growth_per_year(values):.3g}/yr)"
        style = "--" if name == "total" else "-"
        ax.plot(values.index, values.where(values > 0), style, color=color, label=label, lw=1.8)
    style_axes(ax, title, f"{m.unit} per {period.noun}", y_style=m.style, log_y=True, dates=True)
    return fig


def cumulative_figure(timeseries: pd.DataFrame, measure: str = "gpu_hours") -> Figure:
    """Running totals by regime and overall since the start of the run, on a log scale."""
    fig = new_figure()
    ax = fig.axes[0]
    m = MEASURES[measure]
    title = f"Cumulative {m.lower} by regime"
    if timeseries.empty:
        note(ax, title, "no rows in this run")
        return fig
    period = pick_period(timeseries["time"])
    wide = per_period(timeseries, "regime", measure, period).cumsum()
    wide.index = wide.index + pd.tseries.frequencies.to_offset(period.freq)  # at each period's end
    names = regime_order(list(wide.columns))
    for name, color in zip(names, colors_for(names), strict=True):
        ax.plot(wide.index, wide[name].where(wide[name] > 0), color=color, label=name, lw=2)
    if len(names) > 1:
        total = wide.sum(axis=1)
        ax.plot(wide.index, total.where(total > 0), "--", color=TOTAL_COLOR, label="total", lw=2)
    style_axes(ax, title, f"{m.unit} since start", y_style=m.style, log_y=True, dates=True)
    return fig


def hardware_figure(
    timeseries: pd.DataFrame, measure: str = "gpu_hours", period: Period | None = None
) -> Figure:
    """Stacked areas by hardware over time, generations in order of first use."""
    fig = new_figure()
    ax = fig.axes[0]
    m = MEASURES[measure]
    title = f"{m.name} by hardware"
    if timeseries.empty:
        note(ax, title, "no rows in this run")
        return fig
    period = period or pick_period(timeseries["time"])
    wide = per_period(timeseries, "hardware", measure, period)
    names = list(timeseries.sort_values("time", kind="stable")["hardware"].drop_duplicates())
    palette = [f"C{i % 10}" for i in range(len(names))]
    ax.stackplot(wide.index, *(wide[n] for n in names), labels=names, colors=palette, alpha=0.9)
    ax.set_ylim(bottom=0)
    style_axes(ax, title, f"{m.unit} per {period.noun}", y_style=m.style, dates=True, legend=False)
    ax.legend(frameon=False, fontsize=9, loc="upper left", ncols=2 if len(names) > 6 else 1)
    return fig


def daily_cycle_figure(
    timeseries: pd.DataFrame, measure: str = "gpu_hours", days: int = 14
) -> Figure:
    """Hourly demand by regime over the first days, and each regime's profile by hour of day."""
    fig = new_figure(rows=2, height=3.4)
    top, bottom = fig.axes
    m = MEASURES[measure]
    titles = (f"Hourly {m.lower} by regime", "Daily cycle: demand by hour of day")
    if timeseries.empty or resolution_hours(timeseries["time"]) > 1.0:
        message = "needs hourly bins: run with --set run.resolution=hour"
        note(top, titles[0], message)
        note(bottom, titles[1], message)
        return fig
    hourly = per_period(timeseries, "regime", measure, PERIODS[0])
    shown = hourly.loc[hourly.index < hourly.index.min() + pd.Timedelta(days=days)]
    names = regime_order(list(hourly.columns))
    rate = "GPUs busy (GPU-hours per hour)" if measure == "gpu_hours" else f"{m.unit} per hour"
    for name, color in zip(names, colors_for(names), strict=True):
        top.plot(shown.index, shown[name].where(shown[name] > 0), color=color, label=name, lw=1.2)
        profile = hourly[name].groupby(pd.DatetimeIndex(hourly.index).hour).mean()
        relative = profile / profile.mean() if profile.mean() > 0 else profile
        bottom.plot(relative.index, relative, "o-", color=color, label=name, lw=1.8, ms=3)
    style_axes(top, titles[0], rate, y_style=m.style, log_y=True, dates=True)
    bottom.axhline(1.0, color="0.5", lw=0.8)
    low, high = bottom.get_ylim()
    bottom.set_ylim(min(0.5, low), max(1.5, high))  # a flat profile must look flat
    bottom.set_xlim(-0.5, 23.5)
    bottom.xaxis.set_major_locator(MultipleLocator(3))
    style_axes(bottom, titles[1], "relative to daily mean (ratio)", "hour of day (UTC)", "ratio")
    return fig
