"""The recipe of each post-training technique: its FLOP by phase and the memory its job holds.

A table, not an if-chain: each technique names the physics of :mod:`simdemand.physics.
post_training` it runs and the bytes per parameter its job keeps in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simdemand.catalog import Hardware
from simdemand.physics import post_training
from simdemand.physics.post_training import PhaseFlop
from simdemand.scenario.communities import CommunitySpec
from simdemand.scenario.techniques import Techniques
from simdemand.units import HOURS_PER_DAY
from simdemand.world.registry import ModelRecord

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Sizes:
    """Active and total parameters of the models a batch of derivatives starts from."""

    active: FloatArray
    params: FloatArray


Recipe = Callable[[Techniques, Sizes, FloatArray, Sizes], tuple[PhaseFlop, FloatArray]]


def tuned(model: Sizes) -> FloatArray:
    """Bytes to fully tune a model (weights, gradients, optimizer states)."""
    bytes_: FloatArray = model.params * post_training.FULL_TUNING_BYTES_PER_PARAM
    return bytes_


def lora(
    spec: Techniques, model: Sizes, tokens: FloatArray, _: Sizes
) -> tuple[PhaseFlop, FloatArray]:
    """Adapters on frozen weights: the base is held in BF16 only."""
    frozen = model.params * post_training.FROZEN_BYTES_PER_PARAM
    return post_training.lora_flop(model.active, tokens), frozen


def sft(
    spec: Techniques, model: Sizes, tokens: FloatArray, _: Sizes
) -> tuple[PhaseFlop, FloatArray]:
    """Full fine-tuning."""
    return post_training.sft_flop(model.active, tokens), tuned(model)


def rl(
    spec: Techniques, model: Sizes, tokens: FloatArray, _: Sizes
) -> tuple[PhaseFlop, FloatArray]:
    """Rollouts, reward scoring and policy updates."""
    phases = post_training.rl_flop(model.active, tokens, spec.rl.reward_model_fraction)
    return phases, tuned(model)


def best_of_n(
    spec: Techniques, model: Sizes, tokens: FloatArray, _: Sizes
) -> tuple[PhaseFlop, FloatArray]:
    """n candidates per kept answer, all scored."""
    b = spec.best_of_n
    phases = post_training.best_of_n_flop(
        model.active, tokens, b.samples_per_prompt, b.reward_model_fraction
    )
    return phases, tuned(model)


def search(
    spec: Techniques, model: Sizes, tokens: FloatArray, _: Sizes
) -> tuple[PhaseFlop, FloatArray]:
    """Explored paths scored by a verifier, the kept ones trained on."""
    s = spec.search
    phases = post_training.search_flop(
        model.active, tokens, s.generated_per_kept_token, s.verifier_fraction
    )
    return phases, tuned(model)


def synthetic(
    spec: Techniques, model: Sizes, tokens: FloatArray, _: Sizes
) -> tuple[PhaseFlop, FloatArray]:
    """The model writes its own training data, filtered."""
    ratio = spec.synthetic.generated_per_kept_token
    return post_training.synthetic_data_flop(model.active, tokens, ratio), tuned(model)


def distillation(
    spec: Techniques, model: Sizes, tokens: FloatArray, teacher: Sizes
) -> tuple[PhaseFlop, FloatArray]:
    """A teacher writes the data, the student trains on it; the job also holds the teacher."""
    phases = post_training.distillation_flop(model.active, teacher.active, tokens)
    frozen = teacher.params * post_training.FROZEN_BYTES_PER_PARAM
    return phases, tuned(model) + frozen


RECIPES: dict[str, Recipe] = {
    "lora": lora,
    "sft": sft,
    "rl": rl,
    "best_of_n": best_of_n,
    "search": search,
    "synthetic": synthetic,
    "distillation": distillation,
}


def job_gpus(
    spec: CommunitySpec, gpu_hours: FloatArray, memory_bytes: FloatArray, hardware: Hardware
) -> FloatArray:
    """GPUs per job: enough to hold the models, more to end in about job_days, capped; whole
    nodes above one node."""
    held = np.asarray(post_training.min_gpus_to_hold(memory_bytes, 1.0, hardware.hbm_bytes))
    wanted = np.ceil(gpu_hours / (spec.job_days * HOURS_PER_DAY))
    gpus = np.maximum(held, np.minimum(wanted, spec.max_job_gpus))
    node = hardware.gpus_per_node
    whole: FloatArray = np.where(gpus > node, np.ceil(gpus / node) * node, gpus)
    return whole


def teacher_sizes(best: ModelRecord | None, student: Sizes, loss: FloatArray) -> Sizes:
    """Sizes of each student's teacher: the best servable model so far if it is better than
    the student's base (by predicted loss), else the base itself."""
    if best is None:
        return student
    better = best.predicted_loss < loss
    return Sizes(
        np.where(better, best.active_params, student.active),
        np.where(better, best.params, student.params),
    )
