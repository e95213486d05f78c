"""Sweeps: executors agree byte for byte, seeds are keyed, a killed sweep resumes the same."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from distributed import Client, LocalCluster, get_task_stream
from typer.testing import CliRunner

from simdemand.cli.experiments import sensitivity, sweep
from simdemand.experiments import load_sweep, run_sweep
from simdemand.experiments.store import StoreError
from simdemand.scenario.identity import replication_seed

HERE = Path(__file__).parent / "scenarios"
GRID = HERE / "sweep_grid.toml"
RUNS = 12


def cli() -> typer.Typer:
    """An app with the experiment commands, as simdemand.cli registers them."""
    app = typer.Typer()
    app.command()(sweep)
    app.command()(sensitivity)
    return app


def files(root: Path) -> dict[str, bytes]:
    """Every Parquet file of a sweep folder by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def records(root: Path) -> list[dict[str, Any]]:
    """Manifest records without wall times, in (scenario, replication) order."""
    lines = (root / "manifest.jsonl").read_text().splitlines()
    rows = [{k: v for k, v in json.loads(line).items() if k != "wall_time_s"} for line in lines]
    return sorted(rows, key=lambda r: (r["scenario"], r["replication"]))


def leftovers(root: Path) -> list[str]:
    """Anything in the folder that is neither a finished run's file nor a sweep file."""
    allowed = {"manifest.jsonl", "sweep.json"}
    run_files = {"timeseries.parquet", "jobs.parquet", "models.parquet", "manifest.json"}
    return [
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.name not in allowed | run_files
    ]


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The grid sweep run uninterrupted on the serial executor."""
    root = tmp_path_factory.mktemp("serial") / "grid"
    report = run_sweep(GRID, root)
    assert (report.done, report.failures) == (RUNS, [])
    return root


def test_layout_is_hive_with_one_record_per_run(serial: Path) -> None:
    """scenario=<id>/replication=<k>/ folders, one manifest line each, nothing else; a run's
    manifest leaves out the summary (computed from the tables when asked for)."""
    rows = records(serial)
    assert len(rows) == RUNS
    for row in rows:
        folder = serial / f"scenario={row['scenario']}" / f"replication={row['replication']}"
        assert sorted(p.name for p in folder.iterdir()) == [
            "jobs.parquet",
            "manifest.json",
            "models.parquet",
            "timeseries.parquet",
        ]
        assert "summary" not in json.loads((folder / "manifest.json").read_text())
    assert leftovers(serial) == []
    plan = json.loads((serial / "sweep.json").read_text())
    assert plan["runs"] == RUNS
    assert len(plan["scenarios"]) == 4


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_executors_write_identical_datasets(serial: Path, tmp_path: Path, executor: str) -> None:
    """A 2-process pool and a 2-worker Dask LocalCluster write the serial run's bytes."""
    root = tmp_path / executor
    report = run_sweep(GRID, root, executor, workers=2)
    assert (report.done, report.failures) == (RUNS, [])
    assert files(root) == files(serial)
    assert records(root) == records(serial)


def test_dask_tasks_have_explicit_distinct_keys(serial: Path, tmp_path: Path) -> None:
    """Each run is one Dask task under its own key, even on a client the caller owns."""
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
        get_task_stream(client) as stream,
    ):
        report = run_sweep(GRID, tmp_path / "dask", "dask", client=client)
    assert report.done == RUNS
    keys = {str(task["key"]) for task in stream.data}
    assert len(keys) == RUNS
    assert all(key.startswith("simdemand-run-") for key in keys)
    assert files(tmp_path / "dask") == files(serial)


def test_replications_differ_and_share_seeds_across_scenarios(serial: Path) -> None:
    """Replication k has the seed keyed by k, the same in every scenario; runs differ."""
    rows = records(serial)
    assert {r["replication"]: r["seed"] for r in rows} == {
        k: replication_seed(5, k) for k in range(3)
    }
    one = rows[0]["scenario"]
    jobs = [
        (serial / f"scenario={one}" / f"replication={k}" / "jobs.parquet").read_bytes()
        for k in range(3)
    ]
    assert len(set(jobs)) == 3


def test_ids_and_seeds_do_not_depend_on_other_axis_values(tmp_path: Path) -> None:
    """Adding an axis value or reordering values and axes keeps every other run's id and seed."""
    base = GRID.read_text().replace(
        'scenario = "sweep_labs.toml"', f'scenario = "{HERE.as_posix()}/sweep_labs.toml"'
    )
    more = base.replace("[3.0, 5.0]", "[5.0, 4.0, 3.0]")
    swapped = more.replace(
        '"labs.big.compute_growth_per_year" = [5.0, 4.0, 3.0]\n"labs.small.count" = [1, 3]',
        '"labs.small.count" = [3, 1]\n"labs.big.compute_growth_per_year" = [5.0, 4.0, 3.0]',
    )
    assert swapped != more
    plans = []
    for name, text in (("a", base), ("b", more), ("c", swapped)):
        (tmp_path / f"{name}.toml").write_text(text)
        plans.append(
            {
                (r.scenario_id, r.replication): r.seed
                for r in load_sweep(tmp_path / f"{name}.toml").runs()
            }
        )
    small, large, reordered = plans
    assert len(small) == RUNS
    assert len(large) == RUNS * 3 // 2
    assert small.items() <= large.items()
    assert large == reordered


def stop_after(runs: int) -> Callable[[int, int], None]:
    """A progress callback that interrupts like Ctrl-C once `runs` runs are done."""

    def stop(done: int, total: int) -> None:
        """Raise KeyboardInterrupt at the chosen run."""
        if done == runs:
            raise KeyboardInterrupt

    return stop


def test_interrupted_then_resumed_equals_uninterrupted(serial: Path, tmp_path: Path) -> None:
    """Stop after 5 runs, leave a torn manifest line and partial folders; --resume cleans
    them and finishes with the same dataset."""
    root = tmp_path / "grid"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(GRID, root, progress=stop_after(5))
    assert len(records(root)) == 5
    first = records(root)[0]
    scenario_dir = root / f"scenario={first['scenario']}"
    ended = subprocess.Popen([sys.executable, "-c", "pass"])  # a partial of a dead process
    ended.wait()
    partial = scenario_dir / f".replication=9.partial-{ended.pid}"
    partial.mkdir()
    (partial / "jobs.parquet").write_bytes(b"half")
    with (root / "manifest.jsonl").open("a") as f:
        f.write('{"scenario": "s0", "replicat')
    with pytest.raises(StoreError, match="--resume"):
        run_sweep(GRID, root)
    report = run_sweep(GRID, root, resume=True)
    assert (report.resumed, report.done) == (5, RUNS - 5)
    assert files(root) == files(serial)
    assert records(root) == records(serial)
    assert leftovers(root) == []


def test_interrupted_dask_sweep_resumes_on_a_pool(serial: Path, tmp_path: Path) -> None:
    """Stop a Dask sweep after three runs, with the others submitted and cancelled; resuming on
    a process pool gives the uninterrupted dataset."""
    root = tmp_path / "grid"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(GRID, root, "dask", workers=2, progress=stop_after(3))
    assert len(records(root)) == 3
    report = run_sweep(GRID, root, "processes", workers=2, resume=True)
    assert (report.resumed, report.done) == (3, RUNS - 3)
    assert files(root) == files(serial)
    assert records(root) == records(serial)
    assert leftovers(root) == []


def test_killed_process_resumes_to_same_dataset(serial: Path, tmp_path: Path) -> None:
    """SIGKILL a sweep process mid-way; resuming gives the uninterrupted dataset."""
    file = tmp_path / "long.toml"
    file.write_text(
        GRID.read_text()
        .replace("sweep_labs.toml", f"{HERE.as_posix()}/sweep_labs.toml")
        .replace("replications = 3", "replications = 6")
    )
    root = tmp_path / "killed"
    code = (
        "import sys; from simdemand.experiments import run_sweep; "
        "run_sweep(sys.argv[1], sys.argv[2])"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(file), str(root)])
    manifest = root / "manifest.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if manifest.exists() and manifest.read_text().count("\n") >= 3:
            break
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = manifest.read_text().count("\n")
    assert 3 <= done < 24, "the sweep ended before it could be killed"
    report = run_sweep(file, root, resume=True)
    assert report.resumed >= done - 1
    whole = run_sweep(file, tmp_path / "whole")
    assert whole.done == 24
    assert files(root) == files(tmp_path / "whole")
    assert records(root) == records(tmp_path / "whole")
    assert leftovers(root) == []


def test_cli_runs_refuses_and_resumes(tmp_path: Path, serial: Path) -> None:
    """`sweep` runs on a process pool, refuses an existing folder (exit 2), resumes."""
    out = tmp_path / "cli"
    args = ["sweep", str(GRID), "--out", str(out)]
    result = CliRunner().invoke(cli(), [*args, "--executor", "processes", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert f"{RUNS} runs in {out}: {RUNS} new, 0 already finished" in result.stdout
    assert files(out) == files(serial)
    again = CliRunner().invoke(cli(), args)
    assert again.exit_code == 2
    assert "--resume" in again.stderr
    resumed = CliRunner().invoke(cli(), [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert f"0 new, {RUNS} already finished" in resumed.stdout


def test_cli_scheduler_needs_dask(tmp_path: Path) -> None:
    """--scheduler with another executor, or an unreachable scheduler, exits 2."""
    args = ["sweep", str(GRID), "--out", str(tmp_path / "x"), "--scheduler", "tcp://127.0.0.1:1"]
    result = CliRunner().invoke(cli(), [*args, "--executor", "processes"])
    assert result.exit_code == 2
    assert "--executor dask" in result.stderr
