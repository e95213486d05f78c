"""Backtest: simulate a historical scenario many times and compare its models with Epoch AI's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from simdemand.history import backtest_table, load_epoch_models
from simdemand.scenario.schema import Scenario
from simdemand.simulate import simulate
from simdemand.world.rng import replication_seed

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
    observed = load_epoch_models()
    since = pd.Timestamp(scenario.run.start, tz="UTC")
    until = scenario.run.end - dt.timedelta(days=1)  # inclusive: the whole last day
    frames = simulated_models(scenario, replications, progress)
    sims = [with_history(m, observed, since) for m in frames]
    return backtest_table(sims, observed, since=since, until=until)
