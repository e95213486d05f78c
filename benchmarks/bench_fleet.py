"""Benchmark the supply side: a run with a fleet against the same run without one.

Simulates the baseline (unconstrained) and `scenarios/fleet.toml` (the baseline plus a finite
fleet) on the same output grid, each in a fresh process, alternating `--repeat` times. Prints
the best wall time of `simulate()` for each, the ratio, the pretraining reservations and the
peak memory. Target: the fleet costs at most 2x the unconstrained wall time. Exit status 1 when
the target is missed.

    python benchmarks/bench_fleet.py
    python benchmarks/bench_fleet.py --resolution hour --repeat 5
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from fresh import in_child

ROOT = Path(__file__).resolve().parent.parent
RATIO_TARGET = 2.0
CASES = {"unconstrained": "baseline.toml", "fleet": "fleet.toml"}


def measure(path: Path, resolution: str) -> dict[str, Any]:
    """Simulate once in this process: wall time, reservations, table sizes, peak memory."""
    from simdemand import load_scenario, simulate

    scenario = load_scenario(path, [f"run.resolution={resolution}"])
    began = time.perf_counter()
    results = simulate(scenario)
    wall = time.perf_counter() - began
    capacity = results.supply
    return {
        "wall_s": wall,
        "reservations": 0 if capacity is None else capacity.waits.num_rows,
        "capacity_rows": 0 if capacity is None else capacity.capacity.num_rows,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    """Run both cases alternately and print the best figures and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", default="day")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", choices=sorted(CASES))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(ROOT / "scenarios" / CASES[args.child], args.resolution)))
        return 0
    best: dict[str, dict[str, Any]] = {}
    for _ in range(args.repeat):
        for case in CASES:
            figures = in_child(__file__, case, args.resolution)
            if case not in best or figures["wall_s"] < best[case]["wall_s"]:
                best[case] = figures
    for case, figures in best.items():
        print(
            f"{case:>13}: simulate {figures['wall_s']:.2f} s, "
            f"{figures['reservations']} cluster reservations, "
            f"{figures['capacity_rows']} capacity rows, peak {figures['peak_rss_mb']:.0f} MB"
        )
    ratio = best["fleet"]["wall_s"] / best["unconstrained"]["wall_s"]
    verdict = "ok" if ratio <= RATIO_TARGET else "MISSED"
    print(f"fleet / unconstrained wall time: {ratio:.2f}x (target <= {RATIO_TARGET}x) {verdict}")
    return 0 if ratio <= RATIO_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
