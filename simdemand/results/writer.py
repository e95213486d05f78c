"""Write a run folder atomically: its tables and manifest appear together or not at all.

Nothing of the user's is deleted: a folder is replaced (`force`) only if simdemand wrote it (its
manifest has simdemand's keys and it holds only the names simdemand writes there), and the
hidden folders of earlier killed runs are removed only when they are provably ours and dead.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import tempfile
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol, overload

import pyarrow as pa
import pyarrow.parquet as pq

from simdemand.errors import OutputError, shorten
from simdemand.results.reader import RUN_MANIFEST, TABLES
from simdemand.results.run import Parts
from simdemand.results.storage import Remote, is_uri, remote
from simdemand.scenario.identity import scenario_hash
from simdemand.scenario.schema import Scenario
from simdemand.version import __version__

LIBRARIES = ("simpy", "numpy", "pandas", "pyarrow", "pydantic")
# What a run folder may hold: its tables and manifest, their temporary names while written,
# and the figures `simdemand plot RUN` writes into it (RUN/<kind>.png, .svg or .pdf).
FIGURE_KINDS = (
    "regimes",
    "growth",
    "cumulative",
    "hardware",
    "daily",
    "models",
    "ecosystem",
    "queries",
    "supply",
    "technology",
)
FIGURE_FORMATS = (".png", ".svg", ".pdf")
RUN_FILES = frozenset({RUN_MANIFEST, *(f"{t}.parquet" for t in TABLES)})
WRITING = frozenset(f"{name}.tmp" for name in RUN_FILES)
FIGURES = frozenset(f"{k}{ext}" for k in FIGURE_KINDS for ext in FIGURE_FORMATS)
FIGURE_TMP = re.compile(r"^\.(?P<figure>[a-z]+\.[a-z]+)\.tmp-\d+$")
# Keys every manifest simdemand writes has (see `manifest`).
MANIFEST_KEYS = ("simdemand_version", "name", "scenario", "scenario_sha256", "seed", "counts")
# The hidden folders a write leaves if its process is killed: .NAME.partial-PID, .NAME.old-PID.
LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>partial|old)-(?P<pid>\d+)$")


class Run(Protocol):
    """What a run folder is written from: `Results` (tables in memory), or a run whose large
    tables are `Parts`, made as they are written. The manifest is made after the tables (a
    run made part by part knows its row counts and summary only then)."""

    @property
    def scenario(self) -> Scenario:
        """The scenario run."""

    @property
    def streams(self) -> dict[str, tuple[int, ...]]:
        """The random streams taken, by name."""

    @property
    def wall_time_s(self) -> float:
        """Seconds simulated."""

    @property
    def summary(self) -> dict[str, Any] | None:
        """The headline figures, if computed."""

    def tables(self) -> Mapping[str, pa.Table | Parts]:
        """The tables by file name."""

    def provenance(self) -> dict[str, str]:
        """Facts that identify the run."""


@overload
def write_results(results: Run, out: Path, force: bool = False) -> Path: ...


@overload
def write_results(results: Run, out: str, force: bool = False) -> Path | Remote: ...


def write_results(results: Run, out: str | Path, force: bool = False) -> Path | Remote:
    """Write the run into folder `out` (a path, or a URI such as s3://bucket/prefix); refuse an
    existing folder unless `force`, and with `force` refuse one simdemand did not write. Raises
    OutputError (or FileExistsError)."""
    if is_uri(out):
        return write_remote(results, check_remote(str(out), force))
    out = check_output(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out.parent)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    if partial.exists():
        remove_ours(partial)
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


def write_remote(results: Run, out: Remote) -> Remote:
    """Write the run into a folder of an object store: its manifest last (a run is complete if
    and only if its manifest exists), after removing the old run's manifest and tables."""
    (out / RUN_MANIFEST).delete()
    tables = results.tables()
    for name in sorted(RUN_FILES - {RUN_MANIFEST} - {f"{t}.parquet" for t in tables}):
        (out / name).delete()  # a table of the run replaced that this run does not write
    meta = results.provenance()
    for name, table in tables.items():
        write_parquet(table, out / f"{name}.parquet", meta)
    (out / RUN_MANIFEST).write_json(manifest(results))
    return out


def check_remote(uri: str, force: bool = False) -> Remote:
    """The folder at `uri` if a run can be written there: no run yet, or (with `force`) a run
    simdemand wrote; OutputError with a one-line reason, FileExistsError without `force`."""
    try:
        out = remote(uri)
        existing = (out / RUN_MANIFEST).is_file()
    except OSError as e:
        raise OutputError(f"{uri}: unusable location ({shorten(str(e), 200)})") from None
    if existing and not force:
        raise FileExistsError(f"{uri}: holds a run; pass --force to replace it")
    if existing:
        try:
            data = json.loads((out / RUN_MANIFEST).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            data = None
        if not isinstance(data, dict) or not all(key in data for key in MANIFEST_KEYS):
            raise OutputError(
                f"{uri}: not replaced: its {RUN_MANIFEST} is not simdemand's; --force replaces "
                "only a run simdemand wrote"
            )
    return out


def check_output(out: str | Path, force: bool = False) -> Path:
    """`out` if a run folder can be written there, else OutputError with a one-line reason;
    FileExistsError for an existing folder without `force`. Writes nothing."""
    out = Path(out)
    here = Path.cwd().resolve()
    try:
        full = out.resolve()
    except (OSError, RuntimeError) as e:
        raise OutputError(f"{out}: unusable path ({e})") from None
    if full == here or full in here.parents:
        raise OutputError(f"{out}: is the current folder or holds it; name a new folder")
    if out.is_symlink():
        raise OutputError(f"{out}: is a symbolic link; give the folder it points to")
    name_max = max_name(full.parent)
    if len(os.fsencode(f".{full.name}.partial-{os.getpid()}")) > name_max:
        raise OutputError(f"{out}: the folder name is too long (at most {name_max - 24} bytes)")
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"{out}: exists and is a file, not a results folder; pick another")
        if not force:
            raise FileExistsError(f"{out}: exists; pass --force to replace it")
        reason = not_ours(out)
        if reason is not None:
            raise OutputError(
                f"{out}: not replaced: {reason}; --force replaces only a results folder "
                "simdemand wrote"
            )
    check_writable(full.parent, out)
    return full


def max_name(folder: Path) -> int:
    """The longest file name (bytes) the file system of `folder` (or its first existing
    ancestor) accepts."""
    for place in (folder, *folder.parents):
        if place.is_dir():
            try:
                return int(os.pathconf(place, "PC_NAME_MAX"))
            except (OSError, ValueError):
                return 255
    return 255


def check_writable(folder: Path, out: Path) -> None:
    """OutputError unless `folder` exists as a writable folder or can be created."""
    for place in (folder, *folder.parents):
        if place.exists() or place.is_symlink():
            if not place.is_dir():
                raise OutputError(f"{out}: {place} is a file, not a folder")
            if not writable(place):
                raise OutputError(f"{out}: cannot write in {place} (permission denied)")
            return


def writable(folder: Path) -> bool:
    """True if this process can create a folder in `folder` (tried: permissions alone do not
    tell for root, read-only mounts or /proc)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".simdemand-probe-", dir=folder))
    except OSError:
        return False
    return True


def not_ours(folder: Path) -> str | None:
    """Why `folder` is not a results folder simdemand wrote, or None if it is."""
    manifest_path = folder / RUN_MANIFEST
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"it has no {RUN_MANIFEST}"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return f"its {RUN_MANIFEST} is not simdemand's (not readable JSON)"
    if not isinstance(data, dict) or not all(key in data for key in MANIFEST_KEYS):
        return f"its {RUN_MANIFEST} is not simdemand's (no {', '.join(MANIFEST_KEYS)})"
    foreign = sorted(
        p.name for p in folder.iterdir() if not (is_run_file(p.name) and is_plain_file(p))
    )
    if foreign:
        listed = ", ".join(shorten(n, 40) for n in foreign[:3])
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        return f"it holds files simdemand did not write ({listed}{more})"
    return None


def is_run_file(name: str) -> bool:
    """True for a name simdemand writes in a run folder (tables, manifest, figures, temps)."""
    if name in RUN_FILES or name in WRITING or name in FIGURES:
        return True
    tmp = FIGURE_TMP.match(name)
    return tmp is not None and tmp["figure"] in FIGURES


def is_plain_file(path: Path) -> bool:
    """A regular file, not a link or a folder."""
    return path.is_file() and not path.is_symlink()


def clean_leftovers(folder: Path) -> list[str]:
    """Remove the hidden folders killed writes left in `folder` (.NAME.partial-PID and
    .NAME.old-PID) when their process is dead and they hold only what simdemand writes; return
    a note for each one left because it is not provably ours."""
    notes = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = LEFTOVER.match(entry.name)
        if match is None or pid_alive(int(match["pid"])):
            continue
        if entry.is_dir() and not entry.is_symlink() and holds_only_ours(entry, match["kind"]):
            shutil.rmtree(entry, ignore_errors=True)
        else:
            notes.append(
                f"{entry}: left in place: named like an unfinished simdemand write, but "
                "it holds files simdemand does not write"
            )
    return notes


def holds_only_ours(folder: Path, kind: str) -> bool:
    """True if a leftover folder holds only run files (an .old folder may have a manifest)."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return False
    if kind == "old" and entries and not_ours(folder) is not None:
        return False
    return all(is_run_file(p.name) and is_plain_file(p) for p in entries)


def remove_ours(folder: Path) -> None:
    """Remove a hidden folder of this process's name if it holds only run files."""
    if folder.is_dir() and not folder.is_symlink() and holds_only_ours(folder, "partial"):
        shutil.rmtree(folder)
        return
    raise OutputError(f"{folder}: exists and is not an unfinished write of simdemand's")


def pid_alive(pid: int) -> bool:
    """True if a process `pid` may be running (on this machine); False only if it is not."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def write_parquet(table: pa.Table | Parts, path: Path | Remote, metadata: dict[str, str]) -> None:
    """Write a table with provenance in its schema metadata, via a temporary name (an object
    store's object appears whole when written); `Parts` part by part, as row groups."""
    merged = {
        **(table.schema.metadata or {}),
        **{k.encode(): v.encode() for k, v in metadata.items()},
    }
    schema = table.schema.with_metadata(merged)
    options: dict[str, Any] = {"compression": "zstd"}
    if isinstance(path, Remote):
        target, options["filesystem"] = path.path, path.fs
    else:
        target = str(path.with_name(path.name + ".tmp"))
    if isinstance(table, Parts):
        with pq.ParquetWriter(target, schema, **options) as writer:
            write_parts(writer, table, merged)
    else:
        pq.write_table(table.replace_schema_metadata(merged), target, **options)
    if isinstance(path, Path):
        os.replace(target, path)


def write_parts(writer: pq.ParquetWriter, parts: Parts, metadata: dict[bytes, bytes]) -> None:
    """Write each part as a row group, in a thread of its own while the next part is made (the
    encoding lets go of the interpreter): two parts at most are held at once."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        writing: Future[None] | None = None
        for part in parts:
            if writing is not None:
                writing.result()
            writing = pool.submit(writer.write_table, part.replace_schema_metadata(metadata))
            del part
            pa.default_memory_pool().release_unused()
        if writing is not None:
            writing.result()


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write JSON via a temporary name."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def replace_dir(new: Path, out: Path) -> None:
    """Move a finished folder into place, replacing an old results folder (checked again: the
    user may have put files in it while the run was simulated)."""
    if not out.exists():
        new.rename(out)
        return
    reason = not_ours(out)
    if reason is not None:
        raise OutputError(f"{out}: not replaced: {reason}")
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(old)
    try:
        new.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old)


def manifest(results: Run) -> dict[str, Any]:
    """The run's manifest: resolved scenario, hash, seeds, versions, counts, wall time, and the
    summary when it was computed."""
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
        **({} if results.summary is None else {"summary": results.summary}),
    }
