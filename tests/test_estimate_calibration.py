"""The estimates against published runs. Each case names its source, what was fitted on it (if
anything) and its tolerance. Errors are relative: estimate / published - 1.

Training: whole-run GPU-hours. The utilization law (simdemand.costs) was fitted on Epoch AI's
data set and anchored on A100 runs; cases marked "in-sample" informed a constant, the others
are checks.

Inference: MLPerf Inference Llama-2-70B, Offline scenario, per-GPU output tokens/s of 8-GPU
systems. Offline means maximum throughput with no latency bound, so the estimate uses
`latency_target_s=None`; the submissions run FP8 weights and an FP8 KV cache, so it uses
`precision="fp8"` and 2 x 80 layers x 8 KV heads x 128 x 1 B = 163,840 KV bytes per token.
Workload: the 24,576 OpenOrca samples average 222.3 input tokens (5,463,976 in total) and the
H100 v5.0 run generated 291.8 output tokens per sample (7,170,079 / 24,576) (MLCommons
llama2-70b dataset; NVIDIA result 5.0-0057 detail log). Llama-2-70B has 68.98e9 parameters.
Vendor-tuned offline stacks beat the serving MFUs the estimate assumes, so it under-predicts
NVIDIA's results by 10-25%: tolerance +-30%.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from simdemand.catalog import load_catalog
from simdemand.cli import app
from simdemand.physics import serving
from simdemand.physics.estimate import estimate_inference, estimate_training


def training_error(published_gpu_hours: float, **kwargs: Any) -> float:
    """Relative error of the estimated GPU-hours."""
    return float(estimate_training(**kwargs)["gpu_hours"]) / published_gpu_hours - 1


def test_llama2_70b_with_no_other_arguments() -> None:
    """Llama 2 70B: 1,720,320 A100-80GB GPU-hours for 2T tokens (Touvron et al. 2023, Table 2).

    The anchor of the law (in-sample); +-15%. With no cluster given the estimate sizes one to
    finish in 60 days: 1,256 GPUs, close to the ~1,000 A100s Epoch AI records for the run.
    """
    result = estimate_training(params=70e9, tokens=2e12, hardware="A100-80GB")
    assert result["gpu_hours"] == pytest.approx(1_720_320, rel=0.15)
    assert result["flop"] == pytest.approx(8.4e23)
    assert result["days"] == pytest.approx(60, abs=1)
    assert 1000 <= float(result["gpus"]) <= 2048


@pytest.mark.parametrize(
    ("params", "published"),
    [(7e9, 184_320), (13e9, 368_640), (34e9, 1_038_336)],
)
def test_llama2_smaller_models(params: float, published: float) -> None:
    """Llama 2 7B / 13B / 34B on A100-80GB, 2T tokens each (Touvron et al. 2023, Table 2).

    Not fitted on (the size slope comes from Epoch AI's cross-section); +-20%. Observed:
    -7% / -13% / -17%: Meta's mid-size runs were less efficient than the law's size trend.
    """
    error = training_error(published, params=params, tokens=2e12, hardware="A100-80GB")
    assert abs(error) <= 0.20


def test_falcon_180b_on_4096_a100s() -> None:
    """Falcon-180B: 3.5T tokens on up to 4,096 A100s, ~7,000,000 GPU-hours (TII / Hugging Face
    release blog, Sep 2023); +-25%.

    Epoch AI's 17.7M A100-hours (utilization 0.19) is 4,096 GPUs x 180 days of wall-clock, an
    upper bound that includes ramp-up and idle time; TII's own figure gives 0.48. Not fitted on.
    """
    error = training_error(7.0e6, params=180e9, tokens=3.5e12, hardware="A100-80GB", gpus=4096)
    assert abs(error) <= 0.25


def test_gpt3_on_10000_v100s() -> None:
    """GPT-3 175B: 300B tokens, 3.552M V100-hours on 10,000 V100s (Patterson et al. 2021, via
    Epoch AI; whole-run utilization 0.20). In-sample: one of four V100 runs whose median sets
    the V100 training_efficiency (0.5); +-15%."""
    error = training_error(3.552e6, params=175e9, tokens=300e9, hardware="V100", gpus=10_000)
    assert abs(error) <= 0.15


def test_llama31_405b_on_16384_h100s() -> None:
    """Llama 3.1 405B: 15.6T tokens, 30.84M H100-80GB GPU-hours (Llama 3.1 model card) on
    16,384 H100s (Llama 3 paper). One of seven Hopper runs behind the Hopper
    training_efficiency (0.85); +-15% (observed +9%)."""
    error = training_error(30.84e6, params=405e9, tokens=15.6e12, hardware="H100-SXM", gpus=16_384)
    assert abs(error) <= 0.15


def test_deepseek_v3_fp8_moe_on_2048_h800s() -> None:
    """DeepSeek-V3: 671B total / 37B active, 14.8T tokens, FP8 mixed precision, 2,048 H800s,
    2.664M GPU-hours of pretraining (DeepSeek-V3 technical report, Table 1). In-sample: it sets
    the MoE factor given the FP8 factor, so this guards the combination; +-10%.

    The FP8 run is not twice as fast as BF16 would be: the estimate in BF16 must take more than
    1.2x but less than 2x the GPU-hours.
    """
    run: dict[str, Any] = {
        "params": 671e9,
        "active_params": 37e9,
        "tokens": 14.8e12,
        "hardware": "H800-SXM",
    }
    error = training_error(2.664e6, gpus=2048, precision="fp8", **run)
    assert abs(error) <= 0.10
    fp8 = float(estimate_training(gpus=2048, precision="fp8", **run)["gpu_hours"])
    bf16 = float(estimate_training(gpus=2048, precision="bf16", **run)["gpu_hours"])
    assert 1.2 < bf16 / fp8 < 2.0


def test_palm_on_6144_tpu_v4() -> None:
    """PaLM 540B: 780B tokens, ~8.4M TPU v4 chip-hours on 6,144 chips (Chowdhery et al. 2022,
    via Epoch AI). Held out: TPU-v4's training_efficiency comes from UL2; +-15%."""
    error = training_error(8.405e6, params=540e9, tokens=780e9, hardware="TPU-v4", gpus=6144)
    assert abs(error) <= 0.15


def test_fp8_training_on_a100_is_refused() -> None:
    with pytest.raises(ValueError, match="A100-80GB has no FP8 tensor cores"):
        estimate_training(params=7e9, tokens=1e12, hardware="A100-80GB", precision="fp8")


MLPERF: dict[str, Any] = {"params": 68.98e9, "input_tokens": 222.3, "output_tokens": 291.8}
MLPERF_OFFLINE: dict[str, Any] = {
    "precision": "fp8",
    "kv_bytes_per_token": 163_840.0,
    "latency_target_s": None,
}


def output_tokens_per_gpu_s(hardware: str) -> float:
    """Estimated offline output tokens/s per GPU, prefill included."""
    result = estimate_inference(hardware=hardware, **MLPERF, **MLPERF_OFFLINE)
    return float(MLPERF["output_tokens"]) / float(result["gpu_seconds_per_query"])


@pytest.mark.parametrize(
    ("hardware", "published"),
    [
        # H200: 34.5-35.3K tokens/s per 8 GPUs (MLPerf v5.x). Observed -22%.
        ("H200-SXM", 4_350.0),
        # H100: 31,306.8 tokens/s per 8 GPUs (MLPerf v5.0, NVIDIA 5.0-0057). Observed -12%.
        ("H100-SXM", 31_306.8 / 8),
        # MI300X: ~27.8K tokens/s per 8 GPUs (MLPerf v5.1); its serving_efficiency (0.65) comes
        # from independent kernel benchmarks, not from this result. Observed -13%.
        ("MI300X", 27_800.0 / 8),
    ],
)
def test_mlperf_llama2_70b_offline_fp8(hardware: str, published: float) -> None:
    assert output_tokens_per_gpu_s(hardware) == pytest.approx(published, rel=0.30)


def test_mlperf_llama2_70b_offline_b200() -> None:
    """B200: ~101.5K tokens/s per 8 GPUs (MLPerf v5.x). NVIDIA's B200 submissions run NVFP4
    weights, a precision the model does not have, so the FP8 estimate must fall short, but by
    less than FP4's nominal 2x: -45% to -10% (observed -38%)."""
    error = output_tokens_per_gpu_s("B200") / 12_700.0 - 1
    assert -0.45 <= error <= -0.10


def test_mlperf_batch_and_parallelism_are_those_of_the_submissions() -> None:
    """FP8 weights (69 GB) fit one 141 GB H200 (NVIDIA ran one GPU per replica) and need two
    80 GB H100s (NVIDIA ran two); offline batches are ~1,000 sequences (NVIDIA's
    gpu_batch_size 1,024) and decode is compute-bound there."""
    h200 = estimate_inference(hardware="H200-SXM", **MLPERF, **MLPERF_OFFLINE)
    h100 = estimate_inference(hardware="H100-SXM", **MLPERF, **MLPERF_OFFLINE)
    assert h200["tensor_parallel"] == 1
    assert h100["tensor_parallel"] == 2
    assert 500 <= float(h200["batch"]) <= 2048
    assert h200["decode_bound"] == "compute"


def test_online_serving_costs_more_than_offline() -> None:
    """A 50 ms per-token latency target caps the batch, so the same query costs more GPU time
    than in the offline benchmark; a fully cached prompt costs less than an uncached one."""
    offline = estimate_inference(hardware="H200-SXM", **MLPERF, **MLPERF_OFFLINE)
    online = estimate_inference(
        hardware="H200-SXM", **MLPERF, precision="fp8", kv_bytes_per_token=163_840.0
    )
    cached = estimate_inference(
        hardware="H200-SXM", **MLPERF, **MLPERF_OFFLINE, cached_fraction=1.0
    )
    assert float(online["batch"]) < float(offline["batch"])
    assert float(online["gpu_seconds_per_query"]) > float(offline["gpu_seconds_per_query"])
    assert float(cached["gpu_seconds_per_query"]) < float(offline["gpu_seconds_per_query"])


def test_benchmark_mode_is_the_roofline_and_production_scales_it() -> None:
    """`benchmark` is today's roofline (the default, to the bit); `production` divides its
    throughputs by nothing else than PRODUCTION_FACTOR (59,545/101,527 x 226.75/278 = 0.478)."""
    bench = estimate_inference(hardware="H200-SXM", **MLPERF, precision="fp8", mode="benchmark")
    default = estimate_inference(hardware="H200-SXM", **MLPERF, precision="fp8")
    prod = estimate_inference(hardware="H200-SXM", **MLPERF, precision="fp8", mode="production")
    assert bench == default
    factor = serving.PRODUCTION_FACTOR
    assert factor == pytest.approx(0.478, abs=0.001)
    for key in ("prefill_tokens_per_gpu_s", "decode_tokens_per_gpu_s"):
        assert float(prod[key]) / float(bench[key]) == pytest.approx(serving.PRODUCTION_FACTOR)
    ratio = float(prod["gpu_seconds_per_query"]) / float(bench["gpu_seconds_per_query"])
    assert ratio == pytest.approx(1.0 / serving.PRODUCTION_FACTOR, rel=1e-12)
    with pytest.raises(ValueError, match="unknown serving mode"):
        estimate_inference(hardware="H200-SXM", **MLPERF, mode="peak")


DEEPSEEK_DAY_GPU_HOURS = 226.75 * 8 * 24
SGLANG_GPUS, SGLANG_BATCH_PER_GPU, SGLANG_TOKENS_PER_GPU_S = 72, 256.0, 22_282.0 / 8


def deepseek_day_gpu_hours() -> float:
    """DeepSeek's published day (168B output tokens) in production mode, with its MLA cache."""
    result = estimate_inference(
        params=671e9,
        active_params=37e9,
        hardware="H800-SXM",
        input_tokens=3619.0,
        output_tokens=1000.0,
        precision="fp8",
        cached_fraction=0.563,
        kv_bytes_per_token=70_272.0,
        mode="production",
    )
    return float(result["gpu_seconds_per_query"]) * 168e9 / 1000.0 / 3600.0


def sglang_decode_tokens_per_gpu_s() -> float:
    """DeepSeek-V3 decode on 72 H100s at 256 sequences per GPU of 2,000-token context."""
    batch = SGLANG_BATCH_PER_GPU * SGLANG_GPUS
    step_s = max(
        serving.decode_step_times(
            671e9,
            37e9,
            load_catalog()["H100-SXM"],
            "fp8",
            70_272.0,
            2000.0,
            gpus=SGLANG_GPUS,
            batch=batch,
        )
    )
    return batch / step_s / SGLANG_GPUS


def test_production_mode_matches_deepseeks_published_day() -> None:
    """DeepSeek V3/R1 service, 24 h from 27 Feb 2025 (day-6 "One More Thing" post, 1 Mar 2025):
    608B input tokens (56.3% KV-cache hits) and 168B output tokens on 226.75 H800 nodes on
    average, 43,536 GPU-hours. Production mode at the cohort defaults (FP8, 50 ms per token)
    with DeepSeek's own MLA cache (70,272 B/token, 61 layers x 576 values x 2 B; DeepSeek-V2/V3
    reports) on requests of 3,619 in / 1,000 out (the day's ratio): within +-25% (observed
    +9%). The GQA-scaled default cache, ~2x MLA's, would overstate the day by ~39%."""
    assert deepseek_day_gpu_hours() == pytest.approx(DEEPSEEK_DAY_GPU_HOURS, rel=0.25)


def test_sglang_large_expert_parallel_decode_on_h100() -> None:
    """SGLang's DeepSeek-V3 decode on 9 nodes of 8 H100s (expert parallel over 72 GPUs), 256
    sequences per GPU of 2,000-token context: 22,282 output tokens/s per node (LMSYS, 5 May
    2025). The roofline with the expert decode efficiency, at that batch: within +-25%
    (observed +13%); without it (a dense model's MFU) 4.2x."""
    assert sglang_decode_tokens_per_gpu_s() == pytest.approx(SGLANG_TOKENS_PER_GPU_S, rel=0.25)


def fitted_efficiency(ratio: Callable[[], float]) -> float:
    """The expert decode efficiency at which `ratio()` is 1, by bisection (ratio rises with it)."""
    low, high = 0.05, 1.0
    with pytest.MonkeyPatch.context() as patch:
        for _ in range(40):
            middle = (low + high) / 2.0
            patch.setattr(serving, "EXPERT_DECODE_EFFICIENCY", middle)
            low, high = (middle, high) if ratio() < 1.0 else (low, middle)
    return (low + high) / 2.0


def test_expert_decode_efficiency_is_the_geometric_mean_of_its_anchors() -> None:
    """Each anchor alone fixes the factor (SGLang's decode 0.239, DeepSeek's day 0.305, to
    0.001); the default is their geometric mean, 0.270. Both anchors are DeepSeek-V3, so the
    fit is the factor at its sparsity, where the ramp ends."""
    fits = {
        "sglang-h100-ep72": fitted_efficiency(
            lambda: sglang_decode_tokens_per_gpu_s() / SGLANG_TOKENS_PER_GPU_S
        ),
        "deepseek-service-day": fitted_efficiency(
            lambda: DEEPSEEK_DAY_GPU_HOURS / deepseek_day_gpu_hours()
        ),
    }
    for name, fit in fits.items():
        assert fit == pytest.approx(serving.EXPERT_DECODE_ANCHORS[name], abs=1e-3), name
    mean = math.sqrt(fits["sglang-h100-ep72"] * fits["deepseek-service-day"])
    assert mean == pytest.approx(serving.EXPERT_DECODE_EFFICIENCY, abs=1e-3)


def test_the_expert_penalty_ramps_with_sparsity() -> None:
    """Decode efficiency by hand: 1 for a dense model (and continuous at it), the fitted factor
    at DeepSeek-V3's sparsity (18.1) and beyond (Kimi K2's 31), and between them linear in
    log2(sparsity): Mixtral 8x7B (46.7B, 12.9B active, sparsity 3.6) 1 - 0.730 x 0.443 = 0.676;
    the baseline's open frontier families (active fraction 0.1) 1 - 0.730 x 0.795 = 0.420."""
    full = serving.EXPERT_DECODE_EFFICIENCY
    assert serving.decode_efficiency(70e9, 70e9) == 1.0
    assert serving.decode_efficiency(37e9 * 1.0001, 37e9) == pytest.approx(1.0, abs=1e-4)
    assert serving.decode_efficiency(671e9, 37e9) == pytest.approx(full, rel=1e-12)
    assert serving.decode_efficiency(1e12, 32e9) == pytest.approx(full, rel=1e-12)
    for params, active in ((46.7e9, 12.9e9), (1e12, 1e11)):
        ramp = math.log2(params / active) / math.log2(671 / 37)
        assert serving.decode_efficiency(params, active) == pytest.approx(1 - (1 - full) * ramp)
    assert serving.decode_efficiency(46.7e9, 12.9e9) == pytest.approx(0.676, abs=1e-3)
    assert serving.decode_efficiency(1e12, 1e11) == pytest.approx(0.420, abs=1e-3)


@pytest.mark.parametrize(
    ("hardware", "published"), [("B200", 33_379.0 / 8), ("GB200", 289_712.0 / 72)]
)
def test_mlperf_deepseek_r1_offline_the_roofline_is_optimistic(
    hardware: str, published: float
) -> None:
    """A known gap, pinned so that a change to it is seen. MLPerf Inference v5.1 DeepSeek-R1
    Offline (NVIDIA, NVFP4): 8x B200 33,379 output tokens/s, GB200 NVL72 289,712
    (MLCommons Inference v5.1 results, NVIDIA closed division); the dataset's mean output is
    3,886 tokens (the submission checker's reference, reasoning included), its mean input is not
    published (at most 3,136; there the ratio is 1.6x). For a fine-grained mixture of experts
    with long reasoning the offline roofline (FP4 weights, DeepSeek's MLA cache of 70,272
    B/token in BF16, 1,000 input tokens, the narrowest replica) is ~3x the measured
    throughput (2.1-3.1x over inputs of 500-2,000), where it is within 30% for
    dense Llama-2-70B (above) and the production mode matches DeepSeek's own service day: bound
    by memory at the batch HBM holds, it is not slowed by the expert decode efficiency (with an
    FP8 cache, twice the batch, compute-bound: 3.1x and 3.5x). Pinned within 2-4x (observed
    2.9x B200, 3.2x GB200)."""
    result = estimate_inference(
        params=671e9,
        active_params=37e9,
        hardware=hardware,
        input_tokens=1000.0,
        output_tokens=3886.0,
        precision="fp4",
        kv_bytes_per_token=70_272.0,
        latency_target_s=None,
    )
    per_gpu_s = 3886.0 / float(result["gpu_seconds_per_query"])
    assert 2.0 <= per_gpu_s / published <= 4.0


def test_estimate_inference_cli_takes_the_mode() -> None:
    """`simdemand estimate inference --mode production` prints the production estimate."""
    args = ["estimate", "inference", "--params", "7e10", "--hardware", "H100"]
    args += ["--input-tokens", "1000", "--output-tokens", "500", "--json"]
    runs = {m: CliRunner().invoke(app, [*args, "--mode", m]) for m in ("benchmark", "production")}
    assert all(run.exit_code == 0 for run in runs.values())
    bench, prod = (json.loads(runs[m].stdout) for m in ("benchmark", "production"))
    assert (bench["mode"], prod["mode"]) == ("benchmark", "production")
    ratio = prod["gpu_seconds_per_query"] / bench["gpu_seconds_per_query"]
    assert ratio == pytest.approx(1.0 / serving.PRODUCTION_FACTOR)
