"""Every cost formula against hand-computed values, its edge cases, and a few properties."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simdemand.catalog import Hardware, load_catalog
from simdemand.physics import energy, serving, training
from simdemand.physics.estimate import estimate_inference, estimate_training

CATALOG = load_catalog()


def toy(**extra: Any) -> Hardware:
    """A round-number GPU: 1 PFLOP/s BF16, 2 PFLOP/s FP8, 100 GB at 2 TB/s."""
    fields: dict[str, Any] = {
        "name": "toy",
        "bf16_flop_per_s": 1e15,
        "fp8_flop_per_s": 2e15,
        "hbm_bytes": 100e9,
        "hbm_bytes_per_s": 2e12,
        "tdp_w": 1000.0,
        "available": dt.date(2024, 1, 1),
        "usd_per_gpu_hour": 2.0,
        "source": "test",
    }
    return Hardware(**(fields | extra))


# --- training ---------------------------------------------------------------------------------


def test_training_flop_is_six_n_d() -> None:
    # Llama 2 70B: 6 x 70e9 x 2e12 = 840e21.
    assert training.training_flop(70e9, 2e12) == pytest.approx(8.4e23, rel=1e-12)


def test_chinchilla_loss_by_hand() -> None:
    # 70e9^0.34 = exp(0.34 x 24.971761) = 4867.81 -> 406.4 / 4867.81 = 0.083487
    # 1.4e12^0.28 = exp(0.28 x 27.967493) = 2517.19 -> 410.7 / 2517.19 = 0.163158
    # L = 1.69 + 0.083487 + 0.163158 = 1.936645
    assert training.chinchilla_loss(70e9, 1.4e12) == pytest.approx(1.936645, abs=1e-6)
    assert training.chinchilla_loss(1e15, 1e18) == pytest.approx(training.CHINCHILLA_E, abs=0.02)


def test_compute_optimal_sizing_inverts_six_n_d() -> None:
    # C = 6 x N x (20 N) = 120 N^2; N = 70e9 -> C = 120 x 4.9e21 = 5.88e23.
    params, tokens = training.compute_optimal_sizing(5.88e23)
    assert params == pytest.approx(70e9, rel=1e-12)
    assert tokens == pytest.approx(1.4e12, rel=1e-12)
    # Over-training at 200 tokens/param: N = sqrt(5.88e23 / 1200) = 2.2136e10.
    params, tokens = training.compute_optimal_sizing(5.88e23, tokens_per_param=200)
    assert params == pytest.approx(math.sqrt(5.88e23 / 1200), rel=1e-12)
    assert tokens == pytest.approx(200 * params, rel=1e-12)


def test_utilization_at_the_reference_point() -> None:
    # 70e9 active on 1,024 GPUs in BF16 is the anchor: 0.42 exactly.
    assert training.training_utilization(70e9, 70e9, "bf16", 1024) == pytest.approx(0.42)
    # gpus=None means the reference cluster.
    assert training.training_utilization(70e9, 70e9, "bf16") == pytest.approx(0.42)


def test_utilization_falls_with_cluster_and_rises_with_size() -> None:
    # 4,096 GPUs = two doublings: 0.42 - 2 x 0.02 = 0.38.
    assert training.training_utilization(70e9, 70e9, "bf16", 4096) == pytest.approx(0.38)
    # 7e9 = one decade smaller: 0.42 - 0.045 = 0.375.
    assert training.training_utilization(7e9, 7e9, "bf16", 1024) == pytest.approx(0.375)
    # 256 GPUs = two halvings: 0.42 + 0.04 = 0.46.
    assert training.training_utilization(70e9, 70e9, "bf16", 256) == pytest.approx(0.46)


def test_utilization_is_clipped() -> None:
    # 1e12 on 1 GPU: 0.42 + 0.045 x log10(1e12/7e10) + 0.02 x 10 = 0.672 -> 0.60.
    assert training.training_utilization(1e12, 1e12, "bf16", 1) == training.UTIL_MAX
    # 1e8 on 1e6 GPUs: 0.42 - 0.045 x 2.845 - 0.02 x 9.93 = 0.093 -> 0.10.
    assert training.training_utilization(1e8, 1e8, "bf16", 1_000_000) == training.UTIL_MIN


def test_fp8_does_not_get_its_nominal_speedup() -> None:
    # 0.42 x 0.70 = 0.294 of a peak twice as high: 1.4x faster than BF16, not 2x.
    u8 = training.training_utilization(70e9, 70e9, "fp8", 1024)
    assert u8 == pytest.approx(0.294)
    h100 = CATALOG["H100-SXM"]
    speedup = (u8 * h100.peak_flop_per_s("fp8")) / (0.42 * h100.peak_flop_per_s("bf16"))
    assert speedup == pytest.approx(1.4, rel=2e-3)


def test_fp4_training_is_twice_fp8_on_blackwell_ultra() -> None:
    """0.42 x 0.47 = 0.1974 of the FP4 peak. On GB300 (FP4 15 PF, 3x FP8) that is 2.0x the FP8
    speed, as MLPerf Training v5.1 (GB300 in NVFP4 ~2x GB200 in FP8 per GPU), within 2%; on
    B200 (FP4 2x FP8) 1.34x."""
    u4 = training.training_utilization(70e9, 70e9, "fp4", 1024)
    assert u4 == pytest.approx(0.42 * 0.47)
    u8 = training.training_utilization(70e9, 70e9, "fp8", 1024)
    gb300, b200 = CATALOG["GB300"], CATALOG["B200"]
    speedup = (u4 * gb300.peak_flop_per_s("fp4")) / (u8 * gb300.peak_flop_per_s("fp8"))
    assert speedup == pytest.approx(2.0, rel=0.02)
    b200_speedup = (u4 * b200.peak_flop_per_s("fp4")) / (u8 * b200.peak_flop_per_s("fp8"))
    assert b200_speedup == pytest.approx(0.47 / 0.70 * 2, rel=1e-9)


def test_estimate_training_in_fp4(runner: Any) -> None:
    """`simdemand estimate training --precision fp4` on GB300 takes half the FP8 GPU-hours;
    on Hopper it is a clear error naming the format to use."""
    from simdemand.cli.app import app

    args = ["estimate", "training", "--params", "70e9", "--tokens", "1.4e12", "--gpus", "1024"]
    fp4 = runner.invoke(app, [*args, "--hardware", "GB300", "--precision", "fp4", "--json"])
    fp8 = runner.invoke(app, [*args, "--hardware", "GB300", "--precision", "fp8", "--json"])
    assert fp4.exit_code == 0
    assert fp8.exit_code == 0
    ratio = json.loads(fp8.output)["gpu_hours"] / json.loads(fp4.output)["gpu_hours"]
    assert ratio == pytest.approx(2.0, rel=0.02)
    refused = runner.invoke(app, [*args, "--hardware", "H100", "--precision", "fp4"])
    assert refused.exit_code == 2
    assert "no FP4 tensor cores; use precision 'fp8'" in refused.output


# --- clusters from facility power -------------------------------------------------------------


def test_campus_gpus_by_hand() -> None:
    # 1 MW at 1 kW TDP, PUE 1.25: 1e6 / (1000 x 1.7 x 1.25) = 470.6 -> 470 GPUs.
    assert training.facility_w_per_gpu(1000.0, 1.25) == pytest.approx(2125.0)
    assert training.campus_gpus(1e6, 1000.0, 1.25) == 470
    assert training.campus_gpus(1.0, 1000.0, 1.25) == 1


def test_campus_gpus_match_published_campuses() -> None:
    """xAI Colossus 1, 280-300 MW for ~200K H100/H200 (Epoch AI, 2025): within 10%. Stargate
    Abilene, ~1.2 GW for ~400K GB200 (FT, May 2025): within 25% (its power leaves room)."""
    pue = 1.2
    colossus = training.campus_gpus(290e6, CATALOG["H100-SXM"].tdp_w, pue)
    assert colossus == pytest.approx(200_000, rel=0.10)
    abilene = training.campus_gpus(1.2e9, CATALOG["GB200"].tdp_w, pue)
    assert abilene == pytest.approx(400_000, rel=0.25)


def test_moe_pays_an_all_to_all_penalty() -> None:
    # DeepSeek-V3-like: 37e9 of 671e9 active (sparsity 18 >= 4: full 0.75 factor).
    # 0.42 + 0.045 x log10(37/70) = 0.42 - 0.012460 = 0.407540; x 0.75 = 0.305655.
    assert training.training_utilization(37e9, 671e9, "bf16", 1024) == pytest.approx(0.305655, 1e-5)
    assert training.moe_training_factor(37e9, 37e9) == 1.0
    # Sparsity 2: half-way in log2 to 4 -> 1 - 0.25 x 0.5 = 0.875.
    assert training.moe_training_factor(10e9, 20e9) == pytest.approx(0.875)
    assert training.moe_training_factor(10e9, 40e9) == pytest.approx(0.75)
    assert training.moe_training_factor(10e9, 400e9) == pytest.approx(0.75)


def test_hardware_efficiency_scales_utilization() -> None:
    # Hopper's training_efficiency 0.85: 0.42 x 0.85 = 0.357.
    u = training.training_utilization(70e9, 70e9, "bf16", 1024, hardware_efficiency=0.85)
    assert u == pytest.approx(0.357)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"params": 7e9, "active_params": 70e9}, "active_params .* exceeds params"),
        ({"params": 7e9, "active_params": 0.0}, "active_params must be a finite number > 0"),
        ({"params": 7e9, "precision": "int4"}, "unknown precision 'int4'"),
        ({"params": float("nan")}, "params"),
        ({"params": 7e9, "tokens": -1.0}, "tokens must be a finite number > 0"),
        ({"params": 7e9, "gpus": 0}, "gpus must be a whole number >= 1"),
    ],
)
def test_training_estimate_rejects_bad_input(kwargs: dict[str, Any], message: str) -> None:
    """The estimate is the boundary for one-off inputs: it names the bad one."""
    args: dict[str, Any] = {"tokens": 1e12, "hardware": "A100-80GB", **kwargs}
    with pytest.raises(ValueError, match=message):
        estimate_training(**args)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cached_fraction": 1.5}, "cached_fraction"),
        ({"input_tokens": -1.0}, "input_tokens"),
        ({"output_tokens": 0.0}, "output_tokens"),
        ({"context_tokens": 0.0}, "context_tokens"),
    ],
)
def test_inference_estimate_rejects_bad_input(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "params": 7e9,
        "hardware": "H100-SXM",
        "input_tokens": 100.0,
        "output_tokens": 100.0,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        estimate_inference(**args)


def test_gpu_hours_from_flop_by_hand() -> None:
    # Llama 2 70B at the published whole-run utilization:
    # 8.4e23 / (312e12 x 0.435 x 3600) = 8.4e23 / 4.88592e17 = 1,719,226 GPU-hours.
    assert training.gpu_hours_from_flop(8.4e23, 312e12, 0.435) == pytest.approx(1_719_226, rel=1e-6)
    assert training.gpu_hours_from_flop(0.0, 312e12, 0.4) == 0.0


@given(
    flop=st.floats(1e15, 1e28),
    factor=st.floats(1e-3, 1e3),
    utilization=st.floats(0.05, 1.0),
)
def test_gpu_hours_scale_linearly_with_flop(flop: float, factor: float, utilization: float) -> None:
    one = training.gpu_hours_from_flop(flop, 989e12, utilization)
    assert training.gpu_hours_from_flop(flop * factor, 989e12, utilization) == pytest.approx(
        one * factor, rel=1e-9
    )


@given(g1=st.integers(1, 200_000), g2=st.integers(1, 200_000), n=st.floats(1e8, 2e12))
def test_utilization_never_rises_with_cluster_size(g1: int, g2: int, n: float) -> None:
    small, large = sorted((g1, g2))
    assert training.training_utilization(n, n, "bf16", large) <= training.training_utilization(
        n, n, "bf16", small
    )


def test_default_cluster_runs_for_about_the_default_days() -> None:
    # Llama 2 70B on A100s: G x u(G) = 8.4e23 / (312e12 x 3600 x 1440 h) = 519.4 -> G ~ 1,254,
    # rounded up to whole 8-GPU nodes.
    gpus = training.default_cluster_gpus(8.4e23, 312e12, 70e9, 70e9, "bf16")
    assert gpus % 8 == 0
    util = training.training_utilization(70e9, 70e9, "bf16", gpus)
    days = training.gpu_hours_from_flop(8.4e23, 312e12, util) / gpus / 24
    assert 59.5 < days <= 60.0
    assert gpus == 1256


def test_default_cluster_of_a_tiny_run_is_one_gpu() -> None:
    # 1e18 FLOP is minutes on one A100.
    assert training.default_cluster_gpus(1e18, 312e12, 1e8, 1e8, "bf16") == 1


def test_whole_nodes_rounding() -> None:
    assert training.whole_nodes(0.2, 8) == 1
    assert training.whole_nodes(5.0, 8) == 5
    assert training.whole_nodes(9.0, 8) == 16
    assert training.whole_nodes(16.0, 8) == 16
    assert training.whole_nodes(73.0, 72) == 144


# --- energy and money -------------------------------------------------------------------------


def test_energy_and_cost_by_hand() -> None:
    # 1,000 GPU-hours x 700 W x PUE 1.2 = 840,000 Wh = 0.84 MWh.
    assert energy.energy_mwh(1000.0, 700.0, 1.2) == pytest.approx(0.84)
    assert energy.energy_mwh(1000.0, 700.0) == pytest.approx(0.84)  # default PUE 1.2
    # 1,000 GPU-hours x $2.95 = $2,950.
    assert energy.cost_usd(1000.0, 2.95) == pytest.approx(2950.0)
    assert isinstance(energy.energy_mwh(1.0, 1.0), float)


def test_energy_and_cost_accept_arrays() -> None:
    hours = np.array([1.0, 2.0])
    tdp = np.array([400.0, 700.0])
    # 1 x 400 x 1.0 / 1e6 = 0.0004; 2 x 700 / 1e6 = 0.0014.
    np.testing.assert_allclose(energy.energy_mwh(hours, tdp, 1.0), [0.0004, 0.0014])
    np.testing.assert_allclose(energy.cost_usd(hours, np.array([1.5, 3.0])), [1.5, 6.0])


# --- inference --------------------------------------------------------------------------------


def test_layer_width_and_attention_flop_by_hand() -> None:
    # d = (100 x 70e9 / 12)^(1/3) = 8355.5; n_layer x d = d^2 / 100 = 698,143
    # (Llama 2 70B: 80 x 8192 = 655,360).
    assert serving.layer_width(70e9) == pytest.approx(698_143, rel=1e-5)
    # 2 x 70e9 + 2 x 698,143 x 1,000 = 1.4e11 + 1.396286e9.
    assert serving.inference_flop_per_token(70e9, 1000) == pytest.approx(1.41396286e11, rel=1e-8)
    assert serving.inference_flop_per_token(70e9, 0) == pytest.approx(1.4e11)


def test_default_kv_bytes_per_token() -> None:
    # Llama-3.1-70B in BF16: 2 x 80 layers x 8 KV heads x 128 x 2 B = 327,680 B; FP8 halves it.
    assert serving.default_kv_bytes_per_token(70e9, "bf16") == pytest.approx(327_680)
    assert serving.default_kv_bytes_per_token(70e9, "fp8") == pytest.approx(163_840)
    # 8e9: 327,680 x (8/70)^0.35 = 153,372 (Llama-3.1-8B: 131,072).
    assert serving.default_kv_bytes_per_token(8e9) == pytest.approx(153_372, rel=1e-5)


def test_decode_mfu_rises_with_batch() -> None:
    # b_half = 256 x (0.45/0.30 - 1) = 128: mfu(256) = 0.45 x 256/384 = 0.30,
    # mfu(1024) = 0.45 x 1024/1152 = 0.40, mfu(128) = 0.225.
    assert serving.decode_mfu_at(256) == pytest.approx(0.30)
    assert serving.decode_mfu_at(1024) == pytest.approx(0.40)
    assert serving.decode_mfu_at(128) == pytest.approx(0.225)
    assert serving.decode_mfu_at(10, decode_mfu=0.45) == pytest.approx(0.45)


def test_tensor_parallel_degree() -> None:
    # Usable weight room per GPU = HBM x 0.9 x 0.8.
    # 70e9 BF16 = 140 GB on 80 GB H100s: 140 / 57.6 = 2.43 -> 4 GPUs.
    assert serving.tensor_parallel_degree(140e9, 80e9) == 4
    # On 141 GB H200s: 140 / 101.52 = 1.38 -> 2; in FP8 (70 GB) it fits one.
    assert serving.tensor_parallel_degree(140e9, 141e9) == 2
    assert serving.tensor_parallel_degree(70e9, 141e9) == 1
    assert serving.tensor_parallel_degree(57.6e9, 80e9) == 1


def test_serving_point_memory_bound_by_hand() -> None:
    # 10e9 params in BF16 = 20 GB on the toy GPU; KV 1e5 B/token x 1,000 tokens = 1e8 B/seq.
    # HBM room: 100e9 x 0.9 - 20e9 = 70e9 -> 700 sequences.
    # Latency 50 ms, bandwidth 2e12 x 0.8 = 1.6e12 B/s: (0.05 x 1.6e12 - 20e9) / 1e8 = 600.
    # Compute limit: 0.05 x 1e15 x 0.45 / 2.0382e10 - 128 = 976 (not binding).
    # Step = (20e9 + 600 x 1e8) / 1.6e12 = 0.05 s; decode = 600 / 0.05 = 12,000 tokens/s.
    point = serving.serving_point(10e9, 10e9, toy(), "bf16", 1e5, 1000.0)
    assert point.tensor_parallel == 1
    assert point.batch == pytest.approx(600.0)
    assert point.decode_step_s == pytest.approx(0.05)
    assert point.memory_bound
    assert point.decode_tokens_per_gpu_s == pytest.approx(12_000.0)
    # Prefill: 1e15 x 0.45 / (2e10 + 2 x layer_width(1e10) x 1,000).
    flop = 2e10 + 2 * serving.layer_width(1e10) * 1000
    assert point.prefill_tokens_per_gpu_s == pytest.approx(4.5e14 / flop)


def test_serving_point_offline_uses_all_memory() -> None:
    # No latency target: batch = 700; step = (20e9 + 70e9) / 1.6e12 = 0.05625 s;
    # decode = 700 / 0.05625 = 12,444.4 tokens/s.
    point = serving.serving_point(10e9, 10e9, toy(), "bf16", 1e5, 1000.0, latency_target_s=None)
    assert point.batch == pytest.approx(700.0)
    assert point.decode_tokens_per_gpu_s == pytest.approx(700 / 0.05625)


def test_serving_point_compute_bound_by_hand() -> None:
    # 1e9 params in FP8 (1 GB), tiny KV (1e3 B/token x 100): memory barely matters.
    # Batch at 50 ms: 0.05 x 2e15 x 0.45 / f - 128, f = 2e9 + 2 x layer_width(1e9) x 100.
    f = 2e9 + 2 * serving.layer_width(1e9) * 100
    point = serving.serving_point(1e9, 1e9, toy(), "fp8", 1e3, 100.0)
    assert not point.memory_bound
    assert point.batch == pytest.approx(0.05 * 9e14 / f - 128)
    assert point.decode_step_s == pytest.approx(0.05)
    # Per GPU: batch / step = peak x mfu(batch) / f.
    mfu = serving.decode_mfu_at(point.batch)
    assert point.decode_tokens_per_gpu_s == pytest.approx(2e15 * mfu / f)


def test_weights_that_do_not_fit_one_gpu_go_tensor_parallel() -> None:
    h100 = CATALOG["H100-SXM"]
    bf16 = serving.serving_point(70e9, 70e9, h100, "bf16", 327_680, 2000.0)
    assert bf16.tensor_parallel == 4
    assert bf16.weight_bytes == 140e9
    fp8 = serving.serving_point(70e9, 70e9, CATALOG["H200-SXM"], "fp8", 163_840, 2000.0)
    assert fp8.tensor_parallel == 1
    # 405e9 in FP8 = 405 GB: 405 / 57.6 = 7.03 -> 8 H100s, one node.
    big = serving.serving_point(405e9, 405e9, h100, "fp8", 258_048, 2000.0)
    assert big.tensor_parallel == 8


def test_a_context_too_long_for_the_replica_widens_it() -> None:
    # 8e9 BF16 = 16 GB; one 1M-token sequence of 131,072 B/token = 131 GB of KV.
    # tp 1: 72 - 16 = 56 GB; tp 2: 128 GB; tp 4: 272 GB >= 131 GB.
    point = serving.serving_point(8e9, 8e9, CATALOG["H100-SXM"], "bf16", 131_072, 1e6)
    assert point.tensor_parallel == 4
    assert point.batch >= 1.0


def test_fp8_serving_on_a100_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="A100-80GB has no FP8 tensor cores"):
        serving.serving_point(7e9, 7e9, CATALOG["A100-80GB"], "fp8", 1e5, 1000.0)


def test_serving_efficiency_scales_compute_bound_throughput() -> None:
    fast = serving.serving_point(1e9, 1e9, toy(), "fp8", 1e3, 100.0, latency_target_s=None)
    slow = serving.serving_point(
        1e9, 1e9, toy(serving_efficiency=0.5), "fp8", 1e3, 100.0, latency_target_s=None
    )
    assert slow.prefill_tokens_per_gpu_s == pytest.approx(fast.prefill_tokens_per_gpu_s / 2)
    assert slow.decode_tokens_per_gpu_s < fast.decode_tokens_per_gpu_s


def test_query_gpu_seconds_by_hand() -> None:
    point = serving.ServingPoint(
        prefill_tokens_per_gpu_s=10_000.0,
        decode_tokens_per_gpu_s=1_000.0,
        batch=100.0,
        tensor_parallel=1,
        decode_step_s=0.1,
        memory_bound=True,
        weight_bytes=1e9,
        kv_bytes_per_token=1e5,
        context_tokens=1000.0,
    )
    # 2,000 input / 10,000 + 500 output / 1,000 = 0.2 + 0.5 = 0.7 GPU-seconds.
    assert serving.query_gpu_seconds(point, 2000, 500) == pytest.approx(0.7)
    # Fully cached input skips prefill: 0.5 s; half cached: 0.1 + 0.5 = 0.6 s.
    assert serving.query_gpu_seconds(point, 2000, 500, cached_fraction=1.0) == pytest.approx(0.5)
    assert serving.query_gpu_seconds(point, 2000, 500, cached_fraction=0.5) == pytest.approx(0.6)
    assert isinstance(serving.query_gpu_seconds(point, 2000.0, 500.0), float)
    # Arrays broadcast and agree with the scalar path.
    inputs = np.array([2000.0, 0.0, 10_000.0])
    out = serving.query_gpu_seconds(point, inputs, np.array([500.0, 1000.0, 0.0]), 0.0)
    np.testing.assert_allclose(out, [0.7, 1.0, 1.0])


@given(
    bw1=st.floats(0.5e12, 10e12),
    bw2=st.floats(0.5e12, 10e12),
    params=st.floats(1e9, 2e11),
    context=st.floats(100, 50_000),
    offline=st.booleans(),
)
def test_decode_throughput_never_falls_with_more_bandwidth(
    bw1: float, bw2: float, params: float, context: float, offline: bool
) -> None:
    slow_bw, fast_bw = sorted((bw1, bw2))
    target = None if offline else 0.05
    kv = serving.default_kv_bytes_per_token(params)

    def decode(bw: float) -> float:
        hw = toy(hbm_bytes_per_s=bw)
        point = serving.serving_point(
            params, params, hw, "bf16", kv, context, latency_target_s=target
        )
        return point.decode_tokens_per_gpu_s

    assert decode(fast_bw) >= decode(slow_bw) * (1 - 1e-9)


@given(n=st.floats(1e8, 1e13), d=st.floats(1e9, 1e14), k=st.floats(1.01, 100.0))
def test_chinchilla_loss_falls_with_params_and_tokens(n: float, d: float, k: float) -> None:
    assert training.chinchilla_loss(n * k, d) < training.chinchilla_loss(n, d)
    assert training.chinchilla_loss(n, d * k) < training.chinchilla_loss(n, d)
