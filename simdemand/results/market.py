"""Arrow tables of the economy: the token market (prices, quantities, revenue by cohort, class
and tier on the output grid), the investment loop (one row per quarterly decision) and the labs'
compute budget (one row per evaluation)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from simdemand.physics.economics import TOKENS_PER_MILLION
from simdemand.results.tables import TIME, decoded, field, label_groups, microseconds, timestamps
from simdemand.world.binning import cell_sums
from simdemand.world.budget import Allowance
from simdemand.world.market import AMOUNTS, Sale
from simdemand.world.supply.investment import Decision

FloatArray = npt.NDArray[np.float64]

MARKET = pa.schema(
    [
        field("time", TIME, "UTC, bin start"),
        field("cohort", pa.string()),
        field("class", pa.string()),
        field("tier", pa.string()),
        field("usd_per_million_input_tokens", pa.float64(), "USD per 1e6 tokens"),
        field("usd_per_million_output_tokens", pa.float64(), "USD per 1e6 tokens"),
        field("usd_per_request", pa.float64(), "USD per image or video (0 for token classes)"),
        field("queries", pa.float64(), "queries"),
        field("input_tokens", pa.float64(), "tokens (through prefill)"),
        field("output_tokens", pa.float64(), "tokens (decoded)"),
        field("cost_usd", pa.float64(), "USD (serving GPU-hours at the catalog's rental price)"),
        field("revenue_usd", pa.float64(), "USD (price x tokens, or x requests)"),
    ]
)
INVESTMENT = pa.schema(
    [
        field("time", TIME, "UTC, decision (quarter end)"),
        field("sold_usd", pa.float64(), "USD (token revenue the market recorded, past quarter)"),
        field("served_share", pa.float64(), "fraction (of test-time work served, past quarter)"),
        field("revenue_usd", pa.float64(), "USD (sold x served share)"),
        field("outside_usd", pa.float64(), "USD (outside investment of the quarter)"),
        field("funds_usd", pa.float64(), "USD (reinvested revenue + outside investment)"),
        field("capex_usd", pa.float64(), "USD (GPUs ordered x capex per GPU)"),
        field("depreciation_usd", pa.float64(), "USD (of the loop's GPUs, in the past quarter)"),
        field("utilization", pa.float64(), "fraction (H100e-hours used / installed, past quarter)"),
        field("unmet_share", pa.float64(), "fraction (of fluid work leaving the queues, lost)"),
        field("energy_mwh", pa.float64(), "MWh (fleet, past quarter)"),
        field("hardware", pa.string()),
        field("ordered_gpus", pa.float64(), "GPUs"),
        field("ordered_h100e", pa.float64(), "H100-equivalents"),
        field("ordered_gw", pa.float64(), "GW (facility power at full load)"),
        field("delivery", TIME, "UTC (order + lead time)"),
        field("bound", pa.string()),
    ]
)
BUDGET = pa.schema(
    [
        field("time", TIME, "UTC, when a lab planned a run or charged research"),
        field("revenue_usd_per_year", pa.float64(), "USD per year (token revenue, trailing year)"),
        field("outside_usd_per_year", pa.float64(), "USD per year (outside investment)"),
        field("budget_usd_per_year", pa.float64(), "USD per year (revenue share + outside)"),
        field("trend_usd_per_year", pa.float64(), "USD per year (what the labs' trends spend)"),
        field("multiplier", pa.float64(), "1 (min(1, budget / trend) on the trends' run sizes)"),
    ]
)


def market_table(sales: list[Sale], edges: FloatArray, start: dt.datetime) -> pa.Table:
    """Sales binned on the output grid by (time, cohort, class, tier), with each cell's mean
    prices (revenue over tokens); rows sorted by bin, then labels."""
    if not sales:
        return MARKET.empty_table()
    rows = [len(s.amounts[0]) for s in sales]
    start_h = np.concatenate(
        [
            s.start_h + s.width * np.arange(n, dtype=np.float64)
            for s, n in zip(sales, rows, strict=True)
        ]
    )
    end_h = start_h + np.repeat([float(s.width) for s in sales], rows)
    labels = {
        key: np.repeat(np.array([getattr(s, attr) for s in sales], dtype=object), rows)
        for key, attr in (("cohort", "cohort"), ("class", "cls"), ("tier", "tier"))
    }
    codes, names = zip(*(pd.factorize(v, sort=True) for v in labels.values()), strict=True)
    group, group_codes = label_groups(codes, [len(n) for n in names])
    amounts = [np.concatenate([s.amounts[k] for s in sales]) for k in range(len(AMOUNTS))]
    cells = cell_sums(start_h, end_h, edges, group, len(group_codes[0]), amounts)
    sums = dict(zip(AMOUNTS, cells.sums, strict=True))
    columns: dict[str, pa.Array] = {
        "time": pa.array(microseconds(start, edges)[cells.bins], type=TIME)
    }
    for key, name, code in zip(labels, names, group_codes, strict=True):
        columns[key] = decoded(code[cells.groups], name)
    columns["usd_per_million_input_tokens"] = pa.array(
        per_million(sums["input_revenue_usd"], sums["input_tokens"])
    )
    columns["usd_per_million_output_tokens"] = pa.array(
        per_million(sums["output_revenue_usd"], sums["output_tokens"])
    )
    tokens = sums["input_tokens"] + sums["output_tokens"]
    requests = np.where(tokens > 0, 0.0, sums["queries"])
    columns["usd_per_request"] = pa.array(per_unit(sums["output_revenue_usd"], requests))
    for key in ("queries", "input_tokens", "output_tokens"):
        columns[key] = pa.array(sums[key])
    columns["cost_usd"] = pa.array(sums["input_cost_usd"] + sums["output_cost_usd"])
    columns["revenue_usd"] = pa.array(sums["input_revenue_usd"] + sums["output_revenue_usd"])
    return pa.Table.from_pydict(columns, schema=MARKET)


def per_million(usd: FloatArray, tokens: FloatArray) -> FloatArray:
    """USD per million tokens (0 where no token was sold)."""
    return per_unit(usd, tokens) * TOKENS_PER_MILLION


def per_unit(usd: FloatArray, units: FloatArray) -> FloatArray:
    """USD per unit sold (0 where none was)."""
    price: FloatArray = np.divide(usd, units, out=np.zeros_like(usd), where=units > 0)
    return price


def investment_table(decisions: list[Decision], start: dt.datetime) -> pa.Table:
    """One row per quarterly decision of the investment loop."""
    columns: dict[str, pa.Array] = {
        "time": timestamps(start, np.array([d.hour for d in decisions], dtype=np.float64)),
        "delivery": timestamps(
            start, np.array([d.delivery_h for d in decisions], dtype=np.float64)
        ),
    }
    for name in INVESTMENT.names:
        if name not in columns:
            kind = INVESTMENT.field(name).type
            columns[name] = pa.array([getattr(d, name) for d in decisions], kind)
    return pa.Table.from_pydict(columns, schema=INVESTMENT)


def budget_table(allowances: list[Allowance], start: dt.datetime) -> pa.Table:
    """One row per evaluation of the labs' compute budget, in time order."""
    hours = np.array([a.hour for a in allowances], dtype=np.float64)
    columns: dict[str, pa.Array] = {"time": timestamps(start, hours)}
    for name in BUDGET.names[1:]:
        columns[name] = pa.array([getattr(a, name) for a in allowances], pa.float64())
    return pa.Table.from_pydict(columns, schema=BUDGET)
