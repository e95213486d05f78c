"""The command line: `simdemand` and its commands, one module per group."""

from simdemand.cli.app import app

__all__ = ["app"]
