"""A sweep folder: hive partitions of runs, a manifest.jsonl of finished runs, resume."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from simdemand.errors import OutputError
from simdemand.experiments.design import RunSpec, Sweep, partition
from simdemand.results.reader import SWEEP_MANIFEST, DamagedManifest, read_sweep_manifest
from simdemand.results.storage import Remote, is_uri, remote
from simdemand.results.writer import (
    LEFTOVER,
    RUN_FILES,
    check_writable,
    not_ours,
    pid_alive,
    write_json,
)
from simdemand.scenario.identity import scenario_hash

MANIFEST = SWEEP_MANIFEST
PLAN = "sweep.json"
SCENARIO_DIR = re.compile(r"^scenario=(?P<id>[A-Za-z0-9_-]+)$")
REPLICATION_DIR = re.compile(r"^replication=(?P<k>\d+)$")
# The temporary names the driver writes at the top of a sweep folder (write_json, rewrite).
TEMPORARY = (f"{MANIFEST}.tmp", f"{PLAN}.tmp")
Key = tuple[str, int]


class StoreError(Exception):
    """A sweep folder that cannot be used as asked (exists, belongs to another sweep, torn)."""


def read_manifest(root: Path | Remote) -> list[dict[str, Any]]:
    """The records of finished runs; a damaged manifest is a StoreError."""
    try:
        return read_sweep_manifest(root)
    except DamagedManifest as e:
        raise StoreError(str(e)) from None


def record_key(record: dict[str, Any]) -> Key:
    """(scenario id, replication) of a manifest record."""
    return str(record["scenario"]), int(record["replication"])


class SweepStore:
    """The folder of one sweep; only the driver writes its manifest, one line per finished run."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.manifest = self.root / MANIFEST

    def finished(self) -> dict[Key, dict[str, Any]]:
        """Manifest records by (scenario id, replication)."""
        return {record_key(r): r for r in read_manifest(self.root)}

    def pending(self, sweep: Sweep, resume: bool) -> list[RunSpec]:
        """Check that the folder can take `sweep`; return the runs still to do (writes nothing)."""
        self.check_folder(resume)
        if self.root.exists() and any(self.root.iterdir()) and not resume:
            raise StoreError(
                f"{self.root}: exists; pass --resume to continue it or pick another --out"
            )
        runs = list(sweep.runs())
        finished = self.finished()
        self.check(runs, finished)
        return [run for run in runs if run.key not in finished]

    def open(self, sweep: Sweep, resume: bool) -> list[RunSpec]:
        """Prepare the folder for `sweep`: drop a torn manifest line and partial runs, write
        sweep.json; return the runs still to do."""
        todo = self.pending(sweep, resume)
        self.root.mkdir(parents=True, exist_ok=True)
        finished = self.finished()
        self.rewrite_manifest(finished.values())
        self.clean(set(finished))
        write_json(plan(sweep), self.root / PLAN)
        return todo

    def check_folder(self, resume: bool) -> None:
        """Refuse a folder that is a file, cannot be written, or (resumed) holds no sweep."""
        root = self.root
        if root.exists() and not root.is_dir():
            raise StoreError(f"{root}: exists and is a file, not a sweep folder")
        try:
            check_writable(root if root.exists() else root.parent, root)
        except OutputError as e:
            raise StoreError(str(e)) from None
        if resume and root.is_dir() and any(root.iterdir()) and not (root / PLAN).is_file():
            raise StoreError(
                f"{root}: holds files but no sweep ({PLAN}); --resume continues only a sweep "
                "folder simdemand wrote: pick another --out"
            )

    def check(self, runs: list[RunSpec], finished: dict[Key, dict[str, Any]]) -> None:
        """Refuse a folder whose finished runs this sweep does not plan, or planned otherwise."""
        check_planned(self.root, runs, finished)

    def rewrite_manifest(self, records: Iterable[dict[str, Any]]) -> None:
        """Write the manifest again without a torn last line (atomically)."""
        if not self.manifest.exists():
            return
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
        if text == self.manifest.read_text(encoding="utf-8"):
            return
        tmp = self.manifest.with_name(MANIFEST + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.manifest)

    def clean(self, keep: set[Key]) -> list[Path]:
        """Remove what unfinished runs left: unrecorded run folders simdemand wrote, hidden
        partial folders of dead processes, the driver's temporary files. Nothing else is
        touched (a name simdemand does not write stays); return what was removed."""
        removed = [self.root / name for name in TEMPORARY if (self.root / name).is_file()]
        for path in removed:
            path.unlink()
        for folder in sorted(self.root.iterdir()):
            match = SCENARIO_DIR.match(folder.name)
            if not match or not folder.is_dir() or folder.is_symlink():
                continue
            for entry in sorted(folder.iterdir()):
                if self.unfinished(match["id"], entry, keep):
                    shutil.rmtree(entry)
                    removed.append(entry)
            if not any(folder.iterdir()):
                folder.rmdir()
        return removed

    @staticmethod
    def unfinished(scenario_id: str, entry: Path, keep: set[Key]) -> bool:
        """True for a run folder of this sweep's making that no manifest line records: a whole
        results folder, or the partial folder of a dead process."""
        if not entry.is_dir() or entry.is_symlink():
            return False
        run = REPLICATION_DIR.match(entry.name)
        if run is not None:
            return (scenario_id, int(run["k"])) not in keep and not_ours(entry) is None
        left = LEFTOVER.match(entry.name)
        if left is None or REPLICATION_DIR.match(left["name"]) is None:
            return False
        if pid_alive(int(left["pid"])):
            return False
        return all(p.is_file() and is_run_name(p.name) for p in entry.iterdir()) and (
            left["kind"] == "partial" or not_ours(entry) is None
        )

    def append(self, record: dict[str, Any]) -> None:
        """Record a finished run; call only once its folder is in place."""
        with self.manifest.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())


def check_planned(
    root: Path | Remote, runs: list[RunSpec], finished: dict[Key, dict[str, Any]]
) -> None:
    """Refuse a folder whose finished runs this sweep does not plan, or planned otherwise."""
    planned = {run.key: run for run in runs}
    for key, record in sorted(finished.items()):
        run = planned.get(key)
        if run is None:
            raise StoreError(
                f"{root}: holds run {partition(*key)}, which this sweep does not plan; "
                "use another --out"
            )
        if record["scenario_sha256"] != scenario_hash(run.scenario):
            raise StoreError(
                f"{root}: run {partition(*key)} was made from another scenario "
                "(the base scenario or the sweep file changed); use another --out"
            )


def is_run_name(name: str) -> bool:
    """A file a run writes into its partial folder (a table, the manifest, their temps)."""
    return name.removesuffix(".tmp") in RUN_FILES


def plan(sweep: Sweep) -> dict[str, Any]:
    """What the folder is meant to hold: the sweep's axes, scenarios, seeds and run count."""
    spec = sweep.spec
    sample = spec.sample.model_dump(mode="json") if spec.sample else None
    return {
        "name": sweep.name,
        "file": str(spec.source),
        "seed": spec.seed,
        "replications": len(sweep.seeds),
        "seeds": list(sweep.seeds),
        "set": list(spec.fixed),
        "grid": json.loads(json.dumps(spec.grid, default=str)),
        "sample": sample,
        "scenarios": {p.scenario_id: p.values for p in sweep.points},
        "runs": sweep.size,
    }


class RemoteSweepStore:
    """The folder of one sweep in an object store (s3://bucket/prefix).

    The same layout as a local folder; object stores cannot append, so the driver keeps the
    manifest's records and writes the whole manifest again after each finished run (each write
    appears whole). A run folder the manifest does not record is an unfinished run.
    """

    def __init__(self, root: Remote) -> None:
        self.root = root
        self.manifest = root / MANIFEST
        self.records: list[dict[str, Any]] = []

    def finished(self) -> dict[Key, dict[str, Any]]:
        """Manifest records by (scenario id, replication)."""
        return {record_key(r): r for r in read_manifest(self.root)}

    def pending(self, sweep: Sweep, resume: bool) -> list[RunSpec]:
        """Check that the folder can take `sweep`; return the runs still to do (writes nothing)."""
        try:
            files = self.root.files()
        except OSError as e:
            raise StoreError(f"{self.root}: unusable location ({e})") from None
        if files and not resume:
            raise StoreError(
                f"{self.root}: exists; pass --resume to continue it or pick another --out"
            )
        if files and PLAN not in files:
            raise StoreError(
                f"{self.root}: holds files but no sweep ({PLAN}); --resume continues only a sweep "
                "folder simdemand wrote: pick another --out"
            )
        runs = list(sweep.runs())
        finished = self.finished()
        check_planned(self.root, runs, finished)
        return [run for run in runs if run.key not in finished]

    def open(self, sweep: Sweep, resume: bool) -> list[RunSpec]:
        """Prepare the folder for `sweep`: drop a torn manifest line and unfinished runs, write
        sweep.json; return the runs still to do."""
        todo = self.pending(sweep, resume)
        self.records = list(self.finished().values())
        if self.records or self.manifest.is_file():
            self.write_manifest()
        self.clean(set(self.finished()))
        (self.root / PLAN).write_json(plan(sweep))
        return todo

    def write_manifest(self) -> None:
        """Write the manifest with every record kept."""
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in self.records)
        self.manifest.write_bytes(text.encode("utf-8"))

    def append(self, record: dict[str, Any]) -> None:
        """Record a finished run; call only once its folder is in place."""
        self.records.append(record)
        self.write_manifest()

    def clean(self, keep: set[Key]) -> list[Remote]:
        """Remove the objects of run folders no manifest line records (only the names a run
        writes); return what was removed."""
        removed = []
        for name in self.root.files():
            parts = name.split("/")
            if len(parts) != 3 or parts[2] not in RUN_FILES:
                continue
            scenario, replication = SCENARIO_DIR.match(parts[0]), REPLICATION_DIR.match(parts[1])
            if scenario is None or replication is None:
                continue
            if (scenario["id"], int(replication["k"])) not in keep:
                entry = self.root / name
                entry.delete()
                removed.append(entry)
        return removed


def open_store(out: str | Path) -> SweepStore | RemoteSweepStore:
    """The sweep folder at `out`: a local folder, or a URI such as s3://bucket/prefix."""
    if is_uri(out):
        try:
            return RemoteSweepStore(remote(str(out)))
        except OSError as e:
            raise StoreError(str(e)) from None
    return SweepStore(Path(out).resolve())
