"""The `sweep` and `sensitivity` commands; simdemand.cli registers them with `app.command()`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from simdemand.cli.common import MaxWork, fail, out, progress_bar
from simdemand.errors import InputError
from simdemand.experiments.design import Sweep, load_sweep
from simdemand.experiments.executors import ExecutorError, ExecutorKind
from simdemand.experiments.runner import SweepReport, run_sweep
from simdemand.experiments.sensitivity import (
    BadMetric,
    Indices,
    MissingRuns,
    analyze,
    check_design,
    write_indices,
)
from simdemand.experiments.store import StoreError
from simdemand.results.storage import is_uri
from simdemand.scenario.workload import DEFAULT_MAX_WORK

SweepFile = Annotated[Path, typer.Argument(help="Sweep TOML file.")]
OutDir = Annotated[
    str | None, typer.Option("--out", help="Sweep folder (default runs/<sweep name>).")
]
SweepOut = Annotated[
    str | None,
    typer.Option(
        "--out", help="Sweep folder, or a URI such as s3://bucket/prefix (default runs/<name>)."
    ),
]
Executor = Annotated[
    ExecutorKind | None,
    typer.Option(help="Where runs execute (default serial; dask when --scheduler is given)."),
]
Workers = Annotated[
    int | None, typer.Option(min=1, help="Worker processes (default: the number of CPUs).")
]
Scheduler = Annotated[
    str | None,
    typer.Option(help="Address of a Dask scheduler, e.g. tcp://host:8786 (default: a local one)."),
]
Resume = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Continue the sweep in --out: skip finished runs, remove the partial ones "
        "(only names simdemand writes).",
    ),
]


def load_or_exit(path: Path, max_work: float = DEFAULT_MAX_WORK) -> Sweep:
    """Load a sweep file (each run within `max_work`), or print its errors and exit with
    status 2."""
    if not max_work > 0:
        raise fail([f"--max-work must be a number > 0 (inf for no limit), got {max_work}"])
    try:
        return load_sweep(path, max_work)
    except InputError as e:
        raise fail(e.lines()) from None
    except RuntimeError as e:
        raise fail([f"{path}: {e}"]) from None


def choose(executor: ExecutorKind | None, scheduler: str | None) -> ExecutorKind:
    """The executor: as asked, else dask with a scheduler address, else serial."""
    if scheduler is not None and executor not in (None, ExecutorKind.dask):
        raise fail([f"--scheduler needs --executor dask (got {executor})"])
    if executor is None:
        return ExecutorKind.dask if scheduler is not None else ExecutorKind.serial
    return executor


def execute_or_exit(
    sweep: Sweep,
    root: str | Path,
    executor: ExecutorKind | None,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
) -> SweepReport:
    """Run the sweep with a progress bar; exit 2 on an unusable folder or executor, 1 on
    failed runs."""
    kind = choose(executor, scheduler)
    try:
        with progress_bar(f"sweeping {sweep.name}", counted=True) as update:
            report = run_sweep(sweep, root, kind, workers, scheduler, resume, progress=update)
    except (StoreError, ExecutorError) as e:
        raise fail([str(e)]) from None
    where = f"{kind}" + (f" x {workers}" if workers and kind != ExecutorKind.serial else "")
    out.print(
        f"{sweep.name}: {report.planned} runs in {report.root}: {report.done} new, "
        f"{report.resumed} already finished; {where}, {report.wall_time_s:.1f} s",
        soft_wrap=True,
        highlight=False,
    )
    if report.failures:
        lines = [f"{report.root}: {f.run.partition}: {f.error}" for f in report.failures]
        lines.append(
            f"{len(report.failures)} runs failed; fix the cause and run again with --resume"
        )
        raise fail(lines, code=1)
    return report


def sweep(
    file: SweepFile,
    out_dir: SweepOut = None,
    executor: Executor = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    resume: Resume = False,
    max_work: MaxWork = DEFAULT_MAX_WORK,
) -> None:
    """Run a sweep: every scenario and replication, one hive partition per run."""
    plan = load_or_exit(file, max_work)
    root = default_out(plan) if out_dir is None else out_dir
    execute_or_exit(plan, root, executor, workers, scheduler, resume)


def sensitivity(
    file: SweepFile,
    out_dir: OutDir = None,
    executor: Executor = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    resume: Resume = False,
    run: Annotated[
        bool, typer.Option(help="Run the design first (--no-run: analyse --out as it is).")
    ] = True,
    max_work: MaxWork = DEFAULT_MAX_WORK,
) -> None:
    """Run a Sobol or Morris design and print and write the indices of its metric."""
    plan = load_or_exit(file, max_work)
    try:
        check_design(plan)
    except InputError as e:
        raise fail(e.lines()) from None
    if out_dir is not None and is_uri(out_dir):
        raise fail([f"{out_dir}: sensitivity needs a local folder (sweep takes a URI)"])
    root = default_out(plan) if out_dir is None else Path(out_dir)
    if run:
        execute_or_exit(plan, root, executor, workers, scheduler, resume)
    try:
        indices = analyze(plan, root)
    except (MissingRuns, BadMetric, StoreError) as e:
        raise fail([str(e)]) from None
    csv, _ = write_indices(indices, root)
    show(indices, plan.name, csv)


def default_out(plan: Sweep) -> Path:
    """The default sweep folder: runs/<sweep name>."""
    return Path("runs") / plan.name


def show(indices: Indices, name: str, csv: Path) -> None:
    """Print the indices, most influential parameter first."""
    table = Table(title=f"{name}: {indices.method} indices of {indices.metric.describe()}")
    for col in indices.table.columns:
        left = col == "parameter"
        table.add_column(str(col), justify="left" if left else "right", no_wrap=left)
    for row in indices.table.itertuples(index=False):
        table.add_row(*(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row))
    wide = Console(width=max(out.width, 200)) if not out.is_terminal else out
    wide.print(table)
    out.print(
        f"{indices.runs} runs; indices in {csv} and {csv.with_suffix('.json')}", soft_wrap=True
    )
