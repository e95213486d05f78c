"""The calibration scorecard: a run's figures beside the published figures they compare with.

The published figures live as data (``calibration/data/published.toml``), each with its source.
Each names a *measure*, a function here of a run folder and a period (a calendar year or a
month), so a figure is compared only where the run covers its whole period.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from simdemand.catalog import Catalog
from simdemand.results.reader import Run, run_catalog
from simdemand.units import HOURS_PER_DAY, PRETRAINING, TEST_TIME, WH_PER_MWH
from simdemand.world.supply.installed import weights

Verdict = Literal["consistent", "low", "high", "not covered"]


class Figure(BaseModel):
    """A published figure and how a run's measure is read against it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    measure: str
    period: str = Field(pattern=r"^\d{4}(-\d{2})?$")
    simulated_period: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2})?$")
    agents: str | None = Field(default=None, min_length=1)
    value: float = Field(gt=0)
    unit: str
    kind: Literal["equal", "at_least", "at_most"]
    within: float = Field(ge=1.0)
    source: str = Field(min_length=10)
    url: str | None = None
    note: str = ""

    @field_validator("measure")
    @classmethod
    def _known(cls, name: str) -> str:
        """Refuse a measure the scorecard cannot compute."""
        if name not in MEASURES:
            raise ValueError(f"unknown measure '{name}'; known: {', '.join(MEASURES)}")
        return name


class Published(BaseModel):
    """The file of published figures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    figure: tuple[Figure, ...]


@dataclass(frozen=True)
class Period:
    """A calendar year or month, [start, end) in UTC."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def days(self) -> float:
        """Length in days."""
        return float((self.end - self.start) / pd.Timedelta(days=1))

    @classmethod
    def parse(cls, label: str) -> Period:
        """The period of "YYYY" or "YYYY-MM"."""
        year, _, month = label.partition("-")
        if not month:
            start = dt.datetime(int(year), 1, 1, tzinfo=dt.UTC)
            end = dt.datetime(int(year) + 1, 1, 1, tzinfo=dt.UTC)
        else:
            y, m = int(year), int(month)
            start = dt.datetime(y, m, 1, tzinfo=dt.UTC)
            end = dt.datetime(y + m // 12, m % 12 + 1, 1, tzinfo=dt.UTC)
        return cls(label, pd.Timestamp(start), pd.Timestamp(end))


@dataclass(frozen=True)
class Row:
    """One line of the scorecard."""

    figure: Figure
    simulated: float | None
    ratio: float | None
    verdict: Verdict


def published() -> tuple[Figure, ...]:
    """The bundled published figures."""
    text = (resources.files("simdemand.calibration") / "data" / "published.toml").read_text()
    return Published.model_validate(tomllib.loads(text)).figure


def scorecard(run: Run, figures: tuple[Figure, ...] | None = None) -> list[Row]:
    """Each figure beside the run's measure over the same period, with ratio and verdict."""
    catalog = run_catalog(run)
    rows = []
    for figure in figures if figures is not None else published():
        scoped = run if figure.agents is None else only_agents(run, figure.agents)
        period = Period.parse(figure.simulated_period or figure.period)
        rows.append(judge(figure, measure(scoped, figure.measure, period, catalog)))
    return rows


def only_agents(run: Run, prefix: str) -> Run:
    """The run's time series and jobs of the agents whose names start with `prefix` (no
    background load: it is no agent's)."""
    series, jobs = run.timeseries, run.jobs
    return dataclasses.replace(
        run,
        timeseries=series.loc[series["agent"].str.startswith(prefix)],
        jobs=jobs.loc[jobs["agent"].str.startswith(prefix)] if "agent" in jobs else jobs,
        background=None,
    )


def judge(figure: Figure, simulated: float | None) -> Row:
    """The ratio simulated / published and what it says under the figure's kind."""
    if simulated is None or not math.isfinite(simulated):
        return Row(figure, None, None, "not covered")
    ratio = simulated / figure.value
    low, high = 1.0 / figure.within, figure.within
    verdict: Verdict = "consistent"
    if figure.kind in ("equal", "at_least") and ratio < low:
        verdict = "low"
    elif figure.kind in ("equal", "at_most") and ratio > high:
        verdict = "high"
    return Row(figure, simulated, ratio, verdict)


def frame(rows: list[Row]) -> pd.DataFrame:
    """The scorecard as a table."""
    return pd.DataFrame(
        [
            {
                "figure": r.figure.id,
                "period": r.figure.period,
                "simulated_period": r.figure.simulated_period or r.figure.period,
                "agents": r.figure.agents,
                "simulated": r.simulated,
                "published": r.figure.value,
                "unit": r.figure.unit,
                "kind": r.figure.kind,
                "ratio": r.ratio,
                "verdict": r.verdict,
                "source": r.figure.source,
                "url": r.figure.url,
                "note": r.figure.note,
            }
            for r in rows
        ]
    )


# --- measures ------------------------------------------------------------------------------------


def run_bounds(run: Run) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The run's start and end (UTC) from its manifest."""
    spec = run.manifest["scenario"]["run"]
    return pd.Timestamp(spec["start"], tz="UTC"), pd.Timestamp(spec["end"], tz="UTC")


def covers(run: Run, period: Period) -> bool:
    """True if the run spans the whole period."""
    start, end = run_bounds(run)
    return bool(start <= period.start and period.end <= end)


def inside(table: pd.DataFrame, column: str, period: Period) -> pd.DataFrame:
    """Rows whose `column` time falls in the period."""
    times = pd.to_datetime(table[column], utc=True)
    return table.loc[(times >= period.start) & (times < period.end)]


def background(run: Run, period: Period, column: str) -> float:
    """The background load's `column` summed over the period (0 without `[background]`)."""
    if run.background is None:
        return 0.0
    return float(inside(run.background, "time", period)[column].sum())


def demand_h100e(run: Run, period: Period, catalog: Catalog) -> float | None:
    """Mean H100-equivalent GPUs busy with the three regimes' demand and the background load
    over the period."""
    rows = inside(run.timeseries, "time", period)
    names = sorted(set(rows["hardware"]))
    weight = weights(catalog, names)
    per_gpu = rows["hardware"].map(weight).astype("float64")  # float even with no rows
    h100e_hours = float((rows["gpu_hours"] * per_gpu).sum())
    h100e_hours += background(run, period, "h100e_hours")
    return h100e_hours / (period.days * HOURS_PER_DAY)


def installed_h100e(run: Run, period: Period, catalog: Catalog) -> float | None:
    """H100-equivalents installed in the fleet's last bin of the period (None without a fleet)."""
    if run.fleet is None:
        return None
    times = pd.DatetimeIndex(pd.to_datetime(run.fleet["time"], utc=True).unique()).sort_values()
    within = times[(times >= period.start) & (times < period.end)]
    if within.empty:
        return None
    last = within.max()
    following = times[times > last]
    end = following.min() if len(following) else run_bounds(run)[1]
    rows = run.fleet.loc[pd.to_datetime(run.fleet["time"], utc=True) == last]
    width_h = (end - last) / pd.Timedelta(hours=1)
    return float((rows["installed_gpu_hours"] * rows["h100e_per_gpu"]).sum() / width_h)


def fleet_utilization(run: Run, period: Period, catalog: Catalog) -> float | None:
    """GPU-hours used over GPU-hours installed in the period (None without a fleet)."""
    if run.fleet is None:
        return None
    rows = inside(run.fleet, "time", period)
    installed = float(rows["installed_gpu_hours"].sum())
    return float(rows["used_gpu_hours"].sum()) / installed if installed > 0 else None


def per_day(column: str) -> Callable[[Run, Period, Catalog], float | None]:
    """A measure: test-time `column` per day over the period."""

    def mean(run: Run, period: Period, catalog: Catalog) -> float | None:
        """Test-time amount per day."""
        rows = inside(run.timeseries, "time", period)
        return float(rows.loc[rows["regime"] == TEST_TIME, column].sum()) / period.days

    mean.__doc__ = f"Test-time {column} per day over the period."
    return mean


def pretrained(run: Run, period: Period) -> pd.DataFrame:
    """Models without a parent released in the period."""
    models = inside(run.models, "released", period)
    return models.loc[models["parent_id"].isna()]


def largest_run_flop(run: Run, period: Period, catalog: Catalog) -> float | None:
    """Training FLOP of the largest pretrained model released in the period."""
    models = pretrained(run, period)
    return float(models["training_flop"].max()) if len(models) else 0.0


def runs_over_1e25(run: Run, period: Period, catalog: Catalog) -> float | None:
    """Pretrained models of 1e25 FLOP or more released in the period."""
    return float((pretrained(run, period)["training_flop"] >= 1e25).sum())


def research_share(run: Run, period: Period, catalog: Catalog) -> float | None:
    """Share of the labs' GPU-hours outside final runs (experiments, research, their own
    post-training); labs are the agents with pretraining work in the run."""
    rows = inside(run.timeseries, "time", period)
    labs = rows.loc[rows["regime"] == PRETRAINING, "agent"].unique()
    rows = rows.loc[rows["agent"].isin(labs) & (rows["regime"] != TEST_TIME)]
    total = float(rows["gpu_hours"].sum())
    final = float(rows.loc[rows["activity"] == "final-run", "gpu_hours"].sum())
    return (total - final) / total if total > 0 else None


def test_time_share_of_spend(run: Run, period: Period, catalog: Catalog) -> float | None:
    """Share of the period's compute spend that serves users."""
    rows = inside(run.timeseries, "time", period)
    total = float(rows["cost_usd"].sum())
    serving = float(rows.loc[rows["regime"] == TEST_TIME, "cost_usd"].sum())
    return serving / total if total > 0 else None


def spend_usd(run: Run, period: Period, catalog: Catalog) -> float | None:
    """Compute spend of the period, USD."""
    return float(inside(run.timeseries, "time", period)["cost_usd"].sum())


def test_time_spend_usd(run: Run, period: Period, catalog: Catalog) -> float | None:
    """Compute spend of the period on serving users (test-time), USD."""
    rows = inside(run.timeseries, "time", period)
    return float(rows.loc[rows["regime"] == TEST_TIME, "cost_usd"].sum())


def energy_twh(run: Run, period: Period, catalog: Catalog) -> float | None:
    """Facility energy of the period, the three regimes' and the background load's, TWh."""
    regimes = float(inside(run.timeseries, "time", period)["energy_mwh"].sum())
    return (regimes + background(run, period, "energy_mwh")) / 1e6


def chat_wh_per_query(run: Run, period: Period, catalog: Catalog) -> float | None:
    """Mean facility energy of a plain chat query (classes of kind `chat`) over the period, Wh."""
    return wh_per_query(run, period, ("chat",))


# The query kinds whose answer is text (image and video are generation requests).
TEXT_KINDS = ("chat", "reasoning", "best_of_n", "search", "agentic")


def text_wh_per_query(run: Run, period: Period, catalog: Catalog) -> float | None:
    """Mean facility energy of a text query (every text kind, reasoning and agents included)
    over the period, Wh."""
    return wh_per_query(run, period, TEXT_KINDS)


def wh_per_query(run: Run, period: Period, kinds: tuple[str, ...]) -> float | None:
    """Mean facility energy of the queries of classes of `kinds` over the period, Wh."""
    rows = inside(run.timeseries, "time", period)
    served = rows.loc[rows["regime"] == TEST_TIME]
    chosen = served.loc[query_kinds(run, served).isin(kinds)]
    queries = float(chosen["queries"].sum())
    return float(chosen["energy_mwh"].sum()) * WH_PER_MWH / queries if queries > 0 else None


def query_kinds(run: Run, rows: pd.DataFrame) -> pd.Series:
    """Each test-time row's query kind: the `kind` of its class (the row's activity) in its
    cohort (the row's agent) in the run's scenario; a class the manifest does not describe
    reads its name as its kind."""
    users = run.manifest.get("scenario", {}).get("users") or {}
    kinds = {
        (cohort, name): str(cls.get("kind", name))
        for cohort, spec in users.items()
        for name, cls in (spec.get("classes") or {}).items()
    }
    pairs = zip(rows["agent"].astype(str), rows["activity"].astype(str), strict=True)
    return pd.Series([kinds.get(pair, pair[1]) for pair in pairs], index=rows.index, dtype=object)


MEASURES: dict[str, Callable[[Run, Period, Catalog], float | None]] = {
    "demand_h100e": demand_h100e,
    "installed_h100e": installed_h100e,
    "fleet_utilization": fleet_utilization,
    "tokens_per_day": per_day("tokens"),
    "queries_per_day": per_day("queries"),
    "largest_run_flop": largest_run_flop,
    "runs_over_1e25": runs_over_1e25,
    "research_share": research_share,
    "test_time_share_of_spend": test_time_share_of_spend,
    "spend_usd": spend_usd,
    "test_time_spend_usd": test_time_spend_usd,
    "energy_twh": energy_twh,
    "chat_wh_per_query": chat_wh_per_query,
    "text_wh_per_query": text_wh_per_query,
}


def measure(run: Run, name: str, period: Period, catalog: Catalog) -> float | None:
    """A run's measure over a period, or None where the run does not cover it."""
    if not covers(run, period):
        return None
    value = MEASURES[name](run, period, catalog)
    return None if value is None or np.isnan(value) else value
