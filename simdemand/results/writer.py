"""Write a run folder atomically: its tables and manifest appear together or not at all."""

from __future__ import annotations

import json
import os
import platform
import shutil
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from simdemand.results.run import Results
from simdemand.scenario.identity import scenario_hash
from simdemand.version import __version__

LIBRARIES = ("simpy", "numpy", "pandas", "pyarrow", "pydantic")


def write_results(results: Results, out: str | Path, force: bool = False) -> Path:
    """Write the run into folder `out`; refuse an existing folder unless `force`."""
    out = Path(out)
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists; pass --force to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        meta = results.provenance()
        for name, table in results.tables().items():
            write_parquet(table, partial / f"{name}.parquet", meta)
        write_json(manifest(results), partial / "manifest.json")
        replace_dir(partial, out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return out


def write_parquet(table: pa.Table, path: Path, metadata: dict[str, str]) -> None:
    """Write a table with provenance in its schema metadata, via a temporary name."""
    merged = {
        **(table.schema.metadata or {}),
        **{k.encode(): v.encode() for k, v in metadata.items()},
    }
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table.replace_schema_metadata(merged), tmp, compression="zstd")
    os.replace(tmp, path)


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write JSON via a temporary name."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def replace_dir(new: Path, out: Path) -> None:
    """Move a finished folder into place, replacing any old one."""
    if not out.exists():
        new.rename(out)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(old)
    new.rename(out)
    shutil.rmtree(old)


def manifest(results: Results) -> dict[str, Any]:
    """The run's manifest: resolved scenario, hash, seeds, versions, counts, wall time."""
    scenario = results.scenario

    return {
        "simdemand_version": __version__,
        "name": scenario.run.name,
        "scenario": scenario.model_dump(mode="json"),
        "scenario_sha256": scenario_hash(scenario),
        "seed": scenario.run.seed,
        "streams": {name: list(key) for name, key in sorted(results.streams.items())},
        "versions": {
            "python": platform.python_version(),
            **{lib: version(lib) for lib in LIBRARIES},
        },
        "counts": {name: table.num_rows for name, table in results.tables().items()},
        "wall_time_s": round(results.wall_time_s, 3),
        "summary": results.summary or {},
    }
