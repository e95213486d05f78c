"""Splitting intervals at bin edges: exact shares and conservation."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simdemand.results.grid import bin_edges, month_starts
from simdemand.scenario.schema import RunConfig
from simdemand.world.binning import split


def test_split_by_hand() -> None:
    """[0.5, 2.5) over unit bins puts 1/4, 1/2, 1/4 in bins 0, 1, 2."""
    row, bins, share = split(np.array([0.5]), np.array([2.5]), np.array([0.0, 1.0, 2.0, 3.0]))
    assert row.tolist() == [0, 0, 0]
    assert bins.tolist() == [0, 1, 2]
    np.testing.assert_allclose(share, [0.25, 0.5, 0.25])


def test_split_on_edges_touches_no_extra_bin() -> None:
    """An interval ending exactly on an edge puts nothing in the next bin."""
    _row, bins, share = split(np.array([1.0]), np.array([2.0]), np.array([0.0, 1.0, 2.0, 3.0]))
    assert bins.tolist() == [1]
    assert share.tolist() == [1.0]


intervals = st.lists(
    st.tuples(
        st.floats(0, 1000, allow_nan=False),
        st.floats(1e-6, 1000, allow_nan=False),
        st.floats(0, 1e9, allow_nan=False),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(intervals, st.lists(st.floats(0.01, 500), min_size=1, max_size=30))
def test_conservation(rows: list[tuple[float, float, float]], widths: list[float]) -> None:
    """Binned totals equal interval totals to 1e-9, for any intervals and any grid."""
    edges = np.concatenate([[0.0], np.cumsum(widths)])
    start = np.array([min(r[0], edges[-1]) for r in rows]) * 0.999
    end = np.minimum(start + np.array([r[1] for r in rows]), edges[-1])
    keep = end > start
    amount = np.array([r[2] for r in rows])[keep]
    row, bins, share = split(start[keep], end[keep], edges)
    binned = np.bincount(bins, weights=amount[row] * share, minlength=len(edges) - 1)
    assert np.all(share > -1e-12)
    assert np.all((bins >= 0) & (bins < len(edges) - 1))
    assert abs(binned.sum() - amount.sum()) <= 1e-9 * max(amount.sum(), 1.0)
    per_row = np.bincount(row, weights=share, minlength=len(amount))
    np.testing.assert_allclose(per_row, 1.0, rtol=1e-9)


def test_month_edges_follow_calendar() -> None:
    """Monthly bins start on the first of each month; the first and last may be partial."""
    run = RunConfig(
        name="m", start=dt.date(2025, 1, 15), end=dt.date(2025, 4, 1), seed=0, resolution="month"
    )
    assert month_starts(run.start, run.end) == [
        dt.date(2025, 1, 15),
        dt.date(2025, 2, 1),
        dt.date(2025, 3, 1),
    ]
    assert bin_edges(run).tolist() == [0.0, 17 * 24.0, (17 + 28) * 24.0, (17 + 28 + 31) * 24.0]


def test_week_edges_end_at_horizon() -> None:
    """The last week is cut short at the horizon."""
    run = RunConfig(
        name="w", start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 20), seed=0, resolution="week"
    )
    assert bin_edges(run).tolist() == [0.0, 168.0, 336.0, 456.0]
