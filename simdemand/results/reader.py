"""The one reader of results: a run folder as a typed :class:`Run`, a sweep folder's finished
runs, and any table of either as an Arrow dataset or a DataFrame.

A sweep folder holds one hive partition per run (``scenario=<id>/replication=<k>/``) and a
``manifest.jsonl`` of finished runs; only the runs in the manifest are read, so a sweep that is
still running, or was killed, can be opened safely.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from simdemand.catalog import Catalog, load_catalog
from simdemand.results.storage import Remote, is_uri, remote

DEMAND_TABLES = ("timeseries", "jobs", "models")
SUPPLY_TABLES = ("capacity", "fleet", "waits")
ECONOMY_TABLES = ("market", "investment", "budget")
BACKGROUND_TABLES = ("background",)
TABLES = (*DEMAND_TABLES, *SUPPLY_TABLES, *ECONOMY_TABLES, *BACKGROUND_TABLES)
RUN_MANIFEST = "manifest.json"
SWEEP_MANIFEST = "manifest.jsonl"
RUN_KEYS = ["scenario", "replication"]
PARTITIONING = ds.partitioning(
    pa.schema([("scenario", pa.string()), ("replication", pa.int64())]), flavor="hive"
)


class DamagedManifest(ValueError):
    """A sweep manifest with a line that is not JSON before its last line."""


@dataclass(frozen=True)
class Run:
    """The tables and manifest of one run folder; the supply tables are None without a fleet,
    the economy's without an `[economy]` (the investment table without its loop), the
    background load's without a `[background]`."""

    folder: Path | Remote
    manifest: dict[str, Any]
    timeseries: pd.DataFrame
    jobs: pd.DataFrame
    models: pd.DataFrame
    capacity: pd.DataFrame | None = None
    fleet: pd.DataFrame | None = None
    waits: pd.DataFrame | None = None
    market: pd.DataFrame | None = None
    investment: pd.DataFrame | None = None
    budget: pd.DataFrame | None = None
    background: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        """The run's name from its manifest, else the folder's name."""
        return str(self.manifest.get("name", self.folder.name))

    @property
    def has_fleet(self) -> bool:
        """True if the run had a fleet (it wrote the supply tables)."""
        return self.capacity is not None and self.fleet is not None and self.waits is not None


def place(folder: str | Path | Remote) -> Path | Remote:
    """A local folder as a Path, a URI (s3://bucket/prefix) as a Remote folder."""
    if isinstance(folder, Remote):
        return folder
    return remote(str(folder)) if is_uri(folder) else Path(folder)


def run_catalog(run: Run) -> Catalog:
    """The bundled catalog with the hardware the run's scenario added (from its manifest)."""
    extra = run.manifest.get("scenario", {}).get("hardware", {}) or {}
    return load_catalog().with_entries(extra) if extra else load_catalog()


def read_run(folder: str | Path | Remote) -> Run:
    """Read a run folder (a path, or a URI such as s3://bucket/prefix); a missing folder or file
    raises FileNotFoundError naming it."""
    folder = place(folder)
    if isinstance(folder, Path) and not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such run folder")
    for name in (*(f"{t}.parquet" for t in DEMAND_TABLES), RUN_MANIFEST):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder}: not a simdemand run folder (no {name})")
    demand = {name: read_table(folder, name) for name in DEMAND_TABLES}
    supply: dict[str, pd.DataFrame] = {}
    if all((folder / f"{name}.parquet").is_file() for name in SUPPLY_TABLES):
        supply = {name: read_table(folder, name) for name in SUPPLY_TABLES}
    economy = {
        name: read_table(folder, name)
        for name in (*ECONOMY_TABLES, *BACKGROUND_TABLES)
        if (folder / f"{name}.parquet").is_file()
    }
    return Run(folder=folder, manifest=read_manifest(folder), **demand, **supply, **economy)


def read_manifest(folder: str | Path | Remote) -> dict[str, Any]:
    """The manifest of a run folder; corrupt JSON raises ValueError naming the file."""
    path = place(folder) / RUN_MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a readable manifest ({e})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a readable manifest (not a JSON object)")
    return data


def open_table(folder: str | Path | Remote, table: str = "timeseries") -> ds.Dataset:
    """One table of a run folder as an Arrow dataset."""
    path = place(folder) / f"{check_table(table)}.parquet"
    if isinstance(path, Remote):
        return ds.dataset(path.path, format="parquet", filesystem=path.fs)
    return ds.dataset(path, format="parquet")


def read_table(folder: str | Path | Remote, table: str = "timeseries") -> pd.DataFrame:
    """One table of a run folder as a DataFrame; a file that is not Parquet (empty, truncated,
    garbage) or lacks the table's columns raises ValueError naming it, in one line."""
    path = place(folder) / f"{check_table(table)}.parquet"
    try:
        data = open_table(folder, table).to_table()
    except (pa.ArrowException, OSError, ValueError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        reason = first.rsplit("': ", 1)[-1]  # Arrow's last clause says what is wrong
        raise ValueError(f"{path}: not a readable Parquet file ({reason[:160]})") from None
    problem = schema_problem(data.schema, expected_schema(table))
    if problem is not None:
        raise ValueError(f"{path}: not a simdemand {table} table ({problem})")
    try:
        frame: pd.DataFrame = data.to_pandas()
    except (pa.ArrowException, ValueError, OverflowError) as e:
        raise ValueError(f"{path}: unreadable values ({str(e)[:200]})") from None
    return frame


def expected_schema(table: str) -> pa.Schema:
    """The schema simdemand writes for `table`."""
    from simdemand.results.background import BACKGROUND
    from simdemand.results.market import BUDGET, INVESTMENT, MARKET
    from simdemand.results.supply import CAPACITY, FLEET, WAITS
    from simdemand.results.tables import JOBS, MODELS, TIMESERIES

    schemas = {"timeseries": TIMESERIES, "jobs": JOBS, "models": MODELS}
    economy = {"market": MARKET, "investment": INVESTMENT, "budget": BUDGET}
    supply = {"capacity": CAPACITY, "fleet": FLEET, "waits": WAITS}
    return {**schemas, **supply, **economy, "background": BACKGROUND}[table]


def schema_problem(found: pa.Schema, expected: pa.Schema) -> str | None:
    """Why a table read from disk does not have the columns simdemand writes, or None."""
    missing = [f.name for f in expected if f.name not in found.names]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        return f"no column {', '.join(missing[:5])}{more}"
    for want in expected:
        got = found.field(want.name).type
        if not same_kind(got, want.type):
            return f"column {want.name} is {got}, not {want.type}"
    return None


def same_kind(got: pa.DataType, want: pa.DataType) -> bool:
    """True if a column type reads as the one simdemand writes (any unit of time, width of
    number or string)."""
    kinds = (
        pa.types.is_timestamp,
        pa.types.is_boolean,
        lambda t: pa.types.is_integer(t) or pa.types.is_floating(t),
        lambda t: pa.types.is_string(t) or pa.types.is_large_string(t),
    )
    return any(kind(want) and kind(got) for kind in kinds) or got == want


def read_sweep_manifest(root: str | Path | Remote) -> list[dict[str, Any]]:
    """The records of a sweep's finished runs, in the order they finished; a torn last line (a
    killed append) is not a record, a damaged earlier one raises DamagedManifest."""
    path = place(root) / SWEEP_MANIFEST
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    records = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if i == len(lines) - 1:  # the last line, without its newline: a torn append
                break
            raise DamagedManifest(
                f"{path}: line {i + 1} is not JSON; the manifest is damaged"
            ) from None
    return records


def finished_runs(sweep: str | Path | Remote) -> list[dict[str, Any]]:
    """The records of a sweep's finished runs, in (scenario, replication) order."""
    root = place(sweep)
    if not (root / SWEEP_MANIFEST).is_file():
        raise FileNotFoundError(f"{root}: not a sweep folder (no {SWEEP_MANIFEST})")
    return sorted(read_sweep_manifest(root), key=lambda r: (r["scenario"], r["replication"]))


def open_sweep(sweep: str | Path | Remote, table: str = "timeseries") -> ds.Dataset:
    """One table of every finished run, with `scenario` and `replication` columns."""
    root = place(sweep)
    check_table(table)
    parts = [
        f"scenario={r['scenario']}/replication={r['replication']}/{table}.parquet"
        for r in finished_runs(root)
    ]
    if not parts:
        raise FileNotFoundError(f"{root}: no finished runs yet")
    if isinstance(root, Remote):
        files = [f"{root.path}/{part}" for part in parts]
        return ds.dataset(
            files,
            format="parquet",
            partitioning=PARTITIONING,
            partition_base_dir=root.path,
            filesystem=root.fs,
        )
    return ds.dataset(
        [str(root / part) for part in parts],
        format="parquet",
        partitioning=PARTITIONING,
        partition_base_dir=str(root),
    )


def read_sweep(
    sweep: str | Path,
    table: str = "timeseries",
    columns: Sequence[str] | None = None,
    filter: pc.Expression | None = None,
) -> pd.DataFrame:
    """One table of every finished run as a DataFrame (pick columns and rows to stay small)."""
    cols = None if columns is None else list(dict.fromkeys([*RUN_KEYS, *columns]))
    frame: pd.DataFrame = open_sweep(sweep, table).to_table(columns=cols, filter=filter).to_pandas()
    return frame


def check_table(table: str) -> str:
    """Refuse a table name a run does not write."""
    if table not in TABLES:
        raise ValueError(f"unknown table '{table}'; use one of {', '.join(TABLES)}")
    return table
