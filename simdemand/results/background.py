"""The background table: work outside the three regimes on the output grid, by workload."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from simdemand.catalog import Catalog
from simdemand.physics.energy import cost_usd, energy_mwh
from simdemand.results.supply import FloatArray, binned, bins_of_hours
from simdemand.results.tables import field, timestamps
from simdemand.scenario.background import BackgroundWorkload
from simdemand.world.background import hourly
from simdemand.world.supply.installed import REFERENCE_HARDWARE

BACKGROUND = pa.schema(
    [
        field("time", pa.timestamp("us", tz="UTC"), "UTC, bin start"),
        field("workload", pa.string()),
        field("h100e_hours", pa.float64(), "H100-equivalent hours (busy H100e x hours)"),
        field(
            "served_h100e_hours",
            pa.float64(),
            "H100-equivalent hours run on the fleet (all of them without a fleet)",
        ),
        field("energy_mwh", pa.float64(), "MWh (as H100s: TDP x PUE)"),
        field("cost_usd", pa.float64(), "USD (as H100s, at the catalog's price)"),
    ]
)


def background_table(
    workloads: Mapping[str, BackgroundWorkload],
    catalog: Catalog,
    pue: float,
    edges: FloatArray,
    start: dt.datetime,
    held: Mapping[str, FloatArray] | None = None,
) -> pa.Table:
    """Each workload's H100-equivalent hours, energy and cost by bin; `held` is what the fleet
    ran of each, H100-equivalents in each hour of the run (None without a fleet: all of it)."""
    hours, n = math.ceil(float(edges[-1])), len(edges) - 1
    bins = bins_of_hours(edges)
    load = hourly(workloads, start.date(), 0, hours)
    ran = load if held is None else held
    h100 = catalog[REFERENCE_HARDWARE]
    names = sorted(load)
    wanted = [binned(load[name], bins, n) for name in names]
    columns = {
        "time": timestamps(start, np.tile(edges[:-1], len(names))),
        "workload": pa.array([name for name in names for _ in range(n)], pa.string()),
        "h100e_hours": pa.array(np.concatenate(wanted)),
        "served_h100e_hours": pa.array(
            np.concatenate([binned(ran[name], bins, n) for name in names])
        ),
        "energy_mwh": pa.array(np.concatenate([energy_mwh(w, h100.tdp_w, pue) for w in wanted])),
        "cost_usd": pa.array(np.concatenate([cost_usd(w, h100.usd_per_gpu_hour) for w in wanted])),
    }
    return pa.Table.from_pydict(columns, schema=BACKGROUND).sort_by(
        [("time", "ascending"), ("workload", "ascending")]
    )
