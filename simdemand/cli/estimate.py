"""The `estimate` commands: back-of-envelope costs of one training run or one query."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from simdemand.cli.common import AsJson, fail, guarded, out
from simdemand.physics.estimate import estimate_inference, estimate_training

estimate_app = typer.Typer(no_args_is_help=True, help="Back-of-envelope cost calculators.")
# Upper bounds on the numbers one can ask about, as in scenarios (simdemand.scenario.base):
# parameters up to 1e15 (500x the largest announced models), training tokens up to 1e16 (~300x
# the largest pretraining sets of 2025), tokens of a call or context up to 1e8 (10x the longest
# context windows), 1 GB of KV cache per token, 1e8 GPUs in a cluster.
LIMITS = {
    "params": 1e15,
    "active_params": 1e15,
    "tokens": 1e16,
    "input_tokens": 1e8,
    "output_tokens": 1e8,
    "context_tokens": 1e8,
    "kv_bytes_per_token": 1e9,
    "gpus": 1e8,
}


def check_limits(**values: float | None) -> None:
    """Exit 2 naming the first value above its limit."""
    for name, value in values.items():
        if value is not None and value > LIMITS[name]:
            option = "--" + name.replace("_", "-")
            raise fail(
                [f"simdemand estimate: {option} must be at most {LIMITS[name]:g}, got {value:g}"]
            )


class PrecisionChoice(StrEnum):
    """Number formats the estimates accept."""

    bf16 = "bf16"
    fp8 = "fp8"
    fp4 = "fp4"


Precision = Annotated[PrecisionChoice, typer.Option(help="Number format of the math.")]


class ModeChoice(StrEnum):
    """Serving modes: the MLPerf-calibrated roofline, or production (SLO x provisioning)."""

    benchmark = "benchmark"
    production = "production"


@estimate_app.command("training")
@guarded
def estimate_training_cmd(
    params: Annotated[float, typer.Option(help="Total parameters.")],
    tokens: Annotated[float, typer.Option(help="Training tokens.")],
    hardware: Annotated[str, typer.Option(help="Catalog hardware name.")],
    active_params: Annotated[float | None, typer.Option(help="Active parameters (MoE).")] = None,
    precision: Precision = PrecisionChoice.bf16,
    utilization: Annotated[float | None, typer.Option(help="Whole-run utilization.")] = None,
    gpus: Annotated[int | None, typer.Option(help="Cluster size in GPUs.")] = None,
    as_json: AsJson = False,
) -> None:
    """Pretraining compute, GPU-hours, days, energy and cost of one run."""
    check_limits(params=params, tokens=tokens, active_params=active_params, gpus=gpus)
    show(
        lambda catalog: estimate_training(
            params=params,
            tokens=tokens,
            hardware=hardware,
            catalog=catalog,
            active_params=active_params,
            precision=precision.value,
            utilization=utilization,
            gpus=gpus,
        ),
        as_json,
    )


@estimate_app.command("inference")
@guarded
def estimate_inference_cmd(
    params: Annotated[float, typer.Option(help="Total parameters.")],
    hardware: Annotated[str, typer.Option(help="Catalog hardware name.")],
    input_tokens: Annotated[float, typer.Option(help="Input tokens per query.")],
    output_tokens: Annotated[float, typer.Option(help="Output tokens per query.")],
    active_params: Annotated[float | None, typer.Option(help="Active parameters (MoE).")] = None,
    precision: Precision = PrecisionChoice.bf16,
    cached_fraction: Annotated[float, typer.Option(help="Share of input served from cache.")] = 0.0,
    kv_bytes_per_token: Annotated[float | None, typer.Option(help="KV-cache bytes/token.")] = None,
    context_tokens: Annotated[float | None, typer.Option(help="Mean context length.")] = None,
    mode: Annotated[
        ModeChoice, typer.Option(help="Benchmark roofline or production serving.")
    ] = ModeChoice.benchmark,
    as_json: AsJson = False,
) -> None:
    """Serving throughput and GPU time per query from the prefill/decode roofline."""
    check_limits(
        params=params,
        active_params=active_params,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        context_tokens=context_tokens,
        kv_bytes_per_token=kv_bytes_per_token,
    )
    show(
        lambda catalog: estimate_inference(
            params=params,
            hardware=hardware,
            catalog=catalog,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            active_params=active_params,
            precision=precision.value,
            cached_fraction=cached_fraction,
            kv_bytes_per_token=kv_bytes_per_token,
            context_tokens=context_tokens,
            mode=mode.value,
        ),
        as_json,
    )


def show(compute: Any, as_json: bool) -> None:
    """Run an estimate on the bundled catalog and print it; bad arguments exit 2."""
    from simdemand.catalog import load_catalog

    try:
        result = compute(load_catalog())
    except (KeyError, ValueError) as e:
        raise fail([f"simdemand estimate: {e.args[0] if e.args else e}"]) from None
    if any(isinstance(v, float) and not math.isfinite(v) for v in result.values()):
        raise fail(["simdemand estimate: the inputs give a non-finite result; check their sizes"])
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    table = Table(show_header=False)
    for key, value in result.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    out.print(table)
