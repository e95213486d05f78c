"""Query classes of a user cohort: plain chat, reasoning, best-of-n, search and agentic, each
with its share of queries and its input and output token lengths over time; and the generation
kinds, image and video, each a diffusion-transformer request of a given size."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from simdemand.scenario.base import (
    CallTokens,
    Growth,
    Params,
    Share,
    Sigma,
    Strict,
    about,
)

# Lognormal log-sd of a query's input and output lengths: stylised heavy right tail (public
# traces such as BurstGPT, Wang et al. 2024, span three to four decades of lengths). It sets
# only the variance of hourly token totals, not their mean.
DEFAULT_TOKENS_SIGMA = 1.0


class _QueryClass(Strict):
    """Token lengths of one class of query and its share of the cohort's queries.

    Lengths are per call: `input_tokens` is the prompt (system prompt, history, retrieved
    context), `output_tokens` what the model generates (thinking included). Means grow by
    `*_growth_per_year` from the cohort's reference date and saturate at `*_tokens_max`.
    """

    share: Annotated[
        Share,
        about(
            "Share of the cohort's queries at the reference date; the classes' shares sum to 1.",
            "share",
            "scenario choice",
        ),
    ]
    share_final: Annotated[
        Share | None,
        about(
            "Share at `mix_final_date` (linear from the reference date, constant after); by "
            "default `share`. The classes' final shares sum to 1.",
            "share",
            "scenario choice",
        ),
    ] = None
    input_tokens: Annotated[
        CallTokens,
        about(
            "Mean prompt per call (system prompt, history, retrieved context) at the reference "
            "date.",
            "tokens",
            "scenario choice",
        ),
    ]
    input_sigma: Annotated[
        Sigma,
        about(
            "Lognormal log-sd of a query's input length; sets only the variance of hourly "
            "token totals, not their mean.",
            "ln units",
            "stylised heavy tail: public traces such as BurstGPT (Wang et al. 2024) span three "
            "to four decades of lengths",
        ),
    ] = DEFAULT_TOKENS_SIGMA
    input_growth_per_year: Annotated[
        Growth, about("Growth of the mean input.", "x per year", "scenario choice")
    ] = 1.0
    input_tokens_max: Annotated[
        CallTokens | None,
        about(
            "Ceiling of the mean input (above `input_tokens`); none: unbounded growth.",
            "tokens",
            "scenario choice",
        ),
    ] = None
    cached_fraction: Annotated[
        float,
        Field(ge=0.0, le=1.0),
        about(
            "Share of input read from the prefix cache (no prefill compute); for `agentic`, "
            "of all input.",
            "fraction",
            "scenario choice",
        ),
    ] = 0.0
    output_tokens: Annotated[
        CallTokens,
        about(
            "Mean output per call, thinking included, at the reference date.",
            "tokens",
            "scenario choice; reasoning ~8x non-reasoning (Epoch AI, Apr 2025)",
        ),
    ]
    output_sigma: Annotated[
        Sigma,
        about(
            "Lognormal log-sd of a query's output length (as `input_sigma`).",
            "ln units",
            "stylised heavy tail: public traces such as BurstGPT (Wang et al. 2024) span three "
            "to four decades of lengths",
        ),
    ] = DEFAULT_TOKENS_SIGMA
    output_growth_per_year: Annotated[
        Growth,
        about(
            "Growth of the mean output.",
            "x per year",
            "scenario choice; Epoch AI: reasoning 5x a year, non-reasoning 2.2x a year "
            "(benchmark answers, Apr 2025)",
        ),
    ] = 1.0
    output_tokens_max: Annotated[
        CallTokens | None,
        about(
            "Ceiling of the mean output (above `output_tokens`); none: unbounded growth.",
            "tokens",
            "scenario choice",
        ),
    ] = None
    efficient_share: Annotated[
        Share,
        about(
            "Share of the class's queries served by the cohort's efficient tier (\"mini\" / "
            '"flash" models, `serving.efficient_max_active_params`); the rest go to the '
            "frontier tier.",
            "share",
            "scenario choice",
        ),
    ] = 0.0

    @model_validator(mode="after")
    def _ceilings_above_start(self) -> Self:
        """Reject a length ceiling at or below the starting mean."""
        for name in ("input", "output"):
            cap = getattr(self, f"{name}_tokens_max")
            start = getattr(self, f"{name}_tokens")
            if cap is not None and cap <= start:
                raise ValueError(
                    f"{name}_tokens_max ({cap:g}) must exceed {name}_tokens ({start:g})"
                )
        return self


class ChatClass(_QueryClass):
    """A plain single pass: prefill the prompt, decode the answer."""

    kind: Annotated[
        Literal["chat"], about("The class's kind: a plain single pass.", "1", "scenario choice")
    ]


class ReasoningClass(_QueryClass):
    """One long pass: the output includes the thinking tokens."""

    kind: Annotated[
        Literal["reasoning"],
        about("The class's kind: one long pass, thinking included.", "1", "scenario choice"),
    ]


class BestOfNClass(_QueryClass):
    """`samples` answers decoded from one shared (prefilled once) prompt."""

    kind: Annotated[
        Literal["best_of_n"],
        about("The class's kind: n answers from one shared prompt.", "1", "scenario choice"),
    ]
    samples: Annotated[
        int,
        Field(ge=2, le=100_000),
        about(
            "Answers n decoded from one shared (prefilled once) prompt.",
            "count",
            "scenario choice",
        ),
    ]


class SearchClass(_QueryClass):
    """Tree exploration: `branching` branches kept at each of `depth` levels, each level a
    step of `output_tokens`; the prompt is prefilled once, branches continue cached prefixes."""

    kind: Annotated[
        Literal["search"], about("The class's kind: tree exploration.", "1", "scenario choice")
    ]
    branching: Annotated[
        int,
        Field(ge=1, le=10_000),
        about("Branches b kept at each level.", "count", "scenario choice"),
    ]
    depth: Annotated[
        int,
        Field(ge=1, le=10_000),
        about("Levels d, each a step of `output_tokens`.", "count", "scenario choice"),
    ]


class AgenticClass(_QueryClass):
    """`steps` sequential calls; each call's context grows by the previous output plus
    `tool_tokens` of tool results. `cached_fraction` is the share of all input from cache."""

    kind: Annotated[
        Literal["agentic"],
        about("The class's kind: sequential calls with a growing context.", "1", "scenario choice"),
    ]
    steps: Annotated[
        int,
        Field(ge=1, le=10_000),
        about("Sequential calls s per query.", "count", "scenario choice"),
    ]
    tool_tokens: Annotated[
        float,
        Field(ge=0, le=1e8),
        about(
            "Tool results T appended to the context after each call.", "tokens", "scenario choice"
        ),
    ] = 0.0


# Default generation models. Image: FLUX.1-dev, a 12B rectified-flow transformer (Black Forest
# Labs, "Announcing Black Forest Labs", 1 Aug 2024), 1024x1024, 28 steps (the diffusers
# default), guidance-distilled (one pass per step), a 16-channel VAE at 8x and 2x2 patches
# (4,096 image tokens) jointly attending to 512 T5 text tokens (FLUX.1 reference code).
# Video: Wan2.2-A14B, two 14B experts of which one runs per step (Wan-AI, Wan2.2 model card, Jul
# 2025), 1280x720, 81 frames (5 s at 16 fps), 40 steps with classifier-free guidance (2 passes),
# Wan-VAE 4x8x8 and 1x2x2 patches (Wan team, "Wan: Open and Advanced Large-Scale Video
# Generative Models", arXiv:2503.20314, 2025); text enters by cross-attention (0 joint tokens).
SOURCE_IMAGE_MODEL = (
    "FLUX.1-dev: 12B, 1024x1024, 28 steps, guidance-distilled, VAE 8x, 2x2 patches, 512 T5 "
    "tokens (Black Forest Labs, Aug 2024; FLUX.1 reference code)"
)
SOURCE_VIDEO_MODEL = (
    "Wan2.2-A14B: 14B active, 1280x720, 81 frames, 40 steps with guidance, Wan-VAE 4x8x8, "
    "1x2x2 patches (Wan2.2 model card, Jul 2025; Wan report, arXiv:2503.20314)"
)
Pixels = Annotated[int, Field(ge=8, le=16_384)]
Steps = Annotated[int, Field(ge=1, le=1_000)]


class _GenerationClass(Strict):
    """A diffusion-transformer request: its share of the cohort's queries and its size.

    Costed per request by :mod:`simdemand.physics.generation`; it has no text tokens, so its
    token lengths read as 0 (its rows carry queries, GPU-hours and FLOP, and 0 tokens).
    """

    share: Annotated[
        Share,
        about(
            "Share of the cohort's queries at the reference date; the classes' shares sum to 1.",
            "share",
            "scenario choice",
        ),
    ]
    share_final: Annotated[
        Share | None,
        about(
            "Share at `mix_final_date` (linear from the reference date, constant after); by "
            "default `share`.",
            "share",
            "scenario choice",
        ),
    ] = None
    vae_downsample: Annotated[
        int,
        Field(ge=1, le=64),
        about("Spatial downsampling of the VAE, per side.", "1", "the default model's"),
    ] = 8
    patch_size: Annotated[
        int,
        Field(ge=1, le=16),
        about("Side of the transformer's latent patch.", "latent pixels", "the default model's"),
    ] = 2

    @property
    def input_tokens(self) -> float:
        """No text tokens to prefill."""
        return 0.0

    @property
    def output_tokens(self) -> float:
        """No text tokens to decode."""
        return 0.0

    @property
    def input_growth_per_year(self) -> float:
        """Lengths do not grow."""
        return 1.0

    @property
    def output_growth_per_year(self) -> float:
        """Lengths do not grow."""
        return 1.0

    @property
    def input_tokens_max(self) -> None:
        """No ceiling."""
        return None

    @property
    def output_tokens_max(self) -> None:
        """No ceiling."""
        return None

    @property
    def input_sigma(self) -> float:
        """No scatter of lengths."""
        return 0.0

    @property
    def output_sigma(self) -> float:
        """No scatter of lengths."""
        return 0.0

    @property
    def cached_fraction(self) -> float:
        """Nothing cached."""
        return 0.0

    @property
    def efficient_share(self) -> float:
        """Served by its own model, not by the cohort's tiers."""
        return 0.0


class ImageClass(_GenerationClass):
    """One image from a diffusion transformer."""

    kind: Annotated[
        Literal["image"], about("The class's kind: one generated image.", "1", "scenario choice")
    ]
    params: Annotated[
        Params, about("Parameters active per step.", "parameters", SOURCE_IMAGE_MODEL)
    ] = 12e9
    steps: Annotated[Steps, about("Denoising steps.", "count", SOURCE_IMAGE_MODEL)] = 28
    guidance_passes: Annotated[
        int,
        Field(ge=1, le=4),
        about(
            "Forward passes per step: 2 with classifier-free guidance, 1 if distilled.",
            "count",
            SOURCE_IMAGE_MODEL,
        ),
    ] = 1
    width_px: Annotated[Pixels, about("Output width.", "pixels", SOURCE_IMAGE_MODEL)] = 1024
    height_px: Annotated[Pixels, about("Output height.", "pixels", SOURCE_IMAGE_MODEL)] = 1024
    text_tokens: Annotated[
        int,
        Field(ge=0, le=100_000),
        about(
            "Text tokens in the transformer's sequence (joint attention); 0 for cross-attention.",
            "tokens",
            SOURCE_IMAGE_MODEL,
        ),
    ] = 512

    @property
    def frames(self) -> int:
        """One frame."""
        return 1

    @property
    def temporal_downsample(self) -> int:
        """No time axis."""
        return 1


class VideoClass(_GenerationClass):
    """One clip from a video diffusion transformer."""

    kind: Annotated[
        Literal["video"], about("The class's kind: one generated clip.", "1", "scenario choice")
    ]
    params: Annotated[
        Params, about("Parameters active per step.", "parameters", SOURCE_VIDEO_MODEL)
    ] = 14e9
    steps: Annotated[Steps, about("Denoising steps.", "count", SOURCE_VIDEO_MODEL)] = 40
    guidance_passes: Annotated[
        int,
        Field(ge=1, le=4),
        about(
            "Forward passes per step: 2 with classifier-free guidance, 1 if distilled.",
            "count",
            SOURCE_VIDEO_MODEL,
        ),
    ] = 2
    width_px: Annotated[Pixels, about("Output width.", "pixels", SOURCE_VIDEO_MODEL)] = 1280
    height_px: Annotated[Pixels, about("Output height.", "pixels", SOURCE_VIDEO_MODEL)] = 720
    text_tokens: Annotated[
        int,
        Field(ge=0, le=100_000),
        about(
            "Text tokens in the transformer's sequence (joint attention); 0 for cross-attention.",
            "tokens",
            SOURCE_VIDEO_MODEL,
        ),
    ] = 0
    frames: Annotated[
        int,
        Field(ge=1, le=100_000),
        about("Frames of the clip.", "frames", SOURCE_VIDEO_MODEL),
    ] = 81
    temporal_downsample: Annotated[
        int,
        Field(ge=1, le=64),
        about("Temporal downsampling of the VAE.", "1", SOURCE_VIDEO_MODEL),
    ] = 4


GenerationClass = ImageClass | VideoClass

QueryClass = Annotated[
    ChatClass
    | ReasoningClass
    | BestOfNClass
    | SearchClass
    | AgenticClass
    | ImageClass
    | VideoClass,
    Field(discriminator="kind"),
]
