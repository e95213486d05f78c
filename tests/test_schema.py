"""`simdemand schema`: the scenario JSON Schema an editor checks TOML against as you type."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from simdemand.cli import app
from simdemand.cli.schema import scenario_json_schema
from simdemand.scenario.schema import Scenario

ROOT = Path(__file__).parent.parent
jsonschema = pytest.importorskip("jsonschema")


def as_json(value: Any) -> Any:
    """A TOML document as an editor's schema checker sees it: dates become ISO strings."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def toml(path: Path) -> Any:
    """A scenario file as JSON data."""
    return as_json(tomllib.loads(path.read_text(encoding="utf-8")))


def errors(schema: dict[str, Any], document: Any) -> list[str]:
    """The schema violations of a document, as dotted paths and messages."""
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def test_stdout_is_pydantics_schema_plus_extends(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert printed["properties"]["extends"]["type"] == "string"
    pydantic = Scenario.model_json_schema()
    assert printed["$defs"] == pydantic["$defs"]
    assert printed["required"] == pydantic["required"] == ["run"]
    jsonschema.Draft202012Validator.check_schema(printed)


def test_out_writes_the_file_atomically(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "editor" / "scenario.schema.json"
    result = runner.invoke(app, ["schema", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(target)
    assert json.loads(target.read_text(encoding="utf-8")) == scenario_json_schema()
    assert [p.name for p in target.parent.iterdir()] == ["scenario.schema.json"]
    again = runner.invoke(app, ["schema", "--out", str(target), "--partial"])
    assert again.exit_code == 0, again.output
    assert json.loads(target.read_text(encoding="utf-8")) == scenario_json_schema(partial=True)


def test_the_projects_scenarios_pass() -> None:
    """Whole scenarios pass the full schema; one that `extends` another passes the partial one
    (it leaves out what its parent gives) and not the full one."""
    full, partial = scenario_json_schema(), scenario_json_schema(partial=True)
    for name in ("baseline.toml", "history-2018-2025.toml"):
        assert errors(full, toml(ROOT / "scenarios" / name)) == [], name
    fleet = toml(ROOT / "scenarios" / "fleet.toml")
    assert "extends" in fleet
    assert errors(partial, fleet) == []
    assert errors(full, fleet) != []
    assert "required" not in json.dumps(partial)


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda d: d["run"].update(resolution="fortnight"), "run.resolution"),
        (lambda d: d["run"].update(sede=1), "run"),
        (lambda d: d["run"].update(pue="1.2"), "run.pue"),
        (lambda d: d["labs"]["frontier_closed"].update(count=0), "labs.frontier_closed.count"),
        (lambda d: d["run"].pop("seed"), "run"),
    ],
)
def test_mistakes_are_flagged_where_they_are(edit: Any, where: str) -> None:
    """What `simdemand validate` refuses, the editor flags at the same key: an unknown value,
    an unknown key, a wrong type, a value out of bounds, a missing key."""
    document = toml(ROOT / "scenarios" / "baseline.toml")
    edit(document)
    found = errors(scenario_json_schema(), document)
    assert [e for e in found if e.split(":")[0] == where], found
