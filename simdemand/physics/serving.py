"""Serving physics: forward FLOP per token, KV cache, and the prefill/decode roofline.

Pure functions; units are in the names. Inputs are validated by the scenario schema (or by
:mod:`simdemand.physics.estimate`), not here. Sources are given next to each default.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import overload

import numpy as np

from simdemand.catalog import Hardware, Precision
from simdemand.physics.arrays import FloatArray

# FLOP per active parameter per generated/processed token, forward only (Kaplan et al. 2020).
INFERENCE_FLOP_PER_PARAM_TOKEN = 2.0

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
# Bytes per weight / KV value. FP4 (NVFP4): 4-bit values with an FP8 scale per block of 16,
# 4.5 bits (NVIDIA Technical Blog, "Introducing NVFP4 for Efficient and Accurate Low-Precision
# Inference", Jun 2025).
BYTES_PER_VALUE: dict[str, float] = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5625}
# The KV cache stays in FP8 when weights are FP4 (assumed: the FP4 serving recipes quantise
# weights and matmul inputs; an FP4 KV cache is not the published practice).
KV_PRECISION: dict[str, str] = {"bf16": "bf16", "fp8": "fp8", "fp4": "fp8"}
# Default KV cache per token, scaled from Llama-3.1 in BF16 (2 x n_layers x n_kv_heads x d_head x
# 2 B: 8B 131,072 B, 70B 327,680 B, 405B 516,096 B): 327,680 B x (N_active / 70e9)^0.35, a power
# law fit to the three (within 17%). MLA or other compressed caches should pass their own.
KV_BYTES_PER_TOKEN_AT_REFERENCE_BF16 = 327_680.0
KV_REFERENCE_ACTIVE_PARAMS = 70e9
KV_PARAMS_EXPONENT = 0.35
# Serving software and systems gain on the same hardware, a factor per year on tokens per
# GPU-second (kernels, batching, speculative decoding, prefix caching, disaggregated serving).
# MLPerf Inference, Llama-2-70B on H200: v4.0 -> v4.1 (Mar -> Aug 2024) up to +27% (NVIDIA
# Technical Blog, "NVIDIA Blackwell Platform Sets New LLM Inference Records in MLPerf Inference
# v4.1", Aug 2024), v4.1 -> v5.0 (Aug 2024 -> Apr 2025) ~1.5-1.6x (NVIDIA MLPerf v5.0
# announcement, Apr 2025); vLLM v0.5.3 -> v0.6.0 1.8-2.7x in one release (vLLM blog, Sep 2024).
# 1.5: the year-on-year MLPerf rate of a mature stack, the low end of 1.5-2x a year.
SOFTWARE_GAIN_PER_YEAR = 1.5
# The MFUs and efficiencies above describe 2025 serving stacks (MLPerf v5.0/v5.1): the gain
# is 1 at this date.
SOFTWARE_REFERENCE_DATE = dt.date(2025, 1, 1)
# Production serving against the benchmark roofline, two calibrated factors on tokens per
# GPU-second. Streaming to people and agents at interactive latency: MLPerf Inference v5.1
# Llama-2-70B on 8x B200 (NVIDIA, TensorRT-LLM), Interactive 59,545 tokens/s (TTFT <= 450 ms,
# TPOT <= 40 ms: 25 tokens/s per stream, the scenario MLCommons defines for chat and agents)
# against Offline 101,527: 0.586 (mlcommons/inference_results_v5.1, NVIDIA B200 llama2-70b-99
# summary; v5.0 on the same system 59,409 / 98,858 = 0.601, Llama 3.1 405B in v5.1 751 / 1,624
# = 0.462). Server (TPOT <= 200 ms) gives 99,123, 0.98 of Offline: the cost is the interactive
# bound, not queueing. The roofline's own latency bound seldom binds at 40-50 ms (HBM capacity
# caps the batch first), so the measured ratio is applied whole.
INTERACTIVE_OFFLINE_RATIO = 59_545.0 / 101_527.0
# Capacity provisioned for the peak and load-followed: DeepSeek's V3/R1 service over 24 h from
# 27 Feb 2025 averaged 226.75 of a peak of 278 H800 nodes (0.82), lending the rest to research
# at night (DeepSeek, "Day 6: One More Thing, DeepSeek-V3/R1 Inference System Overview",
# github.com/deepseek-ai/open-infra-index, 1 Mar 2025). The best published case: a fleet that
# cannot lend its trough does worse.
PROVISIONED_UTILIZATION = 226.75 / 278.0
# Tokens per GPU-second of production serving as a fraction of the benchmark roofline's.
PRODUCTION_FACTOR = INTERACTIVE_OFFLINE_RATIO * PROVISIONED_UTILIZATION
# A mixture of experts decodes at a fraction of a dense model's MFU: routing is uneven, tokens
# are dispatched between GPUs and combined back, and each expert's matrices see only the tokens
# routed to it. Two published large-MoE decode deployments of DeepSeek-V3/R1 (671B, 37B active,
# MLA cache 70,272 B/token) each give the factor at which the roofline reproduces them: SGLang's
# expert-parallel decode on 72 H100s, 22,282 output tokens/s per 8-GPU node at 256 sequences
# per GPU of 2,000-token context (LMSYS, "Deploying DeepSeek with PD Disaggregation and
# Large-scale Expert Parallelism on 96 H100 GPUs", 5 May 2025): 0.239; DeepSeek's own service
# day in production mode (PROVISIONED_UTILIZATION's source): 0.305. The factor at DeepSeek-V3's
# sparsity (total / active parameters, 18.1) is their geometric mean, 0.270. Below it the
# penalty ramps linearly in log2(sparsity) from none for a dense model, as the training penalty
# does (simdemand.physics.training.moe_training_factor): an assumed shape, calibrated at its
# end only; a sparser model keeps the end's factor.
EXPERT_DECODE_ANCHORS = {"sglang-h100-ep72": 0.239, "deepseek-service-day": 0.305}
EXPERT_DECODE_EFFICIENCY = math.sqrt(
    EXPERT_DECODE_ANCHORS["sglang-h100-ep72"] * EXPERT_DECODE_ANCHORS["deepseek-service-day"]
)
EXPERT_DECODE_REFERENCE_SPARSITY = 671e9 / 37e9
# Reference query on which a serving choice ranks candidate models by GPU-seconds: 1,500 input
# and 500 output tokens (stylised: a chat turn with history, the baseline's consumer chat).
RANKING_INPUT_TOKENS = 1500.0
RANKING_OUTPUT_TOKENS = 500.0
# Width/depth (d_model / n_layers) of dense transformers, used to estimate n_layers x d_model
# from parameters for attention FLOP: Llama 2 70B 8192/80 = 102, Llama 3.1 405B 130.
ASPECT_RATIO = 100.0
# Non-embedding parameters per layer per d_model^2 (Kaplan et al. 2020: N = 12 n_layer d^2).
PARAMS_PER_LAYER_PER_D2 = 12.0


def inference_flop_per_token(active_params: float, context_tokens: float) -> float:
    """Forward FLOP per token: 2 x active params + attention 2 x n_layer x n_ctx x d_attn."""
    return (
        INFERENCE_FLOP_PER_PARAM_TOKEN * active_params
        + 2.0 * layer_width(active_params) * context_tokens
    )


def layer_width(active_params: float) -> float:
    """n_layers x d_model estimated from parameters: N = 12 n d^2 with d = ASPECT_RATIO x n."""
    d_model = math.pow(ASPECT_RATIO * active_params / PARAMS_PER_LAYER_PER_D2, 1.0 / 3.0)
    return d_model * d_model / ASPECT_RATIO


def default_kv_bytes_per_token(active_params: float, precision: Precision = "bf16") -> float:
    """KV-cache bytes per token for a GQA transformer, from the Llama-3.1 scaling above."""
    scale = math.pow(active_params / KV_REFERENCE_ACTIVE_PARAMS, KV_PARAMS_EXPONENT)
    kv_bytes = BYTES_PER_VALUE[KV_PRECISION[precision]]
    return KV_BYTES_PER_TOKEN_AT_REFERENCE_BF16 * scale * kv_bytes / 2.0


def decode_mfu_at(
    batch: float, prefill_mfu: float = PREFILL_MFU, decode_mfu: float = DECODE_MFU
) -> float:
    """MFU of a decode step over `batch` sequences: rises from 0 toward the prefill MFU."""
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
    FLOP / (peak x decode MFU(batch) x serving_efficiency x decode_efficiency)) (see
    decode_step_times). Prefill is compute-bound at `prefill_mfu`. `context_tokens` is the
    mean context held and attended per sequence.
    """
    peak = hardware.peak_flop_per_s(precision) * hardware.serving_efficiency
    weight_bytes = params * BYTES_PER_VALUE[precision]
    kv_per_seq = kv_bytes_per_token * context_tokens
    flop_per_token = inference_flop_per_token(active_params, context_tokens)
    half = _half_batch(prefill_mfu, decode_mfu)
    tp = tensor_parallel_degree(weight_bytes, hardware.hbm_bytes)
    while (tp * hardware.hbm_bytes * HBM_USABLE_FRACTION - weight_bytes) < kv_per_seq:
        tp *= 2  # not even one sequence fits: spread the model wider
    bandwidth, compute = replica_rates(
        params, active_params, hardware, precision, tp, prefill_mfu, memory_efficiency
    )
    batch = (tp * hardware.hbm_bytes * HBM_USABLE_FRACTION - weight_bytes) / kv_per_seq
    if latency_target_s is not None:
        by_compute = latency_target_s * compute / flop_per_token - half
        by_memory = (latency_target_s * bandwidth - weight_bytes) / kv_per_seq
        batch = min(batch, by_compute, by_memory)
    batch = max(1.0, batch)
    memory_s, compute_s = decode_step_times(
        params,
        active_params,
        hardware,
        precision,
        kv_bytes_per_token,
        context_tokens,
        gpus=tp,
        batch=batch,
        prefill_mfu=prefill_mfu,
        decode_mfu=decode_mfu,
        memory_efficiency=memory_efficiency,
    )
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


def decode_efficiency(params: float, active_params: float) -> float:
    """Decode MFU relative to a dense model's: 1 dense, EXPERT_DECODE_EFFICIENCY from
    DeepSeek-V3's sparsity (total / active parameters) up, linear in log2(sparsity) between."""
    sparsity = max(1.0, params / active_params)
    ramp = min(1.0, math.log2(sparsity) / math.log2(EXPERT_DECODE_REFERENCE_SPARSITY))
    return 1.0 - (1.0 - EXPERT_DECODE_EFFICIENCY) * ramp


def replica_rates(
    params: float,
    active_params: float,
    hardware: Hardware,
    precision: Precision,
    gpus: int,
    prefill_mfu: float,
    memory_efficiency: float,
) -> tuple[float, float]:
    """(bytes/s, FLOP/s) a `gpus`-GPU replica decodes at: HBM bandwidth x memory_efficiency,
    and peak x serving_efficiency x prefill_mfu x decode_efficiency (the decode MFU's ceiling)."""
    peak = hardware.peak_flop_per_s(precision) * hardware.serving_efficiency
    bandwidth = gpus * hardware.hbm_bytes_per_s * memory_efficiency
    return bandwidth, gpus * peak * prefill_mfu * decode_efficiency(params, active_params)


def decode_step_times(
    params: float,
    active_params: float,
    hardware: Hardware,
    precision: Precision,
    kv_bytes_per_token: float,
    context_tokens: float,
    *,
    gpus: int,
    batch: float,
    prefill_mfu: float = PREFILL_MFU,
    decode_mfu: float = DECODE_MFU,
    memory_efficiency: float = MEMORY_EFFICIENCY,
) -> tuple[float, float]:
    """(memory, compute) seconds of one decode step of `batch` sequences on a `gpus`-GPU
    replica: bytes moved (weights + KV) / (bandwidth x memory_efficiency), and FLOP / (peak x
    decode MFU(batch) x serving_efficiency x decode_efficiency). The step takes the larger."""
    weight_bytes = params * BYTES_PER_VALUE[precision]
    flop_per_token = inference_flop_per_token(active_params, context_tokens)
    bandwidth, compute = replica_rates(
        params, active_params, hardware, precision, gpus, prefill_mfu, memory_efficiency
    )
    memory_s = (weight_bytes + batch * kv_bytes_per_token * context_tokens) / bandwidth
    compute_s = (batch + _half_batch(prefill_mfu, decode_mfu)) * flop_per_token / compute
    return memory_s, compute_s


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
    seconds = (
        inputs * (1.0 - cached) / point.prefill_tokens_per_gpu_s
        + outputs / point.decode_tokens_per_gpu_s
    )
    return float(seconds) if seconds.ndim == 0 else seconds


def software_speedup(gain_per_year: float, years_since_reference: float) -> float:
    """Tokens per GPU-second on the same hardware relative to the reference date: g^t."""
    return math.pow(gain_per_year, years_since_reference)


def mode_factor(mode: str) -> float:
    """Tokens per GPU-second of a serving mode relative to the benchmark roofline: 1 for
    `benchmark`, PRODUCTION_FACTOR (interactive latency x provisioned utilization) for
    `production`."""
    if mode == "benchmark":
        return 1.0
    if mode == "production":
        return PRODUCTION_FACTOR
    raise ValueError(f"unknown serving mode {mode!r}; expected 'benchmark' or 'production'")
