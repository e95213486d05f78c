"""Benchmark the horizon: cost must grow linearly with it, and memory stay bounded.

Runs `simdemand run` end to end (simulate, summary, write) on the baseline at hourly bins to
2030, 2035 and 2040, and to 2030 with `--scale` (default 500) times the queries, each in a
fresh process whose peak memory (max RSS) and CPU time are its own. The queries grow through
each cohort's queries per user and day: a scenario holds at most 1e11 users and 1e13 queries a
day per cohort, so neither the population nor the queries can grow 1000-fold any more.

The baseline's frontier trends (run compute x4.6 and x4.0 a year, clusters x1.7) and its
background recommendation load (x2.17 a year) leave the scenario's physical bounds after 2034,
so every run slows them to about the fastest that stays within them until 2040 (`TRENDS`): the
runs differ by their horizon alone. `--set` overrides more (or these).

Prints, per run, the best wall time over `--repeat` rounds, its CPU time, the time simulated
(the manifest's wall_time_s: the world run and its records, before the tables are made and
written part by part), the peak RSS and the table sizes; then the ratios and the targets:
2035 / 2030 wall time <= 2.2x and peak RSS <= 1.5x, 2040 under 30 s and 2 GB, queries x500 /
x1 wall time <= 1.2x. Exit status 1 when a target is missed. `--profile` adds the 15
costliest calls (cumulative) of the 2035 run as `simdemand run` makes it (simulate, tables,
summary, write), in a process of its own.

    python benchmarks/bench_horizon.py
    python benchmarks/bench_horizon.py --repeat 3 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
ENDS = {"2030": "2030-01-01", "2035": "2035-01-01", "2040": "2040-01-01"}
WALL_RATIO, RSS_RATIO = 2.2, 1.5  # 2035 / 2030
LONG_WALL_S, LONG_RSS_MB = 30.0, 2048.0  # 2040
QUERY_RATIO = 1.2
TRENDS = [
    "labs.frontier_closed.compute_growth_per_year=2.3",
    "labs.frontier_open.compute_growth_per_year=2.6",
    "labs.frontier_closed.cluster_growth_per_year=1.6",
    "background.recommendation.growth_per_year=1.9",
]


@dataclass(frozen=True)
class Case:
    """One run: its label and its `--set` overrides."""

    label: str
    sets: list[str]


def cases(scenario: Path, scale: float, sets: list[str]) -> list[Case]:
    """The runs: hourly bins to each end, and to 2030 with the queries scaled."""
    hourly = ["run.resolution=hour", *sets]
    out = [Case(f"to {year}", [*hourly, f"run.end={end}"]) for year, end in ENDS.items()]
    scaled = [*hourly, f"run.end={ENDS['2030']}", *more_queries(scenario, scale)]
    return [*out, Case(f"to 2030, queries x{scale:g}", scaled)]


def more_queries(path: Path, scale: float) -> list[str]:
    """`--set` overrides that multiply every cohort's queries per user and day by `scale`."""
    from simdemand import load_scenario

    return [
        f"users.{name}.queries_per_user_per_day={cohort.queries_per_user_per_day * scale!r}"
        for name, cohort in load_scenario(path).users.items()
    ]


def run_cli(scenario: Path, case: Case, folder: Path) -> dict[str, Any]:
    """`simdemand run` in a fresh process: wall time, its own CPU time and peak RSS, sizes."""
    out = folder / "run"
    command = [sys.executable, "-m", "simdemand", "run", str(scenario), "--out", str(out)]
    for override in case.sets:
        command += ["--set", override]
    with (folder / "stderr").open("w+") as err:
        began = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, cwd=folder)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            err.seek(0)
            raise RuntimeError(f"{case.label}: exit {child.returncode}\n{err.read()}")
    manifest = json.loads((out / "manifest.json").read_text())
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    figures = {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "simulate_s": manifest["wall_time_s"],
        "peak_rss_mb": usage.ru_maxrss * scale / 2**20,
        "jobs": manifest["counts"]["jobs"],
        "timeseries": manifest["counts"]["timeseries"],
    }
    for path in sorted(out.iterdir()):
        path.unlink()
    out.rmdir()
    return figures


def profile(scenario: Path, sets: list[str], top: int) -> None:
    """Print the `top` costliest calls (cumulative) of a run written as `simdemand run` writes
    it, in this process."""
    from simdemand import load_scenario, write_results
    from simdemand.simulate import simulate_parts

    loaded = load_scenario(scenario, sets)
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp:
        profiler.runcall(lambda: write_results(simulate_parts(loaded), Path(tmp) / "run"))
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(top)


def report(label: str, figures: dict[str, Any]) -> None:
    """Print one run's figures."""
    print(
        f"{label:<22}{figures['wall_s']:>8.2f}{figures['cpu_s']:>8.2f}"
        f"{figures['simulate_s']:>12.2f}{figures['peak_rss_mb']:>10.0f}"
        f"{figures['jobs']:>12,}{figures['timeseries']:>14,}"
    )


def verdicts(best: dict[str, dict[str, Any]], scaled: str) -> list[tuple[str, float, float]]:
    """(what, measured, target) of each target; measured must not exceed target."""
    short, middle, long = best["to 2030"], best["to 2035"], best["to 2040"]
    return [
        ("2035 / 2030 wall time", middle["wall_s"] / short["wall_s"], WALL_RATIO),
        ("2035 / 2030 peak RSS", middle["peak_rss_mb"] / short["peak_rss_mb"], RSS_RATIO),
        ("2040 wall time, s", long["wall_s"], LONG_WALL_S),
        ("2040 peak RSS, MB", long["peak_rss_mb"], LONG_RSS_MB),
        ("queries scaled / x1 wall time", best[scaled]["wall_s"] / short["wall_s"], QUERY_RATIO),
    ]


def main() -> int:
    """Run every case `--repeat` times, alternating, and compare the best figures with the
    targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=BASELINE)
    parser.add_argument("--scale", type=float, default=500.0, help="queries scale")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], help="dotted.path=value")
    parser.add_argument("--profile", action="store_true", help="profile the run to 2035")
    parser.add_argument("--profile-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sets = [*TRENDS, *args.set]
    if args.profile_child:
        profile(args.scenario, ["run.resolution=hour", f"run.end={ENDS['2035']}", *sets], 15)
        return 0
    runs = cases(args.scenario, args.scale, sets)
    load_before = os.getloadavg()[0]
    best: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for case in runs:
                figures = run_cli(args.scenario, case, Path(tmp))
                kept = best.get(case.label)
                if kept is None or figures["wall_s"] < kept["wall_s"]:
                    best[case.label] = figures
    print(f"{args.scenario.name} from its start, hourly bins, best of {args.repeat}, end to end;")
    print(f"overrides: {' '.join(sets)}")
    print(
        f"{'run':<22}{'wall s':>8}{'CPU s':>8}{'simulate s':>12}{'peak MB':>10}"
        f"{'jobs':>12}{'series rows':>14}"
    )
    for label, figures in best.items():
        report(label, figures)
    ok = True
    for what, measured, target in verdicts(best, runs[-1].label):
        met = measured <= target
        ok = ok and met
        print(f"{what:<30}{measured:>9.2f}   target <= {target:g}: {'met' if met else 'MISSED'}")
    print(
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after on "
        f"{os.cpu_count()} CPUs (other processes slow the runs down)"
    )
    if args.profile:
        command = [sys.executable, __file__, "--profile-child", "--scenario", str(args.scenario)]
        command += [f"--set={override}" for override in args.set]
        print(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
