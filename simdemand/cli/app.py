"""The command line: a thin shell over the Python API."""

from __future__ import annotations

from typing import Annotated

import typer

from simdemand.cli.common import DEBUG, guarded
from simdemand.cli.compare import compare
from simdemand.cli.estimate import estimate_app
from simdemand.cli.experiments import sensitivity, sweep
from simdemand.cli.plot import plot
from simdemand.cli.run import run, validate
from simdemand.cli.schema import schema
from simdemand.cli.scorecard import scorecard
from simdemand.cli.summary import backtest, summary

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_show_locals=False
)


@app.callback()
def main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an internal error.")
    ] = False,
) -> None:
    """The command line: a thin shell over the Python API."""
    DEBUG["on"] = debug


COMMANDS = (plot, sweep, sensitivity, validate, run, backtest, summary, scorecard, compare, schema)
for command in COMMANDS:
    app.command()(guarded(command))
app.add_typer(estimate_app, name="estimate")
