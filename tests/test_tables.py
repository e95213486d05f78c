"""The time series table: the same rows, order and bits as sorting every piece would give."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from simdemand.results.tables import TIMESERIES, decoded, timeseries_table, timestamps
from simdemand.world.binning import FloatArray, split
from simdemand.world.ledger import AMOUNTS, TEXT, Intervals

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
LABELS = {  # the labels the time series groups by; other text columns get OTHER
    "regime": ["test-time", "pretraining", "post-training"],
    "agent": ["lab-2", "lab-1", "users", "open"],
    "activity": ["chat", "final-run", "sft"],
    "hardware": ["H100-SXM", "B200"],
}
OTHER = ["m1", "m2"]


def reference_table(
    iv: Intervals, money: dict[str, FloatArray], edges: FloatArray, start: dt.datetime
) -> pa.Table:
    """The time series as it was built before windows: a sort over every piece."""
    row, bins, share = split(iv.start_h, iv.end_h, edges)
    keys = ("regime", "agent", "activity", "hardware")
    codes, labels = zip(*(pd.factorize(getattr(iv, key), sort=True) for key in keys), strict=True)
    group = bins.astype(np.int64)
    for code, label in zip(codes, labels, strict=True):
        group = group * len(label) + code[row]
    unique, inverse = np.unique(group, return_inverse=True)
    columns: dict[str, Any] = {}
    rest = unique
    for key, label in reversed(list(zip(keys, labels, strict=True))):
        rest, code = np.divmod(rest, len(label))
        columns[key] = decoded(code, label)
    columns["time"] = timestamps(start, edges[rest])
    for name, values in money.items():
        columns[name] = pa.array(
            np.bincount(inverse, weights=values[row] * share, minlength=len(unique))
        )
    return pa.Table.from_pydict(columns, schema=TIMESERIES)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[Intervals, FloatArray]:
    """Intervals with labels, most of them an hour on the edges, some long; and hourly edges."""
    hours = draw(st.integers(1, 60))
    edges = np.arange(hours + 1, dtype=np.float64)
    n = draw(st.integers(0, 60))
    start = np.array(draw(st.lists(st.floats(0, hours), min_size=n, max_size=n)))
    lengths = st.lists(st.sampled_from([1.0, 0.3, 7.5, 40.0]), min_size=n, max_size=n)
    length = np.array(draw(lengths))
    start = np.where(length == 1.0, np.floor(start), start)
    end = np.minimum(start + length, hours)
    keep = end > start
    m = int(keep.sum())
    text = {
        name: np.array(
            draw(st.lists(st.sampled_from(LABELS.get(name, OTHER)), min_size=m, max_size=m)),
            dtype=object,
        )
        for name in TEXT
    }
    value = st.one_of(st.just(0.0), st.floats(0, 1e20, allow_nan=False))
    amounts = {
        name: np.array(draw(st.lists(value, min_size=m, max_size=m)), dtype=np.float64)
        for name in AMOUNTS
    }
    columns: dict[str, Any] = {**text, **amounts, "start_h": start[keep], "end_h": end[keep]}
    return Intervals(**columns), edges


def money_of(iv: Intervals) -> dict[str, FloatArray]:
    """The amounts of the time series, energy and cost standing in as multiples of GPU-hours."""
    return {
        "gpu_hours": iv.gpu_hours,
        "flop": iv.flop,
        "energy_mwh": iv.gpu_hours * 0.0012,
        "cost_usd": iv.gpu_hours * 2.1,
        "queries": iv.queries,
        "tokens": iv.tokens,
        "derivatives": iv.derivatives,
    }


def parquet_bytes(table: pa.Table) -> bytes:
    """The table written as a run writes it."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue())


@settings(max_examples=150, deadline=None)
@given(ledgers())
def test_timeseries_equals_the_sorting_reference(case: tuple[Intervals, FloatArray]) -> None:
    """Same rows in the same order, same bits, same Parquet bytes."""
    iv, edges = case
    money = money_of(iv)
    got = timeseries_table(iv, money, edges, START)
    want = reference_table(iv, money, edges, START)
    assert got.equals(want)
    assert parquet_bytes(got) == parquet_bytes(want)
