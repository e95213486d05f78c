"""Benchmark the economy: the closed loop (prices, demand responding to them) against the open
loop on the baseline, and the investment loop against the plain fleet.

Simulates `scenarios/baseline.toml` (open loop) and `scenarios/economy.toml` (the baseline with
`[economy]`) on the same output grid, each in a fresh process, alternating `--repeat` times;
with `--fleet`, also `scenarios/fleet.toml` against `scenarios/economy-constrained.toml` (the
fleet with the market and the investment loop). Prints the best wall time of `simulate()` for
each, the market's rows and the ratios. Target: the closed loop costs at most 1.5x the open
loop's wall time on the baseline. Exit status 1 when the target is missed.

    python benchmarks/bench_economy.py
    python benchmarks/bench_economy.py --fleet --repeat 5
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
RATIO_TARGET = 1.5
CASES = {
    "open": "baseline.toml",
    "closed": "economy.toml",
    "fleet": "fleet.toml",
    "investment": "economy-constrained.toml",
}
PAIRS = (("open", "closed"), ("fleet", "investment"))


def measure(path: Path, resolution: str) -> dict[str, Any]:
    """Simulate once in this process: wall time, market rows, peak memory."""
    from simdemand import load_scenario, simulate

    scenario = load_scenario(path, [f"run.resolution={resolution}"])
    began = time.perf_counter()
    results = simulate(scenario)
    wall = time.perf_counter() - began
    return {
        "wall_s": wall,
        "market_rows": 0 if results.market is None else results.market.num_rows,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    """Run the cases alternately and print the best figures and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", default="day")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fleet", action="store_true", help="also the investment loop")
    parser.add_argument("--child", choices=sorted(CASES))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(ROOT / "scenarios" / CASES[args.child], args.resolution)))
        return 0
    pairs = PAIRS if args.fleet else PAIRS[:1]
    best: dict[str, dict[str, Any]] = {}
    for _ in range(args.repeat):
        for case in (c for pair in pairs for c in pair):
            figures = in_child(__file__, case, args.resolution)
            if case not in best or figures["wall_s"] < best[case]["wall_s"]:
                best[case] = figures
    for case, figures in best.items():
        print(
            f"{case:>10}: simulate {figures['wall_s']:.2f} s, "
            f"{figures['market_rows']} market rows, peak {figures['peak_rss_mb']:.0f} MB"
        )
    for base, loop in pairs:
        print(f"{loop} / {base} wall time: {best[loop]['wall_s'] / best[base]['wall_s']:.2f}x")
    ratio = best["closed"]["wall_s"] / best["open"]["wall_s"]
    verdict = "ok" if ratio <= RATIO_TARGET else "MISSED"
    print(f"closed / open loop on the baseline: {ratio:.2f}x (target <= {RATIO_TARGET}x) {verdict}")
    return 0 if ratio <= RATIO_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
