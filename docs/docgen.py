"""The parts of the documentation that are generated from the code, so they cannot drift.

Each generator returns Markdown (or writes images) from the package itself: the output tables
from the Arrow schemas and their `unit` metadata, the command line reference from the typer app,
the API pages from the layers of the import contract, the hardware table from the catalog, the
scenario reference from the pydantic fields (description, unit, source, default, bounds), the
gallery from fresh runs. `gen_pages.py` calls them during `mkdocs build`; `tests/test_docs.py`
checks them without building the site. A page in docs/ asks for one with a marker line
`<!-- docgen: NAME -->`.

Run as a script to redraw the README's pictures: `python docs/docgen.py readme-images`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import re
import subprocess
import sys
import tempfile
import tomllib
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import pyarrow as pa
from pydantic import BaseModel
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MARKER = re.compile(r"^<!-- docgen: ([a-z-]+) -->$", re.MULTILINE)

# --- outputs ----------------------------------------------------------------------------------

# Each table of a run folder: the module that holds its Arrow schema, what one row is, and when
# it is written. The schema constant is the table's name in capitals.
TABLES: dict[str, tuple[str, str]] = {
    "timeseries": (
        "simdemand.results.tables",
        "time bin × regime × agent × activity × hardware; every run",
    ),
    "jobs": ("simdemand.results.tables", "interval charged to the ledger; every run"),
    "models": ("simdemand.results.tables", "released model; every run"),
    "capacity": (
        "simdemand.results.supply",
        "time bin × regime × hardware; runs with a `[fleet]`",
    ),
    "fleet": ("simdemand.results.supply", "time bin × pool × hardware; runs with a `[fleet]`"),
    "waits": (
        "simdemand.results.supply",
        "pretraining final run that reserved a cluster; runs with a `[fleet]`",
    ),
    "market": (
        "simdemand.results.market",
        "time bin × cohort × class × tier; runs with an `[economy]`",
    ),
    "investment": (
        "simdemand.results.market",
        "quarterly decision of the investment loop; runs with `[economy.investment]`",
    ),
    "budget": (
        "simdemand.results.market",
        "evaluation of the labs' compute budget (a lab planning a run or charging research); "
        "runs with `[economy.labs]`",
    ),
    "background": (
        "simdemand.results.background",
        "time bin × background workload; runs with a `[background]`",
    ),
}

# What each column means, by column name; `TABLE.column` keys say what differs in one table.
# The unit is not repeated here: it comes from the field's metadata.
COLUMNS: dict[str, str] = {
    "time": "start of the output bin",
    "regime": "`pretraining`, `post-training` or `test-time`",
    "agent": "the lab (`ARCHETYPE-k`), community or user cohort that charged the work",
    "activity": "`experiments` or `final-run` (pretraining); the technique (post-training: "
    "`lora`, `sft`, `distillation`, `rl`, …); the query class (test-time: `chat`, `reasoning`, "
    "`best_of_n`, `search`, `agentic`)",
    "hardware": "catalog name of the GPU generation",
    "gpu_hours": "GPU time charged",
    "flop": "model FLOP computed",
    "energy_mwh": "facility energy of the GPUs: GPU-hours × TDP × PUE",
    "cost_usd": "rental cost at the catalog's price per GPU-hour",
    "queries": "queries served (test-time rows; 0 elsewhere)",
    "tokens": "tokens processed, input (cached included) + output (test-time rows; 0 elsewhere)",
    "derivatives": "derivative models the row stands for (post-training rows; 0 elsewhere)",
    "job_id": "row number, in the order the intervals were charged",
    "model_id": "the model trained, post-trained or served; derivatives charged in bulk per "
    "family, technique and step are `BASE~TECHNIQUE`",
    "base_id": "post-training rows: the base model of the family the derivatives descend from "
    "(null elsewhere)",
    "start": "start of the interval",
    "end": "end of the interval (clipped to the horizon)",
    "gpus": "mean GPUs busy over the interval",
    "models.model_id": "the model's id",
    "models.lab": "the lab or community that released it",
    "models.released": "release time",
    "models.params": "total parameters",
    "models.active_params": "parameters active per token (MoE; = `params` when dense)",
    "models.tokens": "training tokens of the final run",
    "models.training_flop": "compute of the final run",
    "models.open_weights": "released with open weights",
    "models.parent_id": "the model it was derived from; null for a pretrained base",
    "models.technique": "`pretraining` for a base, else the post-training technique",
    "models.hardware": "GPU generation of the final run",
    "models.gpu_hours": "GPU time of the final run",
    "models.predicted_loss": "Chinchilla L(N, D) of the pretraining",
    "capacity.demanded_gpu_hours": "what the regime wanted in the bin (what an unconstrained "
    "run charges there; final runs at their planned times), in GPU-hours of the generation "
    "the work asked for",
    "capacity.served_gpu_hours": "what ran",
    "capacity.unmet_gpu_hours": "what was lost (waited longer than its maximum delay)",
    "capacity.queued_gpu_hours": "what still waits at the bin's end",
    "h100e_per_gpu": "the generation's weight in H100-equivalents (dense BF16 peak over the "
    "H100's), so readers need no catalog",
    "fleet.pool": "the pool (`[fleet.pools.NAME]`)",
    "fleet.installed_gpu_hours": "GPU-hours installed and in service",
    "fleet.used_gpu_hours": "GPU-hours busy (reservations and fluid work)",
    "fleet.utilization": "used / installed",
    "fleet.installed_mw": "mean power of the installed GPUs over the bin",
    "fleet.power_mw": "mean power of the busy GPUs over the bin",
    "fleet.energy_mwh": "facility energy of the busy GPUs",
    "fleet.cost_usd": "rental cost of the busy GPU-hours",
    "waits.agent": "the lab",
    "waits.model_id": "the model the run trains",
    "waits.activity": "`final-run`",
    "waits.hardware": "the generation reserved (or last asked for)",
    "waits.pool": "the pool it started in; null if it never started",
    "waits.gpus": "the cluster size asked for",
    "waits.requested": "when the run asked for its cluster (its planned start)",
    "waits.started": "when it started; null if it never did",
    "waits.wait_hours": "started − requested",
    "market.cohort": "the user cohort (`[users.COHORT]`)",
    "market.class": "the query class",
    "market.tier": "the serving tier: `frontier`, `efficient`, or empty for a cohort's single "
    "tier and for image and video requests",
    "market.usd_per_million_input_tokens": "price of input tokens: the tier's serving cost of "
    "them × its markup (revenue / tokens over the bin)",
    "market.usd_per_million_output_tokens": "price of output tokens, likewise",
    "market.usd_per_request": "price of an image or video request: its serving cost × the "
    "markup (0 for token classes)",
    "market.queries": "queries sold",
    "market.input_tokens": "tokens through prefill, cached included (agentic re-reads count)",
    "market.output_tokens": "tokens decoded",
    "market.cost_usd": "serving GPU-hours at the catalog's rental price",
    "market.revenue_usd": "price × tokens, input and output (price × requests for images and "
    "videos)",
    "investment.time": "the decision, at the end of a whole quarter of the run",
    "investment.sold_usd": "token revenue the market recorded in the quarter before (what the "
    "cohorts bought, served or not)",
    "investment.served_share": "test-time work served / (served + lost) in the quarter before",
    "investment.revenue_usd": "revenue earned: sold × served share",
    "investment.outside_usd": "outside investment of the quarter",
    "investment.funds_usd": "reinvested revenue + outside investment",
    "investment.capex_usd": "GPUs ordered × capex per GPU (never above the funds)",
    "investment.depreciation_usd": "straight-line depreciation of the loop's GPUs in the quarter "
    "before",
    "investment.utilization": "H100e-hours used / installed over the quarter before",
    "investment.unmet_share": "fluid work lost / (lost + served) over the quarter before",
    "investment.energy_mwh": "facility energy of the fleet's busy GPUs over the quarter before",
    "investment.hardware": "the generation ordered: the newest available at delivery",
    "investment.ordered_gpus": "GPUs ordered",
    "investment.ordered_h100e": "the same in H100-equivalents",
    "investment.ordered_gw": "their facility power at full load (TDP × PUE)",
    "investment.delivery": "when they enter service: the decision + the lead time",
    "investment.bound": "what limited the order: `demand` (utilization below target), `funds`, "
    "`production` or `power`",
    "budget.time": "when a lab planned a run or charged a step of research (before the start "
    "during the labs' warm-up)",
    "budget.revenue_usd_per_year": "token revenue of the trailing year (annualized while the run "
    "is younger than a year; 0 before its start)",
    "budget.outside_usd_per_year": "outside investment, grown from its reference date",
    "budget.budget_usd_per_year": "revenue share × revenue + outside investment",
    "budget.trend_usd_per_year": "what all labs' compute trends would spend a year at the time",
    "budget.multiplier": "min(1, budget / trend): the factor on every run and research step "
    "sized then",
    "background.workload": "the workload (`[background.NAME]`): ranking, recommendation, search, "
    "classic ML",
    "background.h100e_hours": "the workload's load: its busy H100-equivalents over the bin",
    "background.served_h100e_hours": "what the fleet ran of it (it runs first; less only where "
    "the load exceeds the whole fleet)",
    "background.energy_mwh": "the load's facility energy, as H100s: H100 TDP × PUE",
    "background.cost_usd": "the load at the H100's rental price",
}


def schema_of(table: str) -> pa.Schema:
    """The Arrow schema of a run folder's table, from the module that builds it."""
    module_name, _ = TABLES[table]
    schema = getattr(importlib.import_module(module_name), table.upper())
    if not isinstance(schema, pa.Schema):
        raise TypeError(f"{module_name}.{table.upper()} is not an Arrow schema")
    return schema


def unit_of(field: pa.Field) -> str:
    """The unit in a field's metadata, or an empty string."""
    meta: dict[bytes, bytes] = field.metadata or {}
    return meta.get(b"unit", b"").decode()


def column_doc(table: str, column: str) -> str:
    """What a column means: the table's own description, else the shared one."""
    doc = COLUMNS.get(f"{table}.{column}", COLUMNS.get(column))
    if doc is None:
        raise KeyError(
            f"docs/docgen.py: column {table}.{column} has no description; add one to COLUMNS"
        )
    return doc


def type_name(kind: pa.DataType) -> str:
    """An Arrow type as a reader writes it."""
    if pa.types.is_timestamp(kind):
        return f"timestamp[{kind.unit}, {kind.tz}]"
    return str(kind)


def outputs_tables() -> str:
    """A section per table of a run folder: every column with its type, unit and meaning."""
    lines: list[str] = []
    for table, (module_name, rows) in TABLES.items():
        schema = schema_of(table)
        lines += [
            f"### `{table}.parquet`",
            "",
            f"One row per {rows}. Schema: `{module_name}.{table.upper()}`.",
            "",
            "| column | type | unit | meaning |",
            "|---|---|---|---|",
        ]
        for field in schema:
            meaning = column_doc(table, field.name)
            if field.nullable:
                meaning += " (nullable)"
            unit = unit_of(field) or "—"
            lines.append(f"| `{field.name}` | {type_name(field.type)} | {unit} | {meaning} |")
        lines.append("")
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------


def cli_reference() -> str:
    """Every command, argument and option of `simdemand`, from typer's own docs generator."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "typer",
            "simdemand.cli.app",
            "utils",
            "docs",
            "--name",
            "simdemand",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    text = done.stdout.strip()
    # typer writes `# simdemand` then `## simdemand CMD`: one level down, under the page's title.
    text = re.sub(r"^(#+) ", lambda m: "#" + m.group(1) + " ", text, flags=re.MULTILINE)
    return text + "\n"


# --- Python API -------------------------------------------------------------------------------


def layers() -> list[list[str]]:
    """The packages of the import contract in pyproject.toml, top layer first."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in project["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return [[name.strip() for name in layer.split("|")] for layer in contract["layers"]]


def api_packages() -> list[str]:
    """The documented modules and packages, bottom layer first (the order of the data flow)."""
    return [name for layer in reversed(layers()) for name in layer]


def submodules(name: str) -> Iterator[str]:
    """A module's submodules, depth first, in name order (none for a plain module)."""
    module = importlib.import_module(name)
    for info in sorted(pkgutil.iter_modules(getattr(module, "__path__", [])), key=lambda i: i.name):
        full = f"{name}.{info.name}"
        yield full
        if info.ispkg:
            yield from submodules(full)


def api_page(name: str) -> str:
    """The reference page of one package (its docstring, then each submodule) or module."""
    parts = [f"# `{name}`", ""]
    subs = list(submodules(name))
    if not subs:
        return "\n".join(
            [*parts, f"::: {name}", "    options:", "      show_root_heading: false", ""]
        )
    parts += [
        f"::: {name}",
        "    options:",
        "      show_root_heading: false",
        "      members: false",
        "",
    ]
    for sub in subs:
        parts += [f"::: {sub}", ""]
    return "\n".join(parts)


def api_index() -> str:
    """The API overview: the package's own API, then one line per layer of the data flow."""
    lines = [
        "# Python API",
        "",
        "Everything the command line does is a function of the package. The top level holds "
        "the calls of a run:",
        "",
        "::: simdemand",
        "    options:",
        "      show_root_heading: false",
        "      members: [load_scenario, simulate, write_results, read_run, Run, Results]",
        "",
        "## The layers",
        "",
        "Pages follow the data flow, bottom layer first; a module imports only from the layers "
        "below its own (the import contract in `pyproject.toml`, checked by `lint-imports`).",
        "",
        "| layer | packages |",
        "|---|---|",
    ]
    for depth, layer in enumerate(reversed(layers()), start=1):
        links = ", ".join(f"[`{name}`]({name}.md)" for name in layer)
        lines.append(f"| {depth} | {links} |")
    return "\n".join(lines) + "\n"


# --- calibration ------------------------------------------------------------------------------


def cell(value: object) -> str:
    """A catalog value as a table cell: numbers to four digits, absent as a dash."""
    if value is None or value == ():
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple):
        return ", ".join(f"`{v}`" for v in value)
    return str(value)


def hardware_table() -> str:
    """The bundled catalog: every field of every accelerator (the columns are the fields of
    `Hardware`, so a new field shows up by itself), then each entry's source."""
    from simdemand.catalog import Hardware, load_catalog

    catalog = load_catalog()
    fields = [name for name in Hardware.model_fields if name not in ("name", "source")]
    lines = [
        "| name | " + " | ".join(f"`{f}`" for f in fields) + " |",
        "|---|" + "---|" * len(fields),
    ]
    for name in catalog:
        hw = catalog[name]
        lines.append(f"| `{name}` | " + " | ".join(cell(getattr(hw, f)) for f in fields) + " |")
    lines.append("")
    for name in catalog:
        source = " ".join(catalog[name].source.split())
        lines += [f"**`{name}`**: {source}", ""]
    return "\n".join(lines)


def published_figures() -> str:
    """The figures `simdemand scorecard` holds a run against, from their data file: a table of
    the figures, then each one's source and note."""
    from simdemand.calibration.scorecard import published

    reading = {"equal": "the same thing", "at_least": "a part: run ≥", "at_most": "a bound: run ≤"}
    figures = published()
    lines = [
        "| id | measure | period | value | unit | read as | within |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        measure = f"`{f.measure}`" + (f" of `{f.agents}*`" if f.agents else "")
        period = f.period + (f", run's {f.simulated_period}" if f.simulated_period else "")
        lines.append(
            f"| `{f.id}` | {measure} | {period} | {f.value:.3g} | {f.unit} | "
            f"{reading[f.kind]} | ×{f.within:g} |"
        )
    lines.append("")
    for f in figures:
        source = " ".join(f.source.split())
        link = f" ([link]({f.url}))" if f.url else ""
        note = f" *{' '.join(f.note.split())}*" if f.note else ""
        lines += [f"**`{f.id}`**: {source}{link}.{note}", ""]
    return "\n".join(lines)


# --- scenario reference -----------------------------------------------------------------------

# The top-level keys of a scenario whose reference is generated (`[hardware.NAME]` is the
# catalog's: its fields are listed on the calibration page); each is a marker `scenario-KEY`.
SCENARIO_KEYS = ("run", "labs", "communities", "users", "fleet", "economy", "background")
# How a key-value table names the key it is filed under, by section.
KEY_NAMES = {"labs": "ARCHETYPE", "users": "COHORT"}
TYPE_NAMES = {float: "number", int: "integer", str: "string", bool: "boolean", dt.date: "date"}
BOUNDS = (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"), ("max_length", "length ≤"))


@dataclass(frozen=True)
class Section:
    """A table of a scenario file: its TOML header, the models it may hold (several for a
    discriminated union) and whether it is an array of tables."""

    path: str
    models: tuple[type[BaseModel], ...]
    array: bool = False

    @property
    def header(self) -> str:
        """The TOML header, `[a.b]` or `[[a.b]]`."""
        return f"[[{self.path}]]" if self.array else f"[{self.path}]"


def strip_annotated(tp: Any) -> Any:
    """A type without its `Annotated[...]` metadata."""
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def union_members(tp: Any) -> list[Any]:
    """The members of a union (without None), or the type itself."""
    tp = strip_annotated(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [strip_annotated(a) for a in typing.get_args(tp) if a is not type(None)]
    return [tp]


def is_model(tp: Any) -> bool:
    """A pydantic model class."""
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def child_section(path: str, name: str, annotation: Any) -> Section | None:
    """The table a field opens, if its value is a table (or tables) of models."""
    members = union_members(annotation)
    if all(is_model(m) for m in members):
        return Section(f"{path}.{name}", tuple(members))
    (inner,) = members if len(members) == 1 else (None,)
    origin = typing.get_origin(inner)
    args = typing.get_args(inner)
    if origin is dict:
        values = union_members(args[1])
        if all(is_model(v) for v in values):
            return Section(f"{path}.{name}.{KEY_NAMES.get(name, 'NAME')}", tuple(values))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        items = union_members(args[0])
        if all(is_model(v) for v in items):
            return Section(f"{path}.{name}", tuple(items), array=True)
    return None


def scenario_sections(key: str) -> list[Section]:
    """The tables under a top-level key of a scenario, depth first, in field order."""
    from simdemand.scenario.schema import Scenario

    top = child_section("", key, Scenario.model_fields[key].annotation)
    assert top is not None, key
    top = Section(top.path.lstrip("."), top.models, top.array)
    sections: list[Section] = []

    def visit(section: Section) -> None:
        sections.append(section)
        seen: set[str] = set()
        for model in section.models:
            for name, field in model.model_fields.items():
                child = child_section(section.path, name, field.annotation)
                if child is not None and name not in seen:
                    seen.add(name)
                    visit(child)

    visit(top)
    return sections


def type_label(tp: Any) -> str:
    """A field's type as a scenario writer reads it."""
    tp = strip_annotated(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        return " or ".join(f'`"{a}"`' for a in args)
    if origin in (typing.Union, types.UnionType):
        labels = (type_label(a) for a in args if a is not type(None))
        return " or ".join(dict.fromkeys(labels))
    if origin is dict:
        return f"table of {type_label(args[1])}"
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"array of {type_label(args[0])}"
        return f"array of {len(args)}: " + ", ".join(type_label(a) for a in args)
    if is_model(tp):
        return "table"
    return TYPE_NAMES.get(tp, getattr(tp, "__name__", str(tp)))


def toml_value(value: Any) -> str:
    """A default value as it would be written in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        return f"{value:g}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, BaseModel):
        return toml_value(value.model_dump())
    return str(value)


def default_label(field: FieldInfo) -> str:
    """A field's default: `required`, `none`, the value, or a pointer to its own table."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "see its table"
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, tuple) and len(value) > 8:
        return f"{len(value)} values: " + toml_value(value)
    return f"`{toml_value(value)}`"


def bounds_label(field: FieldInfo) -> str:
    """A field's bounds, from its metadata and that of its union members or items."""
    found: list[tuple[str, Any]] = []

    def collect(metadata: Iterable[Any], prefix: str) -> None:
        for item in metadata:
            items = item.metadata if isinstance(item, FieldInfo) else [item]
            for constraint in items:
                for attr, sign in BOUNDS:
                    if getattr(constraint, attr, None) is not None:
                        found.append((prefix + sign, getattr(constraint, attr)))
                pattern = getattr(constraint, "pattern", None)
                if isinstance(pattern, str):
                    found.append((prefix + "pattern", f"`{pattern}`"))

    collect(field.metadata, "")
    for member in union_members(field.annotation):
        if typing.get_origin(member) is tuple:
            for arg in typing.get_args(member):
                if typing.get_origin(arg) is Annotated:
                    collect(typing.get_args(arg)[1:], "each ")
    annotation = field.annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if typing.get_origin(arg) is Annotated:
                collect(typing.get_args(arg)[1:], "")
    parts = [
        f"{sign} {v.isoformat() if isinstance(v, dt.date) else cell_number(v)}" for sign, v in found
    ]
    return ", ".join(dict.fromkeys(parts)) or "—"


def cell_number(value: Any) -> str:
    """A bound as a cell: integers in full (with separators) up to 1e12, else short."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**12:
        return f"{value:,}"
    return f"{value:.4g}" if isinstance(value, float | int) else str(value)


def field_extra(field: FieldInfo, key: str) -> str:
    """`unit` or `source` from a field's JSON Schema extra."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    value = extra.get(key, "")
    return str(value)


def field_rows(fields: dict[str, FieldInfo]) -> list[str]:
    """A table of fields: key, type, default, bounds, unit, description, source."""
    lines = [
        "| key | type | default | bounds | unit | description | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, field in fields.items():
        cells = (
            f"`{name}`",
            type_label(field.annotation),
            default_label(field),
            bounds_label(field),
            field_extra(field, "unit"),
            field.description or "",
            field_extra(field, "source"),
        )
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def scenario_reference(key: str) -> str:
    """The reference of a top-level key of a scenario: a table per section (for a union of
    models, the fields all share, then each member's own), from the pydantic fields'
    descriptions, units, sources, defaults and bounds."""
    lines: list[str] = []
    for i, section in enumerate(scenario_sections(key)):
        if i:
            lines += [f"### `{section.header}`", ""]
        first, *others = section.models
        shared = {
            name: field
            for name, field in first.model_fields.items()
            if all(
                name in m.model_fields and m.model_fields[name].description == field.description
                for m in others
            )
        }
        doc = " ".join((first.__doc__ or "").split()) if not others else ""
        if doc:
            lines += [doc, ""]
        lines += [*field_rows(shared), ""]
        for model in section.models if others else ():
            own = {n: f for n, f in model.model_fields.items() if n not in shared}
            lines += [f"{' '.join((model.__doc__ or '').split())} Its own keys:", ""]
            lines += [*field_rows(own), ""]
    return "\n".join(lines)


# --- gallery ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shot:
    """One figure of the gallery: the `simdemand plot` kind, the run it is drawn from, what it
    shows."""

    kind: str
    run: str
    caption: str


# The runs of the gallery: a scenario file and its `--set` overrides.
RUNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "baseline": ("scenarios/baseline.toml", ()),
    "baseline-hourly": (
        "scenarios/baseline.toml",
        ("run.name=baseline-hourly", "run.resolution=hour", "run.end=2025-02-01"),
    ),
    "fleet": ("scenarios/fleet.toml", ()),
}
GALLERY = (
    Shot("regimes", "baseline", "GPU-hours, energy (MWh) and cost (USD) per month, by regime."),
    Shot("growth", "baseline", "Each regime and the total on a log scale, with growth per year."),
    Shot("cumulative", "baseline", "Cumulative demand by regime."),
    Shot("hardware", "baseline", "GPU-hours by GPU generation."),
    Shot(
        "daily",
        "baseline-hourly",
        "Hourly demand and the daily cycle (January 2025 at hourly bins).",
    ),
    Shot("models", "baseline", "Pretraining compute of released models against Epoch AI's data."),
    Shot(
        "ecosystem",
        "baseline",
        "Derivatives per open base, and each base's post-training against its pretraining "
        "(the seed's ~30x).",
    ),
    Shot(
        "queries",
        "baseline",
        "Compute per query class against a single pass (the seed's ~100x).",
    ),
    Shot(
        "supply",
        "fleet",
        "The fleet run: demand against installed capacity (H100-equivalents) and the unmet "
        "share by regime.",
    ),
    Shot(
        "technology",
        "baseline",
        "By year: test-time USD per million tokens by class and at fixed capability, GPU-seconds "
        "per query, the serving hardware mix, and the largest pretraining run's FLOP and GPUs.",
    ),
)
# The README's pictures: small copies of three of them, committed in docs/img/.
README_KINDS = ("regimes", "supply", "queries")


def draw(shots: tuple[Shot, ...], out: Path, dpi: int) -> dict[str, Path]:
    """Simulate the runs the shots need, draw each shot as `out/<kind>.png`; the paths by kind."""
    from simdemand import load_scenario, plots, read_run, simulate, write_results

    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for run_name in dict.fromkeys(shot.run for shot in shots):
            scenario_file, overrides = RUNS[run_name]
            scenario = load_scenario(ROOT / scenario_file, list(overrides))
            run = read_run(write_results(simulate(scenario), Path(tmp) / run_name))
            for shot in (s for s in shots if s.run == run_name):
                reason = plots.missing_data(run, shot.kind)
                if reason is not None:
                    raise ValueError(f"gallery: run {run_name} cannot show {shot.kind}: {reason}")
                fig = plots.run_figure(run, shot.kind)
                paths[shot.kind] = out / f"{shot.kind}.png"
                fig.savefig(paths[shot.kind], dpi=dpi)
    return paths


def gallery_page(image_dir: str) -> str:
    """The gallery's Markdown: a section per figure, with how to draw it yourself."""
    lines: list[str] = []
    for shot in GALLERY:
        scenario_file, overrides = RUNS[shot.run]
        sets = "".join(f" --set {o}" for o in overrides if not o.startswith("run.name="))
        lines += [
            f"## `{shot.kind}`",
            "",
            shot.caption,
            "",
            f"![{shot.kind}]({image_dir}/{shot.kind}.png)",
            "",
            "```bash",
            f"simdemand run {scenario_file} --out runs/{shot.run}{sets}",
            f"simdemand plot runs/{shot.run} --kind {shot.kind}",
            "```",
            "",
        ]
    return "\n".join(lines)


# --- pages ------------------------------------------------------------------------------------

GENERATORS: dict[str, Callable[[], str]] = {
    "outputs": outputs_tables,
    "cli": cli_reference,
    "hardware": hardware_table,
    "published": published_figures,
    "gallery": lambda: gallery_page("gallery"),
    **{f"scenario-{key}": partial(scenario_reference, key) for key in SCENARIO_KEYS},
}


def markers(text: str) -> list[str]:
    """The generators a page asks for, in order."""
    return MARKER.findall(text)


def fill(text: str, generated: dict[str, str]) -> str:
    """A page with each marker line replaced by what its generator wrote."""
    return MARKER.sub(lambda m: generated[m.group(1)].rstrip("\n"), text)


def readme_images(out: Path = DOCS / "img", dpi: int = 60) -> None:
    """Redraw the README's pictures, small (each well under 150 KB)."""
    shots = tuple(shot for shot in GALLERY if shot.kind in README_KINDS)
    for kind, path in draw(shots, out, dpi).items():
        print(f"{kind}: {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    if sys.argv[1:] != ["readme-images"]:
        sys.exit("usage: python docs/docgen.py readme-images")
    readme_images()
