"""The command line: a thin shell over the Python API."""

from __future__ import annotations

import typer

from simdemand.cli.estimate import estimate_app
from simdemand.cli.experiments import sensitivity, sweep
from simdemand.cli.plot import plot
from simdemand.cli.run import run, validate
from simdemand.cli.schema import schema
from simdemand.cli.scorecard import scorecard
from simdemand.cli.summary import backtest, summary

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
for command in (plot, sweep, sensitivity, validate, run, backtest, summary, schema, scorecard):
    app.command()(command)
app.add_typer(estimate_app, name="estimate")
