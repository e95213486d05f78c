"""Optional sub-tables of a lab archetype: its own post-training, its research, its campus,
its family of smaller models.

Each is off when its table is absent (a lab then works exactly as without it); inside a table
every field has a cited default.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated

from pydantic import Field, field_validator

from simdemand.physics import lab_work
from simdemand.scenario.base import Date, Fraction, Growth, Strict, about

# Shares and fractions of a final run: up to 10x (RL at ten times the pretraining GPU-time is
# beyond any published lab; the cited cap is 1).
RunMultiple = Annotated[float, Field(ge=0, le=10)]


class LabPostTraining(Strict):
    """A lab's own post-training of each base model, after its final run and before release."""

    rl_share_at_reference: Annotated[
        RunMultiple,
        about(
            "RL GPU-hours (rollouts and updates) per final-run GPU-hour at `reference_date`.",
            "1",
            "DeepSeek-R1 (Nature, 17 Sep 2025, suppl.): 142,336 H800-hours of RL against "
            "DeepSeek-V3's 2.788M (arXiv:2412.19437), 0.051",
        ),
    ] = lab_work.RL_SHARE_AT_REFERENCE
    reference_date: Annotated[
        Date,
        about(
            "Date at which `rl_share_at_reference` holds.",
            "date",
            "DeepSeek-R1's release, 2025-01-20",
        ),
    ] = lab_work.RL_REFERENCE_DATE
    rl_share_growth_per_year: Annotated[
        Growth,
        about(
            "Growth of the RL share until `rl_share_max`.",
            "x per year",
            "stylised: o3 used ~10x o1's RL compute ~4 months later (OpenAI, 16 Apr 2025); "
            "Epoch AI (You, 13 May 2025): that pace converges with pretraining within ~1 year",
        ),
    ] = lab_work.RL_SHARE_GROWTH_PER_YEAR
    rl_share_max: Annotated[
        RunMultiple,
        about(
            "Largest RL share: RL GPU-hours per final-run GPU-hour.",
            "1",
            "xAI Grok 4 launch (Jul 2025): RL compute about its pretraining compute",
        ),
    ] = lab_work.RL_SHARE_MAX
    synthetic_data_per_rl: Annotated[
        RunMultiple,
        about(
            "GPU-hours generating supervised data per RL GPU-hour.",
            "1",
            "DeepSeek-R1: ~5,000 GPU-hours of SFT data against 142,336 of RL, 0.035",
        ),
    ] = lab_work.SYNTHETIC_DATA_PER_RL
    sft_flop_fraction: Annotated[
        RunMultiple,
        about(
            "Supervised and preference tuning FLOP per final-run FLOP.",
            "1",
            "Llama 3.1 405B: 9.4e22 post-training FLOP against 3.8e25 (Epoch AI; Meta, Jul "
            "2024), 0.0025",
        ),
    ] = lab_work.SFT_FLOP_FRACTION


class LabResearch(Strict):
    """A lab's standing research programme: a steady charge between and during runs."""

    multiple: Annotated[
        Annotated[float, Field(ge=0, le=100)],
        about(
            "Research compute per year as a multiple of the lab's trend final-run compute per "
            "year (runs per year x the median run of the trend).",
            "1",
            "OpenAI 2024: R&D outside final runs ~9x the final runs (Denain and Wu, Epoch AI, "
            "23 Mar 2026), less `experiments_multiple`",
        ),
    ]
    step_days: Annotated[
        Annotated[float, Field(ge=1, le=365)],
        about("Length of each research charge.", "days", "output granularity; a month"),
    ] = 30.0


class Campus(Strict):
    """A lab's largest training campus by its facility power; it sets the largest cluster."""

    mw_at_reference: Annotated[
        Annotated[float, Field(gt=0, le=1e5)],
        about(
            "Facility power of the lab's largest campus at the archetype's `reference_date`.",
            "MW",
            "xAI Colossus 1 ~150 MW (100K H100, Sep 2024) to 280-300 MW (200K, 2025; Epoch "
            "AI); Stargate Abilene ~1.2 GW (2026); Meta Prometheus 1 GW+ (2026), Hyperion up to "
            "5 GW; Project Rainier ~500K Trainium2 (~1 GW, Oct 2025)",
        ),
    ]
    growth_per_year: Annotated[
        Growth,
        about(
            "Growth of that power.",
            "x per year",
            "Epoch AI, Trends in AI Supercomputers (2025): power of the leading supercomputer "
            "2x a year; frontier training runs 2.1x (Epoch AI, 2024)",
        ),
    ] = 2.0
    sites: Annotated[
        Annotated[int, Field(ge=1, le=100)],
        about(
            "Campuses of that power one run spans (multi-site training).",
            "count",
            "scenario choice; Microsoft Fairwater links sites by an AI WAN (Sep-Nov 2025)",
        ),
    ] = 1


# A family member's active parameters: 1e7 (below the smallest released LLMs) to 1e13.
MemberParams = Annotated[float, Field(ge=1e7, le=1e13)]


class LabFamily(Strict):
    """Smaller models a lab trains beside each flagship on the flagship's data and releases
    with it (a size ladder: Llama 3 8B/70B/405B, Qwen3 0.6B-235B, Gemma 3 1B-27B)."""

    active_params: Annotated[
        list[MemberParams],
        Field(min_length=1, max_length=20),
        about(
            "Active parameters of each member; a member not smaller than a run's flagship is "
            "not trained beside it.",
            "parameters",
            "Llama 3: 8B, 70B beside 405B (Meta, arXiv:2407.21783, Jul 2024); Qwen3 dense "
            "0.6B-32B and 3B-active MoE beside 22B-active (arXiv:2505.09388, May 2025); Gemma 3 "
            "1B-27B (Google, arXiv:2503.19786, Mar 2025)",
        ),
    ]
    active_fraction: Annotated[
        Fraction,
        about(
            "Active over total parameters of the members (MoE); 1 is dense.",
            "fraction",
            "Llama 3, Gemma 3 and Qwen3's 0.6B-32B members are dense; Qwen3-30B-A3B is 0.1",
        ),
    ] = 1.0
    max_tokens_per_param: Annotated[
        Annotated[float, Field(ge=1, le=1e6)] | None,
        about(
            "Cap on a member's training tokens per active parameter; none: every member trains "
            "on the flagship's token count.",
            "tokens per parameter",
            "by default none: Llama 3 trains 8B, 70B and 405B on ~15T tokens, Qwen3 0.6B-235B "
            "on ~36T; Gemma 3 caps small members (1B on 2T, 4B on 4T, 27B on 14T)",
        ),
    ] = None

    @field_validator("active_params")
    @classmethod
    def _increasing(cls, sizes: list[float]) -> list[float]:
        """Members listed from the smallest, each size once to three digits (their names)."""
        if any(a >= b for a, b in pairwise(sizes)):
            raise ValueError(f"active_params must increase strictly, got {sizes}")
        if len({f"{size:.3g}" for size in sizes}) < len(sizes):
            raise ValueError(
                f"active_params must differ in their first three digits (members are named by "
                f"size), got {sizes}"
            )
        return sizes
