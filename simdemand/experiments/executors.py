"""Executors: run the runs of a sweep in this process, in a process pool, or on Dask."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from multiprocessing import forkserver
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simdemand.experiments.design import RunSpec
from simdemand.results.reader import DEMAND_TABLES
from simdemand.results.storage import Remote, child
from simdemand.results.writer import write_results
from simdemand.scenario.identity import scenario_hash
from simdemand.simulate import simulate_parts

if TYPE_CHECKING:
    from distributed import Client

IN_FLIGHT_PER_WORKER = 4
# Dask's defaults for a LocalCluster that slow runs down: its workers start with glibc trimming
# the heap at 64 KiB, so every large numpy buffer is an mmap of its own (4x the page faults, twice
# the system time of a run); the event loops of the scheduler, the nannies and the workers wake
# every 20 ms for a health check and every 0.5 s for the system monitor, taking the GIL from the
# runs; the profiler samples them; and a busy worker is sent a second run, which at the end of a
# sweep waits behind the first until work stealing moves it.
DASK_CONFIG: dict[str, Any] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.profile.enabled": False,
    "distributed.scheduler.worker-saturation": 1.0,
}


class ExecutorError(RuntimeError):
    """An executor that cannot start: a missing library or an unreachable scheduler."""


class ExecutorKind(StrEnum):
    """Where runs execute."""

    serial = "serial"
    processes = "processes"
    dask = "dask"


@dataclass(frozen=True)
class RunRecord:
    """What a finished run reports back: small, never its tables."""

    scenario_id: str
    replication: int
    seed: int
    values: dict[str, Any]
    scenario_sha256: str
    rows: dict[str, int]
    wall_time_s: float

    def manifest(self) -> dict[str, Any]:
        """The run's line in manifest.jsonl."""
        return {
            "scenario": self.scenario_id,
            "replication": self.replication,
            "seed": self.seed,
            "parameters": self.values,
            "scenario_sha256": self.scenario_sha256,
            "rows": self.rows,
            "wall_time_s": round(self.wall_time_s, 3),
        }


@dataclass(frozen=True)
class RunFailure:
    """A run that raised: which one and why."""

    run: RunSpec
    error: str


Outcome = RunRecord | RunFailure


def run_one(run: RunSpec, root: str) -> RunRecord:
    """Simulate one run and write its folder atomically under `root`; return its record.

    The run's manifest has no summary: it would cost a small run a third of its time in the
    worker, and `simdemand summary` (or simdemand.analysis over the sweep) computes it from
    the tables when wanted."""
    results = simulate_parts(run.scenario, summary=False)
    write_results(results, child(root, run.partition), force=True)
    tables = results.tables()
    return RunRecord(
        scenario_id=run.scenario_id,
        replication=run.replication,
        seed=run.seed,
        values=run.values,
        scenario_sha256=scenario_hash(results.scenario),
        rows={name: tables[name].num_rows for name in DEMAND_TABLES},
        wall_time_s=results.wall_time_s,
    )


def failure(run: RunSpec, error: BaseException) -> RunFailure:
    """A failure with a one-line reason."""
    return RunFailure(run, f"{type(error).__name__}: {error}")


def run_serial(runs: Iterable[RunSpec], root: Path | Remote) -> Iterator[Outcome]:
    """Run one after another in this process."""
    for run in runs:
        try:
            yield run_one(run, str(root))
        except Exception as e:  # a failed run is reported, the others go on
            yield failure(run, e)


def worker_context(*also: str) -> multiprocessing.context.BaseContext:
    """A forkserver (spawn where there is none) that imports the simulator and `also` once."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__, *also])
    return context


def dask_start_method() -> str:
    """Dask's worker start method: a forkserver, started now to import while this process does."""
    context = worker_context("distributed")
    if context.get_start_method() == "forkserver":
        forkserver.ensure_running()
    return context.get_start_method()


def run_pool(
    pool: ProcessPoolExecutor, workers: int, runs: Iterable[RunSpec], root: Path | Remote
) -> Iterator[Outcome]:
    """Run on a local process pool, a few runs in flight per worker."""
    pending: dict[Future[RunRecord], RunSpec] = {}
    todo = iter(runs)
    try:
        while True:
            for run in take(todo, workers * IN_FLIGHT_PER_WORKER - len(pending)):
                pending[pool.submit(run_one, run, str(root))] = run
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                run = pending.pop(future)
                error = future.exception()
                yield failure(run, error) if error else future.result()
    finally:
        for future in pending:
            future.cancel()


def take(items: Iterator[RunSpec], n: int) -> list[RunSpec]:
    """Up to `n` more items."""
    return [item for _, item in zip(range(max(n, 0)), items, strict=False)]


def task_key(run: RunSpec, token: str) -> str:
    """A Dask key unique to this run of this sweep invocation (no de-duplication)."""
    return f"simdemand-run-{token}-{run.scenario_id}-r{run.replication}"


@contextmanager
def dask_client(workers: int, scheduler: str | None) -> Iterator[Client]:
    """A client of the scheduler at `scheduler`, or of a new LocalCluster of warm workers."""
    method = dask_start_method() if scheduler is None else None
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the environment
        raise ExecutorError("the dask executor needs: pip install 'simdemand[sweep]'") from None
    if scheduler is not None:
        try:
            remote = Client(scheduler, timeout="10s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError) as e:
            raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
        with remote as client:
            yield client
        return
    with (
        dask.config.set({**DASK_CONFIG, "distributed.worker.multiprocessing-method": method}),
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            preload=[__name__],
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def submit_dask(client: Client, runs: Iterable[RunSpec], root: Path | Remote) -> Iterator[Outcome]:
    """Submit every run at once, each under its own key; yield outcomes as they end."""
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    todo = {task_key(run, token): run for run in runs}
    futures = client.map(run_one, list(todo.values()), root=str(root), key=list(todo), pure=False)
    try:
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            run = todo.pop(future.key)
            if future.status == "finished":
                yield future.result()
            else:
                error = future.exception() if future.status == "error" else None
                yield failure(run, error or RuntimeError(f"the Dask task was {future.status}"))
            future.release()
    finally:
        if todo:
            client.cancel([f for f in futures if f.key in todo], force=True)  # type: ignore[no-untyped-call]


RunAll = Callable[[Iterable[RunSpec], Path | Remote], Iterator[Outcome]]


@contextmanager
def start_executor(
    kind: ExecutorKind = ExecutorKind.serial,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Client | None = None,
) -> Iterator[RunAll]:
    """Start the chosen executor (a pool, a cluster, a connection) and yield a function that
    runs runs under a folder and yields each outcome as it finishes."""
    count = workers or os.cpu_count() or 1
    if kind == ExecutorKind.serial:
        yield run_serial
    elif kind == ExecutorKind.processes:
        with ProcessPoolExecutor(max_workers=count, mp_context=worker_context()) as pool:
            wait([pool.submit(os.getpid) for _ in range(count)])  # start the workers now
            yield partial(run_pool, pool, count)
    elif client is not None:
        yield partial(submit_dask, client)
    else:
        with dask_client(count, scheduler) as own:
            yield partial(submit_dask, own)
