"""A sweep folder: hive partitions of runs, a manifest.jsonl of finished runs, resume."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from simdemand.experiments.design import RunSpec, Sweep, partition
from simdemand.results.reader import SWEEP_MANIFEST, DamagedManifest, read_sweep_manifest
from simdemand.results.writer import write_json
from simdemand.scenario.identity import scenario_hash

MANIFEST = SWEEP_MANIFEST
PLAN = "sweep.json"
SCENARIO_DIR = re.compile(r"^scenario=(?P<id>[A-Za-z0-9_-]+)$")
REPLICATION_DIR = re.compile(r"^replication=(?P<k>\d+)$")
Key = tuple[str, int]


class StoreError(Exception):
    """A sweep folder that cannot be used as asked (exists, belongs to another sweep, torn)."""


def read_manifest(root: Path) -> list[dict[str, Any]]:
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

    def check(self, runs: list[RunSpec], finished: dict[Key, dict[str, Any]]) -> None:
        """Refuse a folder whose finished runs this sweep does not plan, or planned otherwise."""
        planned = {run.key: run for run in runs}
        for key, record in sorted(finished.items()):
            run = planned.get(key)
            if run is None:
                raise StoreError(
                    f"{self.root}: holds run {partition(*key)}, which this sweep does not plan; "
                    "use another --out"
                )
            if record["scenario_sha256"] != scenario_hash(run.scenario):
                raise StoreError(
                    f"{self.root}: run {partition(*key)} was made from another scenario "
                    "(the base scenario or the sweep file changed); use another --out"
                )

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
        """Remove partial and unrecorded run folders; return what was removed."""
        removed = [p for p in self.root.glob("*.tmp") if p.is_file()]
        for path in removed:
            path.unlink()
        for folder in sorted(self.root.iterdir()):
            match = SCENARIO_DIR.match(folder.name)
            if not match or not folder.is_dir():
                continue
            for entry in sorted(folder.iterdir()):
                k = REPLICATION_DIR.match(entry.name)
                if k and entry.is_dir() and (match["id"], int(k["k"])) in keep:
                    continue
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                removed.append(entry)
            if not any(folder.iterdir()):
                folder.rmdir()
        return removed

    def append(self, record: dict[str, Any]) -> None:
        """Record a finished run; call only once its folder is in place."""
        with self.manifest.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())


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
