"""Figures of runs, sweeps and backtests: matplotlib Figures built from the result tables.

Every builder takes pandas frames shaped like a run's Parquet files (or like the frames the
small ``*_ratios`` helpers below return) and returns a :class:`matplotlib.figure.Figure` drawn
on the Agg canvas; nothing touches pyplot's global state, so figures are garbage-collected like
any object. Save one with ``fig.savefig("out.png")``; a notebook shows one returned by a cell.

A regime with no rows is simply absent from a figure; a figure whose subject is absent
altogether (no post-training, no test-time, no hourly bins) draws a one-line note instead of
failing. Time axes show UTC dates; amounts are summed per month, week, day or hour, whichever
suits the span of the data, and the axis label says which.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MultipleLocator, NullFormatter

from simdemand.supply import read_supply

REGIMES = ("pretraining", "post-training", "test-time")
REGIME_COLORS = {"pretraining": "#3b6ea8", "post-training": "#e08a2c", "test-time": "#3a9a5b"}
OTHER_COLORS = ("#8e44ad", "#c0392b", "#16a085", "#7f6000", "#d35400", "#2c3e50", "#7f7f7f")
TOTAL_COLOR = "#222222"
TIMES = "\N{MULTIPLICATION SIGN}"
CLEAR = {"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.8}  # text over lines
OBSERVED_COLOR = "#9a9a9a"
FRONTIER_COLOR = "#c0392b"
LegendLoc = Literal["best", "upper left", "upper right", "lower left", "lower right"]
Format = Literal["count", "usd", "sci", "ratio", "percent"]
SINGLE_PASS = "chat"
RUN_FILES = ("timeseries.parquet", "jobs.parquet", "models.parquet", "manifest.json")


@dataclass(frozen=True)
class Measure:
    """An amount column of the tables: what it measures, its unit, and how to print it."""

    column: str
    name: str
    unit: str
    style: Format

    @property
    def lower(self) -> str:
        """The name inside a sentence: 'energy', but 'GPU time'."""
        return self.name if self.name[:2].isupper() else self.name.lower()


MEASURES = {
    m.column: m
    for m in (
        Measure("gpu_hours", "GPU time", "GPU-hours", "count"),
        Measure("flop", "Compute", "FLOP", "sci"),
        Measure("energy_mwh", "Energy", "MWh", "count"),
        Measure("cost_usd", "Cost", "USD", "usd"),
        Measure("queries", "Queries", "queries", "count"),
        Measure("tokens", "Tokens", "tokens", "count"),
    )
}
DEMAND = ("gpu_hours", "energy_mwh", "cost_usd")


@dataclass(frozen=True)
class Period:
    """A length of time to sum amounts over, as a pandas frequency and a word for labels."""

    freq: str
    noun: str
    hours: float


PERIODS = (
    Period("h", "hour", 1.0),
    Period("D", "day", 24.0),
    Period("7D", "week", 168.0),
    Period("MS", "month", 730.5),
)


# ---- a run folder ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """The tables and manifest of one run folder."""

    folder: Path
    timeseries: pd.DataFrame
    jobs: pd.DataFrame
    models: pd.DataFrame
    manifest: dict[str, Any]
    capacity: pd.DataFrame | None = None
    fleet: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        """The run's name from its manifest, else the folder's name."""
        return str(self.manifest.get("name", self.folder.name))


def load_run(folder: str | Path) -> Run:
    """Read a run folder; a missing folder or file raises FileNotFoundError naming it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such run folder")
    for name in RUN_FILES:
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder}: not a simdemand run folder (no {name})")
    tables = {n: pd.read_parquet(folder / f"{n}.parquet") for n in ("timeseries", "jobs", "models")}
    manifest = json.loads((folder / "manifest.json").read_text())
    supply = read_supply(folder)
    capacity, fleet = (supply[0], supply[1]) if supply is not None else (None, None)
    return Run(folder=folder, manifest=manifest, capacity=capacity, fleet=fleet, **tables)


# ---- axes, numbers and colours ---------------------------------------------------------------


def new_figure(rows: int = 1, cols: int = 1, width: float = 10.0, height: float = 4.2) -> Figure:
    """A constrained-layout Figure on the Agg canvas with a grid of axes (height per row)."""
    fig = Figure(figsize=(width, height * rows), layout="constrained", dpi=110)
    FigureCanvasAgg(fig)
    fig.subplots(rows, cols, squeeze=False)
    return fig


def human(value: float, style: Format = "count") -> str:
    """A tick label: 1.5e9 -> '1.5B', with '$' for money, 10^n for FLOP, 'x' for ratios."""
    if style == "sci":
        return f"{value:.2g}".replace("e+", "e")
    if style == "ratio":
        return f"{value:g}{TIMES}"
    if style == "percent":
        return f"{value:g}%"
    sign, size = ("-" if value < 0 else ""), abs(value)
    prefix = "$" if style == "usd" else ""
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= scale:
            return f"{sign}{prefix}{size / scale:.3g}{suffix}"
    return f"{sign}{prefix}{size:.3g}"


def style_axes(
    ax: Axes,
    title: str,
    ylabel: str,
    xlabel: str | None = None,
    y_style: Format | None = "count",
    log_y: bool = False,
    log_x: bool = False,
    x_style: Format | None = None,
    dates: bool = False,
    legend: bool = True,
    legend_loc: LegendLoc = "best",
    framed: bool = False,
) -> Axes:
    """Give an axes its title, labels with units, number format, scales, grid and legend."""
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.set_ylabel(ylabel)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if log_y:
        ax.set_yscale("log")
        log_ticks(ax.yaxis, *ax.get_ylim())
    if log_x:
        ax.set_xscale("log")
        log_ticks(ax.xaxis, *ax.get_xlim())
    if y_style is not None and (y_style != "sci" or not log_y):
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v, y_style)))
    if x_style is not None:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: human(v, x_style)))
    if dates:
        locator = AutoDateLocator(minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.grid(True, which="major", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    if legend and ax.get_legend_handles_labels()[0]:
        frame = {"framealpha": 0.9, "edgecolor": "none"} if framed else {"frameon": False}
        ax.legend(fontsize=9, loc=legend_loc, **frame)
    return ax


def log_ticks(axis: Axis, low: float, high: float) -> None:
    """Ticks of a log axis: each decade, or 1-2-5 steps when it spans under 2.5 decades."""
    narrow = high / max(low, 1e-300) < 300.0
    subs = (1.0, 2.0, 5.0) if narrow else (1.0,)
    axis.set_major_locator(LogLocator(base=10.0, subs=subs, numticks=12))
    axis.set_minor_formatter(NullFormatter())


def headroom(ax: Axes, values: pd.Series, *marks: float) -> None:
    """A log y axis from below the smallest positive value to well above the largest (legend)."""
    positive = np.asarray([*values.loc[values > 0], *marks], dtype=np.float64)
    ax.set_yscale("log")
    if positive.size:
        ax.set_ylim(positive.min() / 2, positive.max() * 8)


def note(ax: Axes, title: str, message: str) -> Axes:
    """Mark an axes as empty: its title and a one-line note in the middle, no ticks."""
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.35")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def colors_for(names: Sequence[str]) -> list[str]:
    """A colour per series: the fixed regime colours, then a palette for other names."""
    spare = iter(OTHER_COLORS * (1 + len(names) // len(OTHER_COLORS)))
    return [REGIME_COLORS[n] if n in REGIME_COLORS else next(spare) for n in names]


def regime_order(names: Sequence[str]) -> list[str]:
    """The regimes present, in the order pretraining, post-training, test-time, then others."""
    present = set(names)
    return [r for r in REGIMES if r in present] + sorted(present - set(REGIMES))


def naive_utc(times: pd.Series | pd.Index) -> pd.DatetimeIndex:
    """Timestamps as naive UTC (what matplotlib's date axis expects)."""
    index = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    return index.tz_convert("UTC").tz_localize(None)


# ---- tidy frames for the figures -------------------------------------------------------------


def resolution_hours(times: pd.Series) -> float:
    """The smallest step between distinct bin starts, in hours (inf for one bin)."""
    steps = np.diff(np.unique(naive_utc(times).to_numpy()))
    return float(steps.min() / np.timedelta64(1, "h")) if len(steps) else float("inf")


def pick_period(times: pd.Series) -> Period:
    """The period to sum over: about 30-120 points across the span, never finer than the bins."""
    if times.empty:
        return PERIODS[-1]
    index = naive_utc(times)
    span_h = (index.max() - index.min()) / pd.Timedelta(hours=1)
    step_h = resolution_hours(times)
    wanted = next((p for p in PERIODS if span_h / p.hours <= 120), PERIODS[-1])
    fine_enough = [p for p in PERIODS if p.hours >= step_h * 0.9] or [PERIODS[-1]]
    return max(wanted, fine_enough[0], key=lambda p: p.hours)


def per_period(
    timeseries: pd.DataFrame, by: str, column: str, period: Period | None = None
) -> pd.DataFrame:
    """Wide table of `column` summed per period (rows, naive UTC) and per value of `by`."""
    period = period or pick_period(timeseries["time"])
    frame = timeseries.assign(time=naive_utc(timeseries["time"]))
    wide = frame.pivot_table(index="time", columns=by, values=column, aggfunc="sum", fill_value=0)
    origin = "start" if period.freq == "7D" else "start_day"
    summed = wide.resample(period.freq, origin=origin).sum()
    summed.columns = [str(c) for c in summed.columns]
    return summed


def ecosystem_ratios(
    models: pd.DataFrame, jobs: pd.DataFrame, min_observed_days: float = 0.0
) -> pd.DataFrame:
    """The bases with derivatives, from :func:`simdemand.ecosystem.ecosystem_summary`.

    One row per pretrained base whose tree has post-training: derivatives, ratio (the tree's
    post-training GPU-hours over the base's final pretraining run), ratio_flop and the rest of
    the summary's columns; highest ratio first. ``min_observed_days`` leaves out bases released
    too late in the run to have collected their derivatives.
    """
    from simdemand.ecosystem import COLUMNS, ecosystem_summary

    if not (jobs["regime"] == "post-training").any():
        return pd.DataFrame(columns=COLUMNS)
    summary = ecosystem_summary(models, jobs)
    keep = (summary["derivatives"] > 0) & (summary["post_training_gpu_hours"] > 0)
    keep &= summary["observed_days"] >= min_observed_days
    table = summary.loc[keep].sort_values("ratio", ascending=False, kind="stable")
    table = table.reset_index(drop=True)
    table.attrs["min_observed_days"] = min_observed_days
    return table


def query_ratios(timeseries: pd.DataFrame, reference: str | None = None) -> pd.DataFrame:
    """Test-time compute per query class and its ratio to a single pass (the reference class).

    Classes are the ``activity`` of test-time rows. The reference defaults to ``chat`` (one
    plain pass, as in :mod:`simdemand.testtime`), else the class with the least FLOP per query.
    Columns: queries, flop, gpu_hours, flop_per_query, gpu_seconds_per_query, ratio (of FLOP
    per query), gpu_seconds_ratio, share_of_queries, share_of_gpu_hours.
    """
    rows = timeseries.loc[timeseries["regime"] == "test-time"]
    table = rows.groupby("activity")[["queries", "flop", "gpu_hours"]].sum()
    table = table.loc[table["queries"] > 0]
    table["flop_per_query"] = table["flop"] / table["queries"]
    table["gpu_seconds_per_query"] = table["gpu_hours"] * 3600.0 / table["queries"]
    if table.empty:
        empty: list[float] = []
        return table.assign(
            ratio=empty, gpu_seconds_ratio=empty, share_of_queries=empty, share_of_gpu_hours=empty
        )
    default = SINGLE_PASS if SINGLE_PASS in table.index else str(table["flop_per_query"].idxmin())
    ref = reference if reference is not None else default
    if ref not in table.index:
        raise KeyError(f"no test-time query class {ref!r}; classes: {', '.join(table.index)}")
    table["ratio"] = table["flop_per_query"] / float(table["flop_per_query"].loc[ref])
    single_pass_s = float(table["gpu_seconds_per_query"].loc[ref])
    table["gpu_seconds_ratio"] = table["gpu_seconds_per_query"] / single_pass_s
    table["share_of_queries"] = table["queries"] / table["queries"].sum()
    table["share_of_gpu_hours"] = table["gpu_hours"] / table["gpu_hours"].sum()
    table = table.sort_values("ratio")
    table.attrs["reference"] = ref
    return table


def growth_per_year(series: pd.Series) -> float:
    """Fitted growth factor per year of a positive series indexed by time (NaN if too short)."""
    positive = series.loc[series > 0]
    if len(positive) < 3:
        return float("nan")
    years = (naive_utc(positive.index) - naive_utc(positive.index).min()) / pd.Timedelta(
        days=365.25
    )
    slope = np.polyfit(years.to_numpy(np.float64), np.log10(positive.to_numpy(np.float64)), 1)[0]
    return float(10.0**slope)


# ---- demand over time ------------------------------------------------------------------------


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


# ---- the three scaling laws ------------------------------------------------------------------


def pretrained(models: pd.DataFrame, parent_col: str = "parent_id") -> pd.DataFrame:
    """Models without a parent, with a release date and positive training compute."""
    parent = models[parent_col] if parent_col in models else pd.Series(pd.NA, index=models.index)
    keep = parent.isna() & (pd.to_numeric(models["training_flop"], errors="coerce") > 0)
    return models.loc[keep & models["released"].notna()]


def trend_line(frontier: pd.DataFrame) -> tuple[pd.DatetimeIndex, np.ndarray, float]:
    """Ends of the least-squares line of log10 FLOP on time, and its growth per year."""
    dates = naive_utc(frontier["released"])
    years = ((dates - dates.min()) / pd.Timedelta(days=365.25)).to_numpy(np.float64)
    slope, intercept = np.polyfit(years, np.log10(frontier["training_flop"].to_numpy(float)), 1)
    ends = np.array([years.min(), years.max()])
    stamps = pd.DatetimeIndex([dates.min() + pd.Timedelta(days=365.25 * y) for y in ends])
    return stamps, 10.0 ** (intercept + slope * ends), float(10.0**slope)


def as_utc(value: str | pd.Timestamp) -> pd.Timestamp:
    """A UTC timestamp; a naive value is taken to be in UTC."""
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def simulated_frontiers(
    observed: pd.DataFrame, simulated: Sequence[pd.DataFrame], since: pd.Timestamp, top_n: int
) -> list[pd.DataFrame]:
    """The frontier models of each replication, ranked against Epoch's models before `since`."""
    from simdemand.backtest import with_history
    from simdemand.history import frontier_models

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
    ``table`` (from :func:`simdemand.backtest.backtest`), a second panel compares yearly counts.
    """
    from simdemand.history import frontier_models

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


# ---- uncertainty and sensitivity -------------------------------------------------------------


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


# ---- figures of a run folder, by name --------------------------------------------------------


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
    demanded = per_period(scaled, "regime", "demanded_gpu_hours", period)
    share = 100.0 * (unmet / demanded.where(demanded > 0)).fillna(0.0)
    for name, color in zip(names, colors_for(names), strict=True):
        bottom.plot(share.index, share[name], color=color, lw=1.4, label=name)
    bottom.set_ylim(0, 100)
    style_axes(
        bottom,
        "Unmet share of demand by regime",
        f"% of demand, per {period.noun}",
        y_style="percent",
        dates=True,
        legend_loc="upper left",
    )
    return fig


def run_figure(run: Run, kind: str) -> Figure:
    """The named figure of a run, titled with the run's name."""
    fig = KINDS[kind](run)
    fig.suptitle(f"simdemand run '{run.name}'", x=0.01, ha="left", fontsize=10, color="0.35")
    return fig


def _supply_kind(run: Run) -> Figure:
    """Demand against capacity, with H100-equivalents from the run's own catalog."""
    from simdemand.scenario.loader import scenario_catalog
    from simdemand.scenario.schema import Scenario
    from simdemand.world.fleet import weights

    if run.capacity is None or run.fleet is None:
        raise ValueError(f"{run.folder}: no fleet tables")
    scenario = Scenario.model_validate(run.manifest["scenario"], strict=False)
    names = sorted(set(run.capacity["hardware"]) | set(run.fleet["hardware"]))
    return supply_figure(run.capacity, run.fleet, weights(scenario_catalog(scenario), names))


def _models_kind(run: Run) -> Figure:
    """The run's released models against Epoch AI's history."""
    from simdemand.history import load_epoch_models

    start = pd.to_datetime(run.timeseries["time"], utc=True).min()
    since = start if pd.notna(start) else pd.to_datetime(run.models["released"], utc=True).min()
    return backtest_figure(load_epoch_models(), [run.models], since)


KINDS: dict[str, Callable[[Run], Figure]] = {
    "regimes": lambda r: regimes_figure(r.timeseries),
    "growth": lambda r: growth_figure(r.timeseries),
    "cumulative": lambda r: cumulative_figure(r.timeseries),
    "hardware": lambda r: hardware_figure(r.timeseries),
    "daily": lambda r: daily_cycle_figure(r.timeseries),
    "models": _models_kind,
    "ecosystem": lambda r: ecosystem_figure(ecosystem_ratios(r.models, r.jobs, 365.0)),
    "queries": lambda r: query_figure(query_ratios(r.timeseries)),
    "supply": lambda r: _supply_kind(r),
}


def missing_data(run: Run, kind: str) -> str | None:
    """Why a run cannot show a figure (no rows, no regime, no hourly bins), or None."""
    ts = run.timeseries
    regimes = set(ts["regime"])
    if kind == "models":
        return None if not pretrained(run.models).empty else "no pretrained models"
    if ts.empty:
        return "no time-series rows"
    if kind == "daily" and resolution_hours(ts["time"]) > 1.0:
        return "the daily cycle needs hourly bins (run with --set run.resolution=hour)"
    if kind == "ecosystem" and "post-training" not in regimes:
        return "no post-training rows"
    if kind == "queries" and "test-time" not in regimes:
        return "no test-time rows"
    if kind == "supply" and (run.capacity is None or run.fleet is None):
        return "no fleet (the scenario has no [fleet] section)"
    return None
