"""The ledger keeps intervals in order, refuses corrupt ones, and clips exactly."""

from __future__ import annotations

import numpy as np
import pytest

from simdemand.world.ledger import Ledger, clip
from simdemand.world.rng import Streams, stream_key


def test_order_of_single_and_bulk_appends_is_kept() -> None:
    """Rows come back in the order they were appended, whichever way."""
    ledger = Ledger()
    ledger.record("pretraining", "a", "final-run", "m1", "H100-SXM", 0.0, 10.0, 5.0, 1.0)
    ledger.record_many(
        "test-time",
        "u",
        "chat",
        "m1",
        "H100-SXM",
        np.array([1.0, 2.0]),
        np.array([2.0, 3.0]),
        np.array([1.0, 2.0]),
        np.array([3.0, 4.0]),
    )
    ledger.record("post-training", "c", "sft", "m2", "A100-80GB", 5.0, 6.0, 7.0, 8.0)
    iv = ledger.intervals()
    assert len(ledger) == len(iv) == 4
    assert iv.regime.tolist() == ["pretraining", "test-time", "test-time", "post-training"]
    assert iv.gpu_hours.tolist() == [5.0, 1.0, 2.0, 7.0]


@pytest.mark.parametrize(
    ("regime", "start", "end", "gpu_hours"),
    [
        ("mining", 0.0, 1.0, 1.0),
        ("pretraining", 1.0, 1.0, 1.0),
        ("pretraining", 0.0, 1.0, -1.0),
        ("pretraining", 0.0, float("nan"), 1.0),
    ],
)
def test_corrupt_intervals_are_refused(
    regime: str, start: float, end: float, gpu_hours: float
) -> None:
    """Unknown regimes, empty intervals, negative or NaN amounts raise."""
    with pytest.raises(ValueError, match=r"regime|end_h|non-negative"):
        Ledger().record(regime, "a", "x", "m", "H100-SXM", start, end, gpu_hours, 1.0)


def test_clip_scales_by_share_kept() -> None:
    """Clipping [-5, 15) to [0, 10) keeps half of its amounts; outside rows vanish."""
    ledger = Ledger()
    ledger.record("pretraining", "a", "x", "m", "H", -5.0, 15.0, 100.0, 2e20)
    ledger.record("pretraining", "a", "x", "m", "H", 20.0, 30.0, 100.0, 2e20)
    iv = clip(ledger.intervals(), 0.0, 10.0)
    assert len(iv) == 1
    assert (iv.start_h[0], iv.end_h[0], iv.gpu_hours[0], iv.flop[0]) == (0.0, 10.0, 50.0, 1e20)


def test_stream_keys_are_stable_and_distinct() -> None:
    """Keys come from the name alone (pinned value), and each name is taken once."""
    assert stream_key("lab:big-1") == stream_key("lab:big-1")
    assert stream_key("lab:big-1") != stream_key("lab:big-2")
    assert stream_key("abc")[0] == int.from_bytes(
        __import__("hashlib").blake2b(b"abc", digest_size=16).digest()[:4], "little"
    )
    streams = Streams(1)
    a = streams.generator("x").random()
    assert a == Streams(1).generator("x").random()
    assert a != Streams(2).generator("x").random()
    with pytest.raises(ValueError, match="already taken"):
        streams.generator("x")
