"""Generation physics: GPU time of an image or a video from a diffusion transformer.

A request denoises a latent of `latent_tokens` for `steps` steps, each of `guidance_passes`
forward passes (2 with classifier-free guidance: conditional and unconditional). A pass costs
2 x params FLOP per token (Kaplan et al. 2020) plus full (bidirectional) attention over the
sequence, 4 x n_layer x d_model x L^2 (QK^T and AV, 2 L^2 d each per layer), with n_layer x
d_model estimated from parameters as for language models. GPU-seconds = FLOP / (dense BF16 peak
x DIFFUSION_MFU); the MFU is calibrated on end-to-end latencies, so text encoding and VAE decode
are inside it rather than costed apart. Pure functions; units are in the names.
"""

from __future__ import annotations

import math

from simdemand.catalog import Hardware, Precision
from simdemand.physics.serving import INFERENCE_FLOP_PER_PARAM_TOKEN, layer_width

# FLOP per (sequence length)^2 per unit of n_layer x d_model for full attention, forward:
# QK^T 2 L^2 d and AV 2 L^2 d per layer.
ATTENTION_FLOP_PER_L2_WIDTH = 4.0
# Anchors of the MFU, both BF16, batch 1, end to end:
# FLUX.1-dev (12B, 1024x1024, 28 steps, guidance-distilled: 1 pass per step, 4,096 image + 512
# text tokens) 7.11 s on one H100 (varadrane1707/BenchmarkFlux, GitHub, 2025: BF16 row of the
# H100 table; the same 7.11 s baseline in thekernelcompany/Flux-fire for FLUX.1-Kontext): MFU 0.51.
# Wan2.2-I2V-A14B (14B active, 1280x720, 81 frames, 40 steps with guidance) 250.7 s on 8 H100s,
# ~2,000 H100-seconds (Morphic, "Boosting Wan2.2 I2V inference on 8xH100s", Oct 2025): MFU 0.31.
# DIFFUSION_MFU is their geometric mean, 0.40: each anchor within 30%.
FLUX_H100_SECONDS = 7.11
WAN_H100_SECONDS = 250.7 * 8
DIFFUSION_MFU = 0.40
# Diffusion serving is published in BF16 (the anchors above); FP8/FP4 diffusion is recent.
GENERATION_PRECISION: Precision = "bf16"


def video_latent_tokens(
    width_px: float,
    height_px: float,
    frames: int,
    vae_downsample: int,
    patch_size: int,
    temporal_downsample: int = 1,
) -> float:
    """Latent tokens of an image (frames = 1) or a clip: the VAE shrinks each side by
    `vae_downsample` and time by `temporal_downsample` (the first frame kept: 1 + (F - 1) / t
    latent frames, Wan-VAE), and the transformer patchifies `patch_size` x `patch_size`."""
    latent_frames = 1 + math.ceil((frames - 1) / temporal_downsample)
    side = vae_downsample * patch_size
    return float(latent_frames * math.ceil(width_px / side) * math.ceil(height_px / side))


def pass_flop(params: float, sequence_tokens: float) -> float:
    """Forward FLOP of one pass over `sequence_tokens`: 2 N L + 4 n_layer d_model L^2."""
    linear = INFERENCE_FLOP_PER_PARAM_TOKEN * params * sequence_tokens
    attention = ATTENTION_FLOP_PER_L2_WIDTH * layer_width(params) * sequence_tokens**2
    return linear + attention


def request_flop(params: float, sequence_tokens: float, steps: int, guidance_passes: int) -> float:
    """FLOP of one request: steps x guidance passes x one pass."""
    return steps * guidance_passes * pass_flop(params, sequence_tokens)


def request_gpu_seconds(flop: float, hardware: Hardware, mfu: float = DIFFUSION_MFU) -> float:
    """GPU-seconds of `flop` at `mfu` of the hardware's dense BF16 peak."""
    peak = hardware.peak_flop_per_s(GENERATION_PRECISION) * hardware.serving_efficiency
    return flop / (peak * mfu)
