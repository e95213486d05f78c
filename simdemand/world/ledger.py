"""The ledger: an append-only columnar log of compute intervals charged by agents.

With a demand meter (runs with a fleet), every interval's GPU-hours are also added, hour by
hour, to the meter as they are charged: that is where the fleet reads demand from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from simdemand.units import REGIMES
from simdemand.world.demand import DemandMeter

# Hourly charges of one agent and activity are buffered and appended in chunks of about this
# many rows (a quarter of hourly rows), or sooner when their labels change.
FLUSH_ROWS = 2190
TEXT = ("regime", "agent", "activity", "model_id", "hardware", "base_id")
TIMES = ("start_h", "end_h")
AMOUNTS = ("gpu_hours", "flop", "queries", "tokens", "derivatives")

FloatArray = npt.NDArray[np.float64]
TextArray = npt.NDArray[np.object_]
# A text column as codes (int32) into its labels in alphabetical order.
CodedText = tuple[npt.NDArray[np.int32], list[str]]


@dataclass(frozen=True)
class Intervals:
    """Ledger rows as columns; amounts are totals over [start_h, end_h), spread evenly in it."""

    regime: TextArray
    agent: TextArray
    activity: TextArray
    model_id: TextArray
    hardware: TextArray
    base_id: TextArray  # the base model a post-training row's derivatives descend from, or ""
    start_h: FloatArray
    end_h: FloatArray
    gpu_hours: FloatArray
    flop: FloatArray
    queries: FloatArray
    tokens: FloatArray
    derivatives: FloatArray

    def __len__(self) -> int:
        """Number of intervals."""
        return len(self.start_h)


class Ledger:
    """Agents append intervals here; nothing is ever changed or removed."""

    def __init__(self, meter: DemandMeter | None = None) -> None:
        self.meter = meter
        self.chunks: list[dict[str, str | np.ndarray]] = []  # a label is shared by its chunk
        self.rows: list[tuple[str | float, ...]] = []
        self.buffers: dict[tuple[str, str, str], Buffer] = {}

    def record(
        self,
        regime: str,
        agent: str,
        activity: str,
        model_id: str,
        hardware: str,
        start_h: float,
        end_h: float,
        gpu_hours: float,
        flop: float,
        queries: float = 0.0,
        tokens: float = 0.0,
        derivatives: float = 0.0,
        base_id: str = "",
    ) -> None:
        """Append one interval [start_h, end_h) and its totals: GPU-hours, FLOP, queries, tokens;
        `base_id` names the family's base of a derivative."""
        amounts = (float(gpu_hours), float(flop), float(queries), float(tokens), float(derivatives))
        check_row(regime, start_h, end_h, amounts)
        if self.meter is not None and self.meter.flows(regime, activity):
            self.meter.add_intervals(
                regime, hardware, np.array([start_h]), np.array([end_h]), np.array([gpu_hours])
            )
        labels = (regime, agent, activity, model_id, hardware, base_id)
        self.rows.append((*labels, start_h, end_h, *amounts))

    def record_many(
        self,
        regime: str,
        agent: str,
        activity: str,
        model_id: str | TextArray,
        hardware: str,
        start_h: FloatArray,
        end_h: FloatArray,
        gpu_hours: FloatArray,
        flop: FloatArray,
        queries: FloatArray | None = None,
        tokens: FloatArray | None = None,
        derivatives: FloatArray | None = None,
        base_id: str | TextArray = "",
    ) -> None:
        """Append many intervals sharing their labels (model and base ids shared, or one per
        row), given as arrays of equal length."""
        n = len(start_h)
        zeros = np.zeros(n)
        numbers = [
            start_h,
            end_h,
            gpu_hours,
            flop,
            zeros if queries is None else queries,
            zeros if tokens is None else tokens,
            zeros if derivatives is None else derivatives,
        ]
        arrays = [np.array(v, dtype=np.float64) for v in numbers]
        if any(a.shape != (n,) for a in arrays):
            raise ValueError("interval columns differ in length")
        if any(not isinstance(label, str) and len(label) != n for label in (model_id, base_id)):
            raise ValueError("interval columns differ in length")
        check(regime, arrays[0], arrays[1], np.concatenate(arrays[2:]))
        if self.meter is not None and self.meter.flows(regime, activity):
            self.meter.add_intervals(regime, hardware, arrays[0], arrays[1], arrays[2])
        self.append((regime, agent, activity, model_id, hardware, base_id), arrays)

    def append(self, text: tuple[str | TextArray, ...], numbers: list[FloatArray]) -> None:
        """Append a checked chunk: its labels, then start, end and amounts as arrays."""
        self.flush()
        chunk: dict[str, str | np.ndarray] = dict(zip(TEXT, text, strict=True))
        chunk.update(zip((*TIMES, *AMOUNTS), numbers, strict=True))
        self.chunks.append(chunk)

    def record_hours(
        self,
        regime: str,
        agent: str,
        activity: str,
        labels: tuple[str, str],
        start_h: float,
        hourly: Sequence[FloatArray],
        width: int,
        lane: str = "",
    ) -> None:
        """Charge amounts given for each whole hour from `start_h` (GPU-hours, FLOP, queries,
        tokens) as intervals `width` hours wide; `labels` are (model_id, hardware). Rows wait in
        a buffer per agent, activity and `lane` (e.g. a serving tier) until their labels change
        or the buffer is full."""
        model_id, hardware = labels
        if self.meter is not None:
            self.meter.add_hourly(regime, hardware, start_h, hourly[0])
        summed = [np.asarray(a, dtype=np.float64).reshape(-1, width).sum(axis=1) for a in hourly]
        start = start_h + width * np.arange(len(summed[0]), dtype=np.float64)
        key = (agent, activity, lane)
        buffer = self.buffers.get(key)
        if buffer is not None and buffer.labels != (regime, model_id, hardware, width):
            self.flush_buffer(key)
        buffer = self.buffers.setdefault(key, Buffer((regime, model_id, hardware, width)))
        buffer.add((start, *summed))
        if buffer.rows >= FLUSH_ROWS:
            self.flush_buffer(key)

    def flush_buffer(self, key: tuple[str, str, str]) -> None:
        """Append one agent and activity's buffered hourly charges as intervals."""
        buffer = self.buffers.pop(key)
        regime, model_id, hardware, width = buffer.labels
        start, gpu_hours, flop, queries, tokens = buffer.columns()
        amounts = [gpu_hours, flop, queries, tokens, np.zeros(len(start))]
        check(regime, start, start + width, np.concatenate(amounts))
        # Metered hour by hour when charged; appended now as intervals `width` hours wide.
        self.append((regime, *key[:2], model_id, hardware, ""), [start, start + width, *amounts])

    def flush_buffers(self, agent: str) -> None:
        """Append every buffered charge of `agent`, in the order the buffers were opened."""
        for key in [k for k in self.buffers if k[0] == agent]:
            self.flush_buffer(key)

    def flush(self) -> None:
        """Move single rows into a columnar chunk, keeping the order of appends."""
        if not self.rows:
            return
        columns = list(zip(*self.rows, strict=True))
        chunk: dict[str, str | np.ndarray] = {}
        for i, name in enumerate((*TEXT, *TIMES, *AMOUNTS)):
            chunk[name] = np.array(columns[i], dtype=object if name in TEXT else np.float64)
        self.chunks.append(chunk)
        self.rows = []

    def intervals(self) -> Intervals:
        """Return every interval so far, in the order they were appended (buffered hourly
        charges not yet flushed are not intervals yet)."""
        self.flush()
        names = (*TEXT, *TIMES, *AMOUNTS)
        if not self.chunks:
            return Intervals(
                **{n: np.empty(0, dtype=object if n in TEXT else np.float64) for n in names}
            )
        sizes = [len(c["start_h"]) for c in self.chunks]
        columns = {n: np.concatenate([c[n] for c in self.chunks]) for n in (*TIMES, *AMOUNTS)}
        columns.update({n: labels(self.chunks, n, sizes) for n in TEXT})
        return Intervals(**columns)

    def take_coded(
        self, lo_h: float = -np.inf, hi_h: float = np.inf
    ) -> tuple[Intervals, dict[str, CodedText]]:
        """Return every interval that overlaps [lo_h, hi_h), in order, and let go of the chunks
        (for a run that has ended: the ledger is empty afterwards): their times and amounts
        (the text columns empty), and each text column's codes and labels. Rows are dropped
        chunk by chunk; a label a chunk shares is coded once, and no column of strings is
        built."""
        self.keep_overlapping(lo_h, hi_h)
        sizes = [len(c["start_h"]) for c in self.chunks]
        empty = np.empty(0, dtype=object)
        columns: dict[str, np.ndarray] = {
            n: np.concatenate([c[n] for c in self.chunks]) if self.chunks else np.empty(0)
            for n in (*TIMES, *AMOUNTS)
        }
        coded = {n: code_labels(self.chunks, n, sizes) for n in TEXT}
        self.chunks = []
        return Intervals(**columns, **dict.fromkeys(TEXT, empty)), coded

    def keep_overlapping(self, lo_h: float, hi_h: float) -> None:
        """Flush, and drop the rows that do not overlap [lo_h, hi_h), chunk by chunk."""
        self.flush()
        for chunk in self.chunks:
            keep = (np.asarray(chunk["end_h"]) > lo_h) & (np.asarray(chunk["start_h"]) < hi_h)
            if not keep.all():
                for name, column in chunk.items():
                    if isinstance(column, np.ndarray):
                        chunk[name] = column[keep]

    def __len__(self) -> int:
        """Number of intervals appended."""
        return len(self.rows) + sum(len(c["start_h"]) for c in self.chunks)


class Buffer:
    """Hourly charges of one agent and activity waiting to be appended, with shared labels."""

    def __init__(self, labels: tuple[str, str, str, int]) -> None:
        self.labels = labels
        self.parts: list[tuple[FloatArray, ...]] = []
        self.rows = 0

    def add(self, columns: tuple[FloatArray, ...]) -> None:
        """Keep one charge's columns (start, gpu_hours, flop, queries, tokens)."""
        self.parts.append(columns)
        self.rows += len(columns[0])

    def columns(self) -> list[FloatArray]:
        """The kept columns, each concatenated over charges."""
        return [np.concatenate(column) for column in zip(*self.parts, strict=True)]


def labels(chunks: list[dict[str, str | np.ndarray]], name: str, sizes: list[int]) -> TextArray:
    """One text column over all chunks; a chunk holds a label per row or one for all its rows."""
    out = np.empty(sum(sizes), dtype=object)
    begin = 0
    for chunk, size in zip(chunks, sizes, strict=True):
        out[begin : begin + size] = chunk[name]
        begin += size
    return out


BAD_TIMES = "intervals need finite times with end_h > start_h"
BAD_AMOUNTS = "amounts (gpu_hours, flop, queries, tokens) must be finite and non-negative"


def code_labels(
    chunks: list[dict[str, str | np.ndarray]], name: str, sizes: list[int]
) -> CodedText:
    """One text column over all chunks as codes into its labels in alphabetical order (those
    of `pd.factorize(column, sort=True)`); a chunk's shared label is coded once."""
    local: list[tuple[npt.NDArray[np.intp], list[str]]] = []
    for chunk, size in zip(chunks, sizes, strict=True):
        value = chunk[name]
        if size == 0:  # all its rows dropped: its labels are not the column's
            local.append((np.zeros(0, dtype=np.int64), []))
        elif isinstance(value, str):
            local.append((np.zeros(1, dtype=np.int64), [value]))
        else:
            codes, uniques = pd.factorize(value)
            local.append((codes, list(uniques)))
    names = sorted({label for _, labels in local for label in labels})
    index = {label: i for i, label in enumerate(names)}
    out = np.empty(sum(sizes), dtype=np.int32)
    begin = 0
    for (codes, labels), size in zip(local, sizes, strict=True):
        if size:
            remap = np.array([index[label] for label in labels], dtype=np.int32)
            out[begin : begin + size] = remap[codes] if len(codes) == size else remap[0]
        begin += size
    return out, names


def check(regime: str, start_h: FloatArray, end_h: FloatArray, amounts: FloatArray) -> None:
    """Refuse intervals that would corrupt the log: unknown regime, bad times or amounts."""
    if regime not in REGIMES:
        raise ValueError(f"unknown regime '{regime}'")
    if not (np.all(np.isfinite(start_h)) and np.all(end_h > start_h)):
        raise ValueError(BAD_TIMES)
    if not (np.all(np.isfinite(amounts)) and np.all(amounts >= 0)):
        raise ValueError(BAD_AMOUNTS)


def check_row(regime: str, start_h: float, end_h: float, amounts: tuple[float, ...]) -> None:
    """`check` for one interval, on plain floats (an agent may charge many one by one)."""
    if regime not in REGIMES:
        raise ValueError(f"unknown regime '{regime}'")
    if not (math.isfinite(start_h) and end_h > start_h):
        raise ValueError(BAD_TIMES)
    if not all(math.isfinite(a) and a >= 0 for a in amounts):
        raise ValueError(BAD_AMOUNTS)


def clip(iv: Intervals, lo_h: float, hi_h: float) -> Intervals:
    """Keep the parts of intervals inside [lo_h, hi_h), scaling amounts by the share kept.

    Only the intervals that cross an end are cut and scaled (the others are kept as they are,
    as scaling by a share of exactly 1 would keep them); the columns are copied only if some
    interval lies wholly outside.
    """
    start = np.maximum(iv.start_h, lo_h)
    end = np.minimum(iv.end_h, hi_h)
    cut = np.flatnonzero((start != iv.start_h) | (end != iv.end_h))
    share = (end[cut] - start[cut]) / (iv.end_h[cut] - iv.start_h[cut])
    numbers = {n: getattr(iv, n).copy() for n in AMOUNTS}
    for column in numbers.values():
        column[cut] *= share
    clipped = replace(iv, start_h=start, end_h=end, **numbers)
    keep = end > start
    if keep.all():
        return clipped
    return replace(clipped, **{f.name: getattr(clipped, f.name)[keep] for f in fields(iv)})
