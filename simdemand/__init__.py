"""simdemand: a discrete-event simulator of AI compute demand in three scaling regimes."""

from simdemand.results.reader import Run, read_run
from simdemand.results.run import Results
from simdemand.results.writer import write_results
from simdemand.scenario import load_scenario
from simdemand.simulate import simulate
from simdemand.version import __version__

__all__ = [
    "Results",
    "Run",
    "__version__",
    "load_scenario",
    "read_run",
    "simulate",
    "write_results",
]
