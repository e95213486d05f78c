"""The `scorecard` command: a run's figures beside the published figures they compare with."""

from __future__ import annotations

import json
import math

import typer

from simdemand.cli.common import AsJson, RunLocation, out, print_frame, read_run_or_exit


def scorecard(
    run_dir: RunLocation,
    as_json: AsJson = False,
) -> None:
    """Hold a run against published figures: simulated, published, ratio, verdict, source."""
    from simdemand.calibration.scorecard import frame
    from simdemand.calibration.scorecard import scorecard as score

    run = read_run_or_exit(run_dir)
    table = frame(score(run))
    if as_json:
        records = table.to_dict("records")
        clean = [{k: None if _nan(v) else v for k, v in row.items()} for row in records]
        typer.echo(json.dumps(clean, indent=2))
        return
    columns = ["figure", "period", "simulated", "published", "unit", "ratio", "verdict"]
    if (table["simulated_period"] != table["period"]).any():  # a proxy figure: say which period
        columns.insert(2, "simulated_period")
    shown = table[columns]
    print_frame(shown, f"{run.name}: against published figures", left=("figure", "unit", "verdict"))
    covered = table.loc[table["verdict"] != "not covered"]
    for row in covered.itertuples(index=False):
        where = f" <{row.url}>" if isinstance(row.url, str) else ""
        out.print(f"{row.figure}: {row.source}{where}", markup=False, highlight=False)


def _nan(value: object) -> bool:
    """True for a float NaN (JSON has none)."""
    return isinstance(value, float) and math.isnan(value)
