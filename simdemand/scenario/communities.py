"""Scenario section `[communities.NAME]`: derivative-model communities of post-training.

A community turns every release into a stream of derivative models. The numbers below are the
defaults; each carries its source or, where no public figure exists, says it is an assumption
and what it was checked against. "HF" is Hugging Face; figures marked docs/calibration.md are
listed with their sources on that page (derivative counts per family by mid-2025: Qwen >
113,000, Llama ~ 27,000, DeepSeek ~ 6,000).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from simdemand.physics import post_training
from simdemand.scenario.base import (
    Date,
    Days,
    Fraction,
    Growth,
    Params,
    Share,
    Sigma,
    Strict,
    about,
)
from simdemand.scenario.techniques import (
    SHARE_TOLERANCE,
    DataTokens,
    MonthlyCount,
    Techniques,
    clipped_lognormal_mean,
    sample_clipped_lognormal,
)


class ClosedChannel(Strict):
    """Closed models feed post-training too: fine-tuning services run by their labs."""

    derivatives_per_month: Annotated[
        MonthlyCount,
        about(
            "Fine-tunes of closed models made per month, world-wide, at the reference date.",
            "1/month",
            'OpenAI (Apr 2024, fine-tuning API update): since Aug 2023 "thousands of '
            'organizations have trained hundreds of thousands of models": ~3e5 / 8 months '
            "~ 30,000 a month",
        ),
    ] = 30_000.0
    growth_per_year: Annotated[
        Growth,
        about("Growth of that rate.", "x per year", "as the open channel (assumption)"),
    ] = 1.3
    lora_share: Annotated[
        Share,
        about(
            "Share of service fine-tunes that are adapters; the three shares sum to 1.",
            "share",
            "assumption: service fine-tunes are adapter-style",
        ),
    ] = 0.9
    sft_share: Annotated[
        Share,
        about("Share of service fine-tunes that are full fine-tunes.", "share", "assumption"),
    ] = 0.0
    rl_share: Annotated[
        Share,
        about(
            "Share of service fine-tunes that are reinforcement fine-tunes.",
            "share",
            "assumption: reinforcement fine-tuning offered since 2025",
        ),
    ] = 0.1
    tokens_median: Annotated[
        DataTokens,
        about(
            "Median training tokens per fine-tune (not scaled with the base).",
            "tokens",
            "a few thousand examples; service jobs cost ~$100",
        ),
    ] = 5e6
    tokens_sigma: Annotated[
        Sigma,
        about(
            "Lognormal log-sd of the tokens per fine-tune (clipped at +3 sd).",
            "ln units",
            "assumption",
        ),
    ] = 1.5
    train_utilization: Annotated[
        Fraction,
        about(
            "Utilization of the provider-run jobs (model FLOP / GPU-seconds / dense BF16 peak).",
            "fraction of BF16 peak",
            "provider-run jobs on tuned stacks: ~ the pretraining utilization law at small "
            "scale (training.training_utilization, ~0.4 on A100 x 0.85 on Hopper)",
        ),
    ] = 0.35

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Self:
        """Reject shares that do not add up to 1."""
        total = self.lora_share + self.sft_share + self.rl_share
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(
                f"lora_share + sft_share + rl_share = {total:.6g}, not 1 "
                f"({self.lora_share:g} + {self.sft_share:g} + {self.rl_share:g})"
            )
        return self

    def shares(self) -> list[float]:
        """Shares in the order of CLOSED_TECHNIQUES."""
        return [self.lora_share, self.sft_share, self.rl_share]

    def mean_tokens(self) -> float:
        """Analytic mean of the (clipped) token distribution."""
        return clipped_lognormal_mean(self.tokens_median, self.tokens_sigma)

    def sample_tokens(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """Draw `n` token counts."""
        return sample_clipped_lognormal(rng, self.tokens_median, self.tokens_sigma, n)


class CommunitySpec(Strict):
    """A community spinning out derivatives of every release, and how it spends compute on them."""

    reference_date: Annotated[
        Date,
        about("Date at which `derivatives_per_month` holds.", "date", "scenario choice"),
    ] = dt.date(2025, 1, 1)
    derivatives_per_month: Annotated[
        MonthlyCount,
        about(
            "Open-weights derivatives made per month, world-wide, at the reference date.",
            "1/month",
            "Qwen's HF family grew from > 113,000 (mid-2025) to ~180,000 (Jan 2026), ~10,000 a "
            "month, about half of all new LLM derivatives (docs/calibration.md); 15,000 at the "
            "start of 2025",
        ),
    ] = 15_000.0
    growth_per_year: Annotated[
        Growth,
        about(
            "Growth of that rate.",
            "x per year",
            "HF's model count doubled yearly in 2023-25 (all kinds of models); LLM derivatives "
            "grow more slowly as the field consolidates (assumption)",
        ),
    ] = 1.3
    # Popularity: at each step, a base's appeal = exp(popularity_sigma x min(Z, 3)), drawn once
    #   x (params / reference_params)^-size_elasticity
    #   x exp(-(its predicted loss - the best open model's available then) / quality_nats)
    #   x exp(-age / decay_months);
    # a step's derivatives are shared among the bases in proportion to appeal, against an outside
    # option of weight `outside_appeal`. Calibrated so that popular mid-size bases get 1e4-1e5
    # derivatives and large MoE bases 1e3-1e4 (docs/calibration.md, HF counts per family).
    popularity_sigma: Annotated[
        Sigma,
        about(
            "Spread of a base's appeal: exp(popularity_sigma x min(Z, 3)), drawn once per base.",
            "ln units",
            "HF derivative counts span > 4 decades across bases",
        ),
    ] = 1.5
    reference_params: Annotated[
        Params,
        about(
            "Size at which size leaves a base's appeal unchanged.",
            "parameters",
            "scenario choice",
        ),
    ] = 1e10
    size_elasticity: Annotated[
        float,
        Field(ge=0, le=5),
        about(
            "Appeal scales as (params / reference_params)^-size_elasticity.",
            "1",
            "smaller bases are cheaper to tune and serve (DeepSeek, 671B: ~6,000 derivatives; "
            "Qwen, mostly <= 72B: > 113,000; docs/calibration.md)",
        ),
    ] = 0.8
    # 1e-4 to 100 nats: a loss scale.
    quality_nats: Annotated[
        float,
        Field(ge=1e-4, le=100),
        about(
            "Appeal falls e-fold per this much predicted loss behind the best open model "
            "available then.",
            "nats per token",
            "docs/calibration.md (HF counts per family)",
        ),
    ] = 0.03
    # 3 days to a century.
    decay_months: Annotated[
        float,
        Field(ge=0.1, le=1200),
        about(
            "A base's stream fades e-fold every this many months as successors arrive.",
            "months",
            "assumption",
        ),
    ] = 6.0
    outside_appeal: Annotated[
        float,
        Field(ge=0, le=1e6),
        about(
            "Pull of models outside the simulation (or of not building at all), in the appeal "
            "of a reference base.",
            "1",
            "docs/calibration.md (HF counts per family)",
        ),
    ] = 1.0
    # Data per derivative: every technique's tokens (its median, hence its whole distribution)
    # hold for a base pretrained on `reference_base_tokens`, and scale as (the base's pretraining
    # tokens / reference_base_tokens)^tokens_elasticity. Closed-channel tokens are not scaled
    # (private service fine-tunes of a few thousand examples).
    reference_base_tokens: Annotated[
        float,
        Field(ge=1e6, le=1e16),
        about(
            "Pretraining tokens of the base for which the techniques' `tokens_median` hold.",
            "tokens",
            "the order of the open bases fine-tuned most in 2024-25 (Llama 3 8B 15T, Qwen2.5 "
            "18T, Gemma 2 9B 8T, Llama 2 2T); there Tulu 3's SFT (939K examples, ~7e8 tokens, "
            "2 epochs, on a 15T base) sits at +1.5 sigma of the SFT distribution and Alpaca "
            "(2e7 tokens on a 1T base) at +0.7 sigma",
        ),
    ] = 1e13
    tokens_elasticity: Annotated[
        float,
        Field(ge=0, le=2),
        about(
            "Tokens per derivative scale as (the base's pretraining tokens / "
            "reference_base_tokens)^tokens_elasticity; 0: the same data whatever the base.",
            "1",
            "fine-tuning sets grew with the pretraining sets of their bases: Llama 2 (2T "
            "tokens) was tuned on ~1.45M examples (27,540 SFT + 1,418,091 preference pairs, "
            "Touvron et al. 2023), Llama 3 (15T) on > 10M (model card): 6.9x for 7.5x; Alpaca "
            "tuned LLaMA-7B (1T) on 52K examples, Tulu 3 tuned Llama 3.1 8B (~15T) on 939K "
            "(Lambert et al. 2024): 18x for 15x; elasticity ~1",
        ),
    ] = 1.0
    base_probability: Annotated[
        Share,
        about(
            "Probability that a derivative (never a quantization) becomes a base for others.",
            "share",
            "HF trees: quantizations, merges and fine-tunes of popular fine-tunes are common; "
            "assumption on the number",
        ),
    ] = 0.001
    derivative_parent_probability: Annotated[
        Share,
        about(
            "Probability that a derivative attaches to such a derivative of the same family "
            "instead of the root.",
            "share",
            "HF trees: quantizations, merges and fine-tunes of popular fine-tunes are common; "
            "assumption on the number",
        ),
    ] = 0.5
    closed_teachers: Annotated[
        bool,
        about(
            "Distil from closed models' outputs too.",
            "1",
            "Alpaca distilled text-davinci-003",
        ),
    ] = True
    max_teacher_active_params: Annotated[
        Params,
        about(
            "A teacher writes a distillation set in bulk, so it must be servable: the best "
            "model released so far with at most this many active parameters.",
            "parameters",
            "Llama 3.1 405B, the largest dense model widely served (the users' cap); public "
            "teachers stay below it: text-davinci-003 (175B; Alpaca), DeepSeek-R1 (37B active; "
            "the R1-distill models, OpenThoughts)",
        ),
    ] = 4.05e11
    train_utilization: Annotated[
        Fraction,
        about(
            "Utilization of training phases (model FLOP / GPU-seconds / dense BF16 peak).",
            "fraction of BF16 peak",
            "simdemand/physics/post_training.py: Alpaca and Vicuna",
        ),
    ] = post_training.POST_TRAINING_TRAIN_UTILIZATION
    rollout_utilization: Annotated[
        Fraction,
        about(
            "Utilization of RL rollouts.",
            "fraction of BF16 peak",
            "simdemand/physics/post_training.py: DeepSeek-R1-Zero",
        ),
    ] = post_training.POST_TRAINING_ROLLOUT_UTILIZATION
    generation_utilization: Annotated[
        Fraction,
        about(
            "Utilization of offline generation (teacher outputs, best-of-n, search, synthetic "
            "data).",
            "fraction of BF16 peak",
            "simdemand/physics/post_training.py: the serving roofline at offline batch",
        ),
    ] = post_training.POST_TRAINING_GENERATION_UTILIZATION
    scoring_utilization: Annotated[
        Fraction,
        about(
            "Utilization of reward-model and verifier forward passes.",
            "fraction of BF16 peak",
            "simdemand/physics/post_training.py: prefill MFU",
        ),
    ] = post_training.POST_TRAINING_SCORING_UTILIZATION
    experiments_multiple: Annotated[
        float,
        Field(ge=0, le=100),
        about(
            "Development runs (hyper-parameter sweeps, failed and unpublished attempts, "
            "evaluations) as a multiple of a derivative's final run, charged in its job row "
            "before the final run; its models row holds the final run only.",
            "1",
            "Olmo 3 swept 4 learning rates per post-training stage (3 runs beside the final "
            'one); developing a recipe "can easily be 10 to 100X the compute of the final few '
            'training runs" (Lambert, RLHF book, App. C), shared by the derivatives made with '
            "it; hobbyist adapters sweep little. 2: GPU-hours are dominated by the costly "
            "derivatives of teams that sweep (assumption between 0 and Olmo 3's 3); labs' "
            "pretraining: 0.5-4 (docs/calibration.md)",
        ),
    ] = 2.0
    hardware_lag_days: Annotated[
        Days,
        about(
            "Jobs run on the newest GPU available this many days before.",
            "days",
            "assumption: communities rent the previous generation",
        ),
    ] = 365.0
    job_days: Annotated[
        float,
        Field(gt=0, le=365),
        about(
            "Jobs get enough GPUs to hold their models, more to finish in about this time.",
            "days",
            "Alpaca took 3 h and Vicuna a day on 8 GPUs",
        ),
    ] = 1.0
    max_job_gpus: Annotated[
        int,
        Field(ge=1, le=100_000_000),
        about(
            "Largest post-training job.",
            "GPUs",
            "as a lab's cluster: DeepSeek-R1-Zero's RL (~1e5 GPU-hours) took 198 h on 512 "
            "H800s; DeepSeek-V3 pretrained on 2,048 H800s",
        ),
    ] = 2048
    step_days: Annotated[
        float,
        Field(ge=1, le=31),
        about(
            "How often derivative counts are drawn (at most once a day).",
            "days",
            "scenario choice; no count series is finer than a day",
        ),
    ] = 14.0
    register_min_share: Annotated[
        Share,
        about(
            "A derivative costing at least this share of its family root's pretraining "
            "GPU-hours is a model of its own (as is one that becomes a base); the rest are "
            "counted in one job row per family, technique and step. Representation only: it "
            "changes no count, token or compute draw (closed-channel fine-tunes are private: "
            "always counted, never released).",
            "share",
            "DeepSeek-R1's RL was ~5% of DeepSeek-V3's pretraining; 2% keeps runs of that "
            "order individual",
        ),
    ] = 0.02
    techniques: Annotated[
        Techniques,
        about("The techniques the community uses; their shares sum to 1.", "1", "scenario choice"),
    ] = Field(default_factory=Techniques)
    closed: Annotated[
        ClosedChannel,
        about(
            "Fine-tuning services of closed models (private derivatives: counted, never released).",
            "1",
            "scenario choice",
        ),
    ] = Field(default_factory=ClosedChannel)

    def data_scale(self, base_tokens: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Tokens of a derivative of bases pretrained on `base_tokens`, per reference-base token."""
        ratio = np.asarray(base_tokens, dtype=np.float64) / self.reference_base_tokens
        scale: npt.NDArray[np.float64] = ratio**self.tokens_elasticity
        return scale
