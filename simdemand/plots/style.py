"""The house style of every figure: colours, number formats, axes, notes; the measures drawn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from simdemand.units import REGIMES

REGIME_COLORS = {"pretraining": "#3b6ea8", "post-training": "#e08a2c", "test-time": "#3a9a5b"}
OTHER_COLORS = ("#8e44ad", "#c0392b", "#16a085", "#7f6000", "#d35400", "#2c3e50", "#7f7f7f")
TOTAL_COLOR = "#222222"
TIMES = "\N{MULTIPLICATION SIGN}"
CLEAR = {"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.8}  # text over lines
OBSERVED_COLOR = "#9a9a9a"
FRONTIER_COLOR = "#c0392b"
LegendLoc = Literal["best", "upper left", "upper right", "lower left", "lower right"]
Format = Literal["count", "usd", "sci", "ratio", "percent"]


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
