"""Image and video generation: the diffusion-transformer physics by hand, its calibration on
published latencies, and its charges in a cohort (per request, own model label, no tokens)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from simdemand import load_scenario
from simdemand.catalog import load_catalog
from simdemand.physics import generation, serving
from simdemand.scenario.loader import scenario_catalog
from simdemand.scenario.queries import ImageClass, VideoClass
from simdemand.world.agents.usage import generation_model_id, request_flop
from simdemand.world.agents.users import Cohort
from simdemand.world.world import World

USERS = Path(__file__).parent / "scenarios" / "users.toml"
H100 = load_catalog()["H100-SXM"]


def test_latent_tokens_by_hand() -> None:
    """1024x1024 through an 8x VAE and 2x2 patches: 64 x 64 = 4,096 tokens. 1280x720, 81
    frames through Wan-VAE (4x in time, first frame kept) and 2x2 patches: 21 x 80 x 45."""
    assert generation.video_latent_tokens(1024, 1024, 1, 8, 2) == 4096.0
    assert generation.video_latent_tokens(1280, 720, 81, 8, 2, 4) == 21 * 80 * 45


def test_pass_flop_by_hand() -> None:
    """2 N L + 4 (n_layer d) L^2, with d = (100 N / 12)^(1/3) and n_layer d = d^2 / 100."""
    n, length = 12e9, 4608.0
    d = (100.0 * n / 12.0) ** (1.0 / 3.0)
    expected = 2.0 * n * length + 4.0 * (d * d / 100.0) * length**2
    assert generation.pass_flop(n, length) == pytest.approx(expected, rel=1e-12)
    assert generation.request_flop(n, length, 28, 2) == pytest.approx(56 * expected, rel=1e-12)
    seconds = generation.request_gpu_seconds(1e15, H100)
    assert seconds == pytest.approx(1e15 / (989e12 * generation.DIFFUSION_MFU), rel=1e-12)


def test_flux_dev_image_on_h100() -> None:
    """FLUX.1-dev, 1024x1024, 28 steps, BF16, batch 1: 7.11 s on one H100 (BenchmarkFlux,
    BF16 row). The default image class within +-30% (observed +28%)."""
    seconds = generation.request_gpu_seconds(request_flop(image()), H100)
    assert seconds == pytest.approx(generation.FLUX_H100_SECONDS, rel=0.30)


def test_wan22_video_on_h100() -> None:
    """Wan2.2-I2V-A14B, 1280x720, 81 frames, 40 steps with guidance: 250.7 s on 8 H100s, ~2,006
    H100-seconds (Morphic, Oct 2025). The default video class within +-30% (observed -24%);
    a clip costs > 100x an image."""
    seconds = generation.request_gpu_seconds(request_flop(video()), H100)
    assert seconds == pytest.approx(generation.WAN_H100_SECONDS, rel=0.30)
    assert seconds > 100 * generation.request_gpu_seconds(request_flop(image()), H100)


def test_mfu_is_the_geometric_mean_of_the_anchors() -> None:
    """The two anchors' implied MFUs (FLUX ~0.51, Wan ~0.31); DIFFUSION_MFU their geometric
    mean to two decimals."""
    peak = H100.peak_flop_per_s("bf16")
    flux = request_flop(image()) / (generation.FLUX_H100_SECONDS * peak)
    wan = request_flop(video()) / (generation.WAN_H100_SECONDS * peak)
    assert flux == pytest.approx(0.51, abs=0.01)
    assert wan == pytest.approx(0.31, abs=0.01)
    assert pytest.approx(math.sqrt(flux * wan), abs=0.005) == generation.DIFFUSION_MFU


def image() -> ImageClass:
    """The default image class."""
    return ImageClass(kind="image", share=1.0)


def video() -> VideoClass:
    """The default video class."""
    return VideoClass(kind="video", share=1.0)


MULTIMODAL = """
[users.people.classes.image]
kind = "image"
share = 0.08

[users.people.classes.video]
kind = "video"
share = 0.02
"""


def test_a_cohort_charges_generation_per_request(tmp_path: Path) -> None:
    """Image and video classes in the test cohort (benchmark mode, no software gain): each
    request charges the physics' GPU-seconds on the step's GPU (H200) and its FLOP, under
    "image-12B" / "video-14B", with 0 tokens; chat costs per query what it costs without them."""
    path = tmp_path / "multimodal.toml"
    path.write_text(USERS.read_text(encoding="utf-8") + MULTIMODAL, encoding="utf-8")
    shares = ["users.people.classes.chat.share=0.6", "users.people.classes.chat.share_final=0.2"]
    frame = ledger(path, shares)
    plain = ledger(USERS, [])
    hw = load_catalog()["H200-SXM"]
    for cls in (image(), video()):
        rows = frame[frame["activity"] == cls.kind]
        assert set(rows["model_id"]) == {generation_model_id(cls)}
        assert set(rows["hardware"]) == {"H200-SXM"}
        assert rows["tokens"].sum() == 0.0
        queries = rows["queries"].sum()
        assert queries > 0
        seconds = generation.request_gpu_seconds(request_flop(cls), hw)
        assert rows["gpu_hours"].sum() * 3600.0 / queries == pytest.approx(seconds, rel=1e-9)
        assert rows["flop"].sum() / queries == pytest.approx(request_flop(cls), rel=1e-9)
    assert per_query(frame, "chat") == pytest.approx(per_query(plain, "chat"), rel=1e-9)
    assert serving.PRODUCTION_FACTOR < 1.0


def ledger(path: Path, overrides: list[str]) -> pd.DataFrame:
    """The ledger of the scenario at `path` run to its horizon."""
    scenario = load_scenario(path, overrides)
    world = World(scenario, scenario_catalog(scenario))
    for name, spec in scenario.users.items():
        Cohort(world, name, spec)
    world.env.run(until=world.horizon_h)
    iv = world.ledger.intervals()
    return pd.DataFrame({name: getattr(iv, name) for name in iv.__dataclass_fields__})


def per_query(frame: pd.DataFrame, activity: str) -> float:
    """GPU-seconds per query of one class."""
    rows = frame[frame["activity"] == activity]
    return float(rows["gpu_hours"].sum() * 3600.0 / rows["queries"].sum())
