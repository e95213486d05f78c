"""Arrow tables of the supply side: demand against capacity, the fleet, and cluster waits."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from simdemand.catalog import Catalog
from simdemand.physics.energy import cost_usd, energy_mwh
from simdemand.results.run import SupplyTables
from simdemand.results.tables import field, timestamps
from simdemand.world.supply.allocation import Allocation, Flow
from simdemand.world.supply.fleet import Wait
from simdemand.world.supply.installed import weights

FloatArray = npt.NDArray[np.float64]

CAPACITY = pa.schema(
    [
        field("time", pa.timestamp("us", tz="UTC"), "UTC, bin start"),
        field("regime", pa.string()),
        field("hardware", pa.string()),
        field("demanded_gpu_hours", pa.float64(), "GPU-hour"),
        field("served_gpu_hours", pa.float64(), "GPU-hour"),
        field("unmet_gpu_hours", pa.float64(), "GPU-hour"),
        field("queued_gpu_hours", pa.float64(), "GPU-hour (waiting at the bin's end)"),
        field("h100e_per_gpu", pa.float64(), "H100-equivalents per GPU (dense BF16 peak)"),
    ]
)
FLEET = pa.schema(
    [
        field("time", pa.timestamp("us", tz="UTC"), "UTC, bin start"),
        field("pool", pa.string()),
        field("hardware", pa.string()),
        field("installed_gpu_hours", pa.float64(), "GPU-hour"),
        field("used_gpu_hours", pa.float64(), "GPU-hour"),
        field("utilization", pa.float64(), "fraction"),
        field("installed_mw", pa.float64(), "MW (GPU TDP x PUE, mean over bin)"),
        field("power_mw", pa.float64(), "MW (busy GPUs x TDP x PUE, mean over bin)"),
        field("energy_mwh", pa.float64(), "MWh"),
        field("cost_usd", pa.float64(), "USD"),
        field("h100e_per_gpu", pa.float64(), "H100-equivalents per GPU (dense BF16 peak)"),
    ]
)
WAITS = pa.schema(
    [
        field("agent", pa.string()),
        field("model_id", pa.string()),
        field("activity", pa.string()),
        field("hardware", pa.string()),
        field("pool", pa.string(), nullable=True),
        field("gpus", pa.float64(), "GPU"),
        field("requested", pa.timestamp("us", tz="UTC"), "UTC"),
        field("started", pa.timestamp("us", tz="UTC"), "UTC", nullable=True),
        field("wait_hours", pa.float64(), "hours (to the horizon if never started)"),
    ]
)


def supply_tables(
    allocation: Allocation,
    waits: list[Wait],
    catalog: Catalog,
    pue: float,
    edges: FloatArray,
    start: dt.datetime,
) -> SupplyTables:
    """The fleet's tables of a run, on the output grid."""
    return SupplyTables(
        capacity=capacity_table(allocation.flows, catalog, edges, start),
        fleet=fleet_table(allocation.installed, allocation.used, catalog, pue, edges, start),
        waits=waits_table(waits, start, float(edges[-1])),
    )


def bins_of_hours(edges: FloatArray) -> npt.NDArray[np.int64]:
    """The output bin of each whole hour [0, horizon)."""
    hours = np.arange(math.ceil(float(edges[-1])), dtype=np.float64)
    return (np.searchsorted(edges, hours, side="right") - 1).astype(np.int64)


def binned(series: FloatArray, bins: npt.NDArray[np.int64], n: int) -> FloatArray:
    """Sum an hourly series into output bins."""
    out: FloatArray = np.bincount(bins, weights=series, minlength=n).astype(np.float64)
    return out


def capacity_table(
    flows: dict[tuple[str, str], Flow], catalog: Catalog, edges: FloatArray, start: dt.datetime
) -> pa.Table:
    """Demanded, served and unmet GPU-hours by bin, regime and generation, with each
    generation's H100-equivalent weight."""
    bins, n = bins_of_hours(edges), len(edges) - 1
    parts: dict[str, list[FloatArray]] = {"demanded": [], "served": [], "unmet": [], "queued": []}
    labels: list[tuple[str, str]] = []
    for key in sorted(flows):
        flow = flows[key]
        labels.append(key)
        parts["demanded"].append(binned(flow.demanded, bins, n))
        parts["served"].append(binned(flow.served, bins, n))
        parts["unmet"].append(binned(flow.unmet, bins, n))
        ends = np.searchsorted(bins, np.arange(n), side="right") - 1
        parts["queued"].append(flow.queued[ends])
    columns = {
        "time": timestamps(start, np.tile(edges[:-1], len(labels))),
        "regime": pa.array([r for r, _ in labels for _ in range(n)], pa.string()),
        "hardware": pa.array([h for _, h in labels for _ in range(n)], pa.string()),
        **{
            f"{k}_gpu_hours": pa.array(np.concatenate(v) if v else np.zeros(0))
            for k, v in parts.items()
        },
        "h100e_per_gpu": per_gpu([h for _, h in labels], catalog, n),
    }
    return pa.Table.from_pydict(columns, schema=CAPACITY).sort_by(
        [("time", "ascending"), ("regime", "ascending"), ("hardware", "ascending")]
    )


def fleet_table(
    installed: dict[tuple[str, str], FloatArray],
    used: dict[tuple[str, str], FloatArray],
    catalog: Catalog,
    pue: float,
    edges: FloatArray,
    start: dt.datetime,
) -> pa.Table:
    """Installed and used GPU-hours, utilization, power, energy and cost by bin, pool and
    generation."""
    bins, n = bins_of_hours(edges), len(edges) - 1
    width = np.diff(edges)
    rows: dict[str, list[FloatArray]] = {name: [] for name in FLEET.names[3:-1]}
    keys = sorted(installed)
    for pool, hw in keys:
        spec = catalog[hw]
        have = binned(installed[(pool, hw)], bins, n)
        busy = binned(used[(pool, hw)], bins, n)
        energy = energy_mwh(busy, spec.tdp_w, pue)
        rows["installed_gpu_hours"].append(have)
        rows["used_gpu_hours"].append(busy)
        rows["utilization"].append(np.divide(busy, have, out=np.zeros(n), where=have > 0))
        rows["installed_mw"].append(energy_mwh(have, spec.tdp_w, pue) / width)
        rows["power_mw"].append(energy / width)
        rows["energy_mwh"].append(energy)
        rows["cost_usd"].append(cost_usd(busy, spec.usd_per_gpu_hour))
    columns = {
        "time": timestamps(start, np.tile(edges[:-1], len(keys))),
        "pool": pa.array([p for p, _ in keys for _ in range(n)], pa.string()),
        "hardware": pa.array([h for _, h in keys for _ in range(n)], pa.string()),
        **{k: pa.array(np.concatenate(v) if v else np.zeros(0)) for k, v in rows.items()},
        "h100e_per_gpu": per_gpu([h for _, h in keys], catalog, n),
    }
    return pa.Table.from_pydict(columns, schema=FLEET).sort_by(
        [("time", "ascending"), ("pool", "ascending"), ("hardware", "ascending")]
    )


def per_gpu(hardware: list[str], catalog: Catalog, n: int) -> pa.Array:
    """H100-equivalents per GPU of each label's generation, repeated over `n` bins."""
    weight = weights(catalog, sorted(set(hardware)))
    return pa.array(np.repeat([weight[h] for h in hardware], n).astype(np.float64))


def waits_table(waits: list[Wait], start: dt.datetime, horizon_h: float) -> pa.Table:
    """One row per cluster reservation: when it was asked for, when it started, the wait."""
    requested = np.array([w.requested_h for w in waits], dtype=np.float64)
    started = np.array([w.start_h for w in waits], dtype=np.float64)
    begun = ~np.isnan(started)
    stamps = timestamps(start, np.where(begun, started, 0.0))
    columns = {
        "agent": pa.array([w.agent for w in waits], pa.string()),
        "model_id": pa.array([w.model_id for w in waits], pa.string()),
        "activity": pa.array([w.activity for w in waits], pa.string()),
        "hardware": pa.array([w.hardware for w in waits], pa.string()),
        "pool": pa.array([w.pool or None for w in waits], pa.string()),
        "gpus": pa.array([w.gpus for w in waits], pa.float64()),
        "requested": timestamps(start, requested),
        "started": pa.array(
            [s if ok else None for s, ok in zip(stamps.to_pylist(), begun.tolist(), strict=True)],
            pa.timestamp("us", tz="UTC"),
        ),
        "wait_hours": pa.array(np.where(begun, started, horizon_h) - requested),
    }
    return pa.Table.from_pydict(columns, schema=WAITS)
