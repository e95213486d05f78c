"""Arrow tables of one run: jobs, timeseries and models, with units in field metadata."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from simdemand.catalog import Catalog
from simdemand.physics import energy
from simdemand.world.binning import cell_sums
from simdemand.world.ledger import Intervals
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


Coded = tuple[npt.NDArray[np.intp], Any]


class Labels:
    """The text columns of some intervals, each factorized once when first asked for: codes,
    and the labels in alphabetical order."""

    def __init__(self, iv: Intervals) -> None:
        self.iv = iv
        self.coded: dict[str, Coded] = {}

    def __call__(self, name: str) -> Coded:
        """(codes, labels) of column `name`."""
        if name not in self.coded:
            self.coded[name] = pd.factorize(getattr(self.iv, name), sort=True)
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


def jobs_table(
    iv: Intervals,
    money: dict[str, npt.NDArray[np.float64]],
    start: dt.datetime,
    labels: Labels | None = None,
) -> pa.Table:
    """One row per ledger interval, in the order they were charged."""
    coded = labels or Labels(iv)
    columns = {
        "job_id": pa.array(np.arange(len(iv), dtype=np.int64)),
        "regime": text(coded("regime")),
        "agent": text(coded("agent")),
        "activity": text(coded("activity")),
        "model_id": text(coded("model_id")),
        "hardware": text(coded("hardware")),
        "base_id": nullable_text(coded("base_id")),
        "start": timestamps(start, iv.start_h),
        "end": timestamps(start, iv.end_h),
        "gpus": pa.array(iv.gpu_hours / (iv.end_h - iv.start_h)),
        **{k: pa.array(v) for k, v in money.items()},
    }
    return pa.Table.from_pydict(columns, schema=JOBS)


def timeseries_table(
    iv: Intervals,
    money: dict[str, npt.NDArray[np.float64]],
    edges: npt.NDArray[np.float64],
    start: dt.datetime,
    labels: Labels | None = None,
) -> pa.Table:
    """Intervals binned on the grid, summed by (time, regime, agent, activity, hardware).

    Rows are sorted by bin, then by the labels in alphabetical order. The pieces are summed
    window by window of time, without a sort: cost linear in the pieces, memory in the window.
    """
    keys = ("regime", "agent", "activity", "hardware")
    coded = labels or Labels(iv)
    codes, names = zip(*(coded(key) for key in keys), strict=True)
    group, group_codes = label_groups(codes, [len(name) for name in names])
    n_groups = len(group_codes[0])
    cells = cell_sums(iv.start_h, iv.end_h, edges, group, n_groups, [*money.values()])
    columns = {"time": pa.array(microseconds(start, edges)[cells.bins], type=TIME)}
    for key, name, code in zip(keys, names, group_codes, strict=True):
        columns[key] = decoded(code[cells.groups], name)
    columns.update(zip(money, map(pa.array, cells.sums), strict=True))
    return pa.Table.from_pydict(columns, schema=TIMESERIES)


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
