"""The command line: a thin shell over the Python API."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pyarrow.compute as pc
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simdemand.errors import InputError
from simdemand.estimate import estimate_inference, estimate_training
from simdemand.experiments.commands import sensitivity, sweep
from simdemand.plot_command import plot
from simdemand.scenario import Scenario, load_scenario, scenario_catalog
from simdemand.simulate import Results, simulate

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.command()(plot)
app.command()(sweep)
app.command()(sensitivity)
estimate_app = typer.Typer(no_args_is_help=True, help="Back-of-envelope cost calculators.")
app.add_typer(estimate_app, name="estimate")
# Piped or redirected output gets room for whole tables instead of rich's 80-column default.
PIPED_WIDTH = 200
out = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
err = Console(stderr=True)

ScenarioFile = Annotated[Path, typer.Argument(help="Scenario TOML file.")]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field: dotted.path=value (repeatable)."),
]


class PrecisionChoice(StrEnum):
    """Number formats the estimates accept."""

    bf16 = "bf16"
    fp8 = "fp8"


Precision = Annotated[PrecisionChoice, typer.Option(help="Number format of the math.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


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


@app.command()
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


@app.command()
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
    with progress_bar(scenario.run.name) as update:
        results = simulate(scenario, progress=update)
    write_results(results, target, force=force)
    report(results, target)


@contextmanager
def progress_bar(name: str) -> Iterator[Any]:
    """Yield a progress callback: a rich bar on a terminal, silence otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"simulating {name}", total=1.0)
        yield lambda now, horizon: bar.update(task, completed=now / horizon)


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


@estimate_app.command("training")
def estimate_training_cmd(
    params: Annotated[float, typer.Option(help="Total parameters.")],
    tokens: Annotated[float, typer.Option(help="Training tokens.")],
    hardware: Annotated[str, typer.Option(help="Catalog hardware name.")],
    active_params: Annotated[float | None, typer.Option(help="Active parameters (MoE).")] = None,
    precision: Precision = PrecisionChoice.bf16,
    utilization: Annotated[float | None, typer.Option(help="Whole-run utilization.")] = None,
    gpus: Annotated[int | None, typer.Option(help="Cluster size in GPUs.")] = None,
    as_json: AsJson = False,
) -> None:
    """Pretraining compute, GPU-hours, days, energy and cost of one run."""
    show(
        lambda catalog: estimate_training(
            params=params,
            tokens=tokens,
            hardware=hardware,
            catalog=catalog,
            active_params=active_params,
            precision=precision.value,
            utilization=utilization,
            gpus=gpus,
        ),
        as_json,
    )


@estimate_app.command("inference")
def estimate_inference_cmd(
    params: Annotated[float, typer.Option(help="Total parameters.")],
    hardware: Annotated[str, typer.Option(help="Catalog hardware name.")],
    input_tokens: Annotated[float, typer.Option(help="Input tokens per query.")],
    output_tokens: Annotated[float, typer.Option(help="Output tokens per query.")],
    active_params: Annotated[float | None, typer.Option(help="Active parameters (MoE).")] = None,
    precision: Precision = PrecisionChoice.bf16,
    cached_fraction: Annotated[float, typer.Option(help="Share of input served from cache.")] = 0.0,
    kv_bytes_per_token: Annotated[float | None, typer.Option(help="KV-cache bytes/token.")] = None,
    context_tokens: Annotated[float | None, typer.Option(help="Mean context length.")] = None,
    as_json: AsJson = False,
) -> None:
    """Serving throughput and GPU time per query from the prefill/decode roofline."""
    show(
        lambda catalog: estimate_inference(
            params=params,
            hardware=hardware,
            catalog=catalog,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            active_params=active_params,
            precision=precision.value,
            cached_fraction=cached_fraction,
            kv_bytes_per_token=kv_bytes_per_token,
            context_tokens=context_tokens,
        ),
        as_json,
    )


def show(compute: Any, as_json: bool) -> None:
    """Run an estimate on the bundled catalog and print it; bad arguments exit 2."""
    from simdemand.catalog import load_catalog

    try:
        result = compute(load_catalog())
    except (KeyError, ValueError) as e:
        raise fail([f"simdemand estimate: {e.args[0] if e.args else e}"]) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table(show_header=False)
    for key, value in result.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    out.print(table)


@app.command()
def backtest(
    path: ScenarioFile,
    replications: Annotated[int, typer.Option(min=1, help="Replications to simulate.")] = 20,
    overrides: Overrides = None,
) -> None:
    """Compare a historical scenario's models with Epoch AI's data, side by side."""
    from simdemand.backtest import compare, distribution_table, simulated_models

    scenario = load_or_exit(path, overrides or [])
    frames = simulated_models(scenario, replications)
    title = f"{scenario.run.name}: Epoch AI data vs {replications} replications"
    print_frame(compare(scenario, frames), f"{title} (counts, frontier growth)")
    print_frame(distribution_table(scenario, frames), f"{title} (log10 FLOP of models >= 1e23)")


def print_frame(frame: Any, title: str) -> None:
    """Print a DataFrame as a rich table, numbers to three significant digits."""
    view = Table(title=title)
    for col in frame.columns:
        view.add_column(str(col), justify="left" if col in ("metric", "period") else "right")
    for row in frame.itertuples(index=False):
        view.add_row(*(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row))
    out.print(view)


@app.command()
def summary(
    run_dir: Annotated[Path, typer.Argument(help="A results folder written by `simdemand run`.")],
    as_json: AsJson = False,
) -> None:
    """Headline figures of a run: demand by regime, derivative ecosystems, query classes."""
    from simdemand.ecosystem import most_popular
    from simdemand.summary import read_run, records, summarize
    from simdemand.supply import read_supply

    missing = [
        n for n in ("timeseries", "jobs", "models") if not (run_dir / f"{n}.parquet").is_file()
    ]
    if missing:
        raise fail([f"{run_dir}: not a results folder (no {missing[0]}.parquet)"])
    figures = summarize(*read_run(run_dir), fleet=read_supply(run_dir))
    if as_json:
        typer.echo(json.dumps(records(figures), indent=2))
        return
    print_frame(figures["regimes"], "Demand by year and regime")
    if "ecosystem" in figures:
        bases = figures["ecosystem"]
        columns = [
            "base",
            "lab",
            "derivatives",
            "max_depth",
            "post_training_gpu_hours",
            "pretraining_gpu_hours",
            "ratio",
            "ratio_flop",
        ]
        print_frame(
            most_popular(bases)[columns],
            "Post-training: the 10 open bases with most derivatives among bases observed a year "
            "or more",
        )
        dist = {k: v for k, v in figures["ecosystem_ratio"].items() if k != "top"}
        out.print(
            f"Ecosystem / pretraining GPU-hours across open bases observed a year or more: {dist}"
        )
    if "test_time" in figures:
        tt = figures["test_time"]
        pooled = tt["per_class"].loc[tt["per_class"]["cohort"] == "all"]
        columns = [
            "class",
            "queries",
            "gpu_s_per_query",
            "flop_per_query",
            "tokens_per_query",
            "gpu_s_ratio",
            "flop_ratio",
        ]
        print_frame(pooled[columns], "Test-time: per query class, all cohorts (ratio to chat)")
        print_frame(tt["share_by_year"], "Test-time share of all GPU-hours")
        print_frame(tt["tokens_per_day_by_year"], "Tokens per day by cohort and class")
    if "supply" in figures:
        print_frame(figures["supply"], "Supply: demanded, served and unmet GPU-hours by regime")
        columns = ["year", "hardware", "installed_gpus", "utilization", "power_mw", "energy_mwh"]
        print_frame(figures["fleet"][columns], "Fleet: installed GPUs, utilization and power")
        out.print(f"Pretraining clusters, waits: {figures['waits']}")
