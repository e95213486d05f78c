"""`simdemand plot RUN`: draw one of the core figures of a results folder into a PNG."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simdemand.cli.common import RunLocation, fail, read_run_or_exit
from simdemand.errors import OutputError
from simdemand.results.storage import is_uri
from simdemand.results.writer import FIGURE_FORMATS, FIGURE_KINDS, check_writable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

KIND_NAMES = FIGURE_KINDS
KIND_HELP = (
    "Figure: regimes (GPU-hours, energy, cost stacked by regime), growth (log scale), "
    "cumulative, hardware, daily (hourly runs), models (vs Epoch AI), ecosystem "
    "(post-training per base), queries (test-time compute per query class), supply (demand "
    "against capacity and the unmet share; runs with a fleet), technology (cost per token, GPU "
    "time per query, serving hardware and the largest run, by year)."
)
FORMATS = FIGURE_FORMATS


def save_atomically(fig: Figure, out: Path) -> None:
    """Save a Figure next to `out` under a temporary name, then rename it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        fig.savefig(tmp, format=out.suffix.lstrip(".").lower())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def plot(
    run: RunLocation,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Image file (.png, .svg, .pdf); RUN/<kind>.png for a local RUN."
        ),
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help=KIND_HELP)] = "regimes",
) -> None:
    """Draw a figure of a run (matplotlib, Agg) and write it as an image."""
    if kind not in KIND_NAMES:
        raise fail(
            [f"simdemand plot: unknown --kind {kind!r}; choose from {', '.join(KIND_NAMES)}"]
        )
    if out is None and is_uri(run):
        raise fail([f"{run}: a run in object storage needs --out for its image"])
    target = out if out is not None else Path(run) / f"{kind}.png"
    if target.suffix.lower() not in FORMATS:
        raise fail([f"{target}: unknown image format; use {', '.join(FORMATS)}"])
    if target.is_dir():
        raise fail([f"{target}: is a folder; give an image file name"])
    try:
        check_writable(target.parent, target)
    except OutputError as e:
        raise fail([str(e)]) from None
    try:
        from simdemand import plots
    except ImportError as e:
        raise fail(
            [f"simdemand plot: needs matplotlib ({e}); pip install 'simdemand[plot]'"]
        ) from None
    loaded = read_run_or_exit(run)
    reason = plots.missing_data(loaded, kind)
    if reason is not None:
        raise fail([f"{run}: cannot draw --kind {kind}: {reason}"])
    figure = plots.run_figure(loaded, kind)
    try:
        save_atomically(figure, target)
    except OSError as e:
        raise fail([f"{target}: cannot write the image ({e.strerror or e})"]) from None
    typer.echo(str(target))
