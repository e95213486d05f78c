"""Benchmark a sweep at scale on a local Dask cluster: runs per minute, scheduler overhead,
driver memory, and where a run's time goes in its worker.

    python benchmarks/bench_dask.py                    # 200 runs, 2 workers
    python benchmarks/bench_dask.py --runs 50 --set run.end=2025-07-01

The sweep is `--runs` replications of the baseline over a short horizon at weekly bins (about
a second a run), run by `run_sweep` on a 2-worker LocalCluster in a fresh interpreter, so that
the driver's peak memory (max RSS) is its own. From Dask's task stream: the sum of the tasks'
compute times (each a whole run: simulate, tables, write), and the scheduler overhead: wall
time after start-up minus that sum shared over the workers (time the workers were not running
a run). Then, in this process, a few runs timed part by part (simulate, the tables made as
they are written, the summary for the manifest: the same tables written again with it, less
the time without) say which part of a task need not run in a
worker: sweep workers leave the summary out of a run's manifest (`simdemand summary` computes
it from the tables), so a task is simulate, then the tables and their writing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
SMALL = ["run.end=2026-01-01", "run.resolution=week"]


def sweep_file(folder: Path, runs: int, sets: list[str]) -> Path:
    """A replications-only sweep of the baseline with `sets` as fixed overrides."""
    lines = [f'scenario = "{BASELINE.as_posix()}"', f"replications = {runs}", "", "[set]"]
    lines += [
        f'"{key}" = {toml_value(value)}' for key, _, value in (s.partition("=") for s in sets)
    ]
    path = folder / "bench.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def toml_value(text: str) -> str:
    """A `--set` value as TOML: a number or a date as it is, anything else as a string."""
    try:
        float(text)
    except ValueError:
        return text if text[:4].isdigit() and text[4:5] == "-" else json.dumps(text)
    return text


def sweep(file: Path, out: Path, workers: int) -> dict[str, Any]:
    """Run the sweep on a LocalCluster in this process; wall time, start-up, task times."""
    from distributed import get_task_stream

    from simdemand.experiments import run_sweep
    from simdemand.experiments.executors import dask_client

    began = time.perf_counter()
    with dask_client(workers, None) as client:
        ready = time.perf_counter() - began
        with get_task_stream(client) as stream:
            report = run_sweep(file, out, "dask", client=client)
    wall = time.perf_counter() - began
    computes = [
        sum(s["stop"] - s["start"] for s in task["startstops"] if s["action"] == "compute")
        for task in stream.data
    ]
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    lines = (out / "manifest.jsonl").read_text().splitlines()
    return {
        "runs": report.done,
        "failures": len(report.failures),
        "wall_s": wall,
        "startup_s": ready,
        "task_s": sum(computes),
        "simulate_s": sum(json.loads(line)["wall_time_s"] for line in lines),
        "peak_driver_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20,
    }


def parts(sets: list[str], runs: int) -> dict[str, float]:
    """Mean seconds of a run's parts, over `runs` runs in this process."""
    from simdemand import load_scenario
    from simdemand.results.writer import write_results
    from simdemand.simulate import Records, Streamed, run_world

    totals = {"simulate": 0.0, "tables and write": 0.0, "summary": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(runs):
            scenario = load_scenario(BASELINE, [*sets, f"run.seed={k + 1}"])
            t0 = time.perf_counter()
            records = Records(scenario, run_world(scenario), summarize=False)
            t1 = time.perf_counter()
            write_results(Streamed(records, t1 - t0), Path(tmp) / f"run{k}")
            t2 = time.perf_counter()
            records.summarize = True  # the same tables written again, with the summary
            write_results(Streamed(records, t1 - t0), Path(tmp) / f"run{k}s")
            t3 = time.perf_counter()
            spent = (t1 - t0, t2 - t1, (t3 - t2) - (t2 - t1))
            for part, seconds in zip(totals, spent, strict=True):
                totals[part] += seconds
    return {part: spent / runs for part, spent in totals.items()}


def main() -> None:
    """Run the sweep in a child interpreter, time a run's parts here, and print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], help="dotted.path=value")
    parser.add_argument("--child", type=Path, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(sweep(args.child[0], args.child[1], args.workers)))
        return
    sets = [*SMALL, *args.set]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        file = sweep_file(Path(tmp), args.runs, sets)
        cmd = [sys.executable, __file__, "--child", str(file), str(Path(tmp) / "out")]
        cmd += ["--workers", str(args.workers)]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        row = json.loads(done.stdout.splitlines()[-1])
    running = row["wall_s"] - row["startup_s"]
    busy = row["task_s"] / args.workers
    print(f"{args.runs} runs of scenarios/baseline.toml {' '.join(sets)}, Dask x {args.workers}")
    print(
        f"wall {row['wall_s']:.1f} s (start-up {row['startup_s']:.1f} s): "
        f"{60 * row['runs'] / row['wall_s']:.0f} runs/min, "
        f"{60 * row['runs'] / running:.0f} runs/min after start-up; failures {row['failures']}"
    )
    print(
        f"tasks {row['task_s']:.1f} s in all ({row['task_s'] / row['runs']:.2f} s a run, of "
        f"which simulate() {row['simulate_s'] / row['runs']:.2f} s); scheduler overhead "
        f"{running - busy:.1f} s of {running:.1f} s ({(running - busy) / running:.0%})"
    )
    print(f"driver peak RSS {row['peak_driver_mb']:.0f} MB")
    mean = parts(sets, 5)
    whole = sum(mean.values())
    print(
        "a run's parts (mean of 5, this process): "
        + ", ".join(f"{part} {spent:.3f} s ({spent / whole:.0%})" for part, spent in mean.items())
    )
    print(
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after on "
        f"{os.cpu_count()} CPUs (other processes slow the runs down)"
    )
    if row["failures"] or row["runs"] != args.runs:
        sys.exit(1)


if __name__ == "__main__":
    main()
