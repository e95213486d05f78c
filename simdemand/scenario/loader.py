"""Read scenario files: TOML, `extends` composition, `--set` overrides, then strict validation."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simdemand.catalog import Catalog, load_catalog
from simdemand.errors import FieldError, InputError, single
from simdemand.scenario.schema import Scenario

Raw = dict[str, Any]


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load, compose, override and validate a scenario file; raise InputError on any problem."""
    path = Path(path)
    raw = read_composed(path, ())
    for item in overrides:
        apply_override(raw, item, str(path))
    return validate(raw, str(path))


def read_composed(path: Path, chain: tuple[Path, ...]) -> Raw:
    """Read one file and merge it over the file it `extends`, recursively."""
    raw = read_toml(path)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise single(str(path), "extends", "must be a file name (a string)")
    target = (path.parent / parent).resolve()
    if target in chain or target == path.resolve():
        raise single(str(path), "extends", f"'{parent}' extends itself (a cycle)")
    if not target.is_file():
        raise single(str(path), "extends", f"file '{parent}' not found")
    return deep_merge(read_composed(target, (*chain, path.resolve())), raw)


def read_toml(path: Path) -> Raw:
    """Parse one TOML file, turning I/O and syntax errors into InputError."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise single(str(path), "(file)", "no such file") from None
    except OSError as e:
        raise single(str(path), "(file)", e.strerror or str(e)) from None
    except tomllib.TOMLDecodeError as e:
        raise single(str(path), "(toml)", f"malformed TOML: {e}") from None


def deep_merge(base: Raw, top: Mapping[str, Any]) -> Raw:
    """Return base with top merged over it; tables merge key by key, other values replace."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def apply_override(raw: Raw, item: str, source: str) -> None:
    """Apply one `dotted.path=value` override in place; the value is read as TOML, else a string."""
    key, sep, text = item.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise single(source, key or item, f"override '{item}' is not of the form dotted.path=value")
    node = raw
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            where = ".".join(parts[: depth + 1])
            raise single(source, key, f"cannot set inside '{where}', which is not a table")
        node = child
    node[parts[-1]] = parse_value(text.strip())


def parse_value(text: str) -> Any:
    """Read an override value as a TOML value (number, date, bool, array), else as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def validate(raw: Raw, source: str) -> Scenario:
    """Validate a composed raw scenario, including cross-references to the hardware catalog."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as e:
        raise InputError(source, [field_error(err) for err in e.errors()]) from None
    catalog = scenario_catalog(scenario, source)
    errors = [
        FieldError(f"labs.{name}.hardware", unknown_hardware(lab.hardware, catalog))
        for name, lab in scenario.labs.items()
        if lab.hardware is not None and lab.hardware not in catalog
    ]
    errors += fleet_errors(scenario, catalog)
    if errors:
        raise InputError(source, errors)
    return scenario


def fleet_errors(scenario: Scenario, catalog: Catalog) -> list[FieldError]:
    """Field errors for a fleet naming hardware or lab archetypes the scenario lacks."""
    fleet = scenario.fleet
    if fleet is None:
        return []
    errors = [
        FieldError(f"fleet.pools.{name}.labs", f"unknown lab archetype '{lab}'")
        for name, pool in fleet.pools.items()
        for lab in pool.labs
        if lab not in scenario.labs
    ]
    errors += [
        FieldError(f"fleet.deliveries.{i}.hardware", unknown_hardware(d.hardware, catalog))
        for i, d in enumerate(fleet.deliveries)
        if d.hardware not in catalog
    ]
    growth = fleet.growth
    if growth is not None and growth.hardware != "newest" and growth.hardware not in catalog:
        errors.append(
            FieldError("fleet.growth.hardware", unknown_hardware(growth.hardware, catalog))
        )
    return errors


def scenario_catalog(scenario: Scenario, source: str = "scenario") -> Catalog:
    """Return the bundled hardware catalog with the scenario's additions and overrides."""
    catalog = load_catalog()
    errors: list[FieldError] = []
    for name, entry in scenario.hardware.items():
        try:
            catalog = catalog.with_entries({name: entry})
        except ValidationError as e:
            errors += [field_error(err, ("hardware", name)) for err in e.errors()]
    if errors:
        raise InputError(source, errors)
    return catalog


def field_error(err: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> FieldError:
    """Turn one pydantic error into a FieldError with a dotted path."""
    loc = [*prefix, *(str(p) for p in err["loc"])]
    message = str(err["msg"])
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif "input" in err and err["type"] not in ("missing",) and not isinstance(err["input"], dict):
        message = f"{message} (got {err['input']!r})"
    return FieldError(".".join(loc) or "(root)", message)


def unknown_hardware(name: str, catalog: Catalog) -> str:
    """Explain an unknown hardware name, listing the known ones."""
    return f"unknown hardware '{name}'; known: {', '.join(catalog.names)}"
