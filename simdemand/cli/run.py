"""The `validate` and `run` commands: check a scenario, simulate it and write its folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow.compute as pc
import typer
from rich.table import Table

from simdemand.cli.common import Overrides, ScenarioFile, fail, load_or_exit, out, progress_bar
from simdemand.results.run import Results
from simdemand.simulate import simulate


def validate(path: ScenarioFile, overrides: Overrides = None) -> None:
    """Check a scenario file; print a summary, or one line per error and exit 2."""
    scenario = load_or_exit(path, overrides or [])
    run = scenario.run
    labs = sum(spec.count for spec in scenario.labs.values())
    out.print(
        f"{path}: ok — '{run.name}', {run.start} → {run.end}, {run.resolution} bins, "
        f"seed {run.seed}; {labs} labs in {len(scenario.labs)} archetypes, "
        f"{len(scenario.communities)} communities, {len(scenario.users)} cohorts; "
        + (f"fleet of {len(scenario.fleet.pools)} pools" if scenario.fleet else "no fleet")
    )


def run(
    path: ScenarioFile,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Results folder.")] = None,
    seed: Annotated[int | None, typer.Option(help="Override run.seed.")] = None,
    overrides: Overrides = None,
    force: Annotated[bool, typer.Option(help="Replace an existing results folder.")] = False,
) -> None:
    """Simulate a scenario and write its results folder (default runs/<name>)."""
    from simdemand.results.writer import write_results

    sets = [*(overrides or []), *([f"run.seed={seed}"] if seed is not None else [])]
    scenario = load_or_exit(path, sets)
    target = out_dir or Path("runs") / scenario.run.name
    if target.exists() and not force:
        raise fail([f"{target}: exists; pass --force to replace it"])
    with progress_bar(f"simulating {scenario.run.name}") as update:
        results = simulate(scenario, progress=update)
    write_results(results, target, force=force)
    report(results, target)


def report(results: Results, target: Path) -> None:
    """Print where the results went and the GPU-hours by regime."""
    ts = results.timeseries
    table = Table(title=f"{results.scenario.run.name} → {target}")
    for col in ("regime", "GPU-hours", "FLOP", "energy MWh", "cost USD"):
        table.add_column(col, justify="left" if col == "regime" else "right")
    for regime in sorted(set(ts.column("regime").to_pylist())):
        rows = ts.filter(pc.equal(ts.column("regime"), regime))
        sums = [
            pc.sum(rows.column(c)).as_py() for c in ("gpu_hours", "flop", "energy_mwh", "cost_usd")
        ]
        table.add_row(regime, *(f"{v:.3g}" for v in sums))
    out.print(table)
    out.print(
        f"{results.jobs.num_rows} jobs, {results.models.num_rows} models, "
        f"{ts.num_rows} time-series rows in {results.wall_time_s:.2f} s"
    )
