"""Arrow tables of one run: jobs, timeseries and models, with units in field metadata."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simdemand.catalog import Catalog
from simdemand.physics import energy
from simdemand.world.binning import Cells, cell_parts
from simdemand.world.ledger import TEXT, Intervals
from simdemand.world.registry import ModelRecord

TIME = pa.timestamp("us", tz="UTC")
US_PER_HOUR = 3_600_000_000


def field(
    name: str, kind: pa.DataType, unit: str | None = None, nullable: bool = False
) -> pa.Field:
    """An Arrow field, with its unit in the metadata when it has one."""
    return pa.field(name, kind, nullable=nullable, metadata={"unit": unit} if unit else None)


AMOUNTS = [
    field("gpu_hours", pa.float64(), "GPU-hour"),
    field("flop", pa.float64(), "FLOP"),
    field("energy_mwh", pa.float64(), "MWh"),
    field("cost_usd", pa.float64(), "USD"),
    field("queries", pa.float64(), "queries"),
    field("tokens", pa.float64(), "tokens (input + output)"),
    field("derivatives", pa.float64(), "derivative models"),
]
LABELS = [field(n, pa.string()) for n in ("regime", "agent", "activity")]
JOBS = pa.schema(
    [
        field("job_id", pa.int64()),
        *LABELS,
        field("model_id", pa.string()),
        field("hardware", pa.string()),
        field("base_id", pa.string(), nullable=True),
        field("start", TIME, "UTC"),
        field("end", TIME, "UTC"),
        field("gpus", pa.float64(), "GPU"),
        *AMOUNTS,
    ]
)
TIMESERIES = pa.schema(
    [field("time", TIME, "UTC, bin start"), *LABELS, field("hardware", pa.string()), *AMOUNTS]
)
MODELS = pa.schema(
    [
        field("model_id", pa.string()),
        field("lab", pa.string()),
        field("released", TIME, "UTC"),
        field("params", pa.float64(), "parameters"),
        field("active_params", pa.float64(), "parameters"),
        field("tokens", pa.float64(), "tokens"),
        field("training_flop", pa.float64(), "FLOP"),
        field("open_weights", pa.bool_()),
        field("parent_id", pa.string(), nullable=True),
        field("technique", pa.string()),
        field("hardware", pa.string()),
        field("gpu_hours", pa.float64(), "GPU-hour"),
        field("predicted_loss", pa.float64(), "nats/token"),
    ]
)


def timestamps(start: dt.datetime, hours: npt.NDArray[np.float64]) -> pa.Array:
    """UTC timestamps (microseconds) for simulated hours since `start`."""
    return pa.array(microseconds(start, hours), type=TIME)


def microseconds(start: dt.datetime, hours: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Microseconds since the epoch of simulated hours since `start`."""
    base = int(start.timestamp()) * 1_000_000
    return base + np.rint(hours * US_PER_HOUR).astype(np.int64)


Coded = tuple[npt.NDArray[np.int32], Any]


class Labels:
    """The text columns of some intervals, each factorized once: codes (int32), and the labels
    in alphabetical order."""

    def __init__(self, iv: Intervals | None = None, coded: dict[str, Coded] | None = None):
        """Code the text columns of `iv`, or take them coded (`Ledger.take_coded`)."""
        self.coded: dict[str, Coded] = dict(coded or {})
        for name in TEXT:
            if name not in self.coded and iv is not None:
                codes, labels = pd.factorize(getattr(iv, name), sort=True)
                self.coded[name] = (codes.astype(np.int32), labels)

    def __call__(self, name: str) -> Coded:
        """(codes, labels) of column `name`."""
        return self.coded[name]


def text(coded: Coded) -> pa.Array:
    """A string column built through a dictionary (fast for repetitive labels)."""
    return decoded(*coded)


def decoded(codes: npt.NDArray[np.integer[Any]], labels: Any) -> pa.Array:
    """The string column whose row i is labels[codes[i]]."""
    dictionary = pa.array(np.asarray(labels, dtype=object), pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(codes), dictionary).cast(pa.string())


def amounts(
    iv: Intervals, catalog: Catalog, pue: float, labels: Labels | None = None
) -> dict[str, npt.NDArray[np.float64]]:
    """Amounts of each interval; energy and cost from its hardware's TDP and price."""
    codes, names = (labels or Labels(iv))("hardware")
    tdp = np.array([catalog[n].tdp_w for n in names], dtype=np.float64)[codes]
    price = np.array([catalog[n].usd_per_gpu_hour for n in names], dtype=np.float64)[codes]
    return {
        "gpu_hours": iv.gpu_hours,
        "flop": iv.flop,
        "energy_mwh": np.asarray(energy.energy_mwh(iv.gpu_hours, tdp, pue), dtype=np.float64),
        "cost_usd": np.asarray(energy.cost_usd(iv.gpu_hours, price), dtype=np.float64),
        "queries": iv.queries,
        "tokens": iv.tokens,
        "derivatives": iv.derivatives,
    }


def nullable_text(coded: Coded) -> pa.Array:
    """A string column where the empty label is null."""
    column = text(coded)
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)


# Rows per part of a large table: pyarrow's default Parquet row group length, so that a table
# written part by part makes the same file as written whole.
ROWS_PER_PART = 1 << 20


def jobs_table(
    iv: Intervals,
    money: dict[str, npt.NDArray[np.float64]],
    start: dt.datetime,
    labels: Labels | None = None,
) -> pa.Table:
    """One row per ledger interval, in the order they were charged."""
    return job_columns(iv, money, start, labels or Labels(iv), JOBS.names, 0, len(iv))


def jobs_parts(
    iv: Intervals,
    money: dict[str, npt.NDArray[np.float64]],
    start: dt.datetime,
    labels: Labels,
    rows: int = ROWS_PER_PART,
) -> Iterator[pa.Table]:
    """The jobs table in consecutive parts of `rows` rows (the last may be shorter)."""
    for lo in range(0, len(iv), rows):
        yield job_columns(iv, money, start, labels, JOBS.names, lo, min(lo + rows, len(iv)))


def job_columns(
    iv: Intervals,
    money: dict[str, npt.NDArray[np.float64]],
    start: dt.datetime,
    labels: Labels,
    names: Sequence[str],
    lo: int,
    hi: int,
) -> pa.Table:
    """Columns `names` of jobs lo to hi - 1."""
    rows = slice(lo, hi)

    def label(name: str) -> pa.Array:
        codes, values = labels(name)
        if name == "base_id":
            return nullable_text((codes[rows], values))
        return text((codes[rows], values))

    make = {
        "job_id": lambda: pa.array(np.arange(lo, hi, dtype=np.int64)),
        "start": lambda: timestamps(start, iv.start_h[rows]),
        "end": lambda: timestamps(start, iv.end_h[rows]),
        "gpus": lambda: pa.array(iv.gpu_hours[rows] / (iv.end_h[rows] - iv.start_h[rows])),
    }
    columns = {}
    for name in names:
        if name in make:
            columns[name] = make[name]()
        elif name in money:
            columns[name] = pa.array(money[name][rows])
        else:
            columns[name] = label(name)
    return pa.Table.from_pydict(columns, schema=pa.schema([JOBS.field(n) for n in names]))


def timeseries_table(
    iv: Intervals,
    money: dict[str, npt.NDArray[np.float64]],
    edges: npt.NDArray[np.float64],
    start: dt.datetime,
    labels: Labels | None = None,
) -> pa.Table:
    """Intervals binned on the grid, summed by (time, regime, agent, activity, hardware).

    Rows are sorted by bin, then by the labels in alphabetical order (see `Series`).
    """
    series = Series(iv, money, edges, start, labels or Labels(iv))
    parts = [series.table(cells) for cells in series.parts()]
    return pa.concat_tables(parts) if parts else TIMESERIES.empty_table()


class Series:
    """The time series of some intervals on a grid, made part by part.

    The pieces are summed window by window of time, without a sort: cost linear in the pieces,
    memory in a window and a part. Rows are sorted by bin, then by the labels in alphabetical
    order.
    """

    KEYS = ("regime", "agent", "activity", "hardware")

    def __init__(
        self,
        iv: Intervals,
        money: dict[str, npt.NDArray[np.float64]],
        edges: npt.NDArray[np.float64],
        start: dt.datetime,
        labels: Labels,
    ) -> None:
        self.iv, self.money, self.edges = iv, money, edges
        self.times = microseconds(start, edges)
        codes, self.names = zip(*(labels(key) for key in self.KEYS), strict=True)
        self.group, self.group_codes = label_groups(codes, [len(name) for name in self.names])

    def parts(self, rows: int = ROWS_PER_PART) -> Iterator[Cells]:
        """The cells in consecutive parts of `rows` (the last may be shorter)."""
        n_groups = len(self.group_codes[0])
        iv, amounts = self.iv, [*self.money.values()]
        yield from cell_parts(iv.start_h, iv.end_h, self.edges, self.group, n_groups, amounts, rows)

    def table(self, cells: Cells) -> pa.Table:
        """The rows of some cells."""
        columns: dict[str, pa.Array] = {"time": pa.array(self.times[cells.bins], type=TIME)}
        for k, name in enumerate(self.KEYS):
            columns[name] = decoded(self.group_codes[k][cells.groups], self.names[k])
        columns.update(zip(self.money, map(pa.array, cells.sums), strict=True))
        return pa.Table.from_pydict(columns, schema=TIMESERIES)

    def arrays(self, cells: Cells, names: Sequence[str]) -> dict[str, npt.NDArray[Any]]:
        """Columns `names` of the rows of some cells as numpy: time in microseconds since the
        epoch, labels as codes (the smallest integers that hold them), amounts."""
        out: dict[str, npt.NDArray[Any]] = {}
        sums = dict(zip(self.money, cells.sums, strict=True))
        for name in names:
            if name == "time":
                out[name] = self.times[cells.bins]
            elif name in sums:
                out[name] = sums[name]
            else:
                k = self.KEYS.index(name)
                kind = np.min_scalar_type(-max(len(self.names[k]), 1))
                out[name] = self.group_codes[k][cells.groups].astype(kind)
        return out

    def labels(self, name: str) -> list[str]:
        """The labels of a label column, in alphabetical order (its codes index them)."""
        return list(self.names[self.KEYS.index(name)])


def label_groups(
    codes: Sequence[npt.NDArray[np.int64]], sizes: Sequence[int]
) -> tuple[npt.NDArray[np.int64], list[npt.NDArray[np.int32]]]:
    """Each row's group (its combination of label codes), numbered in the order of the codes,
    and each group's code for every label."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for code, size in zip(codes, sizes, strict=True):
        key = key * size + code
    group, combos = pd.factorize(key, sort=True)
    rest = np.asarray(combos, dtype=np.int64)
    per_label = []
    for size in reversed(sizes):
        rest, code = np.divmod(rest, size)
        per_label.append(code.astype(np.int32))
    return group.astype(np.int64), per_label[::-1]


def models_table(models: list[ModelRecord], start: dt.datetime) -> pa.Table:
    """The registry: one row per released model, in release order."""
    released = np.array([m.released_h for m in models], dtype=np.float64)
    columns = {
        name: [getattr(m, name) for m in models]
        for name in MODELS.names
        if name not in ("released",)
    }
    return pa.Table.from_pydict({**columns, "released": timestamps(start, released)}, schema=MODELS)
