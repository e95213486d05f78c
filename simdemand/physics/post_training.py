"""Post-training physics: the compute recipes of derivative models, by phase, and their GPU time.

The compute of one derivative model, by phase: `generate` (tokens sampled from a model: teacher
outputs, RL rollouts, best-of-n candidates, search expansions, synthetic data), `score` (a
reward or verifier model's forward pass over the generated tokens) and `train` (updates of the
derivative's weights). Inputs are floats or numpy arrays (broadcast together); all floats in
give floats out. Parameters are *active* parameters; tokens are counted once per pass.
Inputs are validated by the scenario schema, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simdemand.physics.arrays import FloatArray, like
from simdemand.physics.serving import (
    HBM_USABLE_FRACTION,
    INFERENCE_FLOP_PER_PARAM_TOKEN,
    PREFILL_MFU,
)
from simdemand.physics.training import TRAINING_FLOP_PER_PARAM_TOKEN
from simdemand.units import SECONDS_PER_HOUR

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
        return like(np.asarray(total, dtype=np.float64), self.generate_flop, self.train_flop)


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
    student = np.asarray(student_active_params, dtype=np.float64)
    teacher = np.asarray(teacher_active_params, dtype=np.float64)
    n = np.asarray(tokens, dtype=np.float64)
    return PhaseFlop(
        generate_flop=like(INFERENCE_FLOP_PER_PARAM_TOKEN * teacher * n, teacher, tokens),
        score_flop=like(np.zeros_like(np.multiply(student, n)), student, tokens),
        train_flop=like(TRAINING_FLOP_PER_PARAM_TOKEN * student * n, student, tokens),
    )


def rl_flop(
    active_params: float | FloatArray,
    rollout_tokens: float | FloatArray,
    reward_model_fraction: float = 1.0,
) -> PhaseFlop:
    """RLHF / RLAIF / RLVR: rollouts (2 N per token), reward-model scoring (2 x fraction x N per
    token; 0 for rule-based rewards) and policy updates with a reference model (8 N per token)."""
    score = INFERENCE_FLOP_PER_PARAM_TOKEN * float(reward_model_fraction)
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
    n = np.asarray(active_params, dtype=np.float64)
    kept = np.asarray(kept_tokens, dtype=np.float64)
    gen = (
        n
        if generator_active_params is None
        else np.asarray(generator_active_params, dtype=np.float64)
    )
    generated = INFERENCE_FLOP_PER_PARAM_TOKEN * gen * kept * generated_per_kept_token
    inputs = (active_params, kept_tokens, 0.0 if generator_active_params is None else gen)
    return PhaseFlop(
        generate_flop=like(np.asarray(generated, dtype=np.float64), *inputs),
        score_flop=like(np.zeros_like(np.multiply(n, kept)), *inputs),
        train_flop=like(TRAINING_FLOP_PER_PARAM_TOKEN * n * kept, *inputs),
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
    seconds = (
        np.divide(phases.generate_flop, generate_utilization)
        + np.divide(phases.score_flop, score_utilization)
        + np.divide(phases.train_flop, train_utilization)
    ) / peak_flop_per_s
    hours = np.asarray(seconds, dtype=np.float64) / SECONDS_PER_HOUR
    return like(hours, phases.generate_flop, phases.score_flop, phases.train_flop)


def min_gpus_to_hold(
    params: float | FloatArray, bytes_per_param: float, hbm_bytes: float
) -> float | FloatArray:
    """Fewest GPUs whose usable HBM holds a model at `bytes_per_param` (whole GPUs, >= 1)."""
    p = np.asarray(params, dtype=np.float64)
    gpus = np.maximum(1.0, np.ceil(p * bytes_per_param / (hbm_bytes * HBM_USABLE_FRACTION) - 1e-9))
    return like(np.asarray(gpus, dtype=np.float64), params)


def _phases(
    generate_per_param_token: float,
    score_per_param_token: float,
    train_per_param_token: float,
    active_params: float | FloatArray,
    tokens: float | FloatArray,
) -> PhaseFlop:
    """Phases whose FLOP are each a constant x N x tokens."""
    work = np.asarray(active_params, dtype=np.float64) * np.asarray(tokens, dtype=np.float64)
    return PhaseFlop(
        generate_flop=like(generate_per_param_token * work, active_params, tokens),
        score_flop=like(score_per_param_token * work, active_params, tokens),
        train_flop=like(train_per_param_token * work, active_params, tokens),
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
        INFERENCE_FLOP_PER_PARAM_TOKEN * generated_per_kept * float(scorer_fraction),
        TRAINING_FLOP_PER_PARAM_TOKEN,
        active_params,
        kept_tokens,
    )
