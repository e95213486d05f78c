"""Benchmark the sweep executors: N runs on serial, a process pool and a Dask LocalCluster.

    python benchmarks/bench_sweep.py                  # 16 runs of the baseline, 2 workers
    python benchmarks/bench_sweep.py --runs 32 --workers 4 --set labs.academic.count=500

Each executor runs in a fresh interpreter, so that its driver's peak memory (max RSS) is its own;
wall time counts everything `run_sweep` does, pool or cluster start-up included. The runs are
replications of the baseline (a few seconds each); `--set` makes them heavier or lighter. The
datasets of all executors must be byte-identical.
"""

from __future__ import annotations

import argparse
import hashlib
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
EXECUTORS = ("serial", "processes", "dask")


def sweep_file(folder: Path, runs: int, sets: list[str]) -> Path:
    """A replications-only sweep of the baseline with `sets` as fixed overrides."""
    lines = [f'scenario = "{BASELINE.as_posix()}"', f"replications = {runs}", "", "[set]"]
    lines += [f'"{key}" = {value}' for key, _, value in (s.partition("=") for s in sets)]
    path = folder / "bench.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def one(executor: str, file: Path, out: Path, workers: int) -> dict[str, Any]:
    """Run the sweep on one executor in this process; report time and peak memory."""
    from simdemand.experiments import run_sweep

    first: list[float] = []
    began = time.perf_counter()

    def progress(done: int, total: int) -> None:
        """Note when the first run finished (start-up cost)."""
        if done == 1 and not first:
            first.append(time.perf_counter() - began)

    report = run_sweep(file, out, executor, workers=workers, progress=progress)
    wall = time.perf_counter() - began
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    return {
        "executor": executor,
        "runs": report.done,
        "failures": len(report.failures),
        "wall_s": wall,
        "first_run_s": first[0] if first else float("nan"),
        "peak_driver_mb": peak / 2**20,
    }


def digest(root: Path) -> str:
    """One hash over every Parquet file of a sweep folder, by relative path."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.parquet")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def main() -> None:
    """Run every executor in a child interpreter and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=None, help="dotted.path=value")
    parser.add_argument("--one", choices=EXECUTORS, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.file, args.out, args.workers)))
        return
    sets = args.set or []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        file = sweep_file(folder, args.runs, sets)
        rows = []
        for executor in EXECUTORS:
            out = folder / executor
            cmd = [sys.executable, __file__, "--one", executor, "--file", str(file)]
            cmd += ["--out", str(out), "--workers", str(args.workers)]
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)
            rows.append({**json.loads(done.stdout.splitlines()[-1]), "digest": digest(out)})
    report(rows, args.runs, args.workers, sets)
    print(
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after on "
        f"{os.cpu_count()} CPUs (other processes skew the speed-ups)"
    )


def report(rows: list[dict[str, Any]], runs: int, workers: int, sets: list[str]) -> None:
    """Print one line per executor: wall time, speed-up, first run, peak driver memory."""
    serial = rows[0]["wall_s"]
    print(f"{runs} runs of scenarios/baseline.toml {' '.join(sets) or '(as bundled)'}")
    print(f"{'executor':<22}{'wall s':>8}{'speed-up':>10}{'1st run s':>11}{'peak driver MB':>16}")
    for row in rows:
        name = row["executor"] + ("" if row["executor"] == "serial" else f" x {workers}")
        print(
            f"{name:<22}{row['wall_s']:>8.1f}{serial / row['wall_s']:>9.2f}x"
            f"{row['first_run_s']:>11.1f}{row['peak_driver_mb']:>16.0f}"
        )
    same = len({row["digest"] for row in rows}) == 1
    print("datasets identical across executors:", "yes" if same else "NO")
    if not same or any(row["failures"] or row["runs"] != runs for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
