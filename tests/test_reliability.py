"""Reliability: nothing of the user's is deleted, and every bad input ends in one line, exit 2.

One test (or one parametrized case) per case of the reliability issue and the others found
trying the command line as a new user would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import simdemand.cli.run as cli_run
import simdemand.results.writer as writer
from simdemand import load_scenario, read_run, simulate, write_results
from simdemand.catalog import load_catalog
from simdemand.cli import app
from simdemand.errors import InputError, OutputError, shorten
from simdemand.experiments import load_sweep
from simdemand.experiments.store import SweepStore
from simdemand.results.writer import clean_leftovers, replace_dir
from simdemand.scenario import workload
from simdemand.scenario.timing import COMMUNITY_WARMUP_DAYS, lab_warmup_days
from simdemand.world.agents import communities as world_communities
from simdemand.world.agents.labs import warmup_hours

HERE = Path(__file__).parent / "scenarios"
ROOT = HERE.parent.parent
TINY = HERE / "tiny.toml"
USERS = HERE / "users.toml"
COMMUNITIES = HERE / "communities.toml"
FLEET = HERE / "fleet.toml"
GRID = HERE / "sweep_grid.toml"


def invoke(*args: object) -> tuple[int, list[str], str]:
    """Run the CLI; return the exit code, the stderr lines and stdout."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr.splitlines(), result.stdout


def refused(*args: object) -> str:
    """Run the CLI, assert exit 2 with exactly one line, and return it."""
    code, lines, _ = invoke(*args)
    assert code == 2, lines
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder of the tiny scenario, written once."""
    out = tmp_path_factory.mktemp("results") / "tiny"
    write_results(simulate(load_scenario(TINY)), out)
    return out


def copy_of(results_dir: Path, where: Path) -> Path:
    """A fresh copy of the results folder."""
    return Path(shutil.copytree(results_dir, where))


def dead_pid() -> int:
    """The id of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make simulating fail the test: output checks must come first."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated before the output folder was checked")

    monkeypatch.setattr(cli_run, "simulate_parts", forbidden)


# --- nothing of the user's is deleted ---------------------------------------------------------


def test_force_refuses_a_folder_simdemand_did_not_write(
    tmp_path: Path, no_simulation: None
) -> None:
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("my thesis")
    line = refused("run", TINY, "--out", thesis, "--force")
    assert "not replaced" in line
    assert "no manifest.json" in line
    assert (thesis / "chapter1.tex").read_text() == "my thesis"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]


def test_force_refuses_a_foreign_manifest(tmp_path: Path, no_simulation: None) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text('{"name": "not ours"}')
    assert "not simdemand's" in refused("run", TINY, "--out", other, "--force")
    assert (other / "manifest.json").read_text() == '{"name": "not ours"}'


def test_force_refuses_a_results_folder_holding_user_files(
    results_dir: Path, tmp_path: Path, no_simulation: None
) -> None:
    run = copy_of(results_dir, tmp_path / "run")
    (run / "notes.txt").write_text("mine")
    line = refused("run", TINY, "--out", run, "--force")
    assert "files simdemand did not write (notes.txt)" in line
    assert (run / "notes.txt").read_text() == "mine"
    assert (run / "jobs.parquet").read_bytes() == (results_dir / "jobs.parquet").read_bytes()


def test_force_replaces_a_results_folder_and_its_figures(results_dir: Path, tmp_path: Path) -> None:
    run = copy_of(results_dir, tmp_path / "run")
    (run / "regimes.png").write_bytes(b"a figure simdemand plot wrote")
    code, lines, _ = invoke("run", TINY, "--out", run, "--force", "--seed", "8")
    assert code == 0, lines
    assert json.loads((run / "manifest.json").read_text())["seed"] == 8
    assert not (run / "regimes.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_replace_checks_again_at_the_last_moment(results_dir: Path, tmp_path: Path) -> None:
    """A file put in the old folder while the run was simulated stops the replacement."""
    run = copy_of(results_dir, tmp_path / "run")
    new = copy_of(results_dir, tmp_path / ".run.partial-1")
    (run / "added-meanwhile.csv").write_text("1,2")
    with pytest.raises(OutputError, match=r"added-meanwhile\.csv"):
        replace_dir(new, run)
    assert (run / "added-meanwhile.csv").exists()
    assert new.exists()


def test_write_results_api_refuses_a_user_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "keep.csv").write_text("x")
    with pytest.raises(OutputError, match=r"no manifest\.json"):
        write_results(simulate(load_scenario(TINY)), tmp_path / "data", force=True)
    assert (tmp_path / "data" / "keep.csv").exists()


@pytest.mark.parametrize(
    ("make", "out", "force", "message"),
    [
        ("file", "afile/run", False, "is a file, not a folder"),
        ("file", "afile", True, "exists and is a file"),
        ("file", "afile", False, "exists and is a file"),
        ("none", ".", True, "is the current folder"),
        ("none", "", False, "is the current folder"),
        ("link", "link", True, "symbolic link"),
        ("none", "n" * 250, False, "too long"),
        ("dir", "adir", False, "exists; pass --force"),
    ],
)
def test_bad_out_is_refused_before_simulating(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_simulation: None,
    make: str,
    out: str,
    force: bool,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    if make == "file":
        Path("afile").write_text("user data")
    elif make == "link":
        Path("target").mkdir()
        Path("link").symlink_to("target")
    elif make == "dir":
        Path("adir").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    line = refused("run", TINY, "--out", out, *(["--force"] if force else []))
    assert message in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if make == "file":
        assert Path("afile").read_text() == "user data"


def test_unwritable_parent_is_refused_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_simulation: None
) -> None:
    """(Permissions cannot be taken from root, so the check is made to see none.)"""
    monkeypatch.setattr(writer, "writable", lambda folder: False)
    assert "permission denied" in refused("run", TINY, "--out", tmp_path / "x" / "run")
    assert list(tmp_path.iterdir()) == []


def test_stale_partials_of_dead_runs_are_removed_others_kept(
    results_dir: Path, tmp_path: Path
) -> None:
    dead = dead_pid()
    ours = copy_of(results_dir, tmp_path / f".run.partial-{dead}")
    (ours / "jobs.parquet.tmp").write_bytes(b"half")
    old = copy_of(results_dir, tmp_path / f".run.old-{dead}")
    foreign = tmp_path / f".run.old-{dead + 1}"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("not ours")
    live = copy_of(results_dir, tmp_path / f".run.partial-{os.getpid()}")
    notes = clean_leftovers(tmp_path)
    assert not ours.exists()
    assert not old.exists()
    assert foreign.exists()
    assert live.exists()
    assert len(notes) == (0 if writer.pid_alive(dead + 1) else 1)


def test_run_reports_a_leftover_it_cannot_prove_ours(tmp_path: Path) -> None:
    foreign = tmp_path / f".run.partial-{dead_pid()}"
    foreign.mkdir()
    (foreign / "photo.jpg").write_bytes(b"x")
    code, lines, _ = invoke("run", TINY, "--out", tmp_path / "run")
    assert code == 0
    assert lines == [
        f"note: {foreign}: left in place: named like an unfinished simdemand write, "
        "but it holds files simdemand does not write"
    ]
    assert (foreign / "photo.jpg").exists()


def test_resume_refuses_a_folder_that_holds_no_sweep(tmp_path: Path) -> None:
    mine = tmp_path / "mydata"
    mine.mkdir()
    (mine / "draft.tmp").write_text("important")
    assert "no sweep" in refused("sweep", GRID, "--out", mine, "--resume")
    assert (mine / "draft.tmp").read_text() == "important"
    assert [p.name for p in mine.iterdir()] == ["draft.tmp"]


def test_resume_touches_only_names_simdemand_writes(tmp_path: Path) -> None:
    root = tmp_path / "sweep"
    assert invoke("sweep", GRID, "--out", root)[0] == 0
    scenario = next(root.glob("scenario=*"))
    user = [root / "mine.tmp", root / "notes.txt", scenario / "user.txt"]
    for path in user:
        path.write_text("mine")
    (root / "scenario=zz").mkdir()
    (root / "scenario=zz" / "keep.txt").write_text("mine")
    partial = scenario / f".replication=0.partial-{dead_pid()}"
    partial.mkdir()
    (partial / "jobs.parquet.tmp").write_bytes(b"half")
    (root / "manifest.jsonl.tmp").write_text("torn")
    code, lines, _ = invoke("sweep", GRID, "--out", root, "--resume")
    assert code == 0, lines
    assert all(path.read_text() == "mine" for path in user)
    assert (root / "scenario=zz" / "keep.txt").exists()
    assert not partial.exists()
    assert not (root / "manifest.jsonl.tmp").exists()


def test_sweep_clean_leaves_an_unrecognised_run_folder(tmp_path: Path) -> None:
    root = tmp_path / "s"
    (root / "scenario=a" / "replication=0").mkdir(parents=True)
    (root / "scenario=a" / "replication=0" / "results.xlsx").write_text("mine")
    assert SweepStore(root).clean(set()) == []
    assert (root / "scenario=a" / "replication=0" / "results.xlsx").exists()


def test_sweep_out_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    assert "is a file" in refused("sweep", GRID, "--out", tmp_path / "afile")
    assert "is a file" in refused("sweep", GRID, "--out", tmp_path / "afile" / "x")


# --- plausibility: values and trends ----------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "sets", "where", "message"),
    [
        (TINY, ["labs.big.reference_date=1800-01-01"], "labs.big.reference_date", "1950-01-01"),
        (TINY, ["labs.big.reference_date=0225-01-01"], "labs.big.reference_date", "1950-01-01"),
        (TINY, ["labs.big.reference_date=2205-01-01"], "labs.big.reference_date", "2200-12-31"),
        (TINY, ["run.end=9990-01-01"], "run.end", "2200-12-31"),
        (TINY, ["labs.big.runs_per_year=1e7"], "labs.big.runs_per_year", "1000"),
        (TINY, ["labs.big.compute_flop_at_reference=1e40"], "labs.big.compute_flop", "1e+32"),
        (TINY, ["labs.big.compute_growth_per_year=1e3"], "labs.big.compute_growth", "100"),
        (
            TINY,
            ["labs.big.cluster_gpus_at_reference=1000000000"],
            "labs.big.cluster_gpus",
            "100000000",
        ),
        (TINY, ["labs.big.hardware_lag_days=1e9"], "labs.big.hardware_lag_days", "3650"),
        (TINY, ["labs.big.active_fraction=1e-300"], "labs.big.active_fraction", "0.001"),
        (USERS, ["users.people.queries_per_user_per_day=1e15"], "users.people.queries", "100000"),
        (USERS, ["users.people.adoption.ceiling_users=1e30"], "users.people.adoption", "1e+11"),
        (USERS, ["users.people.day_sigma=50"], "users.people.day_sigma", "2"),
        (
            USERS,
            [
                "users.people.classes.chat.output_tokens=1e30",
                "users.people.classes.chat.output_tokens_max=2e30",
            ],
            "users.people.classes.chat.output_tokens",
            "100000000",
        ),
        (COMMUNITIES, ["communities.c.step_days=1e-6"], "communities.c.step_days", "1"),
        (
            COMMUNITIES,
            ["communities.c.derivatives_per_month=1e12"],
            "communities.c.derivatives_per_month",
            "100000000",
        ),
        (FLEET, ["fleet.growth.gpus_per_quarter=1e12"], "fleet.growth.gpus_per_quarter", "1e+09"),
        (TINY, ["hardware.H100-SXM.bf16_flop_per_s=1e30"], "hardware.H100-SXM.bf16", "1e+21"),
    ],
)
def test_values_beyond_physical_bounds_are_refused(
    file: Path, sets: list[str], where: str, message: str
) -> None:
    code, lines, _ = invoke("validate", file, *(a for s in sets for a in ("--set", s)))
    assert code == 2, lines
    assert any(f": {where}" in line and message in line for line in lines), lines


@pytest.mark.parametrize(
    ("file", "sets", "where", "message"),
    [
        (TINY, ["labs.big.reference_date=1950-01-01"], "labs.big", "reaches 1e72 FLOP"),
        (
            TINY,
            ["labs.big.compute_growth_per_year=0.01", "labs.big.reference_date=2000-01-01"],
            "labs.big",
            "outside 1e12-1e32",
        ),
        (TINY, ["labs.big.cluster_growth_per_year=100"], "labs.big", "cluster trend"),
        (
            USERS,
            [
                "users.people.queries_per_user_per_day=1e5",
                "users.people.adoption.ceiling_users=1e11",
            ],
            "users.people.queries_per_user_per_day",
            "over 1e13 queries a day",
        ),
        (
            USERS,
            [
                "users.people.classes.chat.output_growth_per_year=100",
                "users.people.reference_date=2200-01-01",
                "users.people.mix_final_date=2200-06-01",
            ],
            "users.people.classes.chat.output_growth_per_year",
            "overflows",
        ),
        (
            USERS,
            ["users.people.classes.agentic.steps=10000"],
            "users.people.classes.agentic",
            "tokens in all calls",
        ),
        (
            USERS,
            [
                "users.people.adoption.rate_per_year=100",
                "users.people.reference_date=2100-01-01",
                "users.people.mix_final_date=2100-06-01",
            ],
            "users.people.adoption.rate_per_year",
            "overflows",
        ),
        (
            COMMUNITIES,
            ["communities.c.growth_per_year=100", "communities.c.reference_date=2000-01-01"],
            "communities.c.growth_per_year",
            "over 1e9 a month",
        ),
        (
            TINY,
            [
                "labs.big.algorithmic_halving_months=1",
                "labs.big.algorithmic_reference_date=2200-01-01",
            ],
            "labs.big.algorithmic_halving_months",
            "effective compute overflow",
        ),
        (
            USERS,
            [
                "users.people.serving.software_gain_per_year=100",
                "users.people.serving.software_reference_date=2200-01-01",
            ],
            "users.people.serving.software_gain_per_year",
            "overflows",
        ),
        (
            FLEET,
            ["fleet.growth.growth_per_year=100", "run.end=2040-01-01"],
            "fleet.growth.growth_per_year",
            "over 1e10",
        ),
    ],
)
def test_trends_beyond_physical_bounds_over_the_horizon_are_refused(
    file: Path, sets: list[str], where: str, message: str
) -> None:
    code, lines, _ = invoke("validate", file, *(a for s in sets for a in ("--set", s)))
    assert code == 2, lines
    assert any(f": {where}:" in line and message in line for line in lines), lines


def test_every_bundled_scenario_stays_valid() -> None:
    files = [*ROOT.glob("scenarios/**/*.toml"), *HERE.glob("*.toml")]
    sweeps = [f for f in files if "scenario" in tomllib.loads(f.read_text())]
    scenarios = [f for f in files if f not in sweeps]
    assert len(scenarios) >= 9
    assert len(sweeps) >= 5
    for file in scenarios:
        workload.check_workload(load_scenario(file), str(file))
    for sweep in sweeps:
        assert load_sweep(sweep).size > 0


# --- no GPU before it exists -------------------------------------------------------------------


def all_late(year: int = 2099) -> list[str]:
    """Overrides making every catalog GPU available only in `year`."""
    return [f"hardware.{name}.available={year}-01-01" for name in load_catalog().names]


@pytest.mark.parametrize(
    ("file", "sets", "where", "message"),
    [
        (TINY, all_late(), "labs.big", "no GPU in the catalog is available"),
        (TINY, all_late(), "labs.small.hardware", "A100-80GB is available from 2099-01-01"),
        (TINY, ["run.start=2012-01-01"], "labs.big", "this lab's first run on 2011-08-04"),
        (USERS, all_late(), "users.people", "when this cohort is first served"),
        (COMMUNITIES, ["communities.c.hardware_lag_days=3650"], "communities.c", "first step"),
        (
            FLEET,
            ["fleet.growth.hardware=newest", *all_late(2026)],
            "fleet.growth",
            "first delivery",
        ),
        (FLEET, ["hardware.H100-SXM.available=2024-12-01"], "fleet.deliveries.0.date", "before"),
        (FLEET, ["fleet.growth.start=2021-01-01"], "fleet.growth.start", "before it is available"),
    ],
)
def test_an_agent_without_an_available_gpu_is_an_error_naming_it(
    file: Path, sets: list[str], where: str, message: str
) -> None:
    code, lines, _ = invoke("validate", file, *(a for s in sets for a in ("--set", s)))
    assert code == 2, lines
    assert any(f": {where}:" in line and message in line for line in lines), lines


def test_timing_mirrors_the_world() -> None:
    """The validation's dates come from the same warm-ups the agents use."""
    scenario = load_scenario(FLEET)
    for spec in scenario.labs.values():
        assert lab_warmup_days(spec) * 24 == warmup_hours(spec)
    assert COMMUNITY_WARMUP_DAYS == world_communities.WARMUP_DAYS


# --- one line per error --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("run.seed=7\nrun.end=2025-03-01", "control character ('\\n')"),
        ("run.name=a\tb", "control character ('\\t')"),
        ("run.name=a\x00b", "control character"),
        ("labs.big.count=" + "[" * 100_000, "nested too deeply"),
    ],
)
def test_bad_override_text_is_one_line(override: str, message: str) -> None:
    assert message in refused("validate", TINY, "--set", override)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe[run]\n", "UTF-16"),
        (TINY.read_text().encode("utf-16"), "UTF-16"),
        (b'[run]\nname = "caf\xe9"\n', "not UTF-8 text (byte 0xe9"),
        (bytes(range(256)) * 8, "NUL bytes"),
        (b"a = " + b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"[" * 50_000, "malformed TOML"),
    ],
)
def test_unreadable_files_are_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    file = tmp_path / "bad.toml"
    file.write_bytes(content)
    line = refused("validate", file)
    assert line.startswith(f"{file}: ")
    assert message in line


def test_a_folder_given_as_scenario_is_one_line(tmp_path: Path) -> None:
    assert "is a folder" in refused("validate", tmp_path)


def test_a_long_value_is_cut_in_the_message() -> None:
    line = refused("validate", TINY, "--set", "run.name=" + "x" * 10_000_000)
    assert len(line) < 1000
    assert "chars cut" in line


def test_shorten_keeps_one_line_and_both_ends() -> None:
    assert shorten("a\nb") == "a\\nb"
    cut = shorten("start" + "x" * 1000 + "end", 60)
    assert cut.startswith("start")
    assert cut.endswith("end")
    assert len(cut) < 80


def test_a_union_field_reports_one_message() -> None:
    assert refused("validate", TINY, "--set", "hardware.H100-SXM.tdp_w=nan").endswith(
        "hardware.H100-SXM.tdp_w: Input should be a finite number (got nan)"
    )
    line = refused("validate", TINY, "--set", "hardware.H100-SXM.tdp_w=[1, 2]")
    assert "a string, a boolean, an integer, a number or a date (got [1, 2])" in line


def test_union_member_names_are_not_in_paths() -> None:
    line = refused("validate", USERS, "--set", "users.people.classes.best_of_n.samples=1")
    assert ": users.people.classes.best_of_n.samples: " in line
    line = refused("validate", USERS, "--set", "users.people.adoption.rate_per_year=-1")
    assert ": users.people.adoption.rate_per_year: " in line


def test_work_over_the_limit_is_refused_and_the_limit_can_be_raised() -> None:
    sets = ["--set", "labs.big.count=1000", "--set", "labs.big.runs_per_year=1000"]
    line = refused("validate", TINY, *sets)
    assert ": labs.big: this run needs ~" in line
    assert "--max-work 1e+09" in line
    code, _, stdout = invoke("validate", TINY, *sets, "--max-work", "1e9")
    assert code == 0
    assert "rows and events" in stdout
    assert "--max-work must be" in refused("validate", TINY, "--max-work", "nan")


def test_sweep_points_over_the_work_limit_are_refused() -> None:
    with pytest.raises(InputError, match="this run needs"):
        load_sweep(GRID, max_work=100)


@pytest.mark.parametrize("name", ["tiny", "users", "communities", "fleet"])
def test_work_estimate_is_an_upper_estimate_within_5x(name: str) -> None:
    scenario = load_scenario(HERE / f"{name}.toml")
    rows = sum(table.num_rows for table in simulate(scenario).tables().values())
    estimated = workload.estimate(scenario).rows
    assert rows <= estimated <= 5 * rows


def test_work_of_a_lab_by_hand() -> None:
    """Runs = count x runs_per_year x (horizon + warm-up) in years; rows per run from bins."""
    scenario = load_scenario(TINY)
    spec = scenario.labs["big"]
    part = next(p for p in workload.estimate(scenario).parts if p.path == "labs.big")
    runs = 2 * 2.0 * (1096 + 90 + 120 + 30) / 365.25
    assert part.events == pytest.approx(6 * runs)
    per_run = 5 + (spec.experiments_days + (14 + 120) / 2) * 24 / 168
    assert part.rows == pytest.approx(runs * per_run)


# --- results that cannot be read ----------------------------------------------------------------


def break_table(folder: Path, how: str) -> str:
    """Damage one file of a results folder; return its name."""
    if how == "manifest":
        (folder / "manifest.json").write_text('{"simdemand_version": ')
        return "manifest.json"
    path = folder / "jobs.parquet"
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[:3000])
    elif how == "garbage":
        path.write_bytes(os.urandom(5000))
    elif how == "schema":
        pq.write_table(pa.table({"a": [1, 2]}), path)
    elif how == "types":
        table = pq.read_table(path)
        pq.write_table(table.set_column(0, "job_id", pa.array(["x"] * table.num_rows)), path)
    return path.name


@pytest.mark.parametrize("how", ["empty", "truncated", "garbage", "schema", "types", "manifest"])
@pytest.mark.parametrize("command", ["summary", "plot", "read_run"])
def test_damaged_results_are_one_line_naming_the_file(
    results_dir: Path, tmp_path: Path, how: str, command: str
) -> None:
    run = copy_of(results_dir, tmp_path / "run")
    name = break_table(run, how)
    if command == "read_run":
        with pytest.raises(ValueError, match=f"{run / name}: ") as info:
            read_run(run)
        assert "\n" not in str(info.value)
        return
    args = ["plot", run, "--out", tmp_path / "x.png"] if command == "plot" else ["summary", run]
    assert refused(*args).startswith(f"{run / name}: ")


# --- hardware names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("h100", "H100-SXM"),
        ("H800", "H800-SXM"),
        ("H200", "H200-SXM"),
        ("MI300X", "MI300X"),
        ("mi300x", "MI300X"),
        ("tpu v4", "TPU-v4"),
        ("a100", "A100-80GB"),
        ("H100 SXM5", "H100-SXM"),
    ],
)
def test_hardware_names_people_type_are_accepted(typed: str, name: str) -> None:
    scenario = load_scenario(TINY, [f"labs.big.hardware={typed}", "run.start=2025-01-01"])
    assert scenario.labs["big"].hardware == name


def test_an_alias_runs_under_the_catalog_name() -> None:
    scenario = load_scenario(
        FLEET, ["fleet.deliveries=[{date=2024-10-01, hardware='h100', gpus=40000}]"]
    )
    assert scenario.fleet is not None
    assert scenario.fleet.deliveries[0].hardware == "H100-SXM"
    assert load_scenario(TINY, ["hardware.h100.usd_per_gpu_hour=1.0"]).hardware == {
        "H100-SXM": {"usd_per_gpu_hour": 1.0}
    }


def test_two_tables_for_one_gpu_are_refused() -> None:
    """[hardware.h100] and [hardware.H100-SXM] are one GPU: neither override may be lost."""
    sets = ["hardware.h100.usd_per_gpu_hour=1.0", "hardware.H100-SXM.usd_per_gpu_hour=2.0"]
    line = refused("validate", TINY, *(a for s in sets for a in ("--set", s)))
    assert ": hardware.H100-SXM: names the same GPU as another [hardware] table" in line


def test_an_unknown_name_lists_the_known_ones() -> None:
    line = refused("validate", TINY, "--set", "labs.big.hardware=H100-SXN")
    assert "unknown hardware 'H100-SXN' (did you mean H100-SXM?)" in line
    assert "known: A100-80GB, B200, " in line
    assert ", H100-SXM, " in line


def test_estimate_accepts_aliases_and_refuses_sizes_beyond_bounds() -> None:
    code, _, stdout = invoke(
        "estimate", "training", "--params", "7e10", "--tokens", "2e12", "--hardware", "h100"
    )
    assert code == 0
    assert "H100-SXM" in stdout
    line = refused(
        "estimate",
        "inference",
        "--params",
        "7e10",
        "--hardware",
        "H100",
        "--input-tokens",
        "1e30",
        "--output-tokens",
        "1e30",
    )
    assert "--input-tokens must be at most 1e+08" in line


# --- internal errors ---------------------------------------------------------------------------


def test_internal_error_is_one_line_exit_1_traceback_under_debug(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("lam value too large")

    monkeypatch.setattr(cli_run, "simulate_parts", broken)
    code, lines, _ = invoke("run", TINY, "--out", tmp_path / "run")
    assert code == 1
    assert lines == [
        "simdemand: internal error (ValueError: lam value too large); run `simdemand --debug "
        "...` for the traceback"
    ]
    result = CliRunner().invoke(app, ["--debug", "run", str(TINY), "--out", str(tmp_path / "r")])
    assert isinstance(result.exception, ValueError)
    assert not (tmp_path / "run").exists()
    assert not (tmp_path / "r").exists()
