"""Technology progress over a run, by calendar year: what a token costs, what serves it, and
the largest pretraining run.

Pandas over `jobs` and `models` as read from a results folder. "Fixed capability" is the
best base model released by the run's start (lowest predicted loss). Two measures of its cost
each year: *served*, the cheapest served model at least as good as it (predicted loss no
higher), priced as served that year; *available*, the cheapest released base model at least as
good (served or not), priced by the serving roofline relative to the year's most-served model —
the measure of published price-of-a-fixed-capability studies, which take the cheapest model on
offer. Token measures read the language classes only: image and video classes charge requests
with 0 tokens and have their own table (:func:`generation_by_class`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from simdemand.catalog import Catalog, Hardware, load_catalog
from simdemand.physics import serving
from simdemand.units import SECONDS_PER_HOUR, TEST_TIME

TOKENS_PER_MILLION = 1e6
FINAL_RUN = "final-run"
# The available measure looks at each year's middle: base models released by 1 July, costed
# as July's service (its hardware, software and prices).
MID_YEAR_MONTH = 7


def years_of(frame: pd.DataFrame) -> pd.Series:
    """Calendar year (UTC) of each job's start."""
    return pd.to_datetime(frame["start"], utc=True).dt.year.rename("year")


def served(jobs: pd.DataFrame, models: pd.DataFrame, tokens_only: bool = False) -> pd.DataFrame:
    """Test-time jobs (`tokens_only`: those with tokens) with their year and their model's
    active parameters and predicted loss (NaN for a model given by size in the scenario, not
    released in the run)."""
    columns = ["start", "model_id", "hardware", "cost_usd", "tokens", "queries", "gpu_hours"]
    keep = jobs["regime"] == TEST_TIME
    if tokens_only:
        keep &= jobs["tokens"] > 0
    frame = jobs.loc[keep, columns]
    known = models.set_index("model_id")
    frame["year"] = years_of(frame)
    frame["active_params"] = looked_up(frame["model_id"], known["active_params"])
    frame["predicted_loss"] = looked_up(frame["model_id"], known["predicted_loss"])
    return frame


def looked_up(keys: pd.Series, values: pd.Series) -> pd.Series:
    """values[key] for each key (NaN where missing), as `keys.map(values)`, looking each
    distinct key up once."""
    codes, distinct = pd.factorize(keys)
    found = values.reindex(np.asarray(distinct, dtype=object)).to_numpy(dtype=np.float64)
    return pd.Series(np.where(codes >= 0, found[codes], np.nan), index=keys.index)


def reference_loss(models: pd.DataFrame, start: pd.Timestamp) -> float:
    """Lowest predicted loss of a base model released by `start` (NaN if none)."""
    bases = models[models["parent_id"].isna() & (pd.to_datetime(models["released"]) <= start)]
    return float(bases["predicted_loss"].min()) if len(bases) else float("nan")


def fixed_capability(frame: pd.DataFrame, loss: float) -> pd.DataFrame:
    """Per year: the cheapest served model with predicted loss <= `loss`, and its USD per
    million tokens over that year's service."""
    good = frame.loc[frame["predicted_loss"] <= loss, ["year", "model_id", "cost_usd", "tokens"]]
    per_model = good.groupby(["year", "model_id"])[["cost_usd", "tokens"]].sum().reset_index()
    per_model["usd"] = per_model["cost_usd"] / per_model["tokens"] * TOKENS_PER_MILLION
    cheapest = per_model.loc[per_model.groupby("year")["usd"].idxmin()]
    return cheapest.rename(
        columns={"usd": "usd_per_m_tokens_fixed", "model_id": "fixed_capability_model"}
    )[["year", "usd_per_m_tokens_fixed", "fixed_capability_model"]]


def reference_gpu_s_per_token(params: float, active_params: float, hardware: Hardware) -> float:
    """GPU-seconds per token of the reference query (the `cheapest` policy's ranking query:
    1,500 input and 500 output tokens) on `hardware` at the serving defaults (FP4 where the
    hardware has it, the 50 ms latency target)."""
    precision = hardware.supported("fp4")
    context = serving.RANKING_INPUT_TOKENS + serving.RANKING_OUTPUT_TOKENS / 2.0
    point = serving.serving_point(
        params,
        active_params,
        hardware,
        precision,
        serving.default_kv_bytes_per_token(active_params, precision),
        context,
    )
    seconds = serving.query_gpu_seconds(
        point, serving.RANKING_INPUT_TOKENS, serving.RANKING_OUTPUT_TOKENS
    )
    return seconds / (serving.RANKING_INPUT_TOKENS + serving.RANKING_OUTPUT_TOKENS)


def available_capability(
    frame: pd.DataFrame, models: pd.DataFrame, loss: float, catalog: Catalog
) -> pd.DataFrame:
    """Per year: the cheapest base model released by 1 July with predicted loss <= `loss`, and
    its USD per million tokens in July (the whole year if July has no service). Cost = the
    most-served released model's USD per million tokens on the main serving hardware (most
    GPU-hours) x the ratio of their reference-query GPU-seconds on it, so hardware, software,
    production mode, prices and the query mix are July's as served; only the model differs."""
    bases = models[models["parent_id"].isna() & (models["predicted_loss"] <= loss)]
    released = pd.to_datetime(bases["released"], utc=True)
    ids = models["model_id"].tolist()
    params = dict(zip(ids, models["params"].tolist(), strict=True))
    active = dict(zip(ids, models["active_params"].tolist(), strict=True))
    rows = []
    columns = ["year", "start", "hardware", "gpu_hours", "model_id", "tokens", "cost_usd"]
    known = frame.loc[frame["active_params"].notna(), columns]
    for year, served_year in known.groupby("year", sort=True):  # each year's rows, in order
        mid = pd.Timestamp(dt.date(int(str(year)), MID_YEAR_MONTH, 1), tz="UTC")
        candidates = bases[released <= mid]
        month = pd.to_datetime(served_year["start"], utc=True).dt.month == MID_YEAR_MONTH
        if month.any():
            served_year = served_year[month]
        main = largest(served_year.groupby("hardware")["gpu_hours"].sum())
        if candidates.empty or main not in catalog:
            continue
        hardware = catalog[main]
        on_main = served_year[served_year["hardware"] == main]
        tokens = on_main.groupby("model_id")["tokens"].sum()
        anchor = largest(tokens)
        cost = float(on_main.loc[on_main["model_id"] == anchor, "cost_usd"].sum())
        anchor_usd = cost / float(tokens[anchor])
        anchor_s = reference_gpu_s_per_token(params[anchor], active[anchor], hardware)
        seconds = [
            reference_gpu_s_per_token(float(p), float(a), hardware)
            for p, a in zip(candidates["params"], candidates["active_params"], strict=True)
        ]
        best = min(range(len(seconds)), key=lambda i: (seconds[i], i))
        usd = anchor_usd * seconds[best] / anchor_s * TOKENS_PER_MILLION
        rows.append((year, usd, str(candidates["model_id"].iloc[best])))
    columns = ["year", "usd_per_m_tokens_available", "available_model"]
    return pd.DataFrame(rows, columns=columns)


def largest(values: pd.Series) -> str:
    """The label of the largest value (the first label among equals)."""
    return str(values.sort_values(ascending=False, kind="stable").index[0])


def largest_runs(jobs: pd.DataFrame) -> pd.DataFrame:
    """Per year of start: the largest final pretraining run's FLOP, GPUs and hardware."""
    runs = jobs[jobs["activity"] == FINAL_RUN]
    runs = runs.assign(year=years_of(runs))
    top = runs.loc[runs.groupby("year")["flop"].idxmax(), ["year", "flop", "gpus", "hardware"]]
    return top.rename(
        columns={"flop": "largest_run_flop", "gpus": "largest_run_gpus", "hardware": "run_hardware"}
    )


def hardware_shares(frame: pd.DataFrame) -> pd.Series:
    """Per year and hardware: the share of the year's serving GPU-hours."""
    hours = frame.groupby(["year", "hardware"])["gpu_hours"].sum()
    return hours / hours.groupby(level="year").transform("sum")


def hardware_mix(frame: pd.DataFrame) -> pd.Series:
    """Per year: serving GPU-hours by hardware as shares, "GB300 90%, GB200 10%" (largest first)."""
    shares = hardware_shares(frame)

    def label(year_shares: pd.Series) -> str:
        ordered = year_shares.droplevel("year").sort_values(ascending=False)
        return ", ".join(f"{name} {share:.0%}" for name, share in ordered.items() if share >= 0.005)

    return shares.groupby(level="year").apply(label).rename("serving_hardware")


def by_year(
    jobs: pd.DataFrame,
    models: pd.DataFrame,
    start: pd.Timestamp,
    catalog: Catalog | None = None,
) -> pd.DataFrame:
    """Technology by calendar year.

    usd_per_m_tokens: test-time cost per million tokens processed (input + output);
    usd_per_m_tokens_fixed and fixed_capability_model: the same for the cheapest served model
    at least as good as the best base model released by `start`;
    usd_per_m_tokens_available and available_model: the same for the cheapest base model
    released by 1 July at least as good, served or not (:func:`available_capability`, on
    `catalog`, by default the bundled one); gpu_s_per_query (language queries);
    served_active_params: token-weighted mean active parameters of the served models (released
    ones only); serving_hardware: the mix of serving GPU-hours (generation included);
    largest_run_flop,
    largest_run_gpus, run_hardware: the largest final pretraining run started that year.
    """
    serving = jobs.loc[jobs["regime"] == TEST_TIME, ["start", "hardware", "gpu_hours"]]
    mix = hardware_mix(serving.assign(year=years_of(serving)))
    del serving
    frame = served(jobs, models, tokens_only=True)
    sums = frame.groupby("year")[["cost_usd", "tokens", "queries", "gpu_hours"]].sum()
    table = pd.DataFrame(index=sums.index)
    table["usd_per_m_tokens"] = sums["cost_usd"] / sums["tokens"] * TOKENS_PER_MILLION
    table["gpu_s_per_query"] = sums["gpu_hours"] * SECONDS_PER_HOUR / sums["queries"]
    known = frame["active_params"].notna()
    year, tokens = frame["year"][known], frame["tokens"][known]
    weighted = (frame["active_params"][known] * tokens).groupby(year).sum()
    table["served_active_params"] = weighted / tokens.groupby(year).sum()
    table = table.join(mix).reset_index()
    loss = reference_loss(models, start)
    fixed = fixed_capability(frame, loss)
    table = table.merge(fixed, on="year", how="left")
    available = available_capability(frame, models, loss, catalog or load_catalog())
    table = table.merge(available, on="year", how="left")
    return table.merge(largest_runs(jobs), on="year", how="outer").sort_values("year")


def cost_by_class(jobs: pd.DataFrame) -> pd.DataFrame:
    """Test-time USD per million tokens by calendar year (rows) and language query class
    (columns)."""
    frame = jobs.loc[
        (jobs["regime"] == TEST_TIME) & (jobs["tokens"] > 0),
        ["start", "activity", "cost_usd", "tokens"],
    ]
    sums = frame.groupby([years_of(frame), frame["activity"]])[["cost_usd", "tokens"]].sum()
    usd = sums["cost_usd"] / sums["tokens"] * TOKENS_PER_MILLION
    return usd.unstack("activity").rename_axis(columns=None).reset_index()


def generation_by_class(jobs: pd.DataFrame) -> pd.DataFrame:
    """Image and video classes (test-time requests with no tokens) by calendar year: requests,
    GPU-seconds and USD per request."""
    frame = jobs[jobs["regime"] == TEST_TIME]
    tokens = frame.groupby("activity")["tokens"].sum()
    frame = frame[frame["activity"].isin(tokens.index[tokens == 0])]
    sums = frame.groupby([years_of(frame), frame["activity"]])[
        ["queries", "gpu_hours", "cost_usd"]
    ].sum()
    table = sums.rename_axis(["year", "class"]).reset_index()
    table["gpu_s_per_request"] = table["gpu_hours"] * SECONDS_PER_HOUR / table["queries"]
    table["usd_per_request"] = table["cost_usd"] / table["queries"]
    return table.rename(columns={"queries": "requests"})[
        ["year", "class", "requests", "gpu_s_per_request", "usd_per_request"]
    ]
