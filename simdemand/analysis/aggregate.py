"""Sums of runs and sweeps by period, quantile bands across replications, scenarios compared.

Tables are read with :mod:`simdemand.results.reader` (only a sweep's finished runs).

    from simdemand import analysis
    bands = analysis.bands("runs/baseline-grid", freq="year")   # p5 / p50 / p95 by regime
    analysis.compare("runs/baseline-grid", freq=None)           # scenarios side by side
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from simdemand.results.reader import RUN_KEYS, finished_runs, open_sweep

MEASURES = ("gpu_hours", "flop", "energy_mwh", "cost_usd", "queries", "tokens")
FREQS = ("hour", "day", "week", "month", "quarter", "year")
TIME = pa.timestamp("us", tz="UTC")
Source: TypeAlias = str | Path | ds.Dataset


def runs(sweep: str | Path) -> pd.DataFrame:
    """One row per finished run: scenario, replication, seed, wall time and parameter values."""
    rows = [
        {
            "scenario": r["scenario"],
            "replication": r["replication"],
            "seed": r["seed"],
            "wall_time_s": r["wall_time_s"],
            **r["parameters"],
        }
        for r in finished_runs(sweep)
    ]
    return pd.DataFrame(rows, columns=None if rows else [*RUN_KEYS, "seed", "wall_time_s"])


def scenarios(sweep: str | Path) -> pd.DataFrame:
    """One row per scenario (index: its id) with the values of the sweep's axes."""
    table = runs(sweep).drop(columns=["replication", "seed", "wall_time_s"])
    return table.drop_duplicates("scenario").set_index("scenario").sort_index()


def year_filter(year: int) -> pc.Expression:
    """Rows of time-series bins that start in calendar year `year` (UTC)."""
    start = pa.scalar(dt.datetime(year, 1, 1, tzinfo=dt.UTC), type=TIME)
    end = pa.scalar(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC), type=TIME)
    return (ds.field("time") >= start) & (ds.field("time") < end)


def totals(
    source: Source,
    measure: str = "gpu_hours",
    freq: str | None = "year",
    by: Sequence[str] = ("regime",),
    filter: pc.Expression | None = None,
) -> pd.DataFrame:
    """Sum of `measure` per run, period and `by` columns; freq None sums the whole horizon,
    "bin" keeps the run's own bins. A run with nothing in a group gets 0, so that quantiles
    see every run."""
    dataset = source if isinstance(source, ds.Dataset) else open_sweep(source)
    check_measure(measure)
    keys = [c for c in RUN_KEYS if c in dataset.schema.names]
    groups = [*(["time"] if freq else []), *by]
    frame: pd.DataFrame = aggregate(dataset, measure, freq, [*keys, *groups], filter).to_pandas()
    frame[measure] = frame[measure].fillna(0.0)
    if keys:
        from_data = isinstance(source, ds.Dataset)
        expected = frame[keys].drop_duplicates() if from_data else runs(source)[keys]
        frame = complete(frame, expected, groups)
    order = [*keys, *groups]
    return frame.sort_values(order).reset_index(drop=True) if order else frame


def aggregate(
    dataset: ds.Dataset,
    measure: str,
    freq: str | None,
    groups: list[str],
    filter: pc.Expression | None,
) -> pa.Table:
    """Stream the dataset batch by batch and sum `measure` by `groups` (never the whole table)."""
    columns = list(dict.fromkeys([*groups, measure]))
    parts = [
        sum_by(with_periods(pa.Table.from_batches([batch]), freq), measure, groups)
        for batch in dataset.to_batches(columns=columns, filter=filter)
    ]
    if not parts:
        empty = {g: pa.array([], dataset.schema.field(g).type) for g in groups}
        return pa.table({**empty, measure: pa.array([], pa.float64())})
    return sum_by(pa.concat_tables(parts), measure, groups)


def with_periods(table: pa.Table, freq: str | None) -> pa.Table:
    """The table with its `time` floored to calendar periods (unchanged for None or "bin")."""
    if freq is None or freq == "bin":
        return table
    if freq not in FREQS:
        raise ValueError(f"unknown freq '{freq}'; use one of {', '.join(FREQS)}, 'bin' or None")
    floored = pc.floor_temporal(table["time"], unit=freq, week_starts_monday=True)
    return table.set_column(table.schema.get_field_index("time"), "time", floored)


def sum_by(table: pa.Table, measure: str, groups: list[str]) -> pa.Table:
    """Sum `measure` by `groups`, keeping its name (deterministic: one thread)."""
    out = table.group_by(groups, use_threads=False).aggregate([(measure, "sum")])
    return out.rename_columns([measure if c == f"{measure}_sum" else c for c in out.column_names])


def complete(frame: pd.DataFrame, expected: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """Zero rows for runs missing a group that another run of their scenario has."""
    measure = frame.columns[-1]
    if groups:
        combos = frame[["scenario", *groups]].drop_duplicates()
        expected = expected.merge(combos, on="scenario")
    out = expected.merge(frame, on=[*RUN_KEYS, *groups], how="left")
    out[measure] = out[measure].fillna(0.0)
    return out


def bands(
    source: Source,
    measure: str = "gpu_hours",
    freq: str | None = "year",
    by: Sequence[str] = ("regime",),
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    filter: pc.Expression | None = None,
) -> pd.DataFrame:
    """Quantiles across replications of each scenario's totals: fan-chart bands (p5, p50, p95)."""
    frame = totals(source, measure, freq, by, filter)
    if "replication" not in frame.columns:
        raise ValueError("bands need a sweep (runs with replications)")
    groups = [c for c in frame.columns if c not in ("replication", measure)]
    grouped = frame.groupby(groups, sort=True, dropna=False)[measure]
    out = pd.DataFrame({quantile_name(q): grouped.quantile(q) for q in quantiles})
    out["mean"] = grouped.mean()
    out["replications"] = grouped.size()
    return out.reset_index()


def quantile_name(q: float) -> str:
    """Column name of a quantile: 0.05 -> 'p5', 0.5 -> 'p50'."""
    return f"p{q * 100:g}"


def compare(
    sweep: str | Path,
    measure: str = "gpu_hours",
    freq: str | None = None,
    by: Sequence[str] = ("regime",),
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    reference: str | None = None,
) -> pd.DataFrame:
    """Scenarios side by side: their axis values and bands; `reference` adds each median's ratio
    to the reference scenario's median."""
    table = bands(sweep, measure, freq, by, quantiles)
    params = scenarios(sweep)
    out = params.reset_index().merge(table, on="scenario", how="right")
    if reference is not None:
        if reference not in params.index:
            raise KeyError(f"no scenario '{reference}' in {sweep}")
        keys = [c for c in table.columns if c in ("time", *by)]
        base = table.loc[table["scenario"] == reference, [*keys, "p50"]]
        base = base.rename(columns={"p50": "reference_p50"})
        out = (
            out.merge(base, on=keys, how="left")
            if keys
            else out.assign(reference_p50=float(base["reference_p50"].iloc[0]))
        )
        out["ratio"] = out["p50"] / out["reference_p50"]
    return out


def metric(
    sweep: Source,
    measure: str = "gpu_hours",
    regime: str | None = None,
    year: int | None = None,
    share: bool = False,
) -> pd.Series:
    """One number per run (index: scenario, replication): the sum of `measure` over the horizon
    or a year, for one regime or all, or one regime's share of all."""
    window = year_filter(year) if year is not None else None
    total = totals(sweep, measure, None, (), window).set_index(RUN_KEYS)[measure]
    if regime is None:
        return total.rename(measure)
    only = ds.field("regime") == regime
    part = totals(sweep, measure, None, (), only if window is None else window & only)
    part_series = part.set_index(RUN_KEYS)[measure]
    if not share:
        return part_series.rename(measure)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (part_series / total).rename(f"share_{measure}")


def check_measure(measure: str) -> None:
    """Refuse a measure the time series does not hold."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure '{measure}'; use one of {', '.join(MEASURES)}")
