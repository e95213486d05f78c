"""Derivatives drawn in one step, as columns, and the bulk rows that charge them by family."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simdemand.catalog import Hardware

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Step:
    """One step of a community: it starts at `clock` (hours), lasts `hours`, on `hardware`."""

    clock: float
    hours: float
    hardware: Hardware


@dataclass(frozen=True)
class Batch:
    """Derivatives of one technique drawn in one step, one entry per derivative (grouped by root).

    `flop` and `gpu_hours` are the final runs'; a job (from `start_h` to `end_h`) also runs the
    derivative's development runs, `charge` times the final run in all.
    """

    technique: str
    root: IntArray
    tokens: FloatArray
    flop: FloatArray
    gpu_hours: FloatArray
    start_h: FloatArray
    end_h: FloatArray
    becomes_base: BoolArray
    charge: float


def family_rows(batch: Batch, mask: BoolArray) -> tuple[IntArray, FloatArray]:
    """The bulk rows (start, end, GPU-hours, FLOP, derivatives, tokens) of the derivatives in
    `mask`, one per family, and the family of each: the family's jobs of this step run side by
    side with the longest of them, whose interval the row takes (so rows cover few hours;
    their sums over days and weeks are exact)."""
    root = batch.root[mask]
    first = np.flatnonzero(np.concatenate(([True], root[1:] != root[:-1])))
    start_h, end_h = batch.start_h[mask], batch.end_h[mask]
    hours = end_h - start_h
    longest = np.maximum.reduceat(hours, first)
    sizes = np.diff(np.append(first, len(root)))
    index = np.where(hours == np.repeat(longest, sizes), np.arange(len(root)), len(root))
    pick = np.minimum.reduceat(index, first)
    amounts = [
        batch.charge * np.add.reduceat(getattr(batch, k)[mask], first)
        for k in ("gpu_hours", "flop")
    ]
    tokens = np.add.reduceat(batch.tokens[mask], first)
    rows = np.column_stack((start_h[pick], end_h[pick], *amounts, sizes.astype(np.float64), tokens))
    return root[first], rows
