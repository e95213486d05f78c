"""Fuzz: generated scenario files and overrides end in a correct run or in one line per error.

Hypothesis edits a small scenario with every kind of agent (a lab archetype, a community, a
cohort, a fleet) in the file and on the command line, with values valid and invalid, extreme
numbers and dates, unknown keys and hardware, broken encodings. Every case must end, within a
time bound, in exit 0 with finite outputs whose time series conserves the jobs per regime, or in
exit 2 with one `FILE: path: message` line per error, no traceback and nothing written.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from simdemand.cli import app

BASE: dict[str, Any] = {
    "run": {
        "name": "fuzz",
        "start": dt.date(2025, 1, 1),
        "end": dt.date(2025, 7, 1),
        "seed": 3,
        "resolution": "week",
    },
    "labs": {
        "big": {
            "count": 2,
            "reference_date": dt.date(2025, 1, 1),
            "compute_flop_at_reference": 1e24,
            "compute_growth_per_year": 4.0,
            "runs_per_year": 3.0,
            "cluster_gpus_at_reference": 4096,
            "max_run_days": 60.0,
        }
    },
    "communities": {"c": {"derivatives_per_month": 1000.0, "step_days": 14.0}},
    "users": {
        "people": {
            "reference_date": dt.date(2025, 1, 1),
            "adoption": {
                "curve": "logistic",
                "users_at_reference": 1e6,
                "ceiling_users": 1e7,
                "rate_per_year": 1.0,
            },
            "queries_per_user_per_day": 5.0,
            "step_days": 7,
            "classes": {
                "chat": {"kind": "chat", "share": 1.0, "input_tokens": 1e3, "output_tokens": 500.0}
            },
        }
    },
    "fleet": {
        "deliveries": [{"date": dt.date(2024, 6, 1), "hardware": "H100-SXM", "gpus": 20000}],
        "pools": {"cloud": {"share": 1.0}},
    },
}
# Numeric fields and a typical value of each (what the defaults or BASE hold).
NUMBERS = {
    "run.pue": 1.2,
    "labs.big.count": 2,
    "labs.big.compute_flop_at_reference": 1e24,
    "labs.big.compute_growth_per_year": 4.0,
    "labs.big.compute_sigma": 0.5,
    "labs.big.runs_per_year": 3.0,
    "labs.big.cluster_gpus_at_reference": 4096,
    "labs.big.cluster_growth_per_year": 1.5,
    "labs.big.min_run_days": 14.0,
    "labs.big.max_run_days": 60.0,
    "labs.big.tokens_per_param": 20.0,
    "labs.big.active_fraction": 0.5,
    "labs.big.hardware_lag_days": 180.0,
    "labs.big.experiments_multiple": 1.0,
    "labs.big.experiments_days": 90.0,
    "labs.big.release_lag_days": 30.0,
    "labs.big.algorithmic_halving_months": 8.0,
    "communities.c.derivatives_per_month": 1000.0,
    "communities.c.growth_per_year": 1.3,
    "communities.c.step_days": 14.0,
    "communities.c.hardware_lag_days": 365.0,
    "communities.c.quality_nats": 0.03,
    "communities.c.closed.derivatives_per_month": 3000.0,
    "users.people.queries_per_user_per_day": 5.0,
    "users.people.queries_growth_per_year": 1.2,
    "users.people.day_sigma": 0.2,
    "users.people.step_days": 7,
    "users.people.adoption.users_at_reference": 1e6,
    "users.people.adoption.ceiling_users": 1e7,
    "users.people.adoption.rate_per_year": 1.0,
    "users.people.classes.chat.input_tokens": 1000.0,
    "users.people.classes.chat.output_tokens": 500.0,
    "users.people.classes.chat.output_tokens_max": 5000.0,
    "users.people.classes.chat.output_growth_per_year": 2.0,
    "users.people.classes.chat.output_sigma": 1.0,
    "users.people.serving.hardware_lag_days": 180.0,
    "users.people.serving.latency_target_s": 0.05,
    "users.people.serving.software_gain_per_year": 1.5,
    "users.people.serving.efficient_max_active_params": 4e10,
    "users.people.classes.chat.efficient_share": 0.3,
    "fleet.service_life_years": 5.0,
    "fleet.headroom_hours": 24.0,
    "hardware.H100-SXM.tdp_w": 700.0,
    "hardware.H100-SXM.bf16_flop_per_s": 989e12,
}
DATES = [
    "run.start",
    "run.end",
    "labs.big.reference_date",
    "communities.c.reference_date",
    "users.people.reference_date",
    "labs.big.algorithmic_reference_date",
    "users.people.serving.software_reference_date",
    "hardware.H100-SXM.available",
    "hardware.A100-80GB.available",
]
NAMES = ["labs.big.hardware", "run.resolution", "run.name", "users.people.serving.policy"]
SEED = ["run.seed"]
UNKNOWN = ["run.colour", "labs.big.speed", "nothing.at.all", "labs", "users.people.classes"]
TIMEOUT_S = 30
MAX_WORK = "1e5"  # keeps every accepted run small; larger ones are refused (also tested)

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-10.0, max_value=1e4),
    st.sampled_from([0.0, -1.0, 1e-300, 0.5, 1.0, 2.0, 3.0, 100.0, 1e7, 1e15, 1e30, 1e300]),
)
integers = st.one_of(st.integers(-5, 5000), st.integers(-(2**70), 2**70))
near_dates = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 1, 1))
dates = st.one_of(st.dates(), near_dates)  # years 1 to 9999, or near the base's
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
names = st.one_of(
    st.sampled_from(["h100", "H800", "mi300x", "B200", "A100-80GB", "Z9000", "month", "hour"]),
    texts,
)
value = st.one_of(floats, integers, dates, names, st.booleans())


@st.composite
def plausible(draw: st.DrawFn, path: str) -> Any:
    """A value near the field's typical one (a factor of 1/30 to 30), of its type."""
    typical = NUMBERS[path]
    scaled = typical * 10 ** draw(st.floats(min_value=-1.5, max_value=1.5))
    return max(1, round(scaled)) if isinstance(typical, int) else scaled


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, Any]:
    """One (dotted path, value): mostly a plausible value of the field's kind, else anything."""
    kind = draw(st.sampled_from(["number"] * 6 + ["date", "name", "seed", "unknown"]))
    wild = draw(st.integers(0, 9)) < 3
    if kind == "number":
        path = draw(st.sampled_from(sorted(NUMBERS)))
        return path, draw(value if wild else plausible(path))
    paths = {"date": DATES, "name": NAMES, "seed": SEED, "unknown": UNKNOWN}
    path = draw(st.sampled_from(paths[kind]))
    near = {"date": near_dates, "name": names, "seed": st.integers(0, 2**40)}
    return path, draw(value if wild else near.get(kind, value))


MANGLES = ["none"] * 16 + ["utf-16", "truncated", "binary", "nested"]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]], str]:
    """Edits made in the file, edits given as --set, and how the file's bytes are mangled."""
    in_file = draw(st.lists(edits(), max_size=2))
    on_line = draw(st.lists(edits(), max_size=2))
    return in_file, on_line, draw(st.sampled_from(MANGLES))


def toml_value(value: Any) -> str:
    """A value as TOML text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else {math.inf: "inf", -math.inf: "-inf"}.get(value, repr(value))
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{k}" = {toml_value(v)}' for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def toml_text(data: dict[str, Any], prefix: str = "") -> str:
    """Nested tables as TOML text: scalars first, then one [table] per sub-table."""
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    lines = [f"[{prefix}]"] if prefix and scalars else []
    lines += [f'"{k}" = {toml_value(v)}' for k, v in scalars.items()]
    for key, sub in tables.items():
        lines.append(toml_text(sub, f'{prefix}."{key}"' if prefix else f'"{key}"'))
    return "\n".join(lines) + "\n"


def scenario_bytes(in_file: list[tuple[str, Any]], mangle: str) -> bytes:
    """The scenario file: BASE with the file edits, its bytes mangled as asked."""
    data = BASE
    for path, value in in_file:
        data = apply(data, path, value)
    text = toml_text(data)
    if mangle == "utf-16":
        return text.encode("utf-16")
    if mangle == "truncated":
        return text.encode()[: len(text) // 2]
    if mangle == "binary":
        return bytes(range(256)) * 4
    if mangle == "nested":
        return b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n" + text.encode()
    return text.encode("utf-8")


def apply(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `data` with one dotted path set."""
    out = dict(data)
    parts = path.split(".")
    if len(parts) == 1:
        out[parts[0]] = value
        return out
    child = out.get(parts[0])
    out[parts[0]] = apply(child if isinstance(child, dict) else {}, ".".join(parts[1:]), value)
    return out


class Hang(BaseException):
    """A case that ran longer than the bound (not an Exception: nothing may catch it)."""


@contextmanager
def time_bound(seconds: int) -> Iterator[None]:
    """Raise Hang if the block runs longer than `seconds`."""

    def expire(signum: int, frame: object) -> None:
        raise Hang(f"no end within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_outputs(out: Path) -> None:
    """Finite amounts, and per regime the time series sums to the jobs."""
    ts, jobs = (pq.read_table(out / f"{name}.parquet") for name in ("timeseries", "jobs"))
    for table in (ts, jobs):
        for column in ("gpu_hours", "flop", "energy_mwh", "cost_usd", "queries", "tokens"):
            values = table.column(column)
            assert pc.all(pc.is_finite(values)).as_py() in (True, None), column
            assert pc.min(values).as_py() is None or pc.min(values).as_py() >= 0, column
    for regime in set(jobs.column("regime").to_pylist()):
        want = sums(jobs, regime)
        got = sums(ts, regime)
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), (regime, got, want)


def sums(table: pa.Table, regime: str) -> float:
    """GPU-hours of one regime in a table."""
    rows = table.filter(pc.equal(table.column("regime"), regime))
    return float(pc.sum(rows.column("gpu_hours")).as_py() or 0.0)


@settings(
    max_examples=int(os.environ.get("SIMDEMAND_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
@given(case=cases())
def test_generated_scenarios_run_correctly_or_fail_in_one_line_each(
    case: tuple[list[tuple[str, Any]], list[tuple[str, Any]], str],
) -> None:
    in_file, on_line, mangle = case
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "fuzz.toml"
        file.write_bytes(scenario_bytes(in_file, mangle))
        out = Path(tmp) / "out"
        sets = [arg for path, v in on_line for arg in ("--set", f"{path}={toml_value(v)}")]
        args = ["run", str(file), "--out", str(out), "--max-work", MAX_WORK, *sets]
        with time_bound(TIMEOUT_S):
            result = CliRunner().invoke(app, args)
        event(f"exit {result.exit_code}")
        assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
        assert "Traceback" not in result.output
        if result.exit_code == 0:
            check_outputs(out)
            return
        lines = result.stderr.splitlines()
        assert lines, "exit 2 without a message"
        event(lines[0].removeprefix(f"{file}: ").split(":")[0])
        for line in lines:
            assert line.startswith(f"{file}: "), line
            assert len(line.removeprefix(f"{file}: ").split(": ", 1)) == 2, line
        assert not out.exists()
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["fuzz.toml"]
