"""Post-training techniques of a community: the share and token law of each, their recipes'
parameters, and the closed models' fine-tuning services.

Token draws follow lognormal laws clipped at +3 sigma; each default carries its source or says
it is an assumption and what it was checked against ("HF" is Hugging Face).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Self

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from simdemand.scenario.base import (
    Share,
    Sigma,
    Strict,
    about,
)

# Generated per kept token or samples per prompt: 1 to 10,000 (the defaults are 2-64).
Multiple = Annotated[float, Field(ge=1, le=10_000)]
# Tokens per derivative, at the median: up to 1e13, a whole pretraining set of 2025.
DataTokens = Annotated[float, Field(gt=0, le=1e13)]
# A reward model or verifier up to 100x the policy's size (the defaults are 1).
SizeRatio = Annotated[float, Field(ge=0, le=100)]
# Derivatives made per month: up to 1e8, ~5,000x all new LLM derivatives on Hugging Face in 2025.
MonthlyCount = Annotated[float, Field(ge=0, le=1e8)]
SHARE_TOLERANCE = 1e-6
# Token draws are clipped at +3 sigma (~400x the median for sigma = 2): the largest published
# post-training runs (DeepSeek-R1-Zero's ~3.5e10 rollout tokens) lie within it, and no single
# community derivative outgrows its base's pretraining.
CLIP_SIGMAS = 3.0
TECHNIQUES = (
    "lora",
    "sft",
    "distillation",
    "rl",
    "best_of_n",
    "search",
    "synthetic",
    "merge",
    "quantize",
)
NEAR_FREE = ("merge", "quantize")
CLOSED_TECHNIQUES = ("lora", "sft", "rl")


def clipped_lognormal_mean(median: float, sigma: float) -> float:
    """Mean of median x exp(sigma x min(Z, CLIP_SIGMAS)), Z standard normal."""
    c = CLIP_SIGMAS
    below = math.exp(sigma**2 / 2.0) * _normal_cdf(c - sigma)
    return median * (below + math.exp(sigma * c) * (1.0 - _normal_cdf(c)))


def sample_clipped_lognormal(
    rng: np.random.Generator, median: float, sigma: float, n: int
) -> npt.NDArray[np.float64]:
    """Draw `n` values of median x exp(sigma x min(Z, CLIP_SIGMAS))."""
    return median * np.exp(sigma * np.minimum(rng.standard_normal(n), CLIP_SIGMAS))


def clipped_lognormal_variance(median: float, sigma: float) -> float:
    """Variance of median x exp(sigma x min(Z, CLIP_SIGMAS)), Z standard normal."""
    c = CLIP_SIGMAS
    below = math.exp(2.0 * sigma**2) * _normal_cdf(c - 2.0 * sigma)
    second = median**2 * (below + math.exp(2.0 * sigma * c) * (1.0 - _normal_cdf(c)))
    return max(0.0, second - clipped_lognormal_mean(median, sigma) ** 2)


def _normal_cdf(x: float) -> float:
    """Standard normal cumulative distribution function."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


# Token spreads: public fine-tunes span about three decades of data.
TOKENS_SIGMA_SOURCE = (
    "LIMA (1,000 examples, ~1e6 tokens), Alpaca (~2e7 tokens over 3 epochs), Vicuna (~3e8), "
    "Tulu 3 SFT (~1e9): sigma = 2 puts +-2 sigma across that range around the medians "
    "(assumption on the shape)"
)


def _share(what: str, source: str) -> Any:
    """Metadata of a technique's `share`."""
    return about(f"Share of all derivatives made by {what}; the shares sum to 1.", "share", source)


def _tokens(what: str, source: str) -> Any:
    """Metadata of a technique's `tokens_median`."""
    return about(
        f"Median tokens per derivative ({what}) for a base pretrained on `reference_base_tokens`.",
        "tokens",
        source,
    )


class Technique(Strict):
    """A way to make a derivative: its share of all derivatives and its tokens per derivative.

    Tokens follow a lognormal distribution clipped at +3 sigma, `tokens_median` x
    exp(`tokens_sigma` x min(Z, 3)); what is counted depends on the technique (training tokens,
    teacher outputs, rollouts, or tokens kept).
    """

    share: Annotated[
        Share,
        about(
            "The technique's share of all derivatives; the shares sum to 1.",
            "share",
            "scenario choice",
        ),
    ]
    tokens_median: Annotated[
        DataTokens,
        about(
            "Median tokens per derivative for a base pretrained on `reference_base_tokens`.",
            "tokens",
            "scenario choice",
        ),
    ]
    tokens_sigma: Annotated[
        Sigma,
        about(
            "Lognormal log-sd of the tokens per derivative (draws clipped at +3 sd).",
            "ln units",
            TOKENS_SIGMA_SOURCE,
        ),
    ] = 2.0

    def mean_tokens(self) -> float:
        """Analytic mean of the (clipped) token distribution."""
        return clipped_lognormal_mean(self.tokens_median, self.tokens_sigma)

    def sample_tokens(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """Draw `n` token counts."""
        return sample_clipped_lognormal(rng, self.tokens_median, self.tokens_sigma, n)


class Lora(Technique):
    """LoRA adapters: training tokens; 4 N FLOP per token."""

    share: Annotated[
        Share,
        _share(
            "LoRA adapters",
            "HF model trees of popular 7-8B bases: adapters ~ a third of children",
        ),
    ] = 0.30
    tokens_median: Annotated[
        DataTokens,
        _tokens("training", "Alpaca-scale: 52K examples x 3 epochs ~ 2e7 tokens"),
    ] = 2e7


class Sft(Technique):
    """Full fine-tuning (SFT, or offline preference tuning such as DPO): training tokens."""

    share: Annotated[
        Share,
        _share(
            "full fine-tuning",
            'HF "finetunes" ~ a third of children, minus distillation, RL, best-of-n, search '
            "and synthetic data",
        ),
    ] = 0.22
    tokens_median: Annotated[
        DataTokens, _tokens("training", "between Alpaca (2e7) and Vicuna (3e8)")
    ] = 5e7


class Distillation(Technique):
    """Offline distillation: tokens written by a stronger teacher, then trained on."""

    share: Annotated[
        Share,
        _share(
            "distillation",
            "assumption: R1-distill-style students are a small minority of children",
        ),
    ] = 0.05
    tokens_median: Annotated[
        DataTokens,
        _tokens(
            "teacher-written, then trained on",
            "e.g. 50K samples x 2K tokens; DeepSeek-R1's 800K-sample distillation set (~3e9 "
            "tokens) sits near +1.7 sigma",
        ),
    ] = 1e8


class Rl(Technique):
    """RLHF / RLAIF / RLVR: rollout tokens; rollouts, reward scoring and policy updates."""

    share: Annotated[
        Share,
        _share(
            "reinforcement learning",
            "assumption: RL on community bases took off with GRPO tooling in 2025",
        ),
    ] = 0.025
    tokens_median: Annotated[
        DataTokens,
        _tokens(
            "rollouts",
            "sets E[RL] / E[SFT] ~ 17x (Ai2 Olmo 3: reasoning models cost ~17x more to "
            "post-train than instruct models); R1-Zero's 3.5e10 rollout tokens sit at +2.4 sigma",
        ),
    ] = 3e8
    reward_model_fraction: Annotated[
        SizeRatio,
        about(
            "Size of the reward model over the policy's; 0 is a rule-based reward.",
            "1",
            "Llama 2's reward models start from the chat model (Touvron et al. 2023, 3.2.2)",
        ),
    ] = 1.0


class BestOfN(Technique):
    """Best-of-n / rejection-sampling fine-tuning: tokens kept (n generated and scored per kept)."""

    share: Annotated[Share, _share("best-of-n sampling", "assumption")] = 0.02
    tokens_median: Annotated[
        DataTokens, _tokens("kept", "as SFT: the kept samples form an SFT set")
    ] = 5e7
    samples_per_prompt: Annotated[
        Multiple,
        about(
            "Samples n generated and scored per kept sample.",
            "count",
            "assumption: a typical n; Llama 2 explored 1-100",
        ),
    ] = 8.0
    reward_model_fraction: Annotated[
        SizeRatio,
        about(
            "Size of the reward model over the policy's; 0 is a rule-based reward.",
            "1",
            "as RL",
        ),
    ] = 1.0


class Search(Technique):
    """Search (tree / beam exploration): tokens of the paths kept, explored and verified first."""

    share: Annotated[
        Share,
        _share("search", "assumption: search-generated data (e.g. MCTS for math) is rare"),
    ] = 0.005
    tokens_median: Annotated[DataTokens, _tokens("kept", "assumption")] = 2e7
    generated_per_kept_token: Annotated[
        Multiple,
        about(
            "Tokens explored and verified per token kept.",
            "tokens per token",
            "assumption: beam 8 x 8 candidates per step",
        ),
    ] = 64.0
    verifier_fraction: Annotated[
        SizeRatio,
        about(
            "Size of the verifier (a process reward model) over the policy's.",
            "1",
            "assumption: a process reward model the policy's size",
        ),
    ] = 1.0


class Synthetic(Technique):
    """Synthetic data: tokens kept after filtering, written by the model itself, then trained on."""

    share: Annotated[Share, _share("synthetic data", "assumption")] = 0.03
    tokens_median: Annotated[DataTokens, _tokens("kept", "as SFT")] = 5e7
    generated_per_kept_token: Annotated[
        Multiple,
        about(
            "Tokens the model writes per token kept after filtering.",
            "tokens per token",
            "assumption: filtering keeps about half",
        ),
    ] = 2.0


class NearFree(Strict):
    """A zero-compute derivative (merge, quantization): counted, no GPU time charged."""

    share: Annotated[
        Share,
        about(
            "The technique's share of all derivatives; the shares sum to 1.",
            "share",
            "scenario choice",
        ),
    ]


class Merge(NearFree):
    """Model merges (mergekit): arithmetic on weights."""

    share: Annotated[
        Share,
        _share("merging", "HF model trees: merges ~ 10-15% of children of popular bases"),
    ] = 0.10


class Quantize(NearFree):
    """Quantized copies (GGUF, GPTQ, AWQ): a calibration pass of minutes."""

    share: Annotated[
        Share,
        _share(
            "quantization", "HF model trees: quantizations ~ 15-30% of children of popular bases"
        ),
    ] = 0.25


class Techniques(Strict):
    """The techniques a community uses; their shares must sum to 1."""

    lora: Annotated[
        Lora,
        about(
            "LoRA adapters: training tokens, 4N FLOP per token (no weight gradients for frozen "
            "weights, Hu et al. 2021).",
            "1",
            "scenario choice",
        ),
    ] = Field(default_factory=Lora)
    sft: Annotated[
        Sft,
        about(
            "Full fine-tuning (also offline preference tuning such as DPO): 6N per token.",
            "1",
            "scenario choice",
        ),
    ] = Field(default_factory=Sft)
    distillation: Annotated[
        Distillation,
        about(
            "Offline distillation: tokens written by a teacher (2N_teacher), then trained on (6N).",
            "1",
            "scenario choice",
        ),
    ] = Field(default_factory=Distillation)
    rl: Annotated[
        Rl,
        about(
            "RLHF / RLAIF / RLVR: 2N rollouts + 2 x reward_model_fraction x N scoring + 8N "
            "updates with a reference model, per rollout token.",
            "1",
            "scenario choice",
        ),
    ] = Field(default_factory=Rl)
    best_of_n: Annotated[
        BestOfN,
        about(
            "Rejection-sampling fine-tuning: samples_per_prompt x (2N + 2 x "
            "reward_model_fraction x N) + 6N per kept token.",
            "1",
            "scenario choice",
        ),
    ] = Field(default_factory=BestOfN)
    search: Annotated[
        Search,
        about(
            "Search: generated_per_kept_token x (2N + 2 x verifier_fraction x N) + 6N per kept "
            "token.",
            "1",
            "scenario choice",
        ),
    ] = Field(default_factory=Search)
    synthetic: Annotated[
        Synthetic,
        about(
            "Synthetic data written by the model itself: generated_per_kept_token x 2N + 6N per "
            "kept token.",
            "1",
            "scenario choice",
        ),
    ] = Field(default_factory=Synthetic)
    merge: Annotated[
        Merge, about("Model merges: zero compute, counted.", "1", "scenario choice")
    ] = Field(default_factory=Merge)
    quantize: Annotated[
        Quantize, about("Quantized copies: zero compute, counted.", "1", "scenario choice")
    ] = Field(default_factory=Quantize)

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Self:
        """Reject shares that do not add up to 1."""
        total = sum(self.shares())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            listed = ", ".join(f"{k} {v:g}" for k, v in zip(TECHNIQUES, self.shares(), strict=True))
            raise ValueError(f"technique shares sum to {total:.6g}, not 1 ({listed})")
        return self

    def shares(self) -> list[float]:
        """Shares in the order of TECHNIQUES."""
        return [getattr(self, name).share for name in TECHNIQUES]
