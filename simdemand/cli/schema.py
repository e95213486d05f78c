"""`simdemand schema`: the scenario file's JSON Schema, for editors that complete and check TOML.

The schema is pydantic's, generated from :class:`simdemand.scenario.schema.Scenario`, so it
never disagrees with what `simdemand validate` accepts; it adds the one key the loader reads
before validation (`extends`). Point a TOML editor extension at the file it writes (Taplo /
Even Better TOML: a `#:schema` comment on a scenario's first line, or a `taplo.toml`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from simdemand.scenario.schema import Scenario

DIALECT = "https://json-schema.org/draft/2020-12/schema"
EXTENDS = {
    "type": "string",
    "title": "Extends",
    "description": "Another scenario file (a path relative to this one) to start from; "
    "this file is merged over it, table by table.",
}


def scenario_json_schema(partial: bool = False) -> dict[str, Any]:
    """The JSON Schema of a scenario file; `partial` drops every `required` list, for files that
    `extends` another and so may leave out what their parent gives."""
    schema: dict[str, Any] = {"$schema": DIALECT, **Scenario.model_json_schema()}
    schema["properties"] = {"extends": EXTENDS, **schema["properties"]}
    return without_required(schema) if partial else schema


def without_required(node: Any) -> Any:
    """A copy of a JSON Schema with every `required` list removed, at every depth."""
    if isinstance(node, dict):
        return {k: without_required(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [without_required(v) for v in node]
    return node


def write_atomically(text: str, out: Path) -> None:
    """Write text next to `out` under a temporary name, then rename it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def schema(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (atomically), not stdout.")
    ] = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial", help="No required keys: for scenarios that `extends` another file."
        ),
    ] = False,
) -> None:
    """Print the scenario JSON Schema (for editor completion and checking as you type)."""
    text = json.dumps(scenario_json_schema(partial), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    write_atomically(text, out)
    typer.echo(str(out))
