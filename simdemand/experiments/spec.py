"""Sweep files: a base scenario, fixed overrides, axes (grid or sampled ranges), replications."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, ValidationError, field_validator, model_validator

from simdemand.errors import FieldError, InputError
from simdemand.scenario.base import Name, Strict
from simdemand.scenario.loader import (
    field_error,
    read_composed,
    read_toml,
    validate,
    validate_overridden,
)
from simdemand.scenario.overrides import Raw, apply_override
from simdemand.scenario.schema import Scenario
from simdemand.units import REGIMES

Method = Literal["latin", "sobol", "morris"]
Measure = Literal["gpu_hours", "flop", "energy_mwh", "cost_usd"]
Seed = Annotated[int, Field(ge=0, lt=2**63)]
RANGE_KEYS = frozenset({"low", "high", "scale"})


class Range(Strict):
    """A sampled parameter: uniform between `low` and `high`, on a linear or log scale."""

    low: float
    high: float
    scale: Literal["linear", "log"] = "linear"

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        """Reject an empty range and a log range that reaches zero."""
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"a log range needs low > 0 (got {self.low})")
        return self


class Sample(Strict):
    """Design points drawn from ranges by SALib: Latin hypercube, Sobol (Saltelli) or Morris."""

    method: Method
    n: Annotated[int, Field(ge=1, le=1_000_000)]
    seed: Seed | None = None
    second_order: bool = False
    levels: Annotated[int, Field(ge=2, le=100)] = 4
    parameters: Annotated[dict[str, Range], Field(min_length=1)]

    @model_validator(mode="after")
    def _method_options(self) -> Self:
        """Sobol needs a power of two; each option belongs to its method."""
        if self.method == "sobol" and self.n & (self.n - 1):
            raise ValueError(f"sobol needs n a power of 2 (got {self.n})")
        if self.second_order and self.method != "sobol":
            raise ValueError("second_order applies to method 'sobol' only")
        if self.method == "morris" and self.levels % 2:
            raise ValueError(f"morris needs an even number of levels (got {self.levels})")
        if self.method == "sobol" and self.second_order and len(self.parameters) < 2:
            raise ValueError("second_order needs at least two parameters")
        return self


class Metric(Strict):
    """The output a sensitivity analysis explains: a sum over the time series of each run."""

    measure: Measure = "gpu_hours"
    regime: str | None = None
    year: Annotated[int, Field(ge=1900, le=2300)] | None = None
    share: bool = False

    @field_validator("regime")
    @classmethod
    def _known_regime(cls, regime: str | None) -> str | None:
        """Only the simulator's regimes."""
        if regime is not None and regime not in REGIMES:
            raise ValueError(f"unknown regime '{regime}'; known: {', '.join(REGIMES)}")
        return regime

    @model_validator(mode="after")
    def _share_needs_regime(self) -> Self:
        """A share is one regime's part of the total."""
        if self.share and self.regime is None:
            raise ValueError("share = true needs a regime (its share of all regimes)")
        return self

    def describe(self) -> str:
        """A short label, e.g. 'share of test-time in gpu_hours, 2029'."""
        scope = f"{self.regime} " if self.regime and not self.share else ""
        what = f"share of {self.regime} in {self.measure}" if self.share else scope + self.measure
        return what + (f", {self.year}" if self.year is not None else ", whole horizon")


class SweepFile(Strict):
    """The schema of a sweep file, after nested tables were flattened into dotted paths."""

    scenario: Annotated[str, Field(min_length=1)]
    name: Name | None = None
    seed: Seed | None = None
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    grid: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(default_factory=dict)
    sample: Sample | None = None
    metric: Metric | None = None


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file with its base scenario resolved (fixed overrides applied)."""

    source: Path
    file: SweepFile
    name: str
    seed: int
    raw: Raw
    base: Scenario
    fixed: tuple[str, ...]

    @property
    def grid(self) -> dict[str, list[Any]]:
        """Grid axes: dotted path to listed values."""
        return self.file.grid

    @property
    def sample(self) -> Sample | None:
        """The sampled ranges, if any."""
        return self.file.sample

    def scenario(self, overrides: tuple[str, ...]) -> Scenario:
        """The base scenario with `overrides` applied and validated; raises InputError."""
        raw = copy_raw(self.raw)
        added = [a for item in overrides for a in apply_override(raw, item, str(self.source))]
        return validate_overridden(raw, str(self.source), added)


def read_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file and its base scenario; raise InputError on any problem."""
    path = Path(path)
    source = str(path)
    data = flatten_sections(read_toml(path))
    try:
        file = SweepFile.model_validate(data)
    except ValidationError as e:
        raise InputError(source, [field_error(err) for err in e.errors()]) from None
    scenario_path = path.parent / file.scenario
    if not scenario_path.is_file():
        raise InputError(source, [FieldError("scenario", f"file '{file.scenario}' not found")])
    raw = read_composed(scenario_path, ())
    validate(raw, str(scenario_path))
    errors = list(scalar_errors(file))
    errors += [FieldError(f"set.{key}", SEED_MESSAGE) for key in file.fixed if key == "run.seed"]
    if errors:
        raise InputError(source, errors)
    fixed = tuple(f"{key}={toml_text(value)}" for key, value in file.fixed.items())
    try:
        added = [a for item in fixed for a in apply_override(raw, item, source)]
    except InputError as e:
        raise InputError(
            source, [FieldError(f"set.{x.path}", x.message) for x in e.errors]
        ) from None
    base = validate_as(raw, source, file.fixed, added)
    seed = file.seed if file.seed is not None else base.run.seed
    spec = SweepSpec(path, file, file.name or path.stem, seed, raw, base, fixed)
    errors = [*axis_errors(spec), *metric_errors(spec)]
    if errors:
        raise InputError(source, errors)
    return spec


SEED_MESSAGE = "run.seed comes from the sweep's seed and replications; set `seed` instead"


def validate_as(
    raw: Raw, source: str, keys: Mapping[str, Any], added: Sequence[str] = ()
) -> Scenario:
    """Validate the base scenario with the [set] overrides (which `added` these entries),
    reporting errors under [set]."""
    try:
        return validate_overridden(raw, source, added)
    except InputError as e:
        raise InputError(
            source,
            [
                FieldError(f"set.{err.path}", err.message)
                if err.path in keys
                else FieldError("set", f"{err.path}: {err.message}")
                for err in e.errors
            ],
        ) from None


def nested(where: str, err: FieldError, param: str | None = None) -> FieldError:
    """Report a scenario error found while checking a sweep field, naming both places."""
    message = err.message if err.path == param else f"{err.path}: {err.message}"
    return FieldError(where, message)


def flatten_sections(data: Raw) -> Raw:
    """Turn nested tables under [set], [grid] and [sample.parameters] into dotted keys."""
    out = dict(data)
    for key in ("set", "grid"):
        if isinstance(out.get(key), dict):
            out[key] = dict(flatten(out[key], is_value))
    sample = out.get("sample")
    if isinstance(sample, dict) and isinstance(sample.get("parameters"), dict):
        out["sample"] = {**sample, "parameters": dict(flatten(sample["parameters"], is_range))}
    return out


def is_value(item: Any) -> bool:
    """A leaf of [set] or [grid]: anything but a table."""
    return not isinstance(item, dict)


def is_range(item: Any) -> bool:
    """A leaf of [sample.parameters]: a table with low, high or scale (or not a table)."""
    return not isinstance(item, dict) or bool(RANGE_KEYS & item.keys())


def flatten(
    table: Mapping[str, Any], is_leaf: Callable[[Any], bool], prefix: str = ""
) -> Iterator[tuple[str, Any]]:
    """Yield (dotted.path, value) for every leaf of nested tables."""
    for key, value in table.items():
        path = f"{prefix}{key}"
        if is_leaf(value) or not value:
            yield path, value
        else:
            yield from flatten(value, is_leaf, path + ".")


def scalar_errors(file: SweepFile) -> Iterator[FieldError]:
    """Fixed and grid values must be numbers, strings, booleans or dates."""
    for key, value in file.fixed.items():
        if not is_scalar(value):
            yield FieldError(f"set.{key}", SCALAR_MESSAGE)
    for key, values in file.grid.items():
        for i, value in enumerate(values):
            if not is_scalar(value):
                yield FieldError(f"grid.{key}[{i}]", SCALAR_MESSAGE)


SCALAR_MESSAGE = "must be a number, string, boolean or date"


def is_scalar(value: Any) -> bool:
    """True for TOML values an override can hold: numbers, strings, booleans, dates."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, bool | int | str | dt.date)


def axis_errors(spec: SweepSpec) -> Iterator[FieldError]:
    """Every axis names a field of the base scenario; every grid value and range end is valid."""
    dumped = spec.base.model_dump(mode="python")
    sampled = spec.sample.parameters if spec.sample else {}
    for where, path in [*((f"grid.{p}", p) for p in spec.grid), *sample_paths(sampled)]:
        problem = path_problem(dumped, path, numeric=where.startswith("sample"))
        if problem:
            yield FieldError(where, problem)
        elif path in spec.grid and path in sampled:
            yield FieldError(where, "is both a grid axis and a sampled parameter")
        elif where.startswith("grid"):
            yield from grid_value_errors(spec, path)
        else:
            yield from range_errors(spec, path, sampled[path])


def sample_paths(sampled: Mapping[str, Range]) -> list[tuple[str, str]]:
    """(where in the file, dotted path) of each sampled parameter."""
    return [(f"sample.parameters.{p}", p) for p in sampled]


def path_problem(dumped: Mapping[str, Any], path: str, numeric: bool) -> str | None:
    """Why `path` cannot be an axis of the scenario `dumped`, or None when it can."""
    if path == "run.seed":
        return SEED_MESSAGE
    values = lookup_all(dumped, path.split("."))
    if values is None:
        return f"'{path}' is not a field of the base scenario"
    for value in values:
        if isinstance(value, dict | list):
            return f"'{path}' is a table, not a value"
        if numeric and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"'{path}' is not a number (it is {value!r}); sample only numeric fields"
    return None


def lookup(data: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """(found, value) of a dotted path in nested mappings; a `*` stands for every entry of a
    table (as in --set), and the value is the first entry's (an axis sets them all alike)."""
    values = lookup_all(data, path.split("."))
    return (False, None) if values is None else (True, values[0])


def lookup_all(node: Any, parts: list[str]) -> list[Any] | None:
    """The values at a dotted path, one per entry a `*` stands for (entries are tables: `run.*`
    stands for nothing); None if any is missing."""
    if not parts:
        return [node]
    if not isinstance(node, Mapping):
        return None
    head, rest = parts[0], parts[1:]
    if head == "*":  # the entries of a table of named entries, each a table itself
        children = [child for child in node.values() if isinstance(child, Mapping)]
        if len(children) < len(node):
            return None
    else:
        children = [node[head]] if head in node else []
    found = [lookup_all(child, rest) for child in children]
    if not found or any(values is None for values in found):
        return None
    return [value for values in found if values is not None for value in values]


def grid_value_errors(spec: SweepSpec, path: str) -> Iterator[FieldError]:
    """Each listed value of a grid axis must validate, and appear once."""
    seen: dict[Any, int] = {}
    for i, value in enumerate(spec.grid[path]):
        where = f"grid.{path}[{i}]"
        try:
            scenario = spec.scenario((f"{path}={toml_text(value)}",))
        except InputError as e:
            yield from (nested(where, err, path) for err in e.errors)
            continue
        canonical = repr(lookup(scenario.model_dump(mode="json"), path)[1])
        if canonical in seen:
            yield FieldError(where, f"repeats value [{seen[canonical]}] ({value!r})")
        seen.setdefault(canonical, i)


def range_errors(spec: SweepSpec, path: str, span: Range) -> Iterator[FieldError]:
    """Both ends of a sampled range must validate (interior points then do too)."""
    for end, value in (("low", span.low), ("high", span.high)):
        where = f"sample.parameters.{path}.{end}"
        value = coerce(spec.base, path, value)
        try:
            spec.scenario((f"{path}={toml_text(value)}",))
        except InputError as e:
            yield from (nested(where, err, path) for err in e.errors)


def coerce(base: Scenario, path: str, value: float) -> int | float:
    """A sampled value in the type of the field: integer fields get rounded values."""
    current = lookup(base.model_dump(mode="python"), path)[1]
    return round(value) if isinstance(current, int) and not isinstance(current, bool) else value


def metric_errors(spec: SweepSpec) -> Iterator[FieldError]:
    """A metric's year must overlap the base scenario's horizon."""
    metric = spec.file.metric
    run = spec.base.run
    if metric and metric.year is not None and not run.start.year <= metric.year <= last_year(spec):
        yield FieldError(
            "metric.year", f"{metric.year} is outside the horizon {run.start} → {run.end}"
        )


def last_year(spec: SweepSpec) -> int:
    """The last calendar year with any simulated time."""
    return (spec.base.run.end - dt.timedelta(days=1)).year


def toml_text(value: Any) -> str:
    """A scalar as TOML text, so that an override reads it back exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def copy_raw(raw: Raw) -> Raw:
    """A copy of a raw scenario deep enough for overrides (tables copied, values shared)."""
    return {k: copy_raw(v) if isinstance(v, dict) else v for k, v in raw.items()}
