"""`--set` overrides: the dotted-path language that changes a raw scenario before validation.

`dotted.path=value` sets one field (the value read as TOML, else as a string); a `*` in the
path stands for every entry of a table. An override that adds an entry to one of the schema's
tables of named entries (`labs`, `users`, `users.*.classes`, ...) is recorded, so that an
entry left without its required fields, a misspelled name most likely, is reported in one line.
"""

from __future__ import annotations

import copy
import tomllib
import types
import typing
import unicodedata
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from simdemand.errors import FieldError, quoted, single
from simdemand.scenario.schema import Scenario

Raw = dict[str, Any]
# pydantic's messages for a required field that is absent (a union's tag field included).
MISSING = "Field required"
MISSING_TAG = "Unable to extract tag using discriminator"
# An override's key, its source file, and the entries it added (filled in as it is applied).
Where = tuple[str, str, list[str]]


def unknown_entries(
    errors: Sequence[FieldError], added: Sequence[str], raw: Raw
) -> list[FieldError]:
    """`errors` with those of an entry that an override added and left without its required
    fields (a misspelled name, most likely) replaced by one line naming the entries the
    table has."""
    out = list(errors)
    for entry in dict.fromkeys(added):
        inside = [e for e in out if e.path == entry or e.path.startswith(entry + ".")]
        if not any(e.message == MISSING or e.message.startswith(MISSING_TAG) for e in inside):
            continue
        table, _, name = entry.rpartition(".")
        node: Any = raw
        for part in table.split("."):
            node = node[part]
        known = ", ".join(k for k in node if k != name) or "none"
        message = (
            f"'{name}' is not an entry of {table} (it has {known}); a --set that adds one "
            "must give all its required fields"
        )
        first = out.index(inside[0])
        out = [e for e in out if e not in inside]
        out.insert(first, FieldError(entry, message))
    return out


def apply_override(raw: Raw, item: str, source: str) -> list[str]:
    """Apply one `dotted.path=value` override in place; the value is read as TOML, else a string.
    A `*` in the path stands for every entry of that table (`users.*.serving.mode`). Returns
    the entries it added to tables of named entries (`users.consumr`)."""
    key, sep, text = item.partition("=")
    parts = key.strip().split(".")
    control = next((c for c in item if unicodedata.category(c) == "Cc"), None)
    if control is not None:
        raise single(
            source,
            key,
            f"override {quoted(item)} holds a control character ({control!r}); give one "
            "dotted.path=value per --set, on one line",
        )
    if not sep or not all(parts):
        raise single(
            source,
            key.strip() or "--set",
            f"override {quoted(item)} is not of the form dotted.path=value",
        )
    try:
        value = parse_value(text.strip())
    except RecursionError:
        raise single(source, key, "the value's arrays or tables are nested too deeply") from None
    if parts[-1] == "*":
        raise single(source, key, "'*' stands for a table's entries, not for the field to set")
    added: list[str] = []
    assign(raw, parts, [], value, (key.strip(), source, added))
    return added


def assign(node: Raw, parts: list[str], done: list[str], value: Any, how: Where) -> None:
    """Set the rest of `parts` below `node` to (a copy of) `value`, `*` taking each entry in
    order; record in `how` the entries added to tables of named entries."""
    key, source, added = how
    part = parts[len(done)]
    if len(done) == len(parts) - 1:
        node[part] = copy.deepcopy(value)
        return
    if part == "*":
        entries = [name for name, child in node.items() if isinstance(child, dict)]
        if not entries:
            where = ".".join(done) or "the scenario"
            raise single(source, key, f"'*' has no entries to stand for in {where}")
        for name in entries:
            assign(node[name], parts, [*done, name], value, how)
        return
    if part not in node and holds_entries(done):
        added.append(".".join([*done, part]))
    child = node.setdefault(part, {})
    if not isinstance(child, dict):
        inside = ".".join([*done, part])
        raise single(source, key, f"cannot set inside '{inside}', which is not a table")
    assign(child, parts, [*done, part], value, how)


def entry_tables(model: type[BaseModel], path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Paths of the schema's tables of named entries (fields typed dict[str, Model]; `*` for
    an entry's name): `labs`, `users`, `users.*.classes`, `fleet.pools`, ..."""
    found: set[tuple[str, ...]] = set()
    for name, field in model.model_fields.items():
        for kind in members(field.annotation):
            if typing.get_origin(kind) is dict:
                entries = [m for m in members(typing.get_args(kind)[1]) if is_model(m)]
                if entries:
                    found.add((*path, name))
                for entry in entries:
                    found |= entry_tables(entry, (*path, name, "*"))
            elif is_model(kind):
                found |= entry_tables(kind, (*path, name))
    return found


def members(annotation: Any) -> list[Any]:
    """The types an annotation admits, Annotated and unions unwrapped."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return members(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [t for arg in typing.get_args(annotation) for t in members(arg)]
    return [annotation]


def is_model(kind: Any) -> bool:
    """True for a pydantic model class."""
    return isinstance(kind, type) and issubclass(kind, BaseModel)


ENTRY_TABLES = entry_tables(Scenario)


def holds_entries(path: list[str]) -> bool:
    """True if the table at `path` is one of the schema's tables of named entries."""
    return any(
        len(table) == len(path) and all(t in ("*", p) for t, p in zip(table, path, strict=True))
        for table in ENTRY_TABLES
    )


def parse_value(text: str) -> Any:
    """Read an override value as a TOML value (number, date, bool, array), else as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
