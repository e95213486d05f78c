"""What every command shares: the consoles, one-line errors, a progress bar, tables, arguments."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

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

from simdemand.errors import InputError
from simdemand.scenario import Scenario, load_scenario, scenario_catalog

# Piped or redirected output gets room for whole tables instead of rich's 80-column default.
PIPED_WIDTH = 200
out = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
err = Console(stderr=True)

ScenarioFile = Annotated[Path, typer.Argument(help="Scenario TOML file.")]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field: dotted.path=value (repeatable)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
Update = Callable[[float, float], None]


def fail(lines: list[str], code: int = 2) -> typer.Exit:
    """Print error lines to stderr and return the Exit to raise."""
    for line in lines:
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def load_or_exit(path: Path, overrides: list[str]) -> Scenario:
    """Load a scenario, or print its errors and exit with status 2."""
    try:
        scenario = load_scenario(path, overrides)
        scenario_catalog(scenario, str(path))
    except InputError as e:
        raise fail(e.lines()) from None
    return scenario


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
