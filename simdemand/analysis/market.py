"""Headline figures of the economy: the token market, the investment loop and the labs' compute
budget by year."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simdemand.analysis.aggregate import quantile_name, scenarios, totals

TOKENS_PER_MILLION = 1e6


def market_by_year(market: pd.DataFrame) -> pd.DataFrame:
    """Revenue, cost, tokens, queries and the mean price (USD per million tokens) by year and
    tier."""
    m = market.assign(
        year=market["time"].dt.year, tokens=market["input_tokens"] + market["output_tokens"]
    )
    table = m.groupby(["year", "tier"], as_index=False)[
        ["queries", "tokens", "cost_usd", "revenue_usd"]
    ].sum()
    table["usd_per_million_tokens"] = np.divide(
        table["revenue_usd"] * TOKENS_PER_MILLION,
        table["tokens"],
        out=np.zeros(len(table)),
        where=table["tokens"].to_numpy() > 0,
    )
    return table


def investment_by_year(investment: pd.DataFrame) -> pd.DataFrame:
    """Revenue, funds, capex, depreciation, GPUs and GW ordered, and the mean utilization and
    unmet share of the quarters decided in each year."""
    i = investment.assign(year=investment["time"].dt.year)
    sums = i.groupby("year")[
        ["revenue_usd", "funds_usd", "capex_usd", "depreciation_usd", "ordered_gpus", "ordered_gw"]
    ].sum()
    means = i.groupby("year")[["utilization", "unmet_share"]].mean()
    return sums.join(means).reset_index()


def budget_by_year(budget: pd.DataFrame) -> pd.DataFrame:
    """The labs' budget, their trends' spend (USD per year) and the multiplier, each the mean of
    the evaluations in a year, with the least multiplier."""
    b = budget.assign(year=budget["time"].dt.year)
    columns = ["revenue_usd_per_year", "outside_usd_per_year", "budget_usd_per_year"]
    means = b.groupby("year")[[*columns, "trend_usd_per_year", "multiplier"]].mean()
    means["min_multiplier"] = b.groupby("year")["multiplier"].min()
    return means.reset_index()


def measures(
    market: pd.DataFrame | None,
    investment: pd.DataFrame | None,
    budget: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The economy's headline tables by name: `market`, `investment` and `budget` (each when
    present)."""
    out: dict[str, Any] = {}
    if market is not None:
        out["market"] = market_by_year(market)
    if investment is not None:
        out["investment"] = investment_by_year(investment)
    if budget is not None:
        out["budget"] = budget_by_year(budget)
    return out


def paired_ratio_bands(
    sweep: str | Path,
    axis: str,
    reference: Any,
    measure: str = "gpu_hours",
    freq: str | None = "quarter",
    total: bool = True,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
) -> pd.DataFrame:
    """Each run's `measure` over that of its twin at `axis` = `reference` (the same replication
    and other axis values: the same seed), by period and regime ("total" too, if `total`), then
    quantiles across replications: one row per (other axes, `axis` value, period, regime)."""
    axes = scenarios(sweep)
    others = [c for c in axes.columns if c != axis]
    frame = totals(sweep, measure, freq).merge(axes, left_on="scenario", right_index=True)
    if total:
        keys = ["scenario", "replication", *(["time"] if freq else []), *axes.columns]
        summed = frame.groupby(keys, as_index=False)[measure].sum().assign(regime="total")
        frame = pd.concat([frame, summed], ignore_index=True)
    keys = ["replication", *(["time"] if freq else []), "regime", *others]
    base = frame.loc[frame[axis] == reference, [*keys, measure]]
    paired = frame.loc[frame[axis] != reference].merge(base, on=keys, suffixes=("", "_reference"))
    paired["ratio"] = paired[measure] / paired[f"{measure}_reference"]
    groups = [*others, axis, *(["time"] if freq else []), "regime"]
    grouped = paired.groupby(groups, sort=True)["ratio"]
    out = pd.DataFrame({quantile_name(q): grouped.quantile(q) for q in quantiles})
    out["mean"] = grouped.mean()
    out["replications"] = grouped.size()
    return out.reset_index()
