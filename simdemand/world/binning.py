"""Split intervals exactly at bin edges, spreading each interval's amounts uniformly in time.

`split` lists every piece (interval x bin) at once. `cell_sums` adds the pieces up per
(bin, group) cell without sorting them, one time window at a time, so that its scratch memory
is bounded by the window, not the horizon; each cell's sum is bit for bit that of adding its
pieces in interval order, as a `np.bincount` over `split`'s pieces does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Pieces (and cells) handled at once by `cell_sums`: 2 MB per array of them.
PIECES_PER_WINDOW = 1 << 18
# Cells `cell_sums` makes room for at first; memory is taken only as cells are written in.
FIRST_CAPACITY = 1 << 22


def split(
    start_h: FloatArray, end_h: FloatArray, edges: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Return (row, bin, share): interval `row` puts `share` of itself in `bin`.

    Intervals must lie within [edges[0], edges[-1]] and have end_h > start_h. Each row's shares
    sum to 1 to floating-point rounding, so binned totals conserve the interval totals.
    """
    first, last = bounds(start_h, end_h, edges)
    counts = last - first + 1
    row = np.repeat(np.arange(len(start_h), dtype=np.int64), counts)
    offset = np.arange(len(row), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    bins = first[row] + offset
    lo = np.maximum(start_h[row], edges[bins])
    hi = np.minimum(end_h[row], edges[bins + 1])
    share = (hi - lo) / (end_h - start_h)[row]
    return row, bins, share


def bounds(start_h: FloatArray, end_h: FloatArray, edges: FloatArray) -> tuple[IntArray, IntArray]:
    """The first and the last bin that each interval touches."""
    n_bins = len(edges) - 1
    first = np.clip(np.searchsorted(edges, start_h, side="right") - 1, 0, n_bins - 1)
    last = np.clip(np.searchsorted(edges, end_h, side="left") - 1, 0, n_bins - 1)
    return first.astype(np.int64), last.astype(np.int64)


def ranges(begin: IntArray, counts: IntArray) -> IntArray:
    """begin[i], begin[i] + 1, ..., begin[i] + counts[i] - 1 for each i, concatenated."""
    starts = np.cumsum(counts) - counts
    total = int(counts.sum())
    return np.repeat(begin - starts, counts) + np.arange(total, dtype=np.int64)


@dataclass(frozen=True)
class Placed:
    """Intervals on a grid, in groups: times, the bins each touches, its group; the grid's
    edges, its bins' widths, and whether all bins but the last have one width (`even`: hours,
    days, weeks; not months)."""

    start_h: FloatArray
    end_h: FloatArray
    first: IntArray
    last: IntArray
    group: IntArray
    n_groups: int
    edges: FloatArray
    width: FloatArray
    even: bool


def place(
    start_h: FloatArray, end_h: FloatArray, edges: FloatArray, group: IntArray, n_groups: int
) -> Placed:
    """Locate intervals on the grid."""
    width = np.diff(edges)
    even = bool(np.all(width[:-1] == width[0]))
    first, last = bounds(start_h, end_h, edges)
    return Placed(start_h, end_h, first, last, group, n_groups, edges, width, even)


@dataclass(frozen=True)
class Pieces:
    """The pieces of some intervals in the window of bins [lo, hi), interval by interval.

    `cell` numbers each piece's (bin - lo, group) cell. On an uneven grid, a piece's share of its
    interval is `share`; on an even one, the interval's `inner` share, except in the interval's
    first and last bins (`edge_at` among the pieces, `edge_of` among the rows): `edge_share`.
    """

    rows: IntArray
    counts: IntArray
    cell: IntArray
    inner: FloatArray
    edge_at: IntArray
    edge_of: IntArray
    edge_share: FloatArray
    share: FloatArray | None

    def weights(self, values: FloatArray) -> FloatArray:
        """values[row] x share of every piece, bit for bit as over `split`'s pieces."""
        if self.share is not None:
            return np.asarray(np.repeat(values, self.counts) * self.share, dtype=np.float64)
        out = np.repeat(values * self.inner, self.counts)
        out[self.edge_at] = values[self.edge_of] * self.edge_share
        return out


@dataclass(frozen=True)
class Cells:
    """Sums over the (bin, group) cells that intervals touch, sorted by bin then group."""

    bins: IntArray
    groups: IntArray
    sums: list[FloatArray]


def windows(placed: Placed, budget: int) -> list[tuple[int, int]]:
    """Consecutive bin ranges [lo, hi), each of at most `budget` pieces and cells (or one bin)."""
    n_bins = len(placed.edges) - 1
    begun = np.bincount(placed.first, minlength=n_bins)
    ended = np.bincount(placed.last + 1, minlength=n_bins + 1)[:n_bins]
    pieces = np.cumsum(np.cumsum(begun - ended))  # pieces in bins 0..b
    widest = max(1, budget // max(placed.n_groups, 1))
    cuts = [0]
    while cuts[-1] < n_bins:
        lo = cuts[-1]
        before = int(pieces[lo - 1]) if lo else 0
        hi = int(np.searchsorted(pieces, before + budget, side="right"))
        cuts.append(min(max(hi, lo + 1), lo + widest, n_bins))
    return list(pairwise(cuts))


def pieces(placed: Placed, rows: IntArray, lo: int, hi: int) -> Pieces:
    """The pieces of intervals `rows` (in order) in bins [lo, hi)."""
    n = placed.n_groups
    first, last = placed.first[rows], placed.last[rows]
    a, b = np.maximum(first, lo), np.minimum(last, hi - 1)
    counts = b - a + 1
    begins = np.cumsum(counts) - counts
    total = int(counts.sum())
    start = (a - lo) * n + placed.group[rows] - begins * n
    cell = np.repeat(start, counts) + np.arange(0, total * n, n, dtype=np.int64)
    firsts, lasts = np.flatnonzero(a == first), np.flatnonzero(b == last)
    edge_of = np.concatenate([firsts, lasts])
    edge_at = np.concatenate([begins[firsts], begins[lasts] + counts[lasts] - 1])
    edge_bin = np.concatenate([a[firsts], b[lasts]])
    duration = placed.end_h[rows] - placed.start_h[rows]
    edge_share = edge_span(placed, rows[edge_of], edge_bin) / duration[edge_of]
    if placed.even:
        inner = placed.width[0] / duration
        return Pieces(rows, counts, cell, inner, edge_at, edge_of, edge_share, None)
    share = placed.width[ranges(a, counts)] / np.repeat(duration, counts)
    share[edge_at] = edge_share
    return Pieces(rows, counts, cell, np.empty(0), edge_at, edge_of, edge_share, share)


def edge_span(placed: Placed, rows: IntArray, bins: IntArray) -> FloatArray:
    """Hours of intervals `rows` inside `bins`, computed as `split` computes them."""
    lo = np.maximum(placed.start_h[rows], placed.edges[bins])
    hi = np.minimum(placed.end_h[rows], placed.edges[bins + 1])
    return np.asarray(hi - lo, dtype=np.float64)


def binned_sums(
    placed: Placed, amounts: Sequence[FloatArray], budget: int = PIECES_PER_WINDOW
) -> Iterator[Cells]:
    """The cells intervals touch and the sum of each amount in them, window after window.

    Cost is linear in the pieces, the cells and the intervals (plus a sort of the intervals by
    their first bin, which they nearly are already).
    """
    order = np.argsort(placed.first, kind="stable")
    starts = placed.first[order]
    carry = np.empty(0, dtype=np.int64)
    for lo, hi in windows(placed, budget):
        begin, end = np.searchsorted(starts, [lo, hi])
        rows = np.sort(np.concatenate([carry, order[begin:end]]))
        if len(rows):
            yield window_sums(placed, rows, amounts, lo, hi)
        carry = rows[placed.last[rows] >= hi]


def window_sums(
    placed: Placed, rows: IntArray, amounts: Sequence[FloatArray], lo: int, hi: int
) -> Cells:
    """The cells of intervals `rows` in the window [lo, hi) and the sum of each amount there."""
    parts = pieces(placed, rows, lo, hi)
    size = (hi - lo) * placed.n_groups
    present = np.flatnonzero(np.bincount(parts.cell, minlength=size))
    sums = []
    for amount in amounts:
        values = amount[rows]
        keep = values != 0
        if 2 * int(parts.counts[keep].sum()) < len(parts.cell):
            # A sum starting at +0.0 is unchanged by adding zeros: leave out the zero rows.
            some = pieces(placed, rows[keep], lo, hi)
            summed = np.bincount(some.cell, some.weights(values[keep]), minlength=size)
        else:
            summed = np.bincount(parts.cell, parts.weights(values), minlength=size)
        sums.append(np.asarray(summed[present], dtype=np.float64))
    n = placed.n_groups
    return Cells(present // n + lo, present % n, sums)


def cell_sums(
    start_h: FloatArray,
    end_h: FloatArray,
    edges: FloatArray,
    group: IntArray,
    n_groups: int,
    amounts: Sequence[FloatArray],
    budget: int = PIECES_PER_WINDOW,
) -> Cells:
    """Sum each amount over the (bin, group) cells its intervals touch.

    Interval i belongs to group[i] in [0, n_groups) and obeys `split`'s rules. A cell's sum is
    that of amount[i] x share over its pieces, added in interval order, bit for bit as a
    `np.bincount` over `split`'s pieces adds them.
    """
    placed = place(start_h, end_h, edges, group, n_groups)
    kinds = [np.int64, np.int64, *[np.float64] * len(amounts)]
    out = Growing([np.empty(FIRST_CAPACITY, dtype=kind) for kind in kinds])
    for cells in binned_sums(placed, amounts, budget):
        out.extend([cells.bins, cells.groups, *cells.sums])
    bins, groups, *sums = out.filled()
    return Cells(bins, groups, sums)


def cell_parts(
    start_h: FloatArray,
    end_h: FloatArray,
    edges: FloatArray,
    group: IntArray,
    n_groups: int,
    amounts: Sequence[FloatArray],
    rows: int,
    budget: int = PIECES_PER_WINDOW,
) -> Iterator[Cells]:
    """`cell_sums`'s cells in consecutive parts of `rows` cells (the last may be shorter): the
    same cells and sums, with memory bounded by a part and a window, not the horizon."""
    placed = place(start_h, end_h, edges, group, n_groups)
    held: list[Cells] = []
    size = 0
    for cells in binned_sums(placed, amounts, budget):
        held.append(cells)
        size += len(cells.bins)
        while size >= rows:
            joined = joined_cells(held)
            yield sliced(joined, 0, rows)
            held, size = [sliced(joined, rows, size)], size - rows
    if size:
        yield joined_cells(held)


def joined_cells(parts: list[Cells]) -> Cells:
    """Consecutive cells as one."""
    if len(parts) == 1:
        return parts[0]
    sums = [np.concatenate(column) for column in zip(*(c.sums for c in parts), strict=True)]
    bins = np.concatenate([c.bins for c in parts])
    return Cells(bins, np.concatenate([c.groups for c in parts]), sums)


def sliced(cells: Cells, lo: int, hi: int) -> Cells:
    """Cells lo to hi - 1 (copies: the rest can go)."""
    sums = [s[lo:hi].copy() for s in cells.sums]
    return Cells(cells.bins[lo:hi].copy(), cells.groups[lo:hi].copy(), sums)


class Growing:
    """Columns filled window after window, reallocated by doubling.

    Copying each window's cells in at once leaves no small arrays behind between the windows'
    scratch arrays, which would keep the allocator from returning that memory.
    """

    def __init__(self, columns: list[npt.NDArray[Any]]) -> None:
        self.columns = columns
        self.size = 0

    def extend(self, parts: Sequence[npt.NDArray[Any]]) -> None:
        """Append one window's values to every column."""
        n = len(parts[0])
        capacity = len(self.columns[0])
        if self.size + n > capacity:
            capacity = max(2 * capacity, self.size + n)
            for i in range(len(self.columns)):  # one at a time: each old column goes at once
                self.columns[i] = grown(self.columns[i], capacity, self.size)
        for column, part in zip(self.columns, parts, strict=True):
            column[self.size : self.size + n] = part
        self.size += n

    def filled(self) -> list[npt.NDArray[Any]]:
        """The filled part of every column (views: the unused tail is never touched)."""
        return [column[: self.size] for column in self.columns]


def grown(column: npt.NDArray[Any], capacity: int, size: int) -> npt.NDArray[Any]:
    """A longer column starting with the first `size` values of `column`."""
    out = np.empty(capacity, dtype=column.dtype)
    out[:size] = column[:size]
    return out
