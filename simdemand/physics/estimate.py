"""Back-of-envelope estimates of one training run and of serving one kind of query.

Thin compositions of the physics over a catalog entry; the CLI prints their dicts. This is the
boundary for one-off inputs, so it checks them (the physics itself trusts its callers).
"""

from __future__ import annotations

import math

from simdemand.catalog import PRECISIONS, Catalog, Precision, load_catalog
from simdemand.physics.energy import DEFAULT_PUE, cost_usd, energy_mwh
from simdemand.physics.serving import (
    DEFAULT_LATENCY_TARGET_S,
    default_kv_bytes_per_token,
    mode_factor,
    query_gpu_seconds,
    serving_point,
)
from simdemand.physics.training import (
    DEFAULT_RUN_DAYS,
    chinchilla_loss,
    default_cluster_gpus,
    gpu_hours_from_flop,
    training_flop,
    training_utilization,
    whole_nodes,
)
from simdemand.units import HOURS_PER_DAY, SECONDS_PER_HOUR

TOKENS_PER_MILLION = 1e6


def estimate_training(
    *,
    params: float,
    tokens: float,
    hardware: str,
    catalog: Catalog | None = None,
    active_params: float | None = None,
    precision: Precision = "bf16",
    utilization: float | None = None,
    gpus: int | None = None,
    pue: float = DEFAULT_PUE,
    run_days: float = DEFAULT_RUN_DAYS,
) -> dict[str, float | str]:
    """FLOP, GPU-hours, utilization, cluster, days, energy and cost of one pretraining run.

    Without `gpus` the cluster is the one that finishes in about `run_days` (60 days, between
    the median lengths of 1e23-1e24 and >= 1e24 FLOP runs), in whole nodes; utilization
    follows from the cluster unless given. `catalog` defaults to the bundled one.
    """
    hw = (catalog if catalog is not None else load_catalog())[hardware]
    active = params if active_params is None else active_params
    check_model(params, active, precision)
    check_positive(tokens=tokens, pue=pue, run_days=run_days)
    peak = hw.peak_flop_per_s(precision)
    flop = training_flop(active, tokens)
    if gpus is not None and (isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 1):
        raise ValueError(f"gpus must be a whole number >= 1, got {gpus!r}")
    if utilization is not None and not 0 < utilization <= 1:
        raise ValueError(f"utilization must be within (0, 1], got {utilization}")
    if gpus is None:
        if utilization is None:
            gpus = default_cluster_gpus(
                flop,
                peak,
                active,
                params,
                precision,
                hardware_efficiency=hw.training_efficiency,
                gpus_per_node=hw.gpus_per_node,
                run_days=run_days,
            )
        else:
            hours = gpu_hours_from_flop(flop, peak, utilization)
            gpus = whole_nodes(hours / (run_days * HOURS_PER_DAY), hw.gpus_per_node)
    if utilization is None:
        utilization = training_utilization(
            active, params, precision, gpus, hardware_efficiency=hw.training_efficiency
        )
    gpu_hours = gpu_hours_from_flop(flop, peak, utilization)
    return {
        "hardware": hw.name,
        "precision": precision,
        "params": float(params),
        "active_params": float(active),
        "tokens": float(tokens),
        "flop": flop,
        "predicted_loss": chinchilla_loss(active, tokens),
        "peak_flop_per_s": peak,
        "utilization": utilization,
        "gpus": float(gpus),
        "gpu_hours": gpu_hours,
        "days": gpu_hours / gpus / HOURS_PER_DAY,
        "energy_mwh": energy_mwh(gpu_hours, hw.tdp_w, pue),
        "cost_usd": cost_usd(gpu_hours, hw.usd_per_gpu_hour),
    }


def estimate_inference(
    *,
    params: float,
    hardware: str,
    input_tokens: float,
    output_tokens: float,
    catalog: Catalog | None = None,
    active_params: float | None = None,
    precision: Precision = "bf16",
    cached_fraction: float = 0.0,
    kv_bytes_per_token: float | None = None,
    context_tokens: float | None = None,
    latency_target_s: float | None = DEFAULT_LATENCY_TARGET_S,
    pue: float = DEFAULT_PUE,
    mode: str = "benchmark",
) -> dict[str, float | str]:
    """Serving throughput per GPU and GPU time, energy and cost per query and per 1M output tokens.

    Defaults: KV bytes/token from the Llama-3.1 scaling at `precision` (FP8 serving keeps an
    FP8 KV cache), mean context = input + output / 2, a 50 ms per-token latency target
    (`latency_target_s=None` for offline maximum-throughput serving), the `benchmark` roofline
    (`production` scales throughputs by the calibrated production factor).
    """
    hw = (catalog if catalog is not None else load_catalog())[hardware]
    active = params if active_params is None else active_params
    check_model(params, active, precision)
    check_positive(output_tokens=output_tokens, pue=pue)
    check_non_negative(input_tokens=input_tokens)
    if not 0.0 <= cached_fraction <= 1.0:
        raise ValueError(f"cached_fraction must be within [0, 1], got {cached_fraction!r}")
    for name, value in (
        ("kv_bytes_per_token", kv_bytes_per_token),
        ("context_tokens", context_tokens),
        ("latency_target_s", latency_target_s),
    ):
        if value is not None:
            check_positive(**{name: value})
    if kv_bytes_per_token is None:
        kv_bytes_per_token = default_kv_bytes_per_token(active, precision)
    if context_tokens is None:
        context_tokens = max(1.0, input_tokens + output_tokens / 2.0)
    point = serving_point(
        params,
        active,
        hw,
        precision,
        kv_bytes_per_token,
        context_tokens,
        latency_target_s=latency_target_s,
    )
    factor = mode_factor(mode)
    seconds = query_gpu_seconds(point, input_tokens, output_tokens, cached_fraction) / factor
    gpu_hours = seconds / SECONDS_PER_HOUR
    per_million = TOKENS_PER_MILLION / output_tokens
    return {
        "hardware": hw.name,
        "precision": precision,
        "mode": mode,
        "params": float(params),
        "active_params": float(active),
        "tensor_parallel": float(point.tensor_parallel),
        "batch": point.batch,
        "decode_bound": "memory" if point.memory_bound else "compute",
        "decode_step_s": point.decode_step_s,
        "kv_bytes_per_token": point.kv_bytes_per_token,
        "context_tokens": point.context_tokens,
        "prefill_tokens_per_gpu_s": point.prefill_tokens_per_gpu_s * factor,
        "decode_tokens_per_gpu_s": point.decode_tokens_per_gpu_s * factor,
        "gpu_seconds_per_query": seconds,
        "gpu_hours_per_million_output_tokens": gpu_hours * per_million,
        "energy_mwh_per_million_output_tokens": energy_mwh(gpu_hours * per_million, hw.tdp_w, pue),
        "cost_usd_per_million_output_tokens": cost_usd(
            gpu_hours * per_million, hw.usd_per_gpu_hour
        ),
    }


def check_model(params: float, active_params: float, precision: str) -> None:
    """ValueError unless the sizes are positive, active <= total, and the precision is known."""
    check_positive(params=params, active_params=active_params)
    if active_params > params * (1 + 1e-9):
        raise ValueError(f"active_params ({active_params:g}) exceeds params ({params:g})")
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; expected one of {PRECISIONS}")


def check_positive(**values: float) -> None:
    """ValueError naming the first value that is not a finite number > 0."""
    for name, value in values.items():
        if not (is_number(value) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def check_non_negative(**values: float) -> None:
    """ValueError naming the first value that is not a finite number >= 0."""
    for name, value in values.items():
        if not (is_number(value) and math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def is_number(value: object) -> bool:
    """True for real numbers (Python or numpy), False for bools and everything else."""
    return isinstance(value, int | float) and not isinstance(value, bool)


__all__ = ["estimate_inference", "estimate_training"]
