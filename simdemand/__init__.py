"""simdemand: a discrete-event simulator of AI compute demand in three scaling regimes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("simdemand")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

from simdemand.results.writer import write_results
from simdemand.scenario import load_scenario
from simdemand.simulate import Results, simulate

__all__ = ["Results", "__version__", "load_scenario", "simulate", "write_results"]
