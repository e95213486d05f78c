"""Benchmark the test-time regime: wall time must not grow with the population.

Runs a scenario (default: the baseline, 2025 -> 2030, at hourly bins) as it is and with every
cohort's population multiplied by `--scale` (default 10: scenarios bound populations at 1e11),
each run in a fresh process, the two cases alternating `--repeat` times. Prints the best wall
time of `simulate()` (and its CPU time), simulated SimPy events, events/s, simulated queries,
peak memory, and the ratios.
Targets: the scenario under 10 s; the scaled one at most 1.2x its wall time. Exit status 1
when a target is missed.

    python benchmarks/bench_testtime.py
    python benchmarks/bench_testtime.py --resolution day --scale 20 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WALL_TARGET_S = 10.0
RATIO_TARGET = 1.2


def population_overrides(path: Path, resolution: str, scale: float) -> list[str]:
    """`--set` overrides: the output grid, and each cohort's population times `scale`."""
    from simdemand import load_scenario

    scenario = load_scenario(path)
    sets = [f"run.resolution={resolution}"]
    if scale != 1.0:
        for name, cohort in scenario.users.items():
            adoption = cohort.adoption
            sets.append(
                f"users.{name}.adoption.users_at_reference={adoption.users_at_reference * scale!r}"
            )
            sets.append(f"users.{name}.adoption.ceiling_users={adoption.ceiling_users * scale!r}")
    return sets


def measure(path: Path, resolution: str, scale: float) -> dict[str, Any]:
    """Simulate once in this process: wall and CPU time, events, amounts, peak memory."""
    import pyarrow.compute as pc
    import simpy

    from simdemand import load_scenario, simulate

    scenario = load_scenario(path, population_overrides(path, resolution, scale))
    events = 0
    step = simpy.Environment.step

    def counting_step(env: simpy.Environment) -> None:
        nonlocal events
        events += 1
        step(env)

    simpy.Environment.step = counting_step  # type: ignore[assignment]
    began, cpu = time.perf_counter(), time.process_time()
    results = simulate(scenario)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    jobs = results.jobs
    testtime = pc.equal(jobs.column("regime"), "test-time")
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "events": events,
        "queries": float(pc.sum(pc.filter(jobs.column("queries"), testtime)).as_py() or 0.0),
        "gpu_hours": float(pc.sum(pc.filter(jobs.column("gpu_hours"), testtime)).as_py() or 0.0),
        "jobs": jobs.num_rows,
        "timeseries_rows": results.timeseries.num_rows,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def run_child(path: Path, resolution: str, scale: float) -> dict[str, Any]:
    """Measure one case in a fresh interpreter, so peak memory is its own."""
    command = [sys.executable, __file__, "--child", "--scenario", str(path)]
    command += ["--resolution", resolution, "--scale", repr(scale)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def report(label: str, case: dict[str, Any]) -> None:
    """Print one case's figures."""
    print(
        f"{label:<16} wall {case['wall_s']:6.2f} s (CPU {case['cpu_s']:6.2f} s)   "
        f"events {case['events']:>7,}   "
        f"events/s {case['events'] / case['wall_s']:>9,.0f}   "
        f"queries {case['queries']:9.3e} ({case['queries'] / case['wall_s']:9.3e}/s)   "
        f"test-time GPU-h {case['gpu_hours']:9.3e}   jobs {case['jobs']:>8,}   "
        f"peak RSS {case['peak_rss_mb']:6.0f} MB"
    )


def best(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """The case with the lowest wall time, with the peak memory over all of them."""
    chosen = dict(min(cases, key=lambda case: float(case["wall_s"])))
    chosen["peak_rss_mb"] = max(float(case["peak_rss_mb"]) for case in cases)
    return chosen


def main() -> int:
    """Run both cases, alternating, and compare the best wall times with the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.toml")
    parser.add_argument("--resolution", default="hour", choices=["hour", "day", "week", "month"])
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.scenario, args.resolution, args.scale)))
        return 0
    print(f"{args.scenario.name} at {args.resolution} bins, best of {args.repeat} alternating runs")
    runs: dict[float, list[dict[str, Any]]] = {1.0: [], args.scale: []}
    for _ in range(args.repeat):
        for scale in runs:
            runs[scale].append(run_child(args.scenario, args.resolution, scale))
    base, scaled = best(runs[1.0]), best(runs[args.scale])
    report("population x1", base)
    report(f"population x{args.scale:g}", scaled)
    ratio = scaled["wall_s"] / base["wall_s"]
    cpu_ratio = scaled["cpu_s"] / base["cpu_s"]
    print(f"wall-time ratio x{args.scale:g} / x1: {ratio:.3f} (CPU time {cpu_ratio:.3f})")
    print(f"test-time GPU-hours ratio: {scaled['gpu_hours'] / base['gpu_hours']:.4f}")
    ok = base["wall_s"] < WALL_TARGET_S and ratio <= RATIO_TARGET
    print(
        f"targets: wall < {WALL_TARGET_S:g} s, ratio <= {RATIO_TARGET:g}: "
        f"{'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
