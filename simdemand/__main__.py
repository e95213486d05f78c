"""`python -m simdemand` runs the command line."""

from simdemand.cli import app

app(prog_name="simdemand")
