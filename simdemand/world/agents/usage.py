"""The laws a user cohort follows: adoption, token lengths over time, the work and context of a
query class, sums of many lengths, and the weekly profile of queries in UTC."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from simdemand.physics import generation
from simdemand.scenario.adoption import BassAdoption, LogisticAdoption, TimeZone
from simdemand.scenario.queries import (
    AgenticClass,
    BestOfNClass,
    ImageClass,
    QueryClass,
    SearchClass,
    VideoClass,
)
from simdemand.units import HOURS_PER_WEEK

FloatArray = npt.NDArray[np.float64]

# Serving points are cached per 1/16 octave of mean context (4.4% steps), so lengths that
# grow a little every step do not recompute the roofline each time.
CONTEXT_STEPS_PER_OCTAVE = 16.0


def adoption_users(adoption: LogisticAdoption | BassAdoption, years: FloatArray) -> FloatArray:
    """Users at `years` since the reference date on the cohort's adoption curve."""
    n0, ceiling = adoption.users_at_reference, adoption.ceiling_users
    if isinstance(adoption, LogisticAdoption):
        return ceiling / (1.0 + (ceiling / n0 - 1.0) * np.exp(-adoption.rate_per_year * years))
    p, q = adoption.innovation_per_year, adoption.imitation_per_year
    f0 = n0 / ceiling
    tau0 = -math.log((1.0 - f0) / (1.0 + q / p * f0)) / (p + q)
    decay = np.exp(-(p + q) * np.maximum(0.0, tau0 + years))
    return ceiling * (1.0 - decay) / (1.0 + q / p * decay)


def mean_tokens(cls: QueryClass, which: str, years: float) -> float:
    """Mean input or output tokens per call: x growth^years, saturating at the ceiling.

    m(t) = cap m0 g^t / (cap + m0 (g^t - 1)): starts at m0, grows ~g per year while far below
    the cap, tends to the cap (a logistic in m). Without a cap, m0 g^t.
    """
    start = float(getattr(cls, f"{which}_tokens"))
    grown = math.pow(float(getattr(cls, f"{which}_growth_per_year")), years)
    cap = getattr(cls, f"{which}_tokens_max")
    if cap is None:
        return start * grown
    return float(cap) * start * grown / (float(cap) + start * (grown - 1.0))


def lognormal_sums(
    rng: np.random.Generator, counts: FloatArray, mean: FloatArray, sigma: FloatArray
) -> FloatArray:
    """Sums of `counts` lognormal lengths of mean `mean` and log-sd `sigma`, cell by cell.

    Drawn from a gamma with the sum's mean n m and variance n m^2 (exp(sigma^2) - 1); exact
    sums when sigma is 0.
    """
    cv2 = np.broadcast_to(np.expm1(np.square(sigma)), counts.shape)
    scatter = cv2 > 0
    safe = np.where(scatter, cv2, 1.0)
    draws = rng.gamma(
        np.where(scatter, counts / safe, 0.0), np.broadcast_to(mean * safe, counts.shape)
    )
    return np.where(scatter, draws, counts * mean)


def work_coefficients(cls: QueryClass) -> tuple[float, float, float, float]:
    """Tokens through prefill and decode per query, as (a, b, c, d) of prefill = a I + b O + c
    and decode = d O, for call lengths I (input) and O (output) of the class.

    chat, reasoning: I in, O out. best-of-n (n samples): I in (shared prefill), n O out.
    search (branching b, depth d): I in, b d O out. agentic (s steps, T tool tokens): call k
    reads I + (k - 1)(O + T), so s I + s(s - 1)/2 (O + T) in and s O out. Linear in I and O,
    so totals over many queries follow exactly from summed lengths. image, video: no tokens
    (costed per request, :func:`request_flop`).
    """
    if isinstance(cls, ImageClass | VideoClass):
        return 0.0, 0.0, 0.0, 0.0
    if isinstance(cls, BestOfNClass):
        return 1.0, 0.0, 0.0, float(cls.samples)
    if isinstance(cls, SearchClass):
        return 1.0, 0.0, 0.0, float(cls.branching * cls.depth)
    if isinstance(cls, AgenticClass):
        s, pairs = float(cls.steps), cls.steps * (cls.steps - 1) / 2.0
        return s, pairs, pairs * cls.tool_tokens, s
    return 1.0, 0.0, 0.0, 1.0


def request_flop(cls: QueryClass) -> float:
    """FLOP of one image or video request of the class (0 for token classes)."""
    if not isinstance(cls, ImageClass | VideoClass):
        return 0.0
    latent = generation.video_latent_tokens(
        cls.width_px,
        cls.height_px,
        cls.frames,
        cls.vae_downsample,
        cls.patch_size,
        cls.temporal_downsample,
    )
    return generation.request_flop(
        cls.params, latent + cls.text_tokens, cls.steps, cls.guidance_passes
    )


def generation_model_id(cls: QueryClass) -> str:
    """Label of a generation class's model in the outputs: kind and size, "video-14B"."""
    if not isinstance(cls, ImageClass | VideoClass):
        raise TypeError(f"{cls.kind} is not a generation class")
    return f"{cls.kind}-{cls.params / 1e9:.3g}B"


def context_tokens(cls: QueryClass, input_tokens: float, output_tokens: float) -> float:
    """Mean context a sequence holds while decoding: the prompt plus half of what it grows by."""
    if isinstance(cls, SearchClass):
        return input_tokens + cls.depth * output_tokens / 2.0
    if isinstance(cls, AgenticClass):
        growth = (cls.steps - 1) * (output_tokens + cls.tool_tokens)
        return input_tokens + growth / 2.0 + output_tokens / 2.0
    return input_tokens + output_tokens / 2.0


def context_bucket(tokens: float) -> float:
    """Round a context length to the nearest 1/16 octave (at least one token)."""
    steps = round(math.log2(max(1.0, tokens)) * CONTEXT_STEPS_PER_OCTAVE)
    return float(2.0 ** (steps / CONTEXT_STEPS_PER_OCTAVE))


def utc_week_profile(
    daily: tuple[float, ...], weekly: tuple[float, ...], timezones: tuple[TimeZone, ...]
) -> FloatArray:
    """Relative query rate for each UTC hour of the week (Monday 00:00 UTC first), mean 1.

    Local hour-of-week weight = daily[hour] x weekly[day], each normalised to mean 1; the UTC
    profile mixes the time zones, shifting each by its offset (fractional offsets blend the
    two local hours they straddle).
    """
    day = np.asarray(daily, dtype=np.float64)
    week = np.asarray(weekly, dtype=np.float64)
    local = (week[:, None] / week.mean() * (day / day.mean())[None, :]).ravel()
    utc = np.zeros(HOURS_PER_WEEK)
    hours = np.arange(HOURS_PER_WEEK)
    for tz in timezones:
        whole = math.floor(tz.utc_offset_h)
        frac = tz.utc_offset_h - whole
        here = local[(hours + whole) % HOURS_PER_WEEK]
        after = local[(hours + whole + 1) % HOURS_PER_WEEK]
        utc += tz.share * ((1.0 - frac) * here + frac * after)
    profile: FloatArray = utc / utc.mean()
    return profile
