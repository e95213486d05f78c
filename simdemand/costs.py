"""The cost physics: every formula that turns models, tokens and hardware into FLOP, GPU time,
energy and money. Pure functions; units are in the names (``_flop``, ``_s``, ``_bytes``, ...).

Sources are given next to each default. "Epoch AI" is Epoch AI, *Data on AI Models* and
*Data on Machine Learning Hardware* (CC-BY).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

from simdemand.catalog import PRECISIONS, Hardware, Precision

FloatArray = npt.NDArray[np.float64]

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
WH_PER_MWH = 1e6

# --- Training compute -------------------------------------------------------------------------

# FLOP per active parameter per training token: forward 2 + backward 4 (Kaplan et al. 2020, §2.1).
TRAINING_FLOP_PER_PARAM_TOKEN = 6.0
# FLOP per active parameter per generated/processed token, forward only (Kaplan et al. 2020).
INFERENCE_FLOP_PER_PARAM_TOKEN = 2.0

# Chinchilla parametric loss L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022, App. D.2).
CHINCHILLA_E = 1.69
CHINCHILLA_A = 406.4
CHINCHILLA_B = 410.7
CHINCHILLA_ALPHA = 0.34
CHINCHILLA_BETA = 0.28
# Compute-optimal tokens per parameter (Hoffmann et al. 2022, Table 3: ~20).
CHINCHILLA_TOKENS_PER_PARAM = 20.0

# --- Whole-run training utilization -----------------------------------------------------------
# u = UTIL_AT_REFERENCE + UTIL_PER_DECADE_OF_PARAMS * log10(N_active / 70e9)
#       - UTIL_PER_DOUBLING_OF_GPUS * log2(gpus / 1024),
# clipped to [UTIL_MIN, UTIL_MAX], then times the hardware's training_efficiency, the precision
# factor and the MoE factor. Fit: Epoch AI all_ml_systems.csv, dense language models >= 1e23
# FLOP whose compute is counted from the architecture (not inferred from chip-hours) and whose
# chip count is known, u = compute / (chip-hours x 3600 x dense 16-bit peak); n = 29, OLS
# u = 0.071 + 0.042 log10(N) - 0.019 log2(G) (rmse 0.079; NVIDIA-only n = 26: 0.050 and 0.022).
# Cluster size alone explains nothing (R^2 = 0.05) and publication year nothing once hardware is
# known; what is left is hardware/software generation, kept in the catalog. The intercept is
# anchored on A100 runs: Llama 2 70B on ~1,000 A100s (Epoch AI) reaches 6ND/GPU-hours/peak = 0.435
# (Touvron et al. 2023, Table 2); residuals of other A100 runs average -0.01 (LLaMA-65B +0.08,
# Falcon-180B with TII's ~7M GPU-hours +0.08, BLOOM +0.03, Llama 2 7B/13B/34B
# -0.03/-0.05/-0.07, Code Llama 70B -0.03, GLM-130B -0.15).
UTIL_AT_REFERENCE = 0.42
UTIL_REFERENCE_ACTIVE_PARAMS = 70e9
UTIL_REFERENCE_GPUS = 1024.0
UTIL_PER_DECADE_OF_PARAMS = 0.045
UTIL_PER_DOUBLING_OF_GPUS = 0.02
# Bounds: the highest whole-run values in Epoch AI's data are ~0.56 (TinyLlama, LaMDA); the
# lowest credible ones for large runs ~0.12 (Megatron-LM 8.3B on V100).
UTIL_MIN = 0.10
UTIL_MAX = 0.60
# FP8 utilization vs the FP8 peak relative to BF16 utilization vs the BF16 peak, i.e. half the
# realized FP8 speed-up: 1.3-1.6x end to end on H100 in published FP8 benchmarks (NVIDIA NeMo
# FP8 recipes; Lambda's Transformer Engine tests), consistent with DeepSeek-V3 (FP8, MoE, 2,048
# H800s) at 0.17 of the FP8 peak together with the MoE factor.
FP8_TRAINING_EFFICIENCY = 0.70
# MoE all-to-all and load-imbalance penalty at full sparsity: DeepSeek-V3 (2.664M H800-hours
# for 6 x 37e9 x 14.8e12 FLOP, DeepSeek-V3 report) gives 0.75 after the FP8 factor; GLaM
# (TPU v4) 0.80 and OLMoE 0.61 against the dense law (Epoch AI).
MOE_TRAINING_EFFICIENCY = 0.75
# Sparsity (total / active params) from which the full MoE penalty applies; linear in log2 below.
MOE_FULL_PENALTY_SPARSITY = 4.0
# Default run length when no cluster size is given. Epoch AI's pretraining runs with a reported
# training time: median 39 days at 1e23-1e24 FLOP (n = 38), 89 days at >= 1e24 (n = 15), 48 days
# overall (IQR 21-84). 60 days sits between; lengths grow with scale.
DEFAULT_RUN_DAYS = 60.0

# --- Energy ----------------------------------------------------------------------------------
# Power usage effectiveness: AI-oriented data centres run at 1.1-1.4 (LBNL 2024 US data centre
# energy report); hyperscale 1.1, industry average ~1.5 (Uptime Institute 2024).
DEFAULT_PUE = 1.2

# --- Serving (prefill / decode roofline) -----------------------------------------------------
# MFU of a compute-bound forward pass: prefill 0.45, decode 0.30, as used by public serving
# simulators and cost models for H100/H200. Decode's lower MFU is that of small
# matrix products: we read it as the MFU at a typical decode batch and let MFU rise with the
# tokens per pass, mfu(b) = PREFILL_MFU * b / (b + b_half), b_half set so mfu(256) = 0.30.
PREFILL_MFU = 0.45
DECODE_MFU = 0.30
# A typical continuous-batching decode batch: vLLM's default max_num_seqs (vLLM engine args).
DECODE_MFU_REFERENCE_BATCH = 256.0
# Achieved fraction of peak HBM bandwidth in decode: 0.7-0.9 (serving simulators; Azure
# measured 92% on GB200). Middle of the range.
MEMORY_EFFICIENCY = 0.80
# Share of HBM the serving engine may use for weights + KV cache (vLLM gpu_memory_utilization
# default 0.9); the rest is activations, CUDA graphs and fragmentation.
HBM_USABLE_FRACTION = 0.90
# Weights may fill at most this share of usable HBM per GPU before the model is split across more
# GPUs (tensor parallel): serving stacks keep >= ~20% for KV cache (MLPerf Llama-2-70B: FP8
# weights of 69 GB run on one 141 GB H200, on two 80 GB H100s).
MAX_WEIGHT_FRACTION = 0.80
# Per-output-token latency target: 50 ms (20 tokens/s per stream), between MLPerf Inference
# v5.0's Llama-2-70B interactive (40 ms) and server (200 ms) TPOT limits.
DEFAULT_LATENCY_TARGET_S = 0.05
# Bytes per weight / KV value.
BYTES_PER_VALUE: dict[str, float] = {"bf16": 2.0, "fp8": 1.0}
# Default KV cache per token, scaled from Llama-3.1 in BF16 (2 x n_layers x n_kv_heads x d_head x
# 2 B: 8B 131,072 B, 70B 327,680 B, 405B 516,096 B): 327,680 B x (N_active / 70e9)^0.35, a power
# law fit to the three (within 17%). MLA or other compressed caches should pass their own.
KV_BYTES_PER_TOKEN_AT_REFERENCE_BF16 = 327_680.0
KV_REFERENCE_ACTIVE_PARAMS = 70e9
KV_PARAMS_EXPONENT = 0.35
# Width/depth (d_model / n_layers) of dense transformers, used to estimate n_layers x d_model
# from parameters for attention FLOP: Llama 2 70B 8192/80 = 102, Llama 3.1 405B 130.
ASPECT_RATIO = 100.0
# Non-embedding parameters per layer per d_model^2 (Kaplan et al. 2020: N = 12 n_layer d^2).
PARAMS_PER_LAYER_PER_D2 = 12.0


# --- Training ---------------------------------------------------------------------------------


def training_flop(active_params: float, tokens: float) -> float:
    """Training compute in FLOP: 6 x active parameters x tokens."""
    check_positive(active_params=active_params, tokens=tokens)
    return TRAINING_FLOP_PER_PARAM_TOKEN * active_params * tokens


def chinchilla_loss(params: float, tokens: float) -> float:
    """Predicted pretraining loss (nats/token) from the Chinchilla fit L(N, D)."""
    check_positive(params=params, tokens=tokens)
    return (
        CHINCHILLA_E
        + CHINCHILLA_A / math.pow(params, CHINCHILLA_ALPHA)
        + CHINCHILLA_B / math.pow(tokens, CHINCHILLA_BETA)
    )


def compute_optimal_sizing(
    flop: float, tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM
) -> tuple[float, float]:
    """(params, tokens) that spend `flop` at `tokens_per_param`: C = 6 N D with D = r N."""
    check_positive(flop=flop, tokens_per_param=tokens_per_param)
    params = math.sqrt(flop / (TRAINING_FLOP_PER_PARAM_TOKEN * tokens_per_param))
    return params, params * tokens_per_param


def training_utilization(
    active_params: float,
    params: float,
    precision: Precision,
    gpus: int | None = None,
    *,
    hardware_efficiency: float = 1.0,
) -> float:
    """Whole-run utilization (6ND / GPU-seconds / dense peak of `precision`).

    u = clip(0.42 + 0.045 log10(N_active / 70e9) - 0.02 log2(gpus / 1024), 0.10, 0.60)
        x hardware_efficiency x MoE factor (0.75 from 4x sparsity) x 0.70 if FP8.
    Slopes: OLS on 29 dense LLM runs >= 1e23 FLOP in Epoch AI's data (0.042 per decade of
    params, 0.019 per doubling of GPUs, rmse 0.08); intercept: A100 runs, Llama 2 70B
    (0.435 published) at its anchor. `gpus=None` is the 1,024-GPU reference cluster.
    `hardware_efficiency` is the catalog's `training_efficiency` (A100 1.0, Hopper 0.85).
    """
    check_positive(
        active_params=active_params, params=params, hardware_efficiency=hardware_efficiency
    )
    _check_precision(precision)
    if active_params > params * (1 + 1e-9):
        raise ValueError(f"active_params ({active_params:g}) exceeds params ({params:g})")
    cluster = UTIL_REFERENCE_GPUS if gpus is None else float(gpus)
    check_positive(gpus=cluster)
    dense = (
        UTIL_AT_REFERENCE
        + UTIL_PER_DECADE_OF_PARAMS * math.log10(active_params / UTIL_REFERENCE_ACTIVE_PARAMS)
        - UTIL_PER_DOUBLING_OF_GPUS * math.log2(cluster / UTIL_REFERENCE_GPUS)
    )
    util = min(UTIL_MAX, max(UTIL_MIN, dense)) * hardware_efficiency
    util *= moe_training_factor(active_params, params)
    if precision == "fp8":
        util *= FP8_TRAINING_EFFICIENCY
    return util


def moe_training_factor(active_params: float, params: float) -> float:
    """Utilization multiplier for a mixture of experts: 1 dense, MOE_TRAINING_EFFICIENCY sparse."""
    check_positive(active_params=active_params, params=params)
    sparsity = max(1.0, params / active_params)
    ramp = min(1.0, math.log2(sparsity) / math.log2(MOE_FULL_PENALTY_SPARSITY))
    return 1.0 - (1.0 - MOE_TRAINING_EFFICIENCY) * ramp


def gpu_hours_from_flop(flop: float, peak_flop_per_s: float, utilization: float) -> float:
    """GPU-hours to execute `flop` at `utilization` of a `peak_flop_per_s` GPU."""
    check_positive(peak_flop_per_s=peak_flop_per_s, utilization=utilization)
    if not math.isfinite(flop) or flop < 0:
        raise ValueError(f"flop must be a finite number >= 0, got {flop}")
    return flop / (peak_flop_per_s * utilization * SECONDS_PER_HOUR)


def default_cluster_gpus(
    flop: float,
    peak_flop_per_s: float,
    active_params: float,
    params: float,
    precision: Precision,
    *,
    hardware_efficiency: float = 1.0,
    gpus_per_node: int = 8,
    run_days: float = DEFAULT_RUN_DAYS,
) -> int:
    """The cluster that finishes `flop` in about `run_days`, in whole nodes (or fewer GPUs).

    Solves G = flop / (peak x u(G) x run seconds) by fixed-point iteration (u falls slowly
    with G, so it converges in a few steps), then rounds up to whole nodes.
    """
    check_positive(flop=flop, peak_flop_per_s=peak_flop_per_s, run_days=run_days)
    run_s = run_days * HOURS_PER_DAY * SECONDS_PER_HOUR
    gpus = 1.0
    for _ in range(50):
        util = training_utilization(
            active_params,
            params,
            precision,
            max(1, round(gpus)),
            hardware_efficiency=hardware_efficiency,
        )
        gpus = max(1.0, flop / (peak_flop_per_s * util * run_s))
    return whole_nodes(gpus, gpus_per_node)


def whole_nodes(gpus: float, gpus_per_node: int) -> int:
    """Round a GPU count up to whole nodes, or to whole GPUs when below one node."""
    check_positive(gpus=gpus, gpus_per_node=gpus_per_node)
    if gpus <= gpus_per_node:
        return math.ceil(gpus - 1e-9)
    return gpus_per_node * math.ceil(gpus / gpus_per_node - 1e-9)


# --- Energy and money -------------------------------------------------------------------------


@overload
def energy_mwh(gpu_hours: float, tdp_w: float, pue: float = DEFAULT_PUE) -> float: ...
@overload
def energy_mwh(
    gpu_hours: FloatArray, tdp_w: float | FloatArray, pue: float = DEFAULT_PUE
) -> FloatArray: ...
@overload
def energy_mwh(gpu_hours: float, tdp_w: FloatArray, pue: float = DEFAULT_PUE) -> FloatArray: ...
def energy_mwh(
    gpu_hours: float | FloatArray, tdp_w: float | FloatArray, pue: float = DEFAULT_PUE
) -> float | FloatArray:
    """Facility energy in MWh: GPU-hours x TDP (W) x PUE (GPU power only, no host share)."""
    check_positive(pue=pue)
    result = np.multiply(np.multiply(gpu_hours, tdp_w), pue / WH_PER_MWH, dtype=np.float64)
    return _like(result, gpu_hours, tdp_w)


@overload
def cost_usd(gpu_hours: float, usd_per_gpu_hour: float) -> float: ...
@overload
def cost_usd(gpu_hours: FloatArray, usd_per_gpu_hour: float | FloatArray) -> FloatArray: ...
@overload
def cost_usd(gpu_hours: float, usd_per_gpu_hour: FloatArray) -> FloatArray: ...
def cost_usd(
    gpu_hours: float | FloatArray, usd_per_gpu_hour: float | FloatArray
) -> float | FloatArray:
    """Rental cost in USD: GPU-hours x price per GPU-hour."""
    result = np.multiply(gpu_hours, usd_per_gpu_hour, dtype=np.float64)
    return _like(result, gpu_hours, usd_per_gpu_hour)


# --- Inference --------------------------------------------------------------------------------


def inference_flop_per_token(active_params: float, context_tokens: float) -> float:
    """Forward FLOP per token: 2 x active params + attention 2 x n_layer x n_ctx x d_attn."""
    check_positive(active_params=active_params)
    check_non_negative(context_tokens=context_tokens)
    return (
        INFERENCE_FLOP_PER_PARAM_TOKEN * active_params
        + 2.0 * layer_width(active_params) * context_tokens
    )


def layer_width(active_params: float) -> float:
    """n_layers x d_model estimated from parameters: N = 12 n d^2 with d = ASPECT_RATIO x n."""
    check_positive(active_params=active_params)
    d_model = math.pow(ASPECT_RATIO * active_params / PARAMS_PER_LAYER_PER_D2, 1.0 / 3.0)
    return d_model * d_model / ASPECT_RATIO


def default_kv_bytes_per_token(active_params: float, precision: Precision = "bf16") -> float:
    """KV-cache bytes per token for a GQA transformer, from the Llama-3.1 scaling above."""
    check_positive(active_params=active_params)
    _check_precision(precision)
    scale = math.pow(active_params / KV_REFERENCE_ACTIVE_PARAMS, KV_PARAMS_EXPONENT)
    return KV_BYTES_PER_TOKEN_AT_REFERENCE_BF16 * scale * BYTES_PER_VALUE[precision] / 2.0


def decode_mfu_at(
    batch: float, prefill_mfu: float = PREFILL_MFU, decode_mfu: float = DECODE_MFU
) -> float:
    """MFU of a decode step over `batch` sequences: rises from 0 toward the prefill MFU."""
    check_positive(batch=batch, prefill_mfu=prefill_mfu, decode_mfu=decode_mfu)
    return prefill_mfu * batch / (batch + _half_batch(prefill_mfu, decode_mfu))


def _half_batch(prefill_mfu: float, decode_mfu: float) -> float:
    """Batch at which the decode MFU is half the prefill MFU (0: decode as efficient)."""
    return max(0.0, DECODE_MFU_REFERENCE_BATCH * (prefill_mfu / decode_mfu - 1.0))


@dataclass(frozen=True)
class ServingPoint:
    """A steady serving configuration and its per-GPU throughputs.

    Decode runs `batch` sequences (a time average, so it may be fractional) on a
    `tensor_parallel`-GPU model replica; one step takes `decode_step_s` and is
    bandwidth-bound when `memory_bound`.
    """

    prefill_tokens_per_gpu_s: float
    decode_tokens_per_gpu_s: float
    batch: float
    tensor_parallel: int
    decode_step_s: float
    memory_bound: bool
    weight_bytes: float
    kv_bytes_per_token: float
    context_tokens: float


def tensor_parallel_degree(
    weight_bytes: float, hbm_bytes: float, max_weight_fraction: float = MAX_WEIGHT_FRACTION
) -> int:
    """Smallest power-of-two GPU count whose usable HBM holds the weights with KV room left."""
    check_positive(weight_bytes=weight_bytes, hbm_bytes=hbm_bytes)
    per_gpu = hbm_bytes * HBM_USABLE_FRACTION * max_weight_fraction
    return 1 << max(0, math.ceil(math.log2(weight_bytes / per_gpu) - 1e-12))


def serving_point(
    params: float,
    active_params: float,
    hardware: Hardware,
    precision: Precision,
    kv_bytes_per_token: float,
    context_tokens: float,
    *,
    latency_target_s: float | None = DEFAULT_LATENCY_TARGET_S,
    prefill_mfu: float = PREFILL_MFU,
    decode_mfu: float = DECODE_MFU,
    memory_efficiency: float = MEMORY_EFFICIENCY,
) -> ServingPoint:
    """Prefill and decode throughput per GPU from a roofline on `hardware`.

    Weights (params x bytes per value) are split over the smallest power-of-two number of GPUs
    that leaves room for KV cache. Decode batch = min(HBM left for `context_tokens` of KV per
    sequence, the largest batch whose step meets `latency_target_s`; None = offline, no
    target), at least 1. Step time = max(bytes moved / (bandwidth x memory_efficiency),
    FLOP / (peak x decode MFU(batch) x serving_efficiency)). Prefill is compute-bound at
    `prefill_mfu`. `context_tokens` is the mean context held and attended per sequence.
    """
    _check_precision(precision)
    check_positive(
        params=params,
        active_params=active_params,
        kv_bytes_per_token=kv_bytes_per_token,
        context_tokens=context_tokens,
        prefill_mfu=prefill_mfu,
        decode_mfu=decode_mfu,
        memory_efficiency=memory_efficiency,
    )
    if active_params > params * (1 + 1e-9):
        raise ValueError(f"active_params ({active_params:g}) exceeds params ({params:g})")
    if latency_target_s is not None:
        check_positive(latency_target_s=latency_target_s)
    peak = hardware.peak_flop_per_s(precision) * hardware.serving_efficiency
    weight_bytes = params * BYTES_PER_VALUE[precision]
    kv_per_seq = kv_bytes_per_token * context_tokens
    flop_per_token = inference_flop_per_token(active_params, context_tokens)
    half = _half_batch(prefill_mfu, decode_mfu)
    tp = tensor_parallel_degree(weight_bytes, hardware.hbm_bytes)
    while (tp * hardware.hbm_bytes * HBM_USABLE_FRACTION - weight_bytes) < kv_per_seq:
        tp *= 2  # not even one sequence fits: spread the model wider
    bandwidth = tp * hardware.hbm_bytes_per_s * memory_efficiency
    compute = tp * peak * prefill_mfu
    batch = (tp * hardware.hbm_bytes * HBM_USABLE_FRACTION - weight_bytes) / kv_per_seq
    if latency_target_s is not None:
        by_compute = latency_target_s * compute / flop_per_token - half
        by_memory = (latency_target_s * bandwidth - weight_bytes) / kv_per_seq
        batch = min(batch, by_compute, by_memory)
    batch = max(1.0, batch)
    memory_s = (weight_bytes + batch * kv_per_seq) / bandwidth
    compute_s = (batch + half) * flop_per_token / compute
    step_s = max(memory_s, compute_s)
    return ServingPoint(
        prefill_tokens_per_gpu_s=peak * prefill_mfu / flop_per_token,
        decode_tokens_per_gpu_s=batch / (step_s * tp),
        batch=batch,
        tensor_parallel=tp,
        decode_step_s=step_s,
        memory_bound=memory_s >= compute_s,
        weight_bytes=weight_bytes,
        kv_bytes_per_token=kv_bytes_per_token,
        context_tokens=context_tokens,
    )


@overload
def query_gpu_seconds(
    point: ServingPoint, input_tokens: float, output_tokens: float, cached_fraction: float = 0.0
) -> float: ...
@overload
def query_gpu_seconds(
    point: ServingPoint,
    input_tokens: FloatArray | float,
    output_tokens: FloatArray | float,
    cached_fraction: FloatArray | float = 0.0,
) -> FloatArray | float: ...
def query_gpu_seconds(
    point: ServingPoint,
    input_tokens: FloatArray | float,
    output_tokens: FloatArray | float,
    cached_fraction: FloatArray | float = 0.0,
) -> FloatArray | float:
    """GPU-seconds to serve a query: uncached input at the prefill rate, output at the decode
    rate. Cached input skips prefill. Accepts floats or numpy arrays (broadcast)."""
    inputs = np.asarray(input_tokens, dtype=np.float64)
    outputs = np.asarray(output_tokens, dtype=np.float64)
    cached = np.asarray(cached_fraction, dtype=np.float64)
    if not (np.all(np.isfinite(inputs)) and np.all(inputs >= 0)):
        raise ValueError("input_tokens must be finite and >= 0")
    if not (np.all(np.isfinite(outputs)) and np.all(outputs >= 0)):
        raise ValueError("output_tokens must be finite and >= 0")
    if not (np.all(cached >= 0) and np.all(cached <= 1)):
        raise ValueError("cached_fraction must be within [0, 1]")
    seconds = (
        inputs * (1.0 - cached) / point.prefill_tokens_per_gpu_s
        + outputs / point.decode_tokens_per_gpu_s
    )
    return float(seconds) if seconds.ndim == 0 else seconds


# --- Checks -----------------------------------------------------------------------------------


def check_positive(**values: float) -> None:
    """ValueError naming the first value that is not a finite number > 0."""
    for name, value in values.items():
        if not (_is_number(value) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def check_non_negative(**values: float) -> None:
    """ValueError naming the first value that is not a finite number >= 0."""
    for name, value in values.items():
        if not (_is_number(value) and math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def _is_number(value: object) -> bool:
    """True for real numbers (Python or numpy), False for bools and everything else."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _check_precision(precision: str) -> None:
    """ValueError unless `precision` is one the model knows."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; expected one of {PRECISIONS}")


def _like(result: FloatArray, *inputs: float | FloatArray) -> float | FloatArray:
    """A Python float when every input was a scalar, else the array."""
    if all(np.ndim(x) == 0 for x in inputs):
        return float(result)
    return result


__all__ = [
    "DEFAULT_LATENCY_TARGET_S",
    "DEFAULT_PUE",
    "DEFAULT_RUN_DAYS",
    "Precision",
    "ServingPoint",
    "chinchilla_loss",
    "compute_optimal_sizing",
    "cost_usd",
    "decode_mfu_at",
    "default_cluster_gpus",
    "default_kv_bytes_per_token",
    "energy_mwh",
    "gpu_hours_from_flop",
    "inference_flop_per_token",
    "layer_width",
    "moe_training_factor",
    "query_gpu_seconds",
    "serving_point",
    "tensor_parallel_degree",
    "training_flop",
    "training_utilization",
    "whole_nodes",
]
