"""Designs: a grid over listed values and SALib samples over ranges, turned into runs."""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from simdemand.errors import FieldError, InputError
from simdemand.experiments.spec import Sample, SweepSpec, coerce, lookup, read_sweep, toml_text
from simdemand.scenario.identity import replication_seed
from simdemand.scenario.schema import Scenario
from simdemand.scenario.workload import DEFAULT_MAX_WORK, check_workload

Matrix = npt.NDArray[np.float64]
MAX_ERRORS = 20


@dataclass(frozen=True)
class Point:
    """One scenario of a sweep: its id, the values of its axes and the resolved scenario."""

    scenario_id: str
    values: dict[str, Any]
    overrides: tuple[str, ...]
    scenario: Scenario


@dataclass(frozen=True)
class RunSpec:
    """One run: a scenario of the sweep, a replication and its seed; picklable."""

    scenario_id: str
    replication: int
    seed: int
    values: dict[str, Any]
    scenario: Scenario = field(repr=False)

    @property
    def key(self) -> tuple[str, int]:
        """(scenario id, replication): the identity of the run in a sweep folder."""
        return self.scenario_id, self.replication

    @property
    def partition(self) -> str:
        """The run's folder, relative to the sweep folder (hive style)."""
        return partition(self.scenario_id, self.replication)


def partition(scenario_id: str, replication: int) -> str:
    """Hive partition path of a run: scenario=<id>/replication=<k>."""
    return f"scenario={scenario_id}/replication={replication}"


@dataclass(frozen=True)
class Design:
    """A SALib design: its problem, its sample matrix and the scenario id of each row."""

    method: str
    problem: dict[str, Any]
    matrix: Matrix
    rows: tuple[str, ...]


@dataclass(frozen=True)
class Sweep:
    """A sweep ready to run: its scenarios, their SALib design if sampled, and seeds."""

    spec: SweepSpec
    points: tuple[Point, ...]
    design: Design | None
    seeds: tuple[int, ...]

    @property
    def name(self) -> str:
        """The sweep's name (default: the file name without .toml)."""
        return self.spec.name

    @property
    def size(self) -> int:
        """Number of runs: scenarios times replications."""
        return len(self.points) * len(self.seeds)

    def runs(self) -> Iterator[RunSpec]:
        """Every run, scenario by scenario, each replication with its keyed seed."""
        for point in self.points:
            for k, seed in enumerate(self.seeds):
                run = point.scenario.run.model_copy(update={"seed": seed})
                scenario = point.scenario.model_copy(update={"run": run})
                yield RunSpec(point.scenario_id, k, seed, point.values, scenario)


def load_sweep(path: str | Path, max_work: float = DEFAULT_MAX_WORK) -> Sweep:
    """Read a sweep file and validate every scenario it makes, each within `max_work` rows and
    events (simdemand.scenario.workload); raise InputError on problems."""
    spec = read_sweep(path)
    rows = sample_rows(spec)
    combos = [
        (*grid_part, *sample_part)
        for grid_part in grid_overrides(spec.grid)
        for sample_part in (rows.overrides if rows else [()])
    ]
    points, ids = resolve_points(spec, combos, max_work)
    design = None
    if rows is not None and not spec.grid:
        design = Design(rows.method, rows.problem, rows.matrix, tuple(ids))
    seeds = tuple(replication_seed(spec.seed, k) for k in range(spec.file.replications))
    return Sweep(spec, points, design, seeds)


def grid_overrides(grid: Mapping[str, Sequence[Any]]) -> list[tuple[str, ...]]:
    """The product of the grid axes as override strings (one empty combo without axes)."""
    axes = [[f"{path}={toml_text(v)}" for v in values] for path, values in grid.items()]
    return list(itertools.product(*axes))


@dataclass(frozen=True)
class Rows:
    """The rows of a SALib sample as matrix and as override strings."""

    method: str
    problem: dict[str, Any]
    matrix: Matrix
    overrides: list[tuple[str, ...]]


def sample_rows(spec: SweepSpec) -> Rows | None:
    """Draw the SALib sample of a sweep's ranges (log ranges sampled in log10)."""
    sample = spec.sample
    if sample is None:
        return None
    names = list(sample.parameters)
    bounds = [
        [np.log10(r.low), np.log10(r.high)] if r.scale == "log" else [r.low, r.high]
        for r in sample.parameters.values()
    ]
    problem: dict[str, Any] = {"num_vars": len(names), "names": names, "bounds": bounds}
    seed = sample.seed if sample.seed is not None else spec.seed
    matrix = draw(sample, problem, seed)
    logs = [r.scale == "log" for r in sample.parameters.values()]
    overrides = [
        tuple(
            f"{name}={toml_text(coerce(spec.base, name, float(10**x if log else x)))}"
            for name, x, log in zip(names, row, logs, strict=True)
        )
        for row in matrix
    ]
    return Rows(sample.method, problem, matrix, overrides)


def draw(sample: Sample, problem: dict[str, Any], seed: int) -> Matrix:
    """The sample matrix from SALib for the sample's method."""
    try:
        method = importlib.import_module(f"SALib.sample.{sample.method}")
    except ImportError:  # pragma: no cover - depends on the environment
        raise RuntimeError("sampled sweeps need SALib: pip install 'simdemand[sweep]'") from None
    if sample.method == "sobol":
        matrix = method.sample(problem, sample.n, calc_second_order=sample.second_order, seed=seed)
    elif sample.method == "morris":
        matrix = method.sample(problem, sample.n, num_levels=sample.levels, seed=seed)
    else:
        matrix = method.sample(problem, sample.n, seed=seed)
    return np.asarray(matrix, dtype=np.float64)


def resolve_points(
    spec: SweepSpec, combos: Sequence[tuple[str, ...]], max_work: float = DEFAULT_MAX_WORK
) -> tuple[tuple[Point, ...], list[str]]:
    """Validate the scenario of every combination and its work; return unique points and each
    combo's id."""
    points: dict[str, Point] = {}
    ids: list[str] = []
    errors: list[FieldError] = []
    where = "sample" if spec.sample else "grid"
    for overrides in combos:
        try:
            scenario = spec.scenario(overrides)
            check_workload(scenario, str(spec.source), max_work)
        except InputError as e:
            label = ", ".join(overrides)
            errors += [
                FieldError(where, f"({label}): {err.path}: {err.message}") for err in e.errors
            ]
            continue
        dumped = scenario.model_dump(mode="json")
        paths = [item.partition("=")[0] for item in overrides]
        values = {path: lookup(dumped, path)[1] for path in paths}
        sid = scenario_id(values)
        if sid in points and points[sid].values != values:  # pragma: no cover - 48-bit hash
            raise InputError(str(spec.source), [FieldError(where, f"id collision on {sid}")])
        points.setdefault(sid, Point(sid, values, overrides, scenario))
        ids.append(sid)
    if errors:
        more = len(errors) - MAX_ERRORS
        tail = [FieldError(where, f"... and {more} more")] if more > 0 else []
        raise InputError(str(spec.source), errors[:MAX_ERRORS] + tail)
    return tuple(points.values()), ids


def scenario_id(values: Mapping[str, Any]) -> str:
    """A short stable id from a scenario's axis values (not from their order in the file)."""
    text = json.dumps(dict(values), sort_keys=True, separators=(",", ":"))
    return "s" + hashlib.blake2b(text.encode(), digest_size=6).hexdigest()
