"""Serve the fluid regimes from the fleet, hour by hour, and tabulate demand against capacity.

Pretraining final runs hold their clusters (see :mod:`simdemand.world.fleet`). Everything else
is fluid work measured in H100-equivalent hours (dense BF16 peak relative to the H100, the unit
of Epoch AI's chip counts) that may run on any generation of a pool admitting its regime:
test-time, pretraining experiments and post-training, served in the scenario's priority order
from what the reservations leave, each pool in turn. Work of each regime queues first come
first served and is lost when it has waited longer than the regime's maximum delay.

Each (regime, generation) is a flow of work in GPU-hours of that generation: `demanded` is
the work the regime wanted to do in a bin (what an unconstrained run charges there: final runs
at their planned times), `served` what ran in the bin, `unmet` what was lost in it (waited too
long, or still waiting at the horizon), `queued` the work waiting at the bin's end. So
``demanded + queued before = served + unmet + queued after`` in every bin, and
``served + unmet = demanded`` over the run and in every bin where nothing waits. The first bin's
demand includes work carried in from the warm-up.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from simdemand import costs
from simdemand.catalog import Catalog
from simdemand.results.binning import split
from simdemand.results.tables import field, timestamps
from simdemand.world.fleet import Fleet, overlap, weights
from simdemand.world.ledger import Intervals

FloatArray = npt.NDArray[np.float64]

# Work left after attribution below this share of a generation's total is float rounding, not work.
ROUNDING_SHARE = 1e-9
FLUID = {"test-time": "test-time", "pretraining": "experiments", "post-training": "post-training"}

CAPACITY = pa.schema(
    [
        field("time", pa.timestamp("us", tz="UTC"), "UTC, bin start"),
        field("regime", pa.string()),
        field("hardware", pa.string()),
        field("demanded_gpu_hours", pa.float64(), "GPU-hour"),
        field("served_gpu_hours", pa.float64(), "GPU-hour"),
        field("unmet_gpu_hours", pa.float64(), "GPU-hour"),
        field("queued_gpu_hours", pa.float64(), "GPU-hour (waiting at the bin's end)"),
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


@dataclass
class Flow:
    """Hourly GPU-hours of one regime on one generation: wanted, run and lost."""

    demanded: FloatArray
    served: FloatArray
    unmet: FloatArray

    def __add__(self, other: Flow) -> Flow:
        return Flow(
            self.demanded + other.demanded, self.served + other.served, self.unmet + other.unmet
        )

    def scaled(self, factor: float) -> Flow:
        """The same flow in other units."""
        return Flow(self.demanded * factor, self.served * factor, self.unmet * factor)

    @property
    def queued(self) -> FloatArray:
        """Work waiting at the end of each hour."""
        waiting: FloatArray = np.cumsum(self.demanded - self.served - self.unmet).clip(0.0)
        return waiting


@dataclass(frozen=True)
class Capacity:
    """The fleet's tables of one run."""

    capacity: pa.Table
    fleet: pa.Table
    waits: pa.Table


def hourly(iv: Intervals, mask: npt.NDArray[np.bool_], hours: int) -> dict[str, FloatArray]:
    """GPU-hours of the masked intervals in each hour [0, hours), by hardware."""
    edges = np.arange(hours + 1, dtype=np.float64)
    start, end = iv.start_h[mask], np.minimum(iv.end_h[mask], float(hours))
    keep = end > start
    row, bins, share = split(start[keep], end[keep], edges)
    gpu_hours, hardware = iv.gpu_hours[mask][keep], iv.hardware[mask][keep]
    out: dict[str, FloatArray] = {}
    for name in sorted(set(hardware.tolist())):
        rows = hardware[row] == name
        out[name] = np.bincount(
            bins[rows], weights=(gpu_hours[row] * share)[rows], minlength=hours
        ).astype(np.float64)
    return out


def queue(
    arrivals: FloatArray, capacity: FloatArray, max_delay_h: float
) -> tuple[FloatArray, FloatArray]:
    """Work served and work lost each hour by a first-come-first-served fluid queue that loses
    work older than `max_delay_h` hours (0: serve now or lose it; inf: wait as long as needed)."""
    if max_delay_h == 0:
        now: FloatArray = np.minimum(arrivals, capacity)
        return now, arrivals - now
    if math.isinf(max_delay_h):
        arrived, offered = np.cumsum(arrivals), np.cumsum(capacity)
        done = offered + np.minimum(0.0, np.minimum.accumulate(arrived - offered))
        return np.diff(done, prepend=0.0).clip(0.0), np.zeros_like(arrivals)
    served, lost = np.zeros_like(arrivals), np.zeros_like(arrivals)
    waiting: deque[list[float]] = deque()
    for h, (new, room) in enumerate(zip(arrivals.tolist(), capacity.tolist(), strict=True)):
        waiting.append([float(h), new])
        while waiting and room > 0:
            take = min(room, waiting[0][1])
            waiting[0][1] -= take
            room -= take
            served[h] += take
            if waiting[0][1] <= 0:
                waiting.popleft()
        while waiting and waiting[0][0] + max_delay_h <= h:
            lost[h] += waiting.popleft()[1]
    return served, lost


def attribute(
    demand: dict[str, FloatArray], served: FloatArray, lost: FloatArray
) -> dict[str, Flow]:
    """Split a regime's served and lost work among its generations, first come first served.

    Generation g's work leaves the queue (served or lost) in arrival order, so its cumulative
    departures are its cumulative arrivals read at the total's departures; its share of an
    hour's departures is served in the proportion the whole queue's was. Work still waiting at
    the last hour is lost there; a residue below `ROUNDING_SHARE` of the total is rounding.
    """
    names = sorted(demand)
    arrived = np.concatenate([[0.0], np.cumsum(sum((demand[n] for n in names), 0.0 * served))])
    departed = np.cumsum(served + lost)
    total = served + lost
    ratio = np.divide(served, total, out=np.zeros_like(served), where=total > 0)
    flows = {}
    for name in names:
        mine = np.cumsum(demand[name])
        gone = np.diff(np.interp(departed, arrived, np.concatenate([[0.0], mine])), prepend=0.0)
        gone = gone.clip(0.0)
        run = gone * ratio
        lost_here = gone - run
        left = float(mine[-1] - gone.sum())
        if left > ROUNDING_SHARE * max(float(mine[-1]), 1.0):
            lost_here[-1] += left
        flows[name] = Flow(demand[name], run, lost_here)
    return flows


def allocate(
    fleet: Fleet, iv: Intervals, catalog: Catalog, pue: float, edges: FloatArray, start: dt.datetime
) -> Capacity:
    """Serve the run's fluid work from what the reservations leave and tabulate the result."""
    hours = math.ceil(float(edges[-1]))
    window = slice(-fleet.first, -fleet.first + hours)
    spec = fleet.spec
    names = sorted(set(fleet.hardware) | set(iv.hardware.tolist()) | set(fleet.test_time))
    w = weights(catalog, names)
    reserved = {key: cal.served[window] for key, cal in fleet.calendars.items()}
    free = {
        key: np.maximum(cal.installed[window] - reserved[key], 0.0)
        for key, cal in fleet.calendars.items()
    }
    free_e = {p: np.zeros(hours) for p in spec.pools}
    for (pool, hw), gpus in free.items():
        free_e[pool] += gpus * w[hw]
    share = {
        (pool, hw): np.divide(
            gpus * w[hw], free_e[pool], out=np.zeros(hours), where=free_e[pool] > 0
        )
        for (pool, hw), gpus in free.items()
    }
    fluid_e = {p: np.zeros(hours) for p in spec.pools}
    demands = {
        "test-time": {hw: series[window] for hw, series in fleet.test_time.items()},
        "pretraining": hourly(
            iv, (iv.regime == "pretraining") & (iv.activity != "final-run"), hours
        ),
        "post-training": hourly(iv, iv.regime == "post-training", hours),
    }
    flows: dict[tuple[str, str], Flow] = {}
    for regime in spec.priority:
        demand = {hw: d * w[hw] for hw, d in demands[regime].items()}
        if not demand:
            continue
        admitting = [p for p, pool in spec.pools.items() if regime in pool.regimes]
        capacity = sum((free_e[p] for p in admitting), np.zeros(hours))
        served, lost = queue(
            sum(demand.values(), np.zeros(hours)), capacity, spec.max_delay_hours(regime)
        )
        for hw, flow in attribute(demand, served, lost).items():
            flows[(regime, hw)] = flow.scaled(1.0 / w[hw])
        for pool in admitting:
            take = np.minimum(served, free_e[pool])
            free_e[pool] -= take
            fluid_e[pool] += take
            served = served - take
    for hw, flow in reservations(fleet, hours).items():
        key = ("pretraining", hw)
        flows[key] = flows[key] + flow if key in flows else flow
    used = {
        key: reserved[key] + fluid_e[key[0]] * share[key] / w[key[1]] for key in fleet.calendars
    }
    installed = {key: cal.installed[window] for key, cal in fleet.calendars.items()}
    return Capacity(
        capacity=capacity_table(flows, edges, start),
        fleet=fleet_table(installed, used, catalog, pue, edges, start),
        waits=waits_table(fleet, start, float(edges[-1])),
    )


def reservations(fleet: Fleet, hours: int) -> dict[str, Flow]:
    """Final runs by generation: wanted at their planned times, run when granted; runs never
    granted are lost at the horizon. Work of the warm-up still to run at hour 0 is carried in;
    work of delayed runs that falls after the horizon stays queued."""
    start, span = -fleet.first, (fleet.first, fleet.hours)
    flows: dict[str, Flow] = {}
    for wait in [*fleet.waits, *fleet.pending()]:
        flow = flows.setdefault(wait.hardware, Flow(*(np.zeros(fleet.hours) for _ in range(3))))
        planned = wait.gpus * overlap(wait.requested_h, wait.requested_h + wait.hours, *span)
        flow.demanded += planned
        if math.isnan(wait.start_h):
            flow.unmet[-1] += planned.sum()
        else:
            ran = (wait.start_h, wait.start_h + wait.hours)
            flow.served += wait.gpus * overlap(*ran, *span)
    for flow in flows.values():
        flow.demanded[start] += flow.demanded[:start].sum() - flow.served[:start].sum()
    return {hw: window(flow, start, hours) for hw, flow in flows.items()}


def window(flow: Flow, start: int, hours: int) -> Flow:
    """A flow's hours [start, start + hours) of the calendar."""
    part = slice(start, start + hours)
    return Flow(flow.demanded[part], flow.served[part], flow.unmet[part])


def bins_of_hours(edges: FloatArray) -> npt.NDArray[np.int64]:
    """The output bin of each whole hour [0, horizon)."""
    hours = np.arange(math.ceil(float(edges[-1])), dtype=np.float64)
    return (np.searchsorted(edges, hours, side="right") - 1).astype(np.int64)


def binned(series: FloatArray, bins: npt.NDArray[np.int64], n: int) -> FloatArray:
    """Sum an hourly series into output bins."""
    out: FloatArray = np.bincount(bins, weights=series, minlength=n).astype(np.float64)
    return out


def capacity_table(
    flows: dict[tuple[str, str], Flow], edges: FloatArray, start: dt.datetime
) -> pa.Table:
    """Demanded, served and unmet GPU-hours by bin, regime and generation."""
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
    rows: dict[str, list[FloatArray]] = {name: [] for name in FLEET.names[3:]}
    keys = sorted(installed)
    for pool, hw in keys:
        spec = catalog[hw]
        have = binned(installed[(pool, hw)], bins, n)
        busy = binned(used[(pool, hw)], bins, n)
        energy = costs.energy_mwh(busy, spec.tdp_w, pue)
        rows["installed_gpu_hours"].append(have)
        rows["used_gpu_hours"].append(busy)
        rows["utilization"].append(np.divide(busy, have, out=np.zeros(n), where=have > 0))
        rows["installed_mw"].append(costs.energy_mwh(have, spec.tdp_w, pue) / width)
        rows["power_mw"].append(energy / width)
        rows["energy_mwh"].append(energy)
        rows["cost_usd"].append(costs.cost_usd(busy, spec.usd_per_gpu_hour))
    columns = {
        "time": timestamps(start, np.tile(edges[:-1], len(keys))),
        "pool": pa.array([p for p, _ in keys for _ in range(n)], pa.string()),
        "hardware": pa.array([h for _, h in keys for _ in range(n)], pa.string()),
        **{k: pa.array(np.concatenate(v) if v else np.zeros(0)) for k, v in rows.items()},
    }
    return pa.Table.from_pydict(columns, schema=FLEET).sort_by(
        [("time", "ascending"), ("pool", "ascending"), ("hardware", "ascending")]
    )


def waits_table(fleet: Fleet, start: dt.datetime, horizon_h: float) -> pa.Table:
    """One row per cluster reservation: when it was asked for, when it started, the wait."""
    waits = [*fleet.waits, *fleet.pending()]
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
