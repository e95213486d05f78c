"""Time in the result tables: naive UTC axes, bin widths, periods to sum over, growth rates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


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


def naive_utc(times: pd.Series | pd.Index) -> pd.DatetimeIndex:
    """Timestamps as naive UTC (what matplotlib's date axis expects)."""
    index = pd.DatetimeIndex(pd.to_datetime(times, utc=True))
    return index.tz_convert("UTC").tz_localize(None)


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
