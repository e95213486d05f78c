"""The documentation cannot drift: its generated parts cover the code, its citations exist, the
README's promises are CI's. (The site itself is built, strictly, by .ci/run.)"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pytest
from pydantic import BaseModel

import simdemand
from simdemand import plots
from simdemand.catalog import Hardware, load_catalog
from simdemand.results import background, market, reader, supply, tables
from simdemand.scenario import adoption as scenario_adoption
from simdemand.scenario import background as scenario_background
from simdemand.scenario import base as scenario_base
from simdemand.scenario import communities as scenario_communities
from simdemand.scenario import economy as scenario_economy
from simdemand.scenario import fleet
from simdemand.scenario import lab_tables as scenario_lab_tables
from simdemand.scenario import queries as scenario_queries
from simdemand.scenario import schema as scenario_schema
from simdemand.scenario import techniques as scenario_techniques
from simdemand.scenario import users as scenario_users

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"
MAX_README_IMAGE_BYTES = 150 * 1024


def load_docgen() -> ModuleType:
    """docs/docgen.py, the generators of the site, imported from its file."""
    spec = importlib.util.spec_from_file_location("docgen", DOCS / "docgen.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("docgen", module)
    spec.loader.exec_module(module)
    return module


docgen = load_docgen()


def nav_entries() -> list[str]:
    """The pages that mkdocs.yml's nav lists."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text.split("\nnav:\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"([\w./-]+\.(?:md|ipynb))\s*$", nav, flags=re.MULTILINE)


def generated_pages() -> set[str]:
    """The pages gen_pages.py adds: the API reference and the notebooks."""
    api = {"api/index.md", *(f"api/{name}.md" for name in docgen.api_packages())}
    return api | {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}


# --- outputs ----------------------------------------------------------------------------------


def test_every_table_of_a_run_folder_is_documented() -> None:
    assert set(docgen.TABLES) == set(reader.TABLES)
    schemas = {
        name
        for module in (tables, supply, market, background)
        for name, value in vars(module).items()
        if isinstance(value, pa.Schema)
    }
    assert schemas == {name.upper() for name in reader.TABLES}


def test_every_column_is_listed_with_its_unit() -> None:
    text = docgen.outputs_tables()
    for table in reader.TABLES:
        section = text.split(f"### `{table}.parquet`", 1)[1].split("### ", 1)[0]
        for field in docgen.schema_of(table):
            unit = (field.metadata or {}).get(b"unit", b"\xe2\x80\x94").decode()
            row = f"| `{field.name}` | "
            assert row in section, (table, field.name)
            assert f" | {unit} | " in section.split(row, 1)[1].split("\n", 1)[0], (table, field)


def test_no_column_description_is_stale() -> None:
    """A description names a column that exists (in its table, when it names one)."""
    columns = {(t, f.name) for t in reader.TABLES for f in docgen.schema_of(t)}
    for key in docgen.COLUMNS:
        table, _, column = key.rpartition(".")
        if table:
            assert (table, column) in columns, key
        else:
            assert any(c == column for _, c in columns), key


# --- calibration ------------------------------------------------------------------------------


def functions_of(path: Path) -> set[str]:
    """Names of the test functions of a test file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    }


def cited_tests() -> set[tuple[str, str]]:
    """(file, test) pairs cited as `test_FILE.py::test_NAME` anywhere in docs/."""
    cited: set[tuple[str, str]] = set()
    for page in DOCS.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        cited |= set(re.findall(r"(test_\w+\.py)::(test_\w+)", text))
    return cited


def test_cited_tests_exist() -> None:
    cited = cited_tests()
    assert len(cited) > 50
    for file, name in sorted(cited):
        path = ROOT / "tests" / file
        assert path.is_file(), file
        assert name in functions_of(path), f"{file}::{name}"


def test_every_calibration_test_is_cited() -> None:
    cited = cited_tests()
    for path in sorted((ROOT / "tests").glob("test_*calibration*.py")):
        for name in sorted(functions_of(path)):
            assert (path.name, name) in cited, (
                f"docs/calibration.md does not cite {path.name}::{name}"
            )


def test_hardware_table_lists_every_catalog_entry_and_field() -> None:
    text = docgen.hardware_table()
    catalog = load_catalog()
    for name in catalog:
        assert f"| `{name}` |" in text
        assert " ".join(catalog[name].source.split()) in text
    header = text.splitlines()[0]
    for field in Hardware.model_fields:
        assert field in ("name", "source") or f"`{field}`" in header, field


# --- scenario reference ----------------------------------------------------------------------

SCENARIO_MODULES = (
    scenario_base,
    scenario_schema,
    scenario_lab_tables,
    scenario_users,
    scenario_adoption,
    scenario_queries,
    scenario_communities,
    scenario_techniques,
    fleet,
    scenario_economy,
    scenario_background,
)
# Bases whose fields reach the reference through their subclasses.
ABSTRACT_MODELS = {
    "Strict",
    "Scenario",
    "Technique",
    "NearFree",
    "_Adoption",
    "_QueryClass",
    "_GenerationClass",
}


def scenario_models() -> dict[str, type[BaseModel]]:
    """Every model class of the scenario schema, by name."""
    return {
        name: value
        for module in SCENARIO_MODULES
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, scenario_base.Strict)
        and value.__module__ == module.__name__
    }


def test_every_scenario_field_has_a_description_a_unit_and_a_source() -> None:
    models = scenario_models()
    assert len(models) > 25
    for name, model in models.items():
        for key, field in model.model_fields.items():
            extra = field.json_schema_extra
            assert isinstance(extra, dict), f"{name}.{key}: no unit or source"
            assert field.description, f"{name}.{key}: no description"
            assert field.description.rstrip().endswith("."), f"{name}.{key}: not a sentence"
            for what in ("unit", "source"):
                value = extra.get(what)
                assert isinstance(value, str), f"{name}.{key}: no {what}"
                assert value.strip(), f"{name}.{key}: empty {what}"


def test_the_json_schema_carries_descriptions_and_units() -> None:
    """What editors show on hover: every property of every table of the JSON Schema."""
    schema = scenario_schema.Scenario.model_json_schema()
    tables = [schema, *schema["$defs"].values()]
    described = 0
    for table in tables:
        for key, prop in table.get("properties", {}).items():
            for what in ("description", "unit", "source"):
                assert prop.get(what), (table.get("title"), key, what)
            described += 1
    assert described > 150


def test_the_reference_reaches_every_model() -> None:
    reached = {
        model.__name__
        for key in docgen.SCENARIO_KEYS
        for section in docgen.scenario_sections(key)
        for model in section.models
    }
    assert reached == set(scenario_models()) - ABSTRACT_MODELS
    assert set(docgen.SCENARIO_KEYS) == set(scenario_schema.Scenario.model_fields) - {"hardware"}


@pytest.mark.parametrize(
    "key", ["run", "labs", "communities", "users", "fleet", "economy", "background"]
)
def test_the_reference_has_a_row_per_field_with_its_unit_default_and_source(key: str) -> None:
    text = docgen.scenario_reference(key)
    for section in docgen.scenario_sections(key):
        for model in section.models:
            for name, field in model.model_fields.items():
                rows = [line for line in text.splitlines() if line.startswith(f"| `{name}` | ")]
                extra = field.json_schema_extra
                assert isinstance(extra, dict)
                expected = (
                    docgen.default_label(field),
                    docgen.bounds_label(field),
                    str(extra["unit"]),
                    str(field.description),
                    str(extra["source"]),
                )
                assert any(
                    all(f" | {cell} | " in f"{row} " for cell in expected) for row in rows
                ), (section.path, name)


def test_the_reference_shows_bounds_and_defaults_as_validated() -> None:
    text = docgen.scenario_reference("run")
    assert "| `pue` | number | `1.2` | ≥ 1, ≤ 3 | 1 |" in text
    users = docgen.scenario_reference("users")
    assert "### `[users.COHORT.classes.NAME]`" in users
    assert "### `[[users.COHORT.timezones]]`" in users
    assert '| `precision` | `"bf16"` or `"fp8"` or `"fp4"` | `"fp4"` |' in users
    fleet_text = docgen.scenario_reference("fleet")
    assert "| `share` | number | required | > 0, ≤ 1 | share |" in fleet_text


def test_the_scenario_page_keeps_no_hand_written_table_of_keys() -> None:
    page = (DOCS / "scenario.md").read_text(encoding="utf-8")
    assert "| key | unit | default |" not in page
    assert docgen.markers(page) == [f"scenario-{key}" for key in docgen.SCENARIO_KEYS]


# --- command line, API, gallery ---------------------------------------------------------------


def test_cli_reference_has_every_command() -> None:
    text = docgen.cli_reference()
    assert text.startswith("## `simdemand`")
    for command in ("run", "validate", "summary", "plot", "sweep", "sensitivity", "backtest"):
        assert f"### `simdemand {command}`" in text, command
    assert "### `simdemand schema`" in text
    assert "#### `simdemand estimate training`" in text


def test_api_pages_cover_every_module_of_the_package() -> None:
    documented = set(docgen.api_packages())
    folder = Path(simdemand.__file__).parent
    top = {p.stem for p in folder.glob("*.py")} | {
        p.parent.name for p in folder.glob("*/__init__.py")
    }
    assert {f"simdemand.{name}" for name in top - {"__init__", "__main__"}} == documented


def test_gallery_shows_every_plot_kind() -> None:
    assert [shot.kind for shot in docgen.GALLERY] == list(plots.KINDS)
    assert set(docgen.README_KINDS) <= set(plots.KINDS)
    assert {shot.run for shot in docgen.GALLERY} == set(docgen.RUNS)


# --- pages and README -------------------------------------------------------------------------


def test_nav_lists_every_page_and_every_entry_exists() -> None:
    listed = nav_entries()
    assert len(listed) == len(set(listed))
    written = {p.name for p in DOCS.glob("*.md")}
    generated = generated_pages()
    for entry in listed:
        assert entry in written or entry in generated, entry
    assert written | generated == set(listed)


def test_every_marker_names_a_generator() -> None:
    used = [name for page in DOCS.glob("*.md") for name in docgen.markers(page.read_text())]
    assert sorted(used) == sorted(docgen.GENERATORS)


def test_fill_replaces_a_marker_line_by_its_text() -> None:
    page = "# T\n\n<!-- docgen: cli -->\n\nend\n"
    assert docgen.fill(page, {"cli": "## x\n"}) == "# T\n\n## x\n\nend\n"


def setup_commands(text: str) -> list[str]:
    """The set-up commands: the lines that make a venv and install."""
    return [line for line in text.splitlines() if line.startswith("python3 -m venv .venv")]


def test_readme_keeps_the_setup_commands_and_cis_test_command() -> None:
    readme = README.read_text(encoding="utf-8")
    commands = setup_commands(readme)
    assert len(commands) == 2
    assert commands == setup_commands((DOCS / "getting-started.md").read_text(encoding="utf-8"))
    test_command = commands[1].split(" && ", 3)[3]
    ci = CI.read_text(encoding="utf-8")
    assert f'pip install -e ".[dev]" && {test_command}' in ci.splitlines()
    assert "mkdocs build --strict" in ci


def test_readme_pictures_are_small_and_exist() -> None:
    readme = README.read_text(encoding="utf-8")
    images = re.findall(r"[(\"](docs/img/[\w-]+\.png)[)\"]", readme)
    assert 2 <= len(images) <= 3
    for image in images:
        path = ROOT / image
        assert path.is_file(), image
        assert path.stat().st_size < MAX_README_IMAGE_BYTES, image
        assert path.stem in docgen.README_KINDS


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_no_page_points_at_a_module_that_is_gone(page: str) -> None:
    """Paths like `simdemand/physics/training.py` in the prose name files that exist."""
    text = (DOCS / page).read_text(encoding="utf-8")
    for path in set(
        re.findall(r"`((?:simdemand|scenarios|tests|benchmarks|notebooks|tools)/[\w./-]+)`", text)
    ):
        target = ROOT / path.rstrip("/")
        assert target.exists() or "*" in path or "<" in path, f"{page}: {path}"
