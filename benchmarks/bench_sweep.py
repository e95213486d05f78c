"""Benchmark the sweep executors: N runs on serial, a process pool and a Dask LocalCluster.

    python benchmarks/bench_sweep.py                  # 16 runs of the baseline, 2 workers
    python benchmarks/bench_sweep.py --repeat 3       # three rounds, interleaved; medians
    python benchmarks/bench_sweep.py --runs 32 --workers 4 --set labs.academic.count=500

Each executor runs in a fresh interpreter, so that its driver's peak memory (max RSS) is its own.
Wall time counts everything `run_sweep` does. Start-up is the part before the first run can
start: for a pool, its workers forked with the simulator imported; for Dask, importing it and a
LocalCluster whose workers have imported the simulator. Speed-ups are given with start-up (what
a user waits for) and without it (the rate once running). "run s" is the mean time of `simulate()`
in a run, as the workers measured it: when it differs between executors, the machine ran at
another speed, or the workers contend for it. Rounds alternate the executors, so that a machine
that slows down for a while slows all of them; with `--repeat`, the summary gives median
speed-ups. The runs are replications of the baseline (a few seconds each); `--set` makes them
heavier or lighter. The datasets of all executors must be byte-identical (exit status 1
otherwise).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
EXECUTORS = ("serial", "processes", "dask")
TARGET = 1.7  # speed-up of 2 workers over serial, with start-up, on 2 cores


def sweep_file(folder: Path, runs: int, sets: list[str]) -> Path:
    """A replications-only sweep of the baseline with `sets` as fixed overrides."""
    lines = [f'scenario = "{BASELINE.as_posix()}"', f"replications = {runs}", "", "[set]"]
    lines += [f'"{key}" = {value}' for key, _, value in (s.partition("=") for s in sets)]
    path = folder / "bench.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def one(executor: str, file: Path, out: Path, workers: int) -> dict[str, Any]:
    """Run the sweep on one executor in this process; report times and peak memory."""
    from simdemand.experiments import run_sweep

    started: list[float] = []
    began = time.perf_counter()

    def progress(done: int, total: int) -> None:
        """Note when the executor is ready (the first call, before any run)."""
        if not started:
            started.append(time.perf_counter() - began)

    report = run_sweep(file, out, executor, workers=workers, progress=progress)
    wall = time.perf_counter() - began
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    lines = (out / "manifest.jsonl").read_text().splitlines()
    run_times = [json.loads(line)["wall_time_s"] for line in lines]
    return {
        "executor": executor,
        "runs": report.done,
        "failures": len(report.failures),
        "wall_s": wall,
        "startup_s": started[0],
        "run_s": sum(run_times) / max(len(run_times), 1),
        "peak_driver_mb": peak / 2**20,
    }


def in_child(executor: str, file: Path, out: Path, workers: int) -> dict[str, Any]:
    """Run one executor in a fresh interpreter; add the digest of its dataset, then drop it."""
    cmd = [sys.executable, __file__, "--one", executor, "--file", str(file)]
    cmd += ["--out", str(out), "--workers", str(workers)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    row: dict[str, Any] = {**json.loads(done.stdout.splitlines()[-1]), "digest": digest(out)}
    shutil.rmtree(out)
    return row


def digest(root: Path) -> str:
    """One hash over every Parquet file of a sweep folder, by relative path."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.parquet")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def main() -> None:
    """Run every executor in a child interpreter, round after round, and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all executors")
    parser.add_argument("--set", action="append", default=None, help="dotted.path=value")
    parser.add_argument("--one", choices=EXECUTORS, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.file, args.out, args.workers)))
        return
    sets = args.set or []
    print(f"{args.runs} runs of scenarios/baseline.toml {' '.join(sets) or '(as bundled)'}")
    load_before = os.getloadavg()[0]
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        file = sweep_file(folder, args.runs, sets)
        for k in range(args.repeat):
            rows = [in_child(e, file, folder / f"{e}-{k}", args.workers) for e in EXECUTORS]
            report(rows, args.workers)
            rounds.append(rows)
    summary(rounds, args.workers)
    print(
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after on "
        f"{os.cpu_count()} CPUs (other processes skew the speed-ups)"
    )
    every = [row for r in rounds for row in r]
    same = len({row["digest"] for row in every}) == 1
    print("datasets identical across executors:", "yes" if same else "NO")
    if not same or any(row["failures"] or row["runs"] != args.runs for row in every):
        sys.exit(1)


def speedups(serial: dict[str, Any], row: dict[str, Any]) -> tuple[float, float]:
    """Speed-up of `row` over serial: with start-up, and without it on either side."""
    running = (serial["wall_s"] - serial["startup_s"]) / (row["wall_s"] - row["startup_s"])
    return serial["wall_s"] / row["wall_s"], running


def label(executor: str, workers: int) -> str:
    """An executor's name with its worker count."""
    return executor if executor == "serial" else f"{executor} x {workers}"


def report(rows: list[dict[str, Any]], workers: int) -> None:
    """Print a round: per executor wall time, start-up, speed-ups with and without start-up,
    mean run time in the workers and peak driver memory."""
    print(
        f"{'executor':<16}{'wall s':>8}{'start-up s':>12}{'speed-up':>10}"
        f"{'excl. start-up':>16}{'run s':>7}{'peak driver MB':>16}"
    )
    for row in rows:
        whole, running = speedups(rows[0], row)
        print(
            f"{label(row['executor'], workers):<16}{row['wall_s']:>8.1f}{row['startup_s']:>12.1f}"
            f"{whole:>9.2f}x{running:>15.2f}x{row['run_s']:>7.2f}{row['peak_driver_mb']:>16.0f}"
        )


def summary(rounds: list[list[dict[str, Any]]], workers: int) -> None:
    """Print the speed-ups (medians over the rounds) and, for 2 workers, the target."""
    if len(rounds) > 1:
        print(f"median of {len(rounds)} rounds:")
    for i, executor in enumerate(EXECUTORS[1:], start=1):
        pairs = [speedups(rows[0], rows[i]) for rows in rounds]
        whole = statistics.median(w for w, _ in pairs)
        running = statistics.median(r for _, r in pairs)
        verdict = "met" if whole >= TARGET else "missed"
        if whole < TARGET <= running:
            verdict = "met only without start-up"
        target = f"; target {TARGET}x: {verdict}" if workers == 2 else ""
        print(
            f"{label(executor, workers)}: speed-up {whole:.2f}x, "
            f"{running:.2f}x without start-up{target}"
        )


if __name__ == "__main__":
    main()
