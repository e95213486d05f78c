"""Two runs side by side: their demand by regime and year, and the differences between them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simdemand.results.reader import Run
from simdemand.units import TEST_TIME

SUMS = ["gpu_hours", "tokens", "cost_usd", "energy_mwh"]
KEYS = ["year", "regime"]
# With a market in both runs: test-time token revenue and the mean price paid.
MARKET = ["revenue_usd", "price_usd_per_million_tokens"]


def by_regime_and_year(run: Run) -> pd.DataFrame:
    """GPU-hours, tokens, spend and energy by year and regime, plus the test-time price (USD
    per million tokens served: spend over tokens), and with a market its revenue and the mean
    price paid (test-time rows)."""
    series = run.timeseries
    year = pd.to_datetime(series["time"], utc=True).dt.year.rename("year")
    table = series.groupby([year, "regime"], sort=True)[SUMS].sum().reset_index()
    served = table["regime"] == TEST_TIME
    price = np.divide(
        table["cost_usd"] * 1e6,
        table["tokens"],
        out=np.full(len(table), np.nan),
        where=served.to_numpy() & (table["tokens"] > 0).to_numpy(),
    )
    table = table.assign(usd_per_million_tokens=price)
    if run.market is None:
        return table
    return table.merge(market_by_year(run.market), on=KEYS, how="left")


def market_by_year(market: pd.DataFrame) -> pd.DataFrame:
    """Token revenue and the mean price paid (USD per million tokens: revenue over tokens) by
    year, as test-time rows."""
    year = pd.to_datetime(market["time"], utc=True).dt.year.rename("year")
    sums = market.assign(tokens=market["input_tokens"] + market["output_tokens"])
    table = sums.groupby(year, sort=True)[["revenue_usd", "tokens"]].sum().reset_index()
    price = np.divide(
        table["revenue_usd"] * 1e6,
        table["tokens"],
        out=np.full(len(table), np.nan),
        where=(table["tokens"] > 0).to_numpy(),
    )
    return table[["year", "revenue_usd"]].assign(
        regime=TEST_TIME, price_usd_per_million_tokens=price
    )


def compare_runs(a: Run, b: Run) -> pd.DataFrame:
    """Each measure of run `a` and run `b` by year and regime, their difference (b - a) and
    ratio (b / a); a year or regime present in one run only counts as zero in the other.
    Revenue and the price paid are compared when both runs have a market."""
    left, right = by_regime_and_year(a), by_regime_and_year(b)
    measures = [*SUMS, "usd_per_million_tokens"]
    if a.market is not None and b.market is not None:
        measures += MARKET
    else:
        left, right = (
            left.drop(columns=MARKET, errors="ignore"),
            right.drop(columns=MARKET, errors="ignore"),
        )
    merged = left.merge(right, on=KEYS, how="outer", suffixes=("_a", "_b")).sort_values(KEYS)
    for name in SUMS:
        merged[[f"{name}_a", f"{name}_b"]] = merged[[f"{name}_a", f"{name}_b"]].fillna(0.0)
    rows = []
    for name in measures:
        first, second = merged[f"{name}_a"], merged[f"{name}_b"]
        ratio = np.divide(
            second, first, out=np.full(len(merged), np.nan), where=(first > 0).to_numpy()
        )
        table = merged[KEYS].assign(
            measure=name, a=first, b=second, difference=second - first, ratio=ratio
        )
        rows.append(table[table["regime"] == TEST_TIME] if name in MARKET else table)
    return pd.concat(rows, ignore_index=True)
