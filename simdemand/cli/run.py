"""The `validate` and `run` commands: check a scenario, simulate it and write its folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simdemand.cli.common import (
    MaxWork,
    Overrides,
    ScenarioFile,
    err,
    fail,
    load_or_exit,
    out,
    progress_bar,
)
from simdemand.errors import OutputError
from simdemand.results.storage import is_uri
from simdemand.results.writer import check_output, check_remote, clean_leftovers, write_results
from simdemand.scenario.workload import DEFAULT_MAX_WORK
from simdemand.simulate import Streamed, simulate_parts


def validate(
    path: ScenarioFile, overrides: Overrides = None, max_work: MaxWork = DEFAULT_MAX_WORK
) -> None:
    """Check a scenario file; print a summary, or one line per error and exit 2."""
    scenario, load = load_or_exit(path, overrides or [], max_work)
    run = scenario.run
    labs = sum(spec.count for spec in scenario.labs.values())
    out.print(
        f"{path}: ok — '{run.name}', {run.start} → {run.end}, {run.resolution} bins, "
        f"seed {run.seed}; {labs} labs in {len(scenario.labs)} archetypes, "
        f"{len(scenario.communities)} communities, {len(scenario.users)} cohorts; "
        + (f"fleet of {len(scenario.fleet.pools)} pools" if scenario.fleet else "no fleet")
        + f"; {load.describe()}",
        markup=False,
        highlight=False,
    )


def run(
    path: ScenarioFile,
    out_dir: Annotated[
        str | None,
        typer.Option("--out", help="Results folder, or a URI such as s3://bucket/prefix."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Override run.seed.")] = None,
    overrides: Overrides = None,
    force: Annotated[
        bool, typer.Option(help="Replace an existing results folder (only one simdemand wrote).")
    ] = False,
    max_work: MaxWork = DEFAULT_MAX_WORK,
) -> None:
    """Simulate a scenario and write its results folder (default runs/<name>)."""
    sets = [*(overrides or []), *([f"run.seed={seed}"] if seed is not None else [])]
    scenario, _ = load_or_exit(path, sets, max_work)
    target: str | Path = Path("runs") / scenario.run.name if out_dir is None else out_dir
    if not is_uri(target):
        target = Path(target)
    try:  # before simulating: a bad folder is found now, not after the work is done
        if isinstance(target, Path):
            folder = check_output(target, force)
            for note in clean_leftovers(folder.parent):
                err.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
        else:
            check_remote(target, force)
    except (OutputError, FileExistsError) as e:
        raise fail([str(e)]) from None
    with progress_bar(f"simulating {scenario.run.name}") as update:
        run = simulate_parts(scenario, progress=update)
    try:
        write_results(run, target, force=force)
    except (OutputError, FileExistsError) as e:
        raise fail([str(e)]) from None
    except OSError as e:
        raise fail([f"{target}: cannot write the results ({e.strerror or e})"]) from None
    report(run, target)


# The background load's sums in the run's report, beside the regimes' GPU-hours, energy and cost.
BACKGROUND_SUMS = ("h100e_hours", "energy_mwh", "cost_usd")


def report(run: Streamed, target: str | Path) -> None:
    """Print where the results went and the GPU-hours by regime (the summary's years added),
    and the background load's H100e-hours when the run has one."""
    columns = ("gpu_hours", "flop", "energy_mwh", "cost_usd")
    totals: dict[str, list[float]] = {}
    for row in (run.summary or {}).get("regimes", []):
        sums = totals.setdefault(row["regime"], [0.0] * len(columns))
        for i, column in enumerate(columns):
            sums[i] += row[column] or 0.0
    table = Table(title=f"{run.scenario.run.name} → {target}")
    for col in ("regime", "GPU-hours", "FLOP", "energy MWh", "cost USD"):
        table.add_column(col, justify="left" if col == "regime" else "right")
    for regime in sorted(totals):
        table.add_row(regime, *(f"{v:.3g}" for v in totals[regime]))
    background = (run.summary or {}).get("background", [])
    if background:
        hours, mwh, usd = (sum(row[k] for row in background) for k in BACKGROUND_SUMS)
        table.add_row("background (H100e-hours)", f"{hours:.3g}", "-", f"{mwh:.3g}", f"{usd:.3g}")
    out.print(table)
    counts = {name: part.num_rows for name, part in run.tables().items()}
    out.print(
        f"{counts['jobs']} jobs, {counts['models']} models, "
        f"{counts['timeseries']} time-series rows in {run.wall_time_s:.2f} s"
    )
