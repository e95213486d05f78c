"""What every command shares: the consoles, one-line errors, a progress bar, tables, arguments."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import click
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from simdemand.errors import LINE_CHARS, InputError, OutputError, shorten
from simdemand.results.reader import Run, read_run
from simdemand.scenario import Scenario, load_scenario
from simdemand.scenario.workload import DEFAULT_MAX_WORK, Workload, check_workload

# Piped or redirected output gets room for whole tables instead of rich's 80-column default.
PIPED_WIDTH = 200
out = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
err = Console(stderr=True)

ScenarioFile = Annotated[Path, typer.Argument(help="Scenario TOML file.")]
# A string, not a Path: a Path would fold the two slashes of s3://bucket/prefix into one.
RunLocation = Annotated[
    str,
    typer.Argument(
        help="A results folder written by `simdemand run`, or its URI (s3://bucket/prefix).",
        metavar="RUN",
    ),
]
Overrides = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a field: dotted.path=value (repeatable; * for every entry of a table).",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
MaxWork = Annotated[
    float,
    typer.Option(
        "--max-work",
        help="Refuse a run estimated to hold more table rows and simulation events than this "
        f"(about {DEFAULT_MAX_WORK:.0e} is 6 GB of memory).",
    ),
]
Update = Callable[[float, float], None]
P = ParamSpec("P")
R = TypeVar("R")
# Set by the app's --debug option: internal errors show their traceback.
DEBUG = {"on": False}


def fail(lines: list[str], code: int = 2) -> typer.Exit:
    """Print error lines to stderr, each on one line and cut if long; return the Exit to raise."""
    for line in lines:
        text = shorten(line, 2 * LINE_CHARS)
        err.print(text, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def first_line(error: BaseException, otherwise: str) -> str:
    """The first line of an error's message, or `otherwise` if it has none."""
    text = str(error)
    return text.splitlines()[0] if text.strip() else otherwise


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command so that every failure is one line: bad input exits 2, anything else is an
    internal error that exits 1 (with its traceback under `simdemand --debug`)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        """The command, its failures turned into one-line errors."""
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except InputError as e:
            raise fail(e.lines()) from None
        except (OutputError, FileExistsError) as e:
            raise fail([str(e)]) from None
        except Exception as e:
            if DEBUG["on"]:
                raise
            name = type(e).__name__
            raise fail(
                [
                    f"simdemand: internal error ({name}: {shorten(e, 200)}); "
                    "run `simdemand --debug ...` for the traceback"
                ],
                code=1,
            ) from None

    return wrapper


def load_or_exit(
    path: Path, overrides: list[str], max_work: float = DEFAULT_MAX_WORK
) -> tuple[Scenario, Workload]:
    """Load a scenario and estimate its work (refused over `max_work`), or print its errors and
    exit with status 2."""
    if not max_work > 0:
        raise fail([f"--max-work must be a number > 0 (inf for no limit), got {max_work}"])
    try:
        scenario = load_scenario(path, overrides)
        load = check_workload(scenario, str(path), max_work)
    except InputError as e:
        raise fail(e.lines()) from None
    return scenario, load


@contextmanager
def progress_bar(description: str, counted: bool = False) -> Iterator[Update | None]:
    """Yield a callback (done, total): a rich bar on a terminal, silence otherwise; `counted`
    shows done/total and the time left instead of a percentage."""
    if not sys.stderr.isatty():
        yield None
        return
    middle: tuple[ProgressColumn, ...] = (
        (MofNCompleteColumn(),) if counted else (TextColumn("{task.percentage:>3.0f}%"),)
    )
    tail: tuple[ProgressColumn, ...] = (TimeRemainingColumn(),) if counted else ()
    columns = (TextColumn("{task.description}"), BarColumn(), *middle, TimeElapsedColumn(), *tail)
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def print_frame(frame: Any, title: str, left: tuple[str, ...] = ("metric", "period")) -> None:
    """Print a DataFrame as a rich table, numbers to three significant digits."""
    view = Table(title=title)
    for col in frame.columns:
        view.add_column(str(col), justify="left" if col in left else "right")
    for row in frame.itertuples(index=False):
        view.add_row(*(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row))
    out.print(view)


def read_run_or_exit(folder: str | Path) -> Run:
    """Read a results folder, or print why it cannot be read in one line and exit 2."""
    try:
        return read_run(folder)
    except (OSError, ValueError) as e:
        raise fail([first_line(e, f"{folder}: unreadable run folder")]) from None
