"""Drive a sweep: open its folder, run what is left on an executor, record each finished run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from simdemand.experiments.design import Sweep, load_sweep
from simdemand.experiments.executors import (
    ExecutorKind,
    RunFailure,
    RunRecord,
    start_executor,
)
from simdemand.experiments.store import open_store
from simdemand.results.storage import Remote

if TYPE_CHECKING:
    from distributed import Client

Progress = Callable[[int, int], None]


@dataclass
class SweepReport:
    """How a sweep went: runs planned, found finished, finished now, failed; wall time."""

    root: Path | Remote
    planned: int
    resumed: int
    done: int = 0
    failures: list[RunFailure] = field(default_factory=list)
    wall_time_s: float = 0.0


def run_sweep(
    sweep: Sweep | str | Path,
    out: str | Path,
    executor: ExecutorKind | str = ExecutorKind.serial,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    client: Client | None = None,
    progress: Progress | None = None,
) -> SweepReport:
    """Run every unfinished run of a sweep into `out` (a folder, or a URI such as
    s3://bucket/prefix); a run is recorded in manifest.jsonl
    only once its folder is in place. Raises InputError for a bad file, StoreError for a folder
    that cannot be used (exists without `resume`, or holds another sweep)."""
    began = time.perf_counter()
    sweep = sweep if isinstance(sweep, Sweep) else load_sweep(sweep)
    store = open_store(out)
    store.pending(sweep, resume)  # refuse a bad folder before starting a pool or cluster
    with start_executor(ExecutorKind(executor), workers, scheduler, client) as run_all:
        todo = store.open(sweep, resume)
        report = SweepReport(store.root, sweep.size, sweep.size - len(todo))
        if progress is not None:
            progress(report.resumed, report.planned)
        for outcome in run_all(todo, store.root):
            if isinstance(outcome, RunRecord):
                store.append(outcome.manifest())
                report.done += 1
            else:
                report.failures.append(outcome)
            if progress is not None:
                progress(report.resumed + report.done + len(report.failures), report.planned)
    store.clean(set(store.finished()))  # what a lost worker or a failed run left behind
    report.wall_time_s = time.perf_counter() - began
    return report
