"""Arrow tables of one run: jobs, timeseries and models, with units in field metadata."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from simdemand import costs
from simdemand.catalog import Catalog
from simdemand.results.binning import split
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
]
LABELS = [field(n, pa.string()) for n in ("regime", "agent", "activity")]
JOBS = pa.schema(
    [
        field("job_id", pa.int64()),
        *LABELS,
        field("model_id", pa.string()),
        field("hardware", pa.string()),
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
    base = int(start.timestamp()) * 1_000_000
    return pa.array(base + np.rint(hours * US_PER_HOUR).astype(np.int64), type=TIME)


def amounts(iv: Intervals, catalog: Catalog, pue: float) -> dict[str, npt.NDArray[np.float64]]:
    """Amounts of each interval; energy and cost from its hardware's TDP and price."""
    names = sorted(set(iv.hardware.tolist()))
    index = {n: i for i, n in enumerate(names)}
    codes = np.array([index[h] for h in iv.hardware], dtype=np.int64)
    tdp = np.array([catalog[n].tdp_w for n in names], dtype=np.float64)[codes]
    price = np.array([catalog[n].usd_per_gpu_hour for n in names], dtype=np.float64)[codes]
    return {
        "gpu_hours": iv.gpu_hours,
        "flop": iv.flop,
        "energy_mwh": np.asarray(costs.energy_mwh(iv.gpu_hours, tdp, pue), dtype=np.float64),
        "cost_usd": np.asarray(costs.cost_usd(iv.gpu_hours, price), dtype=np.float64),
        "queries": iv.queries,
        "tokens": iv.tokens,
    }


def jobs_table(
    iv: Intervals, money: dict[str, npt.NDArray[np.float64]], start: dt.datetime
) -> pa.Table:
    """One row per ledger interval, in the order they were charged."""
    columns = {
        "job_id": pa.array(np.arange(len(iv), dtype=np.int64)),
        "regime": pa.array(iv.regime, pa.string()),
        "agent": pa.array(iv.agent, pa.string()),
        "activity": pa.array(iv.activity, pa.string()),
        "model_id": pa.array(iv.model_id, pa.string()),
        "hardware": pa.array(iv.hardware, pa.string()),
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
) -> pa.Table:
    """Intervals binned on the grid, summed by (time, regime, agent, activity, hardware)."""
    row, bins, share = split(iv.start_h, iv.end_h, edges)
    keys = ("regime", "agent", "activity", "hardware")
    frame = pd.DataFrame({"bin": bins})
    for key in keys:
        frame[key] = pd.Categorical(getattr(iv, key)[row])
    for name, values in money.items():
        frame[name] = values[row] * share
    summed = frame.groupby(["bin", *keys], observed=True, sort=True).sum().reset_index()
    columns = {"time": timestamps(start, edges[summed["bin"].to_numpy()])}
    for key in keys:
        columns[key] = pa.array(summed[key].astype(str).to_numpy(), pa.string())
    for name in money:
        columns[name] = pa.array(summed[name].to_numpy(dtype=np.float64))
    return pa.Table.from_pydict(columns, schema=TIMESERIES)


def models_table(models: list[ModelRecord], start: dt.datetime) -> pa.Table:
    """The registry: one row per released model, in release order."""
    released = np.array([m.released_h for m in models], dtype=np.float64)
    columns = {
        name: [getattr(m, name) for m in models]
        for name in MODELS.names
        if name not in ("released",)
    }
    return pa.Table.from_pydict({**columns, "released": timestamps(start, released)}, schema=MODELS)
