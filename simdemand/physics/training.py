"""Pretraining physics: FLOP, Chinchilla loss and sizing, whole-run utilization, clusters.

Pure functions; units are in the names (``_flop``, ``_s``, ...). Inputs are validated by the
scenario schema (or by :mod:`simdemand.physics.estimate` for one-off estimates), not here.
Sources are given next to each default. "Epoch AI" is Epoch AI, *Data on AI Models* and
*Data on Machine Learning Hardware* (CC-BY).
"""

from __future__ import annotations

import datetime as dt
import math

from simdemand.catalog import Precision
from simdemand.units import HOURS_PER_DAY, SECONDS_PER_HOUR

# FLOP per active parameter per training token: forward 2 + backward 4 (Kaplan et al. 2020, §2.1).
TRAINING_FLOP_PER_PARAM_TOKEN = 6.0

# Chinchilla parametric loss L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022, App. D.2).
CHINCHILLA_E = 1.69
CHINCHILLA_A = 406.4
CHINCHILLA_B = 410.7
CHINCHILLA_ALPHA = 0.34
CHINCHILLA_BETA = 0.28
# Compute-optimal tokens per parameter (Hoffmann et al. 2022, Table 3: ~20).
CHINCHILLA_TOKENS_PER_PARAM = 20.0

# Algorithmic progress: the physical compute needed for a fixed loss halves every ~8 months
# (95% CI 5-14 months; Ho et al. 2024, "Algorithmic progress in language models",
# arXiv:2403.05812; the NeurIPS 2024 version gives a 90% CI of 2-22 months), i.e. effective
# compute grows 2^(12/8) = 2.8x a year on top of physical compute.
ALGORITHMIC_HALVING_MONTHS = 8.0
# Effective compute equals physical compute at this date (the Chinchilla fit then describes
# the runs of the calibration, 2024-25).
ALGORITHMIC_REFERENCE_DATE = dt.date(2025, 1, 1)
MONTHS_PER_YEAR = 12.0

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
# FP4 (NVFP4) utilization vs the FP4 peak relative to BF16 vs BF16: MLPerf Training v5.1 (Nov
# 2025, the first FP4 results), GB300 in NVFP4 ~2x GB200 in FP8 per GPU on Llama 3.1 405B
# pretraining (NVIDIA MLPerf Training v5.1 announcement) with 3x the dense peak (15 vs 5 PF):
# 0.70 x 2/3 = 0.47. Where FP4 is no faster than FP8 (Trainium3) it is slower here.
FP4_TRAINING_EFFICIENCY = 0.47
LOW_PRECISION_EFFICIENCY: dict[str, float] = {
    "fp8": FP8_TRAINING_EFFICIENCY,
    "fp4": FP4_TRAINING_EFFICIENCY,
}
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


def training_flop(active_params: float, tokens: float) -> float:
    """Training compute in FLOP: 6 x active parameters x tokens."""
    return TRAINING_FLOP_PER_PARAM_TOKEN * active_params * tokens


def chinchilla_loss(params: float, tokens: float) -> float:
    """Predicted pretraining loss (nats/token) from the Chinchilla fit L(N, D)."""
    return (
        CHINCHILLA_E
        + CHINCHILLA_A / math.pow(params, CHINCHILLA_ALPHA)
        + CHINCHILLA_B / math.pow(tokens, CHINCHILLA_BETA)
    )


def algorithmic_multiplier(years_since_reference: float, halving_months: float) -> float:
    """Effective compute per physical FLOP: 2^(12 t / halving months) (1 at the reference)."""
    return math.pow(2.0, MONTHS_PER_YEAR * years_since_reference / halving_months)


def effective_loss(params: float, tokens: float, multiplier: float) -> float:
    """Chinchilla loss of a run whose compute counts `multiplier` times: N and D each scaled by
    sqrt(multiplier), so 6 N D scales by the multiplier and the compute-optimal ratio holds."""
    scale = math.sqrt(multiplier)
    return chinchilla_loss(params * scale, tokens * scale)


def compute_optimal_sizing(
    flop: float, tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM
) -> tuple[float, float]:
    """(params, tokens) that spend `flop` at `tokens_per_param`: C = 6 N D with D = r N."""
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
        x hardware_efficiency x MoE factor (0.75 from 4x sparsity) x 0.70 if FP8, 0.47 if FP4.
    Slopes: OLS on 29 dense LLM runs >= 1e23 FLOP in Epoch AI's data (0.042 per decade of
    params, 0.019 per doubling of GPUs, rmse 0.08); intercept: A100 runs, Llama 2 70B
    (0.435 published) at its anchor. `gpus=None` is the 1,024-GPU reference cluster.
    `hardware_efficiency` is the catalog's `training_efficiency` (A100 1.0, Hopper 0.85).
    """
    cluster = UTIL_REFERENCE_GPUS if gpus is None else float(gpus)
    dense = (
        UTIL_AT_REFERENCE
        + UTIL_PER_DECADE_OF_PARAMS * math.log10(active_params / UTIL_REFERENCE_ACTIVE_PARAMS)
        - UTIL_PER_DOUBLING_OF_GPUS * math.log2(cluster / UTIL_REFERENCE_GPUS)
    )
    util = min(UTIL_MAX, max(UTIL_MIN, dense)) * hardware_efficiency
    util *= moe_training_factor(active_params, params)
    return util * LOW_PRECISION_EFFICIENCY.get(precision, 1.0)


def moe_training_factor(active_params: float, params: float) -> float:
    """Utilization multiplier for a mixture of experts: 1 dense, MOE_TRAINING_EFFICIENCY sparse."""
    sparsity = max(1.0, params / active_params)
    ramp = min(1.0, math.log2(sparsity) / math.log2(MOE_FULL_PENALTY_SPARSITY))
    return 1.0 - (1.0 - MOE_TRAINING_EFFICIENCY) * ramp


def gpu_hours_from_flop(flop: float, peak_flop_per_s: float, utilization: float) -> float:
    """GPU-hours to execute `flop` at `utilization` of a `peak_flop_per_s` GPU."""
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
    if gpus <= gpus_per_node:
        return math.ceil(gpus - 1e-9)
    return gpus_per_node * math.ceil(gpus / gpus_per_node - 1e-9)


# --- Clusters from facility power -------------------------------------------------------------
# IT power per accelerator over its TDP (host CPUs, memory, NICs, switches, storage). Calibrated
# on xAI Colossus 1: 280-300 MW for ~200K H100/H200 of 700 W (Epoch AI, "Trends in AI
# Supercomputers", Apr 2025), 1.4-1.5 kW per GPU all in, so 1.45 kW / (0.7 kW x PUE 1.2) = 1.73.
# Cross-checks: a GB200 NVL72 rack draws ~120 kW for 72 GPUs of 1.2 kW (1.39, before the network
# and storage outside the rack); Stargate Abilene's ~1.2 GW for ~400K GB200 (FT, May 2025) is
# 3.0 kW per GPU, 1.25x this rule (its power leaves room for later GB300).
SERVER_POWER_PER_TDP = 1.7


def facility_w_per_gpu(tdp_w: float, pue: float) -> float:
    """Facility watts per accelerator: TDP x server overhead x PUE."""
    return tdp_w * SERVER_POWER_PER_TDP * pue


def campus_gpus(facility_w: float, tdp_w: float, pue: float) -> int:
    """Accelerators a campus of `facility_w` powers (whole GPUs, at least one)."""
    return max(1, math.floor(facility_w / facility_w_per_gpu(tdp_w, pue) + 1e-9))
