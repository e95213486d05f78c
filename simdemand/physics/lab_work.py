"""Labs' own work around their final runs: post-training of each base model, and research.

Pure functions; units are in the names. A lab post-trains each base after its final run:
reinforcement learning (`rl-rollouts`, `rl-updates`), the generation of supervised data
(`synthetic-data`) and supervised and preference tuning (`sft`). RL is sized in GPU-hours as a
share of the final run's GPU-hours (the share that DeepSeek disclosed), growing over time to a
cap; its tokens and FLOP follow from the physics: rollouts generate at the serving-side
utilization of on-policy generation, updates train at the run's own training utilization.
Research is the lab's standing programme, a steady charge proportional to its trend run.
Inputs are validated by the scenario schema, not here.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from simdemand.physics.post_training import (
    POST_TRAINING_GENERATION_UTILIZATION,
    POST_TRAINING_ROLLOUT_UTILIZATION,
    RL_TRAIN_FLOP_PER_PARAM_TOKEN,
)
from simdemand.physics.serving import INFERENCE_FLOP_PER_PARAM_TOKEN
from simdemand.physics.training import TRAINING_FLOP_PER_PARAM_TOKEN
from simdemand.units import DAYS_PER_YEAR, HOURS_PER_DAY, SECONDS_PER_HOUR

# DeepSeek-R1's reinforcement learning: 512 H800 x (198 h R1-Zero + 80 h R1) = 142,336
# GPU-hours, plus ~5,000 GPU-hours to create the SFT data (DeepSeek-AI, "DeepSeek-R1
# incentivizes reasoning in LLMs through reinforcement learning", Nature 645, 17 Sep 2025,
# Supplementary cost table), against DeepSeek-V3's final run of 2.788M H800-hours (DeepSeek-V3
# Technical Report, arXiv:2412.19437, Dec 2024): RL 5.1%, with the SFT data 5.3%.
R1_RL_GPU_HOURS = 142_336.0
R1_SFT_DATA_GPU_HOURS = 5_000.0
V3_FINAL_RUN_GPU_HOURS = 2_788_000.0
RL_SHARE_AT_REFERENCE = R1_RL_GPU_HOURS / V3_FINAL_RUN_GPU_HOURS
SYNTHETIC_DATA_PER_RL = R1_SFT_DATA_GPU_HOURS / R1_RL_GPU_HOURS
# The share holds at DeepSeek-R1's release.
RL_REFERENCE_DATE = dt.date(2025, 1, 20)
# Growth of the RL share: OpenAI's o3 used about 10x o1's RL compute about 4 months later
# (OpenAI, "Introducing OpenAI o3 and o4-mini", 16 Apr 2025, as read by Epoch AI). That pace
# cannot last (Epoch AI, J. You, "How far can reasoning models scale?", 13 May 2025): 10x a
# year on the share is a stylised reading that reaches the cap about a year after R1.
RL_SHARE_GROWTH_PER_YEAR = 10.0
# Cap: xAI's Grok 4 launch (9-10 Jul 2025) put its RL compute at about its pretraining compute;
# Epoch AI (above) expects RL to converge with frontier pretraining scale, then grow with it.
RL_SHARE_MAX = 1.0
# Supervised and preference tuning: Llama 3.1 405B's post-training (SFT, rejection sampling,
# DPO) 9.4e22 FLOP against 3.8e25 FLOP of pretraining (Epoch AI, Data on AI Models, citing
# Llama 3 paper, Meta, Jul 2024, section 4): 0.25% of the final run's FLOP.
SFT_FLOP_FRACTION = 9.4e22 / 3.8e25


@dataclass(frozen=True)
class Charge:
    """GPU-hours, FLOP and tokens of one activity."""

    gpu_hours: float
    flop: float
    tokens: float


def rl_share(
    years_since_reference: float,
    share_at_reference: float = RL_SHARE_AT_REFERENCE,
    growth_per_year: float = RL_SHARE_GROWTH_PER_YEAR,
    max_share: float = RL_SHARE_MAX,
) -> float:
    """RL GPU-hours per final-run GPU-hour: min(max, share_0 x growth^t)."""
    return min(max_share, share_at_reference * math.pow(growth_per_year, years_since_reference))


def rl_charges(
    gpu_hours: float,
    active_params: float,
    rollout_flop_per_s: float,
    update_flop_per_s: float,
) -> tuple[Charge, Charge]:
    """Rollouts and updates of an RL phase of `gpu_hours`, at the FLOP/s each achieves per GPU.

    Each rollout token costs 2 N of generation, each trained token 8 N (update and reference
    model), so the tokens T solve gpu_hours x 3600 = T (2 N / rollout + 8 N / update).
    """
    rollout_s = INFERENCE_FLOP_PER_PARAM_TOKEN * active_params / rollout_flop_per_s
    update_s = RL_TRAIN_FLOP_PER_PARAM_TOKEN * active_params / update_flop_per_s
    tokens = gpu_hours * SECONDS_PER_HOUR / (rollout_s + update_s)
    rollouts = Charge(
        tokens * rollout_s / SECONDS_PER_HOUR,
        INFERENCE_FLOP_PER_PARAM_TOKEN * active_params * tokens,
        tokens,
    )
    updates = Charge(
        tokens * update_s / SECONDS_PER_HOUR,
        RL_TRAIN_FLOP_PER_PARAM_TOKEN * active_params * tokens,
        tokens,
    )
    return rollouts, updates


def rollout_flop_per_s(bf16_flop_per_s: float, serving_efficiency: float = 1.0) -> float:
    """FLOP/s per GPU of on-policy rollouts: the DeepSeek-R1-calibrated utilization of the BF16
    peak (simdemand.physics.post_training) times the hardware's serving efficiency."""
    return bf16_flop_per_s * POST_TRAINING_ROLLOUT_UTILIZATION * serving_efficiency


def synthetic_data_charge(
    gpu_hours: float, active_params: float, bf16_flop_per_s: float, serving_efficiency: float = 1.0
) -> Charge:
    """Offline generation of supervised data for `gpu_hours` at batch-inference utilization."""
    flop = (
        gpu_hours
        * SECONDS_PER_HOUR
        * bf16_flop_per_s
        * POST_TRAINING_GENERATION_UTILIZATION
        * serving_efficiency
    )
    return Charge(gpu_hours, flop, flop / (INFERENCE_FLOP_PER_PARAM_TOKEN * active_params))


def sft_charge(
    final_run_flop: float,
    active_params: float,
    training_flop_per_s: float,
    flop_fraction: float = SFT_FLOP_FRACTION,
) -> Charge:
    """Supervised and preference tuning: a fraction of the final run's FLOP at 6 N per token,
    at the training FLOP/s per GPU of the run."""
    flop = flop_fraction * final_run_flop
    return Charge(
        flop / training_flop_per_s / SECONDS_PER_HOUR,
        flop,
        flop / (TRAINING_FLOP_PER_PARAM_TOKEN * active_params),
    )


def research_amount(multiple: float, runs_per_year: float, per_run: float, hours: float) -> float:
    """Research over `hours` (FLOP or GPU-hours): `multiple` x the lab's trend final-run work per
    year (runs per year x `per_run`, the median run of the trend as the lab's cluster allows)
    pro rata."""
    return multiple * runs_per_year * per_run * hours / (DAYS_PER_YEAR * HOURS_PER_DAY)
