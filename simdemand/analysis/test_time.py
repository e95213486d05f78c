"""Measures of the test-time regime over a run's tables: the seed's claim, made observable.

Pure pandas over `jobs` and `timeseries` as read from a results folder. Query classes are the
`activity` of test-time rows and cohorts their `agent`; the plain single pass is the class
named `chat` unless told otherwise. Ratios compare a class's mean GPU-seconds (or FLOP) per
query with the single pass's, within a cohort or over all cohorts.
"""

from __future__ import annotations

import math

import pandas as pd

from simdemand.units import SECONDS_PER_HOUR, TEST_TIME

SINGLE_PASS = "chat"
ALL = "all"
SUMS = ["queries", "tokens", "gpu_hours", "flop"]
# The columns of the test-time rows the measures read.
SERIES_COLUMNS = ["time", "agent", "activity", *SUMS]

Summary = dict[str, pd.DataFrame | float]


def measures(
    jobs: pd.DataFrame, timeseries: pd.DataFrame, single_pass: str = SINGLE_PASS
) -> Summary:
    """Every test-time measure of a run, by name.

    per_class: cohort, class, totals, gpu_s_per_query, flop_per_query, tokens_per_query and
        their ratios to the single pass (cohort "all" pools cohorts);
    per_class_by_year: the same over all cohorts, by calendar year;
    tokens_per_day: date, cohort, class, tokens (input + output processed);
    tokens_per_day_by_year: year, cohort, class, mean tokens per day;
    monthly: month, tokens, queries, gpu_hours, scaling_token_share (tokens outside the
        single pass);
    share_by_year: year, test-time and total GPU-hours, test_time_share, scaling_share
        (test-time GPU-hours outside the single pass);
    test_time_share, scaling_share: the same two shares over the whole run (floats).
    """
    return with_job_measures(series_measures(timeseries, single_pass), jobs)


def series_measures(timeseries: pd.DataFrame, single_pass: str = SINGLE_PASS) -> Summary:
    """The measures of the time series alone (all but the tokens per day), by name."""
    series = timeseries.loc[timeseries["regime"] == TEST_TIME, SERIES_COLUMNS]
    return {
        "per_class": per_class(series, single_pass),
        "per_class_by_year": per_class_by_year(series, single_pass),
        "monthly": monthly(series, single_pass),
        "share_by_year": share_by_year(timeseries, single_pass),
        "test_time_share": share(series["gpu_hours"].sum(), timeseries["gpu_hours"].sum()),
        "scaling_share": scaling_share(series, single_pass),
    }


def with_job_measures(series: Summary, jobs: pd.DataFrame) -> Summary:
    """The measures of the time series (`series_measures`) with the tokens per day, in the
    order `measures` lists them."""
    head = {name: series[name] for name in ("per_class", "per_class_by_year")}
    days = job_days(jobs)
    daily = {"tokens_per_day": daily_tokens(days), "tokens_per_day_by_year": yearly_tokens(days)}
    return {**head, **daily, **{k: v for k, v in series.items() if k not in head}}


def per_query(totals: pd.DataFrame) -> pd.DataFrame:
    """Add mean GPU-seconds, FLOP and tokens per query to rows of summed amounts."""
    out = totals.copy()
    queries = out["queries"].where(out["queries"] > 0)
    out["gpu_s_per_query"] = out["gpu_hours"] * SECONDS_PER_HOUR / queries
    out["flop_per_query"] = out["flop"] / queries
    out["tokens_per_query"] = out["tokens"] / queries
    return out


def with_ratios(table: pd.DataFrame, group: str, single_pass: str) -> pd.DataFrame:
    """Add gpu_s_ratio and flop_ratio: each class over the single pass of its `group`."""
    reference = table.loc[
        table["class"] == single_pass, [group, "gpu_s_per_query", "flop_per_query"]
    ].rename(columns={"gpu_s_per_query": "reference_s", "flop_per_query": "reference_flop"})
    out = table.merge(reference, on=group, how="left")
    out["gpu_s_ratio"] = out["gpu_s_per_query"] / out["reference_s"]
    out["flop_ratio"] = out["flop_per_query"] / out["reference_flop"]
    return out.drop(columns=["reference_s", "reference_flop"])


def per_class(series: pd.DataFrame, single_pass: str = SINGLE_PASS) -> pd.DataFrame:
    """Totals and per-query means by cohort and class, plus all cohorts pooled."""
    frame = series.rename(columns={"agent": "cohort", "activity": "class"})
    by_cohort = frame.groupby(["cohort", "class"], sort=True)[SUMS].sum().reset_index()
    pooled = frame.groupby("class", sort=True)[SUMS].sum().reset_index()
    pooled.insert(0, "cohort", ALL)
    table = per_query(pd.concat([by_cohort, pooled], ignore_index=True))
    return with_ratios(table, "cohort", single_pass)


def per_class_by_year(series: pd.DataFrame, single_pass: str = SINGLE_PASS) -> pd.DataFrame:
    """Per-query means and ratios to the single pass by calendar year, cohorts pooled."""
    frame = series.rename(columns={"activity": "class"})
    frame = frame.assign(year=pd.to_datetime(frame["time"], utc=True).dt.year)
    table = per_query(frame.groupby(["year", "class"], sort=True)[SUMS].sum().reset_index())
    return with_ratios(table, "year", single_pass)


def job_days(jobs: pd.DataFrame) -> pd.DataFrame:
    """Test-time jobs with the UTC date they fall on (they never cross midnight)."""
    frame = jobs.loc[jobs["regime"] == TEST_TIME, ["start", "agent", "activity", "tokens"]]
    start = pd.to_datetime(frame["start"], utc=True)
    return frame.assign(date=start.dt.floor("D"), year=start.dt.year).rename(
        columns={"agent": "cohort", "activity": "class"}
    )


def tokens_per_day(jobs: pd.DataFrame) -> pd.DataFrame:
    """Tokens processed (input + output) per UTC day, by cohort and class."""
    return daily_tokens(job_days(jobs))


def daily_tokens(frame: pd.DataFrame) -> pd.DataFrame:
    """`tokens_per_day` from the jobs' days (`job_days`)."""
    return frame.groupby(["date", "cohort", "class"], sort=True)["tokens"].sum().reset_index()


def tokens_per_day_by_year(jobs: pd.DataFrame) -> pd.DataFrame:
    """Mean tokens per day in each calendar year, by cohort and class."""
    return yearly_tokens(job_days(jobs))


def yearly_tokens(frame: pd.DataFrame) -> pd.DataFrame:
    """`tokens_per_day_by_year` from the jobs' days (`job_days`)."""
    days = frame.groupby("year")["date"].nunique().rename("days")
    table = frame.groupby(["year", "cohort", "class"], sort=True)["tokens"].sum().reset_index()
    table = table.join(days, on="year")
    table["tokens_per_day"] = table["tokens"] / table["days"]
    return table.drop(columns=["tokens", "days"])


def monthly(series: pd.DataFrame, single_pass: str = SINGLE_PASS) -> pd.DataFrame:
    """Tokens, queries and GPU-hours per calendar month and the share of tokens beyond a
    single pass (the calibration target "reasoning models' share of tokens")."""
    time = pd.Series(pd.to_datetime(series["time"], utc=True), index=series.index)
    frame = series[["tokens", "queries", "gpu_hours"]].assign(
        month=time.dt.tz_localize(None).dt.to_period("M").dt.to_timestamp(),
        beyond=series["tokens"].where(series["activity"] != single_pass, 0.0),
    )
    table = frame.groupby("month", sort=True).sum().reset_index()
    table["scaling_token_share"] = table["beyond"] / table["tokens"].where(table["tokens"] > 0)
    return table.drop(columns=["beyond"])


def share_by_year(timeseries: pd.DataFrame, single_pass: str = SINGLE_PASS) -> pd.DataFrame:
    """By calendar year: test-time and total GPU-hours, the test-time share of all demand and
    the share of test-time GPU-hours spent beyond the single pass."""
    year = pd.to_datetime(timeseries["time"], utc=True).dt.year.rename("year")
    testtime = timeseries["regime"] == TEST_TIME
    parts = pd.DataFrame(
        {
            "year": year,
            "gpu_hours": timeseries["gpu_hours"],
            "test_time_gpu_hours": timeseries["gpu_hours"].where(testtime, 0.0),
            "beyond": timeseries["gpu_hours"].where(
                testtime & (timeseries["activity"] != single_pass), 0.0
            ),
        }
    )
    table = parts.groupby("year", sort=True).sum().reset_index()
    table["test_time_share"] = table["test_time_gpu_hours"] / table["gpu_hours"].where(
        table["gpu_hours"] > 0
    )
    table["scaling_share"] = table["beyond"] / table["test_time_gpu_hours"].where(
        table["test_time_gpu_hours"] > 0
    )
    return table.drop(columns=["beyond"])


def scaling_share(series: pd.DataFrame, single_pass: str = SINGLE_PASS) -> float:
    """Share of test-time GPU-hours spent in classes other than the single pass."""
    beyond = series.loc[series["activity"] != single_pass, "gpu_hours"].sum()
    return share(beyond, series["gpu_hours"].sum())


def share(part: float, whole: float) -> float:
    """part / whole, or NaN when the whole is zero."""
    return float(part) / float(whole) if whole > 0 else math.nan


__all__ = [
    "SINGLE_PASS",
    "measures",
    "monthly",
    "per_class",
    "per_class_by_year",
    "scaling_share",
    "share_by_year",
    "tokens_per_day",
    "tokens_per_day_by_year",
]


def query_ratios(timeseries: pd.DataFrame, reference: str | None = None) -> pd.DataFrame:
    """Test-time compute per query class and its ratio to a single pass (the reference class).

    Classes are the ``activity`` of test-time rows. The reference defaults to ``chat`` (one
    plain pass, as in :func:`measures`), else the class with the least FLOP per query.
    Columns: queries, flop, gpu_hours, flop_per_query, gpu_seconds_per_query, ratio (of FLOP
    per query), gpu_seconds_ratio, share_of_queries, share_of_gpu_hours.
    """
    rows = timeseries.loc[timeseries["regime"] == "test-time"]
    table = rows.groupby("activity")[["queries", "flop", "gpu_hours"]].sum()
    table = table.loc[table["queries"] > 0]
    table["flop_per_query"] = table["flop"] / table["queries"]
    table["gpu_seconds_per_query"] = table["gpu_hours"] * 3600.0 / table["queries"]
    if table.empty:
        empty: list[float] = []
        return table.assign(
            ratio=empty, gpu_seconds_ratio=empty, share_of_queries=empty, share_of_gpu_hours=empty
        )
    default = SINGLE_PASS if SINGLE_PASS in table.index else str(table["flop_per_query"].idxmin())
    ref = reference if reference is not None else default
    if ref not in table.index:
        raise KeyError(f"no test-time query class {ref!r}; classes: {', '.join(table.index)}")
    table["ratio"] = table["flop_per_query"] / float(table["flop_per_query"].loc[ref])
    single_pass_s = float(table["gpu_seconds_per_query"].loc[ref])
    table["gpu_seconds_ratio"] = table["gpu_seconds_per_query"] / single_pass_s
    table["share_of_queries"] = table["queries"] / table["queries"].sum()
    table["share_of_gpu_hours"] = table["gpu_hours"] / table["gpu_hours"].sum()
    table = table.sort_values("ratio")
    table.attrs["reference"] = ref
    return table
