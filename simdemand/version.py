"""The installed package's version (written into every result's provenance)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("simdemand")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
