"""Backtest: simulate a historical scenario many times and compare its models with Epoch AI's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from simdemand.calibration.history import backtest_table, compute_distribution, load_epoch_models
from simdemand.scenario.identity import replication_seed
from simdemand.scenario.schema import Scenario
from simdemand.simulate import simulate

MODEL_COLUMNS = ["model_id", "released", "training_flop", "parent_id", "open_weights"]


def simulated_models(
    scenario: Scenario, replications: int, progress: Callable[[int], None] | None = None
) -> list[pd.DataFrame]:
    """The released models of each replication (seeds derived from the scenario's seed)."""
    frames = []
    for k in range(replications):
        run = scenario.run.model_copy(update={"seed": replication_seed(scenario.run.seed, k)})
        models = simulate(scenario.model_copy(update={"run": run})).models.to_pandas()
        frames.append(models[MODEL_COLUMNS])
        if progress is not None:
            progress(k + 1)
    return frames


def with_history(
    simulated: pd.DataFrame, observed: pd.DataFrame, since: pd.Timestamp
) -> pd.DataFrame:
    """Simulated models from `since` on, after the observed models before it.

    Frontier ranks need the history before the backtest window: a simulated world that starts
    empty in 2018 would put every early model in the top 10.
    """
    before = observed.loc[observed["released"] < since, MODEL_COLUMNS]
    after = simulated.loc[simulated["released"] >= since, MODEL_COLUMNS]
    return pd.concat([before, after], ignore_index=True)


def backtest(
    scenario: Scenario, replications: int, progress: Callable[[int], None] | None = None
) -> pd.DataFrame:
    """Side-by-side table: Epoch AI data vs the simulated median, p10, p90 per metric."""
    return compare(scenario, simulated_models(scenario, replications, progress))


def compare(scenario: Scenario, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The backtest table for already simulated replications."""
    observed = load_epoch_models()
    since = pd.Timestamp(scenario.run.start, tz="UTC")
    until = scenario.run.end - dt.timedelta(days=1)  # inclusive: the whole last day
    sims = [with_history(m, observed, since) for m in frames]
    return backtest_table(sims, observed, since=since, until=until)


def distribution_table(
    scenario: Scenario, frames: list[pd.DataFrame], floor_flop: float = 1e23
) -> pd.DataFrame:
    """Per year: median and p90 of log10 training FLOP of models >= floor, data vs simulation."""
    observed = load_epoch_models()
    observed = observed[observed["training_flop"] >= floor_flop]
    since, until = scenario.run.start, scenario.run.end - dt.timedelta(days=1)
    quantiles = (0.5, 0.9)
    data = compute_distribution(
        observed, quantiles, since=since, until=until, parent_col="parent_id"
    )
    sims = [
        compute_distribution(
            f[f["training_flop"] >= floor_flop], quantiles, since=since, until=until
        )
        for f in frames
    ]
    years = range(since.year, until.year + 1)
    table = pd.DataFrame(index=pd.Index(years, name="year"))
    for column in ("n_models", "log10_flop_p50", "log10_flop_p90"):
        table[f"data_{column}"] = data[column].reindex(years)
        stacked = pd.concat([s[column].reindex(years) for s in sims], axis=1)
        table[f"sim_{column}"] = stacked.median(axis=1)
    counts = ["data_n_models", "sim_n_models"]
    table[counts] = table[counts].fillna(0.0)
    return table.reset_index()
