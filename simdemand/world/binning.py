"""Split intervals exactly at bin edges, spreading each interval's amounts uniformly in time."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def split(
    start_h: FloatArray, end_h: FloatArray, edges: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Return (row, bin, share): interval `row` puts `share` of itself in `bin`.

    Intervals must lie within [edges[0], edges[-1]] and have end_h > start_h. Each row's shares
    sum to 1 to floating-point rounding, so binned totals conserve the interval totals.
    """
    n_bins = len(edges) - 1
    first = np.clip(np.searchsorted(edges, start_h, side="right") - 1, 0, n_bins - 1)
    last = np.clip(np.searchsorted(edges, end_h, side="left") - 1, 0, n_bins - 1)
    counts = (last - first + 1).astype(np.int64)
    row = np.repeat(np.arange(len(start_h), dtype=np.int64), counts)
    offset = np.arange(len(row), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    bins = first[row] + offset
    lo = np.maximum(start_h[row], edges[bins])
    hi = np.minimum(end_h[row], edges[bins + 1])
    share = (hi - lo) / (end_h - start_h)[row]
    return row, bins, share
