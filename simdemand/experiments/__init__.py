"""Experiments: sweeps (grids, samples, replications) on serial, process-pool or Dask
executors, written as hive partitions, and SALib sensitivity analysis."""

from simdemand.experiments.design import RunSpec, Sweep, load_sweep
from simdemand.experiments.executors import ExecutorKind
from simdemand.experiments.runner import SweepReport, run_sweep
from simdemand.experiments.sensitivity import Indices, analyze, write_indices
from simdemand.experiments.store import SweepStore

__all__ = [
    "ExecutorKind",
    "Indices",
    "RunSpec",
    "Sweep",
    "SweepReport",
    "SweepStore",
    "analyze",
    "load_sweep",
    "run_sweep",
    "write_indices",
]
