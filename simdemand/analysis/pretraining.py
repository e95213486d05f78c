"""Measures of the pretraining regime over a models table: base models and frontier trends."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simdemand.analysis.periods import naive_utc


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
