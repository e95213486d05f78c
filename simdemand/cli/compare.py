"""The `compare` command: two runs' demand by regime and year, side by side."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from simdemand.cli.common import AsJson, RunLocation, fail, out, print_frame, read_run_or_exit


def compare(
    run_a: RunLocation,
    run_b: RunLocation,
    csv: Annotated[
        Path | None, typer.Option("--out", help="Also write the table to this CSV file.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Differences between two runs by regime and year: GPU-hours, tokens, spend, energy,
    price, and revenue and price paid when both have a market (b - a and b / a)."""
    from simdemand.analysis.comparison import compare_runs

    runs = [read_run_or_exit(folder) for folder in (run_a, run_b)]
    table = compare_runs(*runs)
    if csv is not None:
        tmp = csv.with_name(f".{csv.name}.tmp-{os.getpid()}")
        try:
            table.to_csv(tmp, index=False)
            os.replace(tmp, csv)
        except OSError as e:
            raise fail([f"{csv}: cannot write ({e.strerror or e})"]) from None
        finally:
            tmp.unlink(missing_ok=True)
    if as_json:
        typer.echo(table.to_json(orient="records", indent=2))
        return
    title = f"{runs[1].name} against {runs[0].name} (b - a, b / a)"
    print_frame(table, title, left=("regime", "measure"))
    if csv is not None:
        out.print(f"written to {csv}", highlight=False)
