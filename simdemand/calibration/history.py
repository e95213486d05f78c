"""Historical pretraining statistics (Epoch AI data) and a backtest of simulated runs against them.

Every function takes a models table shaped like a run's ``models.parquet`` (``released`` as a
timestamp, ``training_flop`` in FLOP, ``parent_id`` null for pretrained models) and returns
plain pandas objects or floats; column names can be overridden. Rows without a release date or
a positive finite training compute are ignored. ``since`` is inclusive; ``until`` is inclusive
and, given as a date (midnight), includes that whole day.

Frontier growth follows Epoch AI's "compute rank when published": a model is on the frontier
if, among the pretrained models (no parent) released on or before its release instant, fewer
than ``top_n`` had strictly more training compute. Ranks use the whole history in the table,
so a fit starting in 2018 still sees the models from before 2018. The growth per year is
``10 ** slope`` of an ordinary least-squares fit of log10(training FLOP) on time in years of
365.25 days, over the frontier models released in [since, until]. On the bundled data this gives
4.62x/yr for the top 10 since 2018 (Epoch's own rank column gives 4.56x/yr; "≈ 4.6x/yr").
Derivatives are excluded because Epoch's compute for a derivative includes its base model's.

``threshold_counts`` gives, per calendar year, the models at or above each threshold
(``n_ge_1e25``...) and running totals (``cum_ge_1e25``...: every model up to the end of that year
or ``until``, including any before ``since``). Years run from ``since`` (default: the first year
with a count) to ``until`` (default: the last release), zero-filled.

``backtest_table`` returns one row per (metric, period): ``n_ge_<t>`` per calendar year from
``since`` to ``until`` (the last year truncated at ``until``), ``cum_ge_<t>`` "by <until>" and
``frontier_growth_per_year`` over "<since>/<until>", with columns data, sim_median, sim_p10,
sim_p90 (linear-interpolation quantiles over replications, NaNs skipped) and n_replications.
``simulated`` is one frame per replication, or one frame split by ``replication_col``. With
``parent_col`` set (the default) rows with a parent are left out of every metric on both sides,
so derivatives never count toward thresholds (Epoch's compute for a derivative repeats its
base's; by mid-2025 the data then hold 23 models >= 1e25 rather than 24); None counts every row.

Data: Epoch AI, "Data on AI Models", epoch.ai, CC-BY 4.0 (snapshot of Aug 2025).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from importlib.resources import files

import numpy as np
import pandas as pd

DEFAULT_THRESHOLDS: tuple[float, ...] = (1e24, 1e25, 1e26)
DEFAULT_QUANTILES: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9)
DAYS_PER_YEAR = 365.25
TimeLike = str | dt.date  # also datetime.datetime and pd.Timestamp

# CSV column -> name in the models.parquet vocabulary; other columns keep their CSV names.
_RENAME = {
    "model": "model_id",
    "organization": "lab",
    "publication_date": "released",
    "base_model": "parent_id",
    "training_compute_flop": "training_flop",
    "parameters": "params",
}
_TEXT = ["model", "organization", "domain", "base_model", "accessibility", "confidence", "hardware"]


def load_epoch_models() -> pd.DataFrame:
    """The bundled Epoch AI models (one row per model with a date and training compute)."""
    resource = files("simdemand.calibration") / "data" / "epoch_models.csv"
    with resource.open("r", encoding="utf-8") as handle:
        raw = pd.read_csv(
            handle,
            keep_default_na=False,
            na_values=[""],
            dtype={c: "string" for c in _TEXT} | {"publication_date": "string"},
        )
    frame = raw.rename(columns=_RENAME)
    frame["released"] = pd.to_datetime(frame["released"], format="%Y-%m-%d", utc=True)
    for column in (
        "training_flop",
        "params",
        "training_dataset_size",
        "finetune_compute_flop",
        "hardware_utilization",
        "training_time_hours",
        "training_chip_hours",
    ):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    for column in ("hardware_quantity", "epoch_compute_rank"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    frame["open_weights"] = frame["open_weights"].astype("boolean")
    flop = frame["training_flop"].to_numpy()
    if frame["released"].isna().any() or not (np.isfinite(flop) & (flop > 0)).all():
        raise ValueError("bundled epoch_models.csv has rows without a date or training compute")
    return frame


def threshold_counts(
    models: pd.DataFrame,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    date_col: str = "released",
    flop_col: str = "training_flop",
    until: TimeLike | None = None,
    since: TimeLike | None = None,
    parent_col: str | None = None,
) -> pd.DataFrame:
    """Models at/above each threshold per calendar year (n_ge_*) and running totals (cum_ge_*)."""
    rows = _valid(models, date_col, flop_col, parent_col, until=until)
    labels = [_label(t) for t in thresholds]
    years = rows["date"].dt.year.astype("int64")
    counts = pd.DataFrame(
        {
            f"n_ge_{lab}": (rows["flop"] >= t).groupby(years).sum().astype("int64")
            for lab, t in zip(labels, thresholds, strict=True)
        },
        index=pd.Index(sorted(set(years)), dtype="int64"),
    )
    if since is not None:
        first: int | None = _instant(since).year
    else:
        hits = counts.index[(counts > 0).any(axis=1)]
        first = int(hits.min()) if len(hits) else None
    last = _instant(until).year if until is not None else int(years.max()) if len(years) else first
    index: pd.Index[int]
    if first is None or last is None:
        index = pd.Index([], dtype="int64", name="year")
    else:
        lo = min([first, *counts.index])
        index = pd.Index(range(lo, max(first, last) + 1), dtype="int64", name="year")
    counts = counts.reindex(index, fill_value=0).astype("int64")
    for lab in labels:
        counts[f"cum_ge_{lab}"] = counts[f"n_ge_{lab}"].cumsum()
    if first is not None:
        counts = counts.loc[counts.index >= first]
    return counts


def compute_distribution(
    models: pd.DataFrame,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    date_col: str = "released",
    flop_col: str = "training_flop",
    since: TimeLike | None = None,
    until: TimeLike | None = None,
    parent_col: str | None = None,
) -> pd.DataFrame:
    """Per calendar year, the number of models and quantiles of their log10 training FLOP."""
    rows = _valid(models, date_col, flop_col, parent_col, since=since, until=until)
    log_flop = np.log10(rows["flop"])
    grouped = log_flop.groupby(rows["date"].dt.year)
    table = pd.DataFrame({"n_models": grouped.size()})
    for q in quantiles:
        table[f"log10_flop_p{q * 100:g}"] = grouped.quantile(q)
    table["log10_flop_max"] = grouped.max()
    if len(table):
        index = pd.Index(range(int(table.index.min()), int(table.index.max()) + 1), name="year")
        table = table.reindex(index)
        table["n_models"] = table["n_models"].fillna(0).astype("int64")
    table.index.name = "year"
    return table


def frontier_models(
    models: pd.DataFrame,
    top_n: int = 10,
    since: TimeLike | None = "2018-01-01",
    until: TimeLike | None = None,
    date_col: str = "released",
    flop_col: str = "training_flop",
    parent_col: str | None = "parent_id",
) -> pd.DataFrame:
    """The models ranked in the top ``top_n`` by training compute when released, with the rank."""
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, got {top_n}")
    rows = _valid(models, date_col, flop_col, parent_col, until=until)
    rows = rows.sort_values("date", kind="stable")
    seen: list[float] = []
    ranks = np.empty(len(rows), dtype=np.int64)
    dates = rows["date"].to_numpy()
    flops = rows["flop"].to_numpy(dtype=np.float64)
    start = 0
    while start < len(rows):
        stop = start
        while stop < len(rows) and dates[stop] == dates[start]:
            bisect.insort(seen, float(flops[stop]))
            stop += 1
        for i in range(start, stop):
            ranks[i] = 1 + len(seen) - bisect.bisect_right(seen, float(flops[i]))
        start = stop
    keep = ranks <= top_n
    if since is not None:
        keep &= (rows["date"] >= _instant(since)).to_numpy()
    out = models.iloc[rows.index[keep]].copy()
    out["rank_at_publication"] = ranks[keep]
    return out


def frontier_growth_per_year(
    models: pd.DataFrame,
    top_n: int = 10,
    since: TimeLike | None = "2018-01-01",
    until: TimeLike | None = None,
    date_col: str = "released",
    flop_col: str = "training_flop",
    parent_col: str | None = "parent_id",
) -> float:
    """Growth factor per year of frontier training compute (see the module docstring)."""
    frontier = frontier_models(models, top_n, since, until, date_col, flop_col, parent_col)
    dates = pd.to_datetime(frontier[date_col], utc=True)
    years = ((dates - dates.min()) / pd.Timedelta(days=DAYS_PER_YEAR)).to_numpy(np.float64)
    log_flop = np.log10(frontier[flop_col].to_numpy(np.float64))
    if len(np.unique(years)) < 2:
        return float("nan")
    x = years - years.mean()
    slope = float(np.dot(x, log_flop - log_flop.mean()) / np.dot(x, x))
    return float(10.0**slope)


def backtest_table(
    simulated: pd.DataFrame | Sequence[pd.DataFrame],
    observed: pd.DataFrame,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    since: TimeLike = "2018-01-01",
    until: TimeLike = "2025-06-30",
    top_n: int = 10,
    date_col: str = "released",
    flop_col: str = "training_flop",
    parent_col: str | None = "parent_id",
    replication_col: str | None = None,
) -> pd.DataFrame:
    """Observed vs simulated (median, p10, p90 over replications) counts and frontier growth."""
    if isinstance(simulated, pd.DataFrame):
        if replication_col is None:
            replications = [simulated]
        else:
            replications = [group for _, group in simulated.groupby(replication_col, sort=True)]
    else:
        replications = list(simulated)
    if not replications:
        raise ValueError("no simulated replications")
    labels = [_label(t) for t in thresholds]
    first, last = _instant(since).year, _instant(until).year
    years = list(range(first, last + 1))
    end = _instant(until)
    whole_day = end == end.normalize() or (end + pd.Timedelta(1, "us")) == end.ceil("D")
    end_label = end.date().isoformat() if whole_day else end.isoformat()
    keys = [(f"n_ge_{lab}", str(year)) for lab in labels for year in years]
    keys += [(f"cum_ge_{lab}", f"by {end_label}") for lab in labels]
    keys.append(("frontier_growth_per_year", f"{_instant(since).date().isoformat()}/{end_label}"))

    def metrics(frame: pd.DataFrame) -> list[float]:
        counts = threshold_counts(frame, thresholds, date_col, flop_col, until, since, parent_col)
        counts = counts.reindex(years, fill_value=0)
        values = [float(v) for lab in labels for v in counts[f"n_ge_{lab}"].to_numpy()]
        cum = _valid(frame, date_col, flop_col, parent_col, until=until)["flop"]
        values += [float((cum >= t).sum()) for t in thresholds]
        growth = frontier_growth_per_year(
            frame, top_n, since, until, date_col, flop_col, parent_col
        )
        return [*values, growth]

    sim = np.array([metrics(frame) for frame in replications], dtype=np.float64)
    return pd.DataFrame(
        {
            "metric": [k[0] for k in keys],
            "period": [k[1] for k in keys],
            "data": metrics(observed),
            "sim_median": [_quantile(sim[:, j], 0.5) for j in range(len(keys))],
            "sim_p10": [_quantile(sim[:, j], 0.1) for j in range(len(keys))],
            "sim_p90": [_quantile(sim[:, j], 0.9) for j in range(len(keys))],
            "n_replications": np.isfinite(sim).sum(axis=0),
        }
    )


def _label(threshold: float) -> str:
    """A compact label for a FLOP threshold: 1e+25 -> '1e25', 2.5e+24 -> '2.5e24'."""
    return f"{threshold:g}".replace("e+", "e")


def _instant(value: TimeLike) -> pd.Timestamp:
    """A UTC timestamp; a naive value is taken to be in UTC."""
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _valid(
    models: pd.DataFrame,
    date_col: str,
    flop_col: str,
    parent_col: str | None,
    since: TimeLike | None = None,
    until: TimeLike | None = None,
) -> pd.DataFrame:
    """Rows with a date and positive finite FLOP: columns date (UTC) and flop, by position."""
    for column in (date_col, flop_col, parent_col):
        if column is not None and column not in models.columns:
            raise KeyError(f"models table has no column {column!r}")
    rows = pd.DataFrame(  # positional index, whatever the table's own index
        {
            "date": pd.to_datetime(models[date_col], utc=True).reset_index(drop=True),
            "flop": pd.to_numeric(models[flop_col], errors="coerce").to_numpy(np.float64),
        }
    )
    keep = rows["date"].notna() & np.isfinite(rows["flop"]) & (rows["flop"] > 0)
    if parent_col is not None:
        parent = models[parent_col].reset_index(drop=True)
        keep &= parent.isna() | (parent.astype("string").str.strip() == "")
    if since is not None:
        keep &= rows["date"] >= _instant(since)
    if until is not None:
        end = _instant(until)
        if end == end.normalize():
            keep &= rows["date"] < end + pd.Timedelta(days=1)
        else:
            keep &= rows["date"] <= end
    valid: pd.DataFrame = rows.loc[keep.fillna(False).astype(bool)]
    return valid


def _quantile(values: np.ndarray, q: float) -> float:
    """A linear-interpolation quantile of the finite values, NaN when there are none."""
    finite = values[np.isfinite(values)]
    return float(np.quantile(finite, q)) if finite.size else float("nan")
