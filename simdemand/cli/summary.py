"""The `summary` and `backtest` commands: headline figures of a run, history side by side."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from simdemand.cli.common import (
    AsJson,
    MaxWork,
    Overrides,
    RunLocation,
    ScenarioFile,
    load_or_exit,
    out,
    print_frame,
    read_run_or_exit,
)
from simdemand.scenario.workload import DEFAULT_MAX_WORK


def backtest(
    path: ScenarioFile,
    replications: Annotated[
        int, typer.Option(min=1, max=10_000, help="Replications to simulate.")
    ] = 20,
    overrides: Overrides = None,
    max_work: MaxWork = DEFAULT_MAX_WORK,
) -> None:
    """Compare a historical scenario's models with Epoch AI's data, side by side."""
    from simdemand.calibration.backtest import compare, distribution_table, simulated_models

    scenario, _ = load_or_exit(path, overrides or [], max_work / replications)
    frames = simulated_models(scenario, replications)
    title = f"{scenario.run.name}: Epoch AI data vs {replications} replications"
    print_frame(compare(scenario, frames), f"{title} (counts, frontier growth)")
    print_frame(distribution_table(scenario, frames), f"{title} (log10 FLOP of models >= 1e23)")


def summary(
    run_dir: RunLocation,
    as_json: AsJson = False,
) -> None:
    """Headline figures of a run: demand by regime, derivative ecosystems, query classes."""
    from simdemand.analysis import background
    from simdemand.analysis.market import measures as economy_measures
    from simdemand.analysis.post_training import most_popular
    from simdemand.analysis.summary import json_ready, summarize
    from simdemand.results.reader import run_catalog

    run = read_run_or_exit(run_dir)
    supply = (run.capacity, run.fleet, run.waits) if run.has_fleet else None
    catalog = run_catalog(run)
    figures = summarize(run.timeseries, run.jobs, run.models, supply, catalog)  # type: ignore[arg-type]
    figures.update(economy_measures(run.market, run.investment, run.budget))
    if run.background is not None:
        figures["background"] = background.by_year(run.background)
    if as_json:
        typer.echo(json.dumps(json_ready(figures), indent=2))
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
        print_frame(figures["technology"], "Technology by year (USD per million tokens)")
        print_frame(figures["cost_by_class"], "Test-time USD per million tokens by class")
        if "generation" in figures:
            print_frame(figures["generation"], "Test-time image and video generation per request")
    if "supply" in figures:
        print_frame(figures["supply"], "Supply: demanded, served and unmet GPU-hours by regime")
        columns = ["year", "hardware", "installed_gpus", "utilization", "power_mw", "energy_mwh"]
        print_frame(figures["fleet"][columns], "Fleet: installed GPUs, utilization and power")
        out.print(f"Pretraining clusters, waits: {figures['waits']}")
    if "market" in figures:
        print_frame(figures["market"], "Market: revenue, tokens and price by year and tier")
    if "investment" in figures:
        print_frame(figures["investment"], "Investment: funds, capex and orders by year")
    if "budget" in figures:
        print_frame(figures["budget"], "Labs' compute budget by year (USD per year, means)")
    if "background" in figures:
        print_frame(figures["background"], "Background load (outside the three regimes) by year")
