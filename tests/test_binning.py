"""Splitting intervals at bin edges: exact shares and conservation."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simdemand.results.grid import bin_edges, month_starts
from simdemand.scenario.schema import RunConfig
from simdemand.world.binning import FloatArray, Growing, IntArray, cell_sums, split


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


def reference_sums(
    start: FloatArray,
    end: FloatArray,
    edges: FloatArray,
    group: IntArray,
    amounts: list[FloatArray],
) -> tuple[IntArray, IntArray, list[FloatArray]]:
    """Cells the simple way: every piece, a sort over them, a bincount per amount."""
    n_groups = int(group.max()) + 1 if len(group) else 1
    row, bins, share = split(start, end, edges)
    cell, inverse = np.unique(bins * n_groups + group[row], return_inverse=True)
    sums = [
        np.bincount(inverse, weights=a[row] * share, minlength=len(cell)).astype(np.float64)
        for a in amounts
    ]
    return (cell // n_groups).astype(np.int64), (cell % n_groups).astype(np.int64), sums


def amounts_of(n: int) -> st.SearchStrategy[FloatArray]:
    """`n` non-negative amounts, many of them zero (as queries are outside test-time)."""
    value = st.one_of(st.just(0.0), st.floats(0, 1e12, allow_nan=False))
    return st.lists(value, min_size=n, max_size=n).map(np.array)


Case = tuple[FloatArray, FloatArray, FloatArray, IntArray, list[FloatArray], int]


@st.composite
def binning_cases(draw: st.DrawFn) -> Case:
    """Intervals on a grid of even or uneven bins (or on its edges), in groups, with two amounts,
    and a window budget."""
    widths = draw(st.lists(st.floats(0.01, 50), min_size=1, max_size=30))
    if draw(st.booleans()):  # even, as hours, days and weeks are, but maybe for the last bin
        widths = [float(np.ceil(widths[0]))] * (len(widths) - 1) + widths[-1:]
    edges = np.concatenate([[0.0], np.cumsum(widths)])
    rows = draw(intervals)
    start = np.array([min(r[0], edges[-1]) for r in rows]) * 0.999
    end = np.minimum(start + np.array([r[1] for r in rows]), edges[-1])
    if draw(st.booleans()):  # start and end on bin edges, as hourly test-time intervals do
        start = edges[np.searchsorted(edges, start, side="right") - 1]
        end = edges[np.searchsorted(edges, end, side="left")]
    keep = end > start
    n = int(keep.sum())
    group = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=np.int64)
    budget = draw(st.sampled_from([1, 2, 5, 17, 1 << 20]))
    return start[keep], end[keep], edges, group, [draw(amounts_of(n)), draw(amounts_of(n))], budget


@settings(max_examples=300, deadline=None)
@given(binning_cases())
def test_cell_sums_equal_sorting_every_piece(case: Case) -> None:
    """Window by window, the cells and their sums are bit for bit those of the simple way."""
    start, end, edges, group, amounts, budget = case
    n_groups = int(group.max()) + 1 if len(group) else 1
    cells = cell_sums(start, end, edges, group, n_groups, amounts, budget)
    bins, groups, sums = reference_sums(start, end, edges, group, amounts)
    assert cells.bins.tolist() == bins.tolist()
    assert cells.groups.tolist() == groups.tolist()
    for got, want in zip(cells.sums, sums, strict=True):
        assert got.tobytes() == want.tobytes()


def test_cell_sums_of_nothing_are_empty() -> None:
    """No intervals, no cells."""
    none = np.empty(0)
    cells = cell_sums(none, none, np.array([0.0, 1.0]), none.astype(np.int64), 0, [none])
    assert len(cells.bins) == len(cells.groups) == len(cells.sums[0]) == 0


def test_long_interval_cut_into_windows_spreads_evenly() -> None:
    """An interval over ten bins, in windows of three bins, puts 1/9 in each whole bin."""
    cells = cell_sums(
        np.array([0.5]), np.array([9.5]), np.arange(11.0), np.zeros(1, np.int64), 1, [np.ones(1)], 3
    )
    assert cells.bins.tolist() == list(range(10))
    np.testing.assert_allclose(cells.sums[0], [0.5 / 9, *[1 / 9] * 8, 0.5 / 9])


def test_growing_columns_keep_every_window_through_reallocations() -> None:
    """Columns that start with room for 2 values and grow (column by column) past it hold
    every window's values in order, each column its own dtype."""
    out = Growing([np.empty(2, dtype=np.int64), np.empty(2, dtype=np.float64)])
    windows = [([1, 2, 3], [0.5, 1.5, 2.5]), ([4], [3.5]), ([5, 6, 7, 8, 9], [4.5] * 5)]
    for window_bins, window_sums in windows:
        out.extend([np.array(window_bins, dtype=np.int64), np.array(window_sums)])
    bins, sums = out.filled()
    assert bins.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert sums.tolist() == [0.5, 1.5, 2.5, 3.5, *[4.5] * 5]
    assert (bins.dtype, sums.dtype) == (np.dtype(np.int64), np.dtype(np.float64))
