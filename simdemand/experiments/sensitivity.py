"""Global sensitivity: SALib's Sobol or Morris indices of a metric over a sweep's design."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simdemand import analysis
from simdemand.errors import FieldError, InputError
from simdemand.experiments.design import Design, Sweep, partition
from simdemand.experiments.spec import Metric
from simdemand.experiments.store import SweepStore
from simdemand.results.writer import write_json

SOBOL_COLUMNS = ["S1", "S1_conf", "ST", "ST_conf"]
MORRIS_COLUMNS = ["mu", "mu_star", "sigma", "mu_star_conf"]
RESAMPLES = 100


class MissingRuns(Exception):
    """A sensitivity analysis asked of a sweep folder that lacks some of the design's runs."""


class BadMetric(Exception):
    """A metric that gives no indices: undefined (0/0) or the same for every run."""


@dataclass(frozen=True)
class Indices:
    """Sensitivity indices of one metric, one row per parameter, most influential first."""

    method: str
    metric: Metric
    table: pd.DataFrame
    runs: int
    second_order: dict[str, dict[str, float]] | None = None

    def record(self) -> dict[str, Any]:
        """The indices as plain data (for sensitivity.json)."""
        return {
            "method": self.method,
            "metric": self.metric.model_dump(mode="json"),
            "metric_label": self.metric.describe(),
            "runs": self.runs,
            "indices": self.table.astype(object).where(self.table.notna(), None).to_dict("records"),
            "second_order": self.second_order,
        }


def check_design(sweep: Sweep) -> Design:
    """The sweep's Sobol or Morris design; InputError when the file has none."""
    source = str(sweep.spec.source)
    sample = sweep.spec.sample
    if sample is None:
        raise InputError(source, [FieldError("sample", "sensitivity needs a [sample] table")])
    if sample.method not in ("sobol", "morris"):
        message = f"sensitivity needs method 'sobol' or 'morris' (got '{sample.method}')"
        raise InputError(source, [FieldError("sample.method", message)])
    if sweep.spec.grid or sweep.design is None:
        message = "a sensitivity design takes no grid axes; fix them in [set] instead"
        raise InputError(source, [FieldError("grid", message)])
    return sweep.design


def analyze(sweep: Sweep, root: str | Path) -> Indices:
    """Indices of the sweep's metric from the runs in `root`; refuses when any run is missing."""
    design = check_design(sweep)
    store = SweepStore(root)
    runs = list(sweep.runs())
    finished = store.finished()
    missing = [run for run in runs if run.key not in finished]
    if missing:
        raise MissingRuns(
            f"{store.root}: {len(missing)} of {len(runs)} runs are missing "
            f"(first: {missing[0].partition}); finish the sweep with --resume first"
        )
    store.check(runs, finished)
    metric = sweep.spec.file.metric or Metric()
    y = outputs(sweep, design, store.root, metric)
    if design.method == "sobol":
        return sobol_indices(sweep, design, metric, y, len(runs))
    return morris_indices(sweep, design, metric, y, len(runs))


def outputs(sweep: Sweep, design: Design, root: Path, metric: Metric) -> np.ndarray:
    """The metric of each design row: the mean over the replications of its scenario."""
    values = analysis.metric(root, metric.measure, metric.regime, metric.year, metric.share)
    per_scenario = values.groupby(level="scenario").mean()
    y = per_scenario.reindex(list(design.rows)).to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(y)):
        bad = [sid for sid, v in zip(design.rows, y, strict=True) if not np.isfinite(v)]
        raise BadMetric(
            f"{root}: {metric.describe()} is undefined (0/0) for {partition(bad[0], 0)}"
            f" and {len(bad) - 1} more"
        )
    if np.ptp(y) == 0:
        raise BadMetric(f"{root}: {metric.describe()} is the same in every run; no indices")
    return y


def sobol_indices(
    sweep: Sweep, design: Design, metric: Metric, y: np.ndarray, runs: int
) -> Indices:
    """First-order and total Sobol indices with bootstrap confidence intervals."""
    sobol = importlib.import_module("SALib.analyze.sobol")
    sample = sweep.spec.sample
    second = bool(sample and sample.second_order)
    result = sobol.analyze(
        design.problem, y, calc_second_order=second, num_resamples=RESAMPLES, seed=sweep.spec.seed
    )
    table = ranked(design, {c: result[c] for c in SOBOL_COLUMNS}, "ST")
    pairs = None
    if second:
        names = design.problem["names"]
        pairs = {
            a: {b: float(result["S2"][i][j]) for j, b in enumerate(names) if j > i}
            for i, a in enumerate(names)
        }
    return Indices("sobol", metric, table, runs, pairs)


def morris_indices(
    sweep: Sweep, design: Design, metric: Metric, y: np.ndarray, runs: int
) -> Indices:
    """Morris elementary effects: mu, mu* (mean |effect|), sigma, and mu*'s confidence."""
    morris = importlib.import_module("SALib.analyze.morris")
    sample = sweep.spec.sample
    levels = sample.levels if sample else 4
    result = morris.analyze(
        design.problem,
        design.matrix,
        y,
        num_resamples=RESAMPLES,
        num_levels=levels,
        seed=sweep.spec.seed,
    )
    table = ranked(design, {c: result[c] for c in MORRIS_COLUMNS}, "mu_star")
    return Indices("morris", metric, table, runs)


def ranked(design: Design, columns: dict[str, Any], by: str) -> pd.DataFrame:
    """One row per parameter, sorted by `by` (largest first), with its rank."""
    table = pd.DataFrame({"parameter": design.problem["names"], **columns})
    table = table.astype({c: "float64" for c in columns})
    table = table.sort_values(by, ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    return table


def write_indices(indices: Indices, root: str | Path) -> tuple[Path, Path]:
    """Write sensitivity.csv and sensitivity.json into the sweep folder (atomically)."""
    root = Path(root)
    csv = root / "sensitivity.csv"
    tmp = csv.with_name(csv.name + ".tmp")
    indices.table.to_csv(tmp, index=False)
    os.replace(tmp, csv)
    write_json(indices.record(), root / "sensitivity.json")
    return csv, root / "sensitivity.json"
