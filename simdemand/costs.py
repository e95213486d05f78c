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


# --- Post-training recipes --------------------------------------------------------------------
# The compute of one derivative model, by phase: `generate` (tokens sampled from a model: teacher
# outputs, RL rollouts, best-of-n candidates, search expansions, synthetic data), `score` (a
# reward or verifier model's forward pass over the generated tokens) and `train` (updates of the
# derivative's weights). Inputs are floats or numpy arrays (broadcast together); all floats in
# give floats out. Parameters are *active* parameters; tokens are counted once per pass.

# LoRA: forward (2) + backward through the activations (2) FLOP per active parameter and token.
# The frozen base weights need no weight gradients (Hu et al. 2021, LoRA, §4.2), so the other
# half of the backward pass (2) is skipped; the adapters themselves are < 1% of the parameters.
LORA_FLOP_PER_PARAM_TOKEN = 4.0
# RL policy updates: the training step (6) plus a forward pass of the frozen reference policy for
# the KL penalty (2), as in PPO-based RLHF (Ouyang et al. 2022) and GRPO (Shao et al. 2024), the
# algorithm of DeepSeek-R1 (KL coefficient 0.001). GRPO has no value model (PPO's would add 6).
RL_TRAIN_FLOP_PER_PARAM_TOKEN = 8.0
# Memory per (total) parameter to hold a model in a job: full fine-tuning with mixed-precision
# Adam keeps BF16 weights and gradients plus FP32 master weights, momentum and variance,
# 2 + 2 + 12 = 16 bytes (Rajbhandari et al. 2020, ZeRO, §3.1); LoRA and inference keep the BF16
# weights only, 2 bytes (adapters and their optimizer states are < 1%).
FULL_TUNING_BYTES_PER_PARAM = 16.0
FROZEN_BYTES_PER_PARAM = 2.0
# Whole-job utilization of post-training, as model FLOP / (GPU-seconds x dense BF16 peak).
# Training phases: 0.056, the geometric mean of two small fine-tunes on 8 A100-80GB:
#   Alpaca (LLaMA-7B, 52,002 examples x 3 epochs x ~130 tokens = 2.03e7 tokens; 3 h on 8 GPUs,
#   Taori et al. 2023) -> 6 x 6.74e9 x 2.03e7 / (24 h x 312e12 FLOP/s) = 0.030, and
#   Vicuna-13B (70K ShareGPT conversations x 3 epochs x 3.2 rounds x 428.8 tokens = 2.88e8
#   tokens; 8 GPUs within a day, LMSYS 2023) -> 6 x 13.0e9 x 2.88e8 / (192 h x 312e12) = 0.104.
#   Token statistics per example and round: Wang et al. 2023 (Tulu 1), Table 1 (Alpaca prompt
#   27.8 + completion 64.6 tokens, plus ~38 tokens of Alpaca's prompt template; ShareGPT prompt
#   71.0 + completion 357.8 per round). Small jobs pad, shard and checkpoint inefficiently.
POST_TRAINING_TRAIN_UTILIZATION = 0.056
# RL rollouts (on-policy generation, synchronous with training): 0.014, calibrated on
# DeepSeek-R1-Zero: 10,400 steps x 512 samples (32 questions x 16) x ~6,500 tokens mean response
# length (length rises from ~1K to ~10K over 8,200 steps, then to ~12K+ with the 65K limit;
# DeepSeek-AI 2025, Nature, Fig. 1b and Supplementary) = 3.46e10 tokens of a 37e9-active model
# on 512 H800s for 198 h = 101,376 GPU-hours; with the updates at the training utilization
# above, the rollouts fill the remaining ~50K GPU-hours at 1.4% of the BF16 peak.
POST_TRAINING_ROLLOUT_UTILIZATION = 0.014
# Offline generation (teacher outputs, best-of-n candidates, search, synthetic data) runs as
# batch inference: 0.10, the decode MFU of this module's serving roofline at offline batch
# (serving_point without a latency target) for 7B-671B models on H100/H800 at 4-8K context,
# 0.06-0.16 of the BF16 peak.
POST_TRAINING_GENERATION_UTILIZATION = 0.10
# Reward/verifier scoring is a forward pass over whole sequences, compute-bound like prefill.
POST_TRAINING_SCORING_UTILIZATION = PREFILL_MFU


@dataclass(frozen=True)
class PhaseFlop:
    """FLOP of one derivative by phase (floats, or arrays of one shape)."""

    generate_flop: float | FloatArray
    score_flop: float | FloatArray
    train_flop: float | FloatArray

    @property
    def total_flop(self) -> float | FloatArray:
        """FLOP of all phases."""
        total = np.add(np.add(self.generate_flop, self.score_flop), self.train_flop)
        return _like(np.asarray(total, dtype=np.float64), self.generate_flop, self.train_flop)


def lora_flop(active_params: float | FloatArray, tokens: float | FloatArray) -> PhaseFlop:
    """LoRA fine-tuning: 4 x N x tokens of training (no weight gradients for frozen weights)."""
    return _phases(0.0, 0.0, LORA_FLOP_PER_PARAM_TOKEN, active_params, tokens)


def sft_flop(active_params: float | FloatArray, tokens: float | FloatArray) -> PhaseFlop:
    """Full fine-tuning (SFT, or offline preference tuning): 6 x N x tokens of training."""
    return _phases(0.0, 0.0, TRAINING_FLOP_PER_PARAM_TOKEN, active_params, tokens)


def distillation_flop(
    student_active_params: float | FloatArray,
    teacher_active_params: float | FloatArray,
    tokens: float | FloatArray,
) -> PhaseFlop:
    """Offline distillation: the teacher generates `tokens` (2 N_teacher each), the student
    trains on them (6 N_student each)."""
    student = _non_negative(student_active_params=student_active_params)
    teacher = _non_negative(teacher_active_params=teacher_active_params)
    n = _non_negative(tokens=tokens)
    return PhaseFlop(
        generate_flop=_like(INFERENCE_FLOP_PER_PARAM_TOKEN * teacher * n, teacher, tokens),
        score_flop=_like(np.zeros_like(np.multiply(student, n)), student, tokens),
        train_flop=_like(TRAINING_FLOP_PER_PARAM_TOKEN * student * n, student, tokens),
    )


def rl_flop(
    active_params: float | FloatArray,
    rollout_tokens: float | FloatArray,
    reward_model_fraction: float = 1.0,
) -> PhaseFlop:
    """RLHF / RLAIF / RLVR: rollouts (2 N per token), reward-model scoring (2 x fraction x N per
    token; 0 for rule-based rewards) and policy updates with a reference model (8 N per token)."""
    score = INFERENCE_FLOP_PER_PARAM_TOKEN * _fraction(reward_model_fraction)
    return _phases(
        INFERENCE_FLOP_PER_PARAM_TOKEN,
        score,
        RL_TRAIN_FLOP_PER_PARAM_TOKEN,
        active_params,
        rollout_tokens,
    )


def best_of_n_flop(
    active_params: float | FloatArray,
    kept_tokens: float | FloatArray,
    samples_per_prompt: float,
    reward_model_fraction: float = 1.0,
) -> PhaseFlop:
    """Best-of-n / rejection-sampling fine-tuning: n candidates generated per kept one, all
    scored by a reward model, the best (`kept_tokens`) trained on."""
    check_positive(samples_per_prompt=samples_per_prompt)
    return _sample_score_train(
        active_params, kept_tokens, samples_per_prompt, reward_model_fraction
    )


def search_flop(
    active_params: float | FloatArray,
    kept_tokens: float | FloatArray,
    generated_per_kept_token: float,
    verifier_fraction: float = 1.0,
) -> PhaseFlop:
    """Search (tree / beam exploration): `generated_per_kept_token` tokens explored and scored by
    a verifier per token of the paths kept, then trained on."""
    check_positive(generated_per_kept_token=generated_per_kept_token)
    return _sample_score_train(
        active_params, kept_tokens, generated_per_kept_token, verifier_fraction
    )


def synthetic_data_flop(
    active_params: float | FloatArray,
    kept_tokens: float | FloatArray,
    generated_per_kept_token: float,
    generator_active_params: float | FloatArray | None = None,
) -> PhaseFlop:
    """Synthetic data: a generator (by default the model itself) writes
    `generated_per_kept_token` tokens per token kept after filtering; the model trains on them."""
    check_positive(generated_per_kept_token=generated_per_kept_token)
    n = _non_negative(active_params=active_params)
    kept = _non_negative(kept_tokens=kept_tokens)
    gen = n if generator_active_params is None else _non_negative(generator=generator_active_params)
    generated = INFERENCE_FLOP_PER_PARAM_TOKEN * gen * kept * generated_per_kept_token
    inputs = (active_params, kept_tokens, 0.0 if generator_active_params is None else gen)
    return PhaseFlop(
        generate_flop=_like(np.asarray(generated, dtype=np.float64), *inputs),
        score_flop=_like(np.zeros_like(np.multiply(n, kept)), *inputs),
        train_flop=_like(TRAINING_FLOP_PER_PARAM_TOKEN * n * kept, *inputs),
    )


def post_training_gpu_hours(
    phases: PhaseFlop,
    peak_flop_per_s: float,
    *,
    train_utilization: float = POST_TRAINING_TRAIN_UTILIZATION,
    generate_utilization: float = POST_TRAINING_GENERATION_UTILIZATION,
    score_utilization: float = POST_TRAINING_SCORING_UTILIZATION,
) -> float | FloatArray:
    """GPU-hours of a derivative: each phase's FLOP at its own utilization of the dense peak."""
    check_positive(
        peak_flop_per_s=peak_flop_per_s,
        train_utilization=train_utilization,
        generate_utilization=generate_utilization,
        score_utilization=score_utilization,
    )
    seconds = (
        np.divide(phases.generate_flop, generate_utilization)
        + np.divide(phases.score_flop, score_utilization)
        + np.divide(phases.train_flop, train_utilization)
    ) / peak_flop_per_s
    hours = np.asarray(seconds, dtype=np.float64) / SECONDS_PER_HOUR
    return _like(hours, phases.generate_flop, phases.score_flop, phases.train_flop)


def min_gpus_to_hold(
    params: float | FloatArray, bytes_per_param: float, hbm_bytes: float
) -> float | FloatArray:
    """Fewest GPUs whose usable HBM holds a model at `bytes_per_param` (whole GPUs, >= 1)."""
    check_positive(bytes_per_param=bytes_per_param, hbm_bytes=hbm_bytes)
    p = _non_negative(params=params)
    gpus = np.maximum(1.0, np.ceil(p * bytes_per_param / (hbm_bytes * HBM_USABLE_FRACTION) - 1e-9))
    return _like(np.asarray(gpus, dtype=np.float64), params)


def _phases(
    generate_per_param_token: float,
    score_per_param_token: float,
    train_per_param_token: float,
    active_params: float | FloatArray,
    tokens: float | FloatArray,
) -> PhaseFlop:
    """Phases whose FLOP are each a constant x N x tokens."""
    work = _non_negative(active_params=active_params) * _non_negative(tokens=tokens)
    return PhaseFlop(
        generate_flop=_like(generate_per_param_token * work, active_params, tokens),
        score_flop=_like(score_per_param_token * work, active_params, tokens),
        train_flop=_like(train_per_param_token * work, active_params, tokens),
    )


def _sample_score_train(
    active_params: float | FloatArray,
    kept_tokens: float | FloatArray,
    generated_per_kept: float,
    scorer_fraction: float,
) -> PhaseFlop:
    """Generate `generated_per_kept` tokens per kept token, score them all, train on the kept."""
    return _phases(
        INFERENCE_FLOP_PER_PARAM_TOKEN * generated_per_kept,
        INFERENCE_FLOP_PER_PARAM_TOKEN * generated_per_kept * _fraction(scorer_fraction),
        TRAINING_FLOP_PER_PARAM_TOKEN,
        active_params,
        kept_tokens,
    )


def _non_negative(**values: float | FloatArray) -> FloatArray:
    """The one value as a float array; ValueError naming it if any entry is not finite >= 0."""
    ((name, value),) = values.items()
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be a number, got {value!r}")
    array = np.asarray(value, dtype=np.float64)
    if not (np.all(np.isfinite(array)) and np.all(array >= 0)):
        raise ValueError(f"{name} must be finite numbers >= 0, got {value!r}")
    return array


def _fraction(value: float) -> float:
    """A scorer's size as a fraction of the policy's: a finite number >= 0."""
    check_non_negative(reward_model_fraction=value)
    return float(value)


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
    "FROZEN_BYTES_PER_PARAM",
    "FULL_TUNING_BYTES_PER_PARAM",
    "POST_TRAINING_GENERATION_UTILIZATION",
    "POST_TRAINING_ROLLOUT_UTILIZATION",
    "POST_TRAINING_SCORING_UTILIZATION",
    "POST_TRAINING_TRAIN_UTILIZATION",
    "PhaseFlop",
    "Precision",
    "ServingPoint",
    "best_of_n_flop",
    "chinchilla_loss",
    "compute_optimal_sizing",
    "cost_usd",
    "decode_mfu_at",
    "default_cluster_gpus",
    "default_kv_bytes_per_token",
    "distillation_flop",
    "energy_mwh",
    "gpu_hours_from_flop",
    "inference_flop_per_token",
    "layer_width",
    "lora_flop",
    "min_gpus_to_hold",
    "moe_training_factor",
    "post_training_gpu_hours",
    "query_gpu_seconds",
    "rl_flop",
    "search_flop",
    "serving_point",
    "sft_flop",
    "synthetic_data_flop",
    "tensor_parallel_degree",
    "training_flop",
    "training_utilization",
    "whole_nodes",
]
