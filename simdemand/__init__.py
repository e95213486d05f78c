"""simdemand: a discrete-event simulator of AI compute demand in three scaling regimes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("simdemand")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

from simdemand.results.reader import Run, read_run
from simdemand.results.run import Results
from simdemand.results.writer import write_results
from simdemand.scenario import load_scenario
from simdemand.simulate import simulate

__all__ = [
    "Results",
    "Run",
    "__version__",
    "load_scenario",
    "read_run",
    "simulate",
    "write_results",
]
