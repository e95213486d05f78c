"""Read scenario files: TOML, `extends` composition, `--set` overrides, then strict validation."""

from __future__ import annotations

import codecs
import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simdemand.catalog import Catalog, load_catalog
from simdemand.errors import FieldError, InputError, quoted, shorten, single
from simdemand.scenario.overrides import Raw, apply_override, unknown_entries
from simdemand.scenario.plausibility import plausibility_errors
from simdemand.scenario.schema import Scenario

# Names pydantic gives the members of a plain union in an error's location.
UNION_MEMBERS = {"str": "a string", "bool": "a boolean", "int": "an integer", "float": "a number"}
UNION_MEMBERS |= {"date": "a date"}
# Bounds pydantic reports, with their limit written as a scenario file writes it.
BOUNDS = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "greater than or equal to"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "less than or equal to"),
}
BOMS = {codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16", codecs.BOM_UTF32_LE: "UTF-32"}


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load, compose, override and validate a scenario file; raise InputError on any problem."""
    path = Path(path)
    raw = read_composed(path, ())
    added = [entry for item in overrides for entry in apply_override(raw, item, str(path))]
    return validate_overridden(raw, str(path), added)


def validate_overridden(raw: Raw, source: str, added: Sequence[str]) -> Scenario:
    """`validate` a scenario the overrides changed, an incomplete entry they `added` reported
    in one line naming the entries its table has."""
    try:
        return validate(raw, source)
    except InputError as e:
        raise InputError(e.source, unknown_entries(e.errors, added, raw)) from None


def read_composed(path: Path, chain: tuple[Path, ...]) -> Raw:
    """Read one file and merge it over the file it `extends`, recursively."""
    raw = read_toml(path)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise single(str(path), "extends", "must be a file name (a string)")
    try:
        target = (path.parent / parent).resolve()
        found = target.is_file()
    except (OSError, ValueError) as e:  # a NUL byte, a name too long, a loop of links
        raise single(str(path), "extends", f"cannot open {quoted(parent)}: {e}") from None
    if target in chain or target == path.resolve():
        raise single(str(path), "extends", f"'{shorten(parent)}' extends itself (a cycle)")
    if not found:
        raise single(str(path), "extends", f"file '{shorten(parent)}' not found")
    return deep_merge(read_composed(target, (*chain, path.resolve())), raw)


def read_toml(path: Path) -> Raw:
    """Parse one TOML file, turning I/O, encoding and syntax errors into InputError."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise single(source, "(file)", "no such file") from None
    except IsADirectoryError:
        raise single(source, "(file)", "is a folder, not a TOML file") from None
    except (OSError, ValueError) as e:
        raise single(source, "(file)", getattr(e, "strerror", None) or str(e)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise single(source, "(file)", not_utf8(data, e)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise single(source, "(toml)", f"malformed TOML: {e}") from None
    except RecursionError:
        raise single(
            source, "(toml)", "malformed TOML: arrays or tables nested too deeply"
        ) from None


def not_utf8(data: bytes, error: UnicodeDecodeError) -> str:
    """Why bytes are not a TOML file: another encoding, or not text at all."""
    for bom, name in BOMS.items():
        if data.startswith(bom):
            return f"is {name} text; TOML files are UTF-8 (save it as UTF-8)"
    if b"\x00" in data[:1024]:
        return "is not a text file (it holds NUL bytes); TOML files are UTF-8 text"
    byte = data[error.start]
    return f"is not UTF-8 text (byte {byte:#04x} at offset {error.start}); save it as UTF-8"


def deep_merge(base: Raw, top: Mapping[str, Any]) -> Raw:
    """Return base with top merged over it; tables merge key by key, other values replace."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def validate(raw: Raw, source: str) -> Scenario:
    """Validate a composed raw scenario, its hardware names against the catalog (returned in
    their catalog spelling), and the plausibility of its GPUs and trends over the horizon."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as e:
        raise InputError(source, field_errors(e.errors(), raw)) from None
    except RecursionError:
        raise single(source, "(toml)", "values nested too deeply") from None
    catalog = scenario_catalog(scenario, source)
    scenario, errors = catalog_names(scenario, catalog)
    errors += fleet_errors(scenario)
    if not errors:
        errors = plausibility_errors(scenario, catalog)
    if errors:
        raise InputError(source, errors)
    return scenario


def catalog_names(scenario: Scenario, catalog: Catalog) -> tuple[Scenario, list[FieldError]]:
    """The scenario with every hardware name in its catalog spelling ('h100' -> 'H100-SXM'),
    and an error for each name the catalog does not know."""
    errors: list[FieldError] = []

    def known(name: str, where: str) -> str:
        """The catalog name of `name`, or `name` after recording an error."""
        if name in catalog:
            return catalog.resolve(name)
        errors.append(FieldError(where, catalog.unknown(name)))
        return name

    labs = {
        name: lab.model_copy(update={"hardware": known(lab.hardware, f"labs.{name}.hardware")})
        if lab.hardware is not None
        else lab
        for name, lab in scenario.labs.items()
    }
    hardware: dict[str, dict[str, Any]] = {}
    for name, entry in scenario.hardware.items():
        canonical = known(name, f"hardware.{name}") if name in catalog else name
        if canonical in hardware:
            errors.append(
                FieldError(
                    f"hardware.{name}",
                    f"names the same GPU as another [hardware] table ({canonical}); give its "
                    "fields in one table",
                )
            )
        hardware[canonical] = dict(entry)
    update: dict[str, Any] = {"labs": labs, "hardware": hardware}
    fleet = scenario.fleet
    if fleet is not None:
        deliveries = tuple(
            d.model_copy(update={"hardware": known(d.hardware, f"fleet.deliveries.{i}.hardware")})
            for i, d in enumerate(fleet.deliveries)
        )
        growth = fleet.growth
        if growth is not None and growth.hardware != "newest":
            name = known(growth.hardware, "fleet.growth.hardware")
            growth = growth.model_copy(update={"hardware": name})
        update["fleet"] = fleet.model_copy(update={"deliveries": deliveries, "growth": growth})
    return scenario.model_copy(update=update), errors


def fleet_errors(scenario: Scenario) -> list[FieldError]:
    """Field errors for a fleet naming lab archetypes the scenario lacks."""
    fleet = scenario.fleet
    if fleet is None:
        return []
    return [
        FieldError(f"fleet.pools.{name}.labs", f"unknown lab archetype '{lab}'")
        for name, pool in fleet.pools.items()
        for lab in pool.labs
        if lab not in scenario.labs
    ]


def scenario_catalog(scenario: Scenario, source: str = "scenario") -> Catalog:
    """Return the bundled hardware catalog with the scenario's additions and overrides."""
    catalog = load_catalog()
    errors: list[FieldError] = []
    for name, entry in scenario.hardware.items():
        try:
            catalog = catalog.with_entries({name: entry})
        except ValidationError as e:
            errors += field_errors(e.errors(), entry, ("hardware", name))
        except ValueError as e:
            errors.append(FieldError(f"hardware.{name}", str(e)))
    if errors:
        raise InputError(source, errors)
    return catalog


def field_errors(
    errors: Iterable[Mapping[str, Any]], raw: Any = None, prefix: tuple[str, ...] = ()
) -> list[FieldError]:
    """Pydantic errors as FieldErrors, one per field: the members of a union that all failed on
    one value are reported once, and their names are left out of the dotted path."""
    groups: dict[str, list[tuple[Mapping[str, Any], list[str]]]] = {}
    for err in errors:
        path, tags = located(err, raw)
        key = path if tags else f"{path}\0{len(groups)}"  # only union members are merged
        groups.setdefault(key, []).append((err, tags))
    return [
        one_error(".".join([*prefix, key.split("\0")[0]]), members)
        for key, members in groups.items()
    ]


def located(err: Mapping[str, Any], raw: Any) -> tuple[str, list[str]]:
    """The dotted path of an error within `raw`, and the union member names taken out of it."""
    node, parts, tags = raw, [], []
    loc = list(err["loc"])
    for i, part in enumerate(loc):
        found, child = step(node, part)
        if found:
            node = child
        elif raw is not None and not (i == len(loc) - 1 and err["type"] == "missing"):
            tags.append(str(part))  # not in the input: the name of a union member
            continue
        parts.append(str(part))
    return ".".join(parts) or "(root)", tags


def step(node: Any, part: str | int) -> tuple[bool, Any]:
    """(True, node[part]) if `part` is a key or index of `node`, else (False, None)."""
    if isinstance(node, Mapping) and part in node:
        return True, node[part]
    if isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def one_error(where: str, members: list[tuple[Mapping[str, Any], list[str]]]) -> FieldError:
    """One message for a field: the error itself, or for a value every member of a union
    refused, the bound it broke, else the types it could have had."""
    if len(members) == 1:
        return FieldError(where, described(members[0][0]))
    for err, _ in members:
        if not str(err["type"]).endswith(("_type", "_parsing")):
            return FieldError(where, described(err))
    first = members[0][0]
    kinds = list(dict.fromkeys(UNION_MEMBERS.get(tags[-1], tags[-1]) for _, tags in members))
    got = f" (got {shown(first['input'])})" if "input" in first else ""
    return FieldError(where, f"Input should be {', '.join(kinds[:-1])} or {kinds[-1]}{got}")


def described(err: Mapping[str, Any]) -> str:
    """A pydantic error's message, with the offending value (shortened) when it is a scalar."""
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return "unknown key"
    bound = BOUNDS.get(str(err["type"]))
    if bound is not None and bound[0] in err.get("ctx", {}):
        message = f"Input should be {bound[1]} {limit(err['ctx'][bound[0]])}"
    if "input" in err and err["type"] != "missing" and not isinstance(err["input"], dict):
        return f"{message} (got {shown(err['input'])})"
    return message


def limit(value: Any) -> str:
    """A bound as a scenario file writes it: 0 not 0.0, 1e+32 not 1000...0, dates bare."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e9:
        return str(int(value))
    return value if isinstance(value, str) else shown(value)


def shown(value: Any) -> str:
    """A value as a scenario file writes it: dates as dates, floats short; cut if long."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and len(repr(value)) > 10:
        return f"{value:.6g}"
    return quoted(value)


def field_error(err: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> FieldError:
    """Turn one pydantic error into a FieldError with a dotted path."""
    loc = [*prefix, *(str(p) for p in err["loc"])]
    return FieldError(".".join(loc) or "(root)", described(err))
