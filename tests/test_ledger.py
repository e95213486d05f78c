"""The ledger keeps intervals in order, refuses corrupt ones, and clips exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simdemand.world.demand import DemandMeter
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
        ("pretraining", 0.0, 1.0, float("inf")),
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


def meter() -> DemandMeter:
    """A meter over hours [0, 10) where every generation weighs 1 H100-equivalent."""
    return DemandMeter(0.0, 10.0, {"H100-SXM": 1.0, "B200": 2.0})


def test_the_meter_spreads_fluid_work_by_hour_and_skips_final_runs() -> None:
    """4 GPU-hours over [1.5, 3.5) are 1, 2 and 1 in hours 1, 2, 3; a final run holds a
    cluster and is not fluid demand."""
    ledger = Ledger(meter())
    ledger.record("post-training", "c", "sft", "m", "H100-SXM", 1.5, 3.5, 4.0, 1.0)
    ledger.record("pretraining", "lab", "final-run", "m", "H100-SXM", 0.0, 10.0, 50.0, 1.0)
    ledger.record_many(
        "pretraining",
        "lab",
        "experiments",
        np.array(["m1", "m2"], dtype=object),
        "B200",
        np.array([0.0, 8.0]),
        np.array([1.0, 9.0]),
        np.array([3.0, 5.0]),
        np.array([1.0, 1.0]),
    )
    assert ledger.meter is not None
    demand = ledger.meter.demand("post-training", 0, 10)
    assert demand["H100-SXM"].tolist() == [0, 1, 2, 1, 0, 0, 0, 0, 0, 0]
    experiments = ledger.meter.demand("pretraining", 0, 10)["B200"]
    assert experiments.tolist() == [3, 0, 0, 0, 0, 0, 0, 0, 5, 0]
    assert ledger.meter.regime_h100e("pretraining").sum() == 16.0  # B200 weighs 2
    assert ledger.intervals().model_id.tolist() == ["m", "m", "m1", "m2"]


def test_hourly_charges_become_wide_rows_flushed_when_labels_change() -> None:
    """Two days of hourly test-time charged as day-wide rows; a new model flushes the first
    model's rows; the meter keeps every hour."""
    ledger = Ledger(DemandMeter(0.0, 72.0, {"H100-SXM": 1.0}))
    hourly = [np.arange(48.0), np.ones(48), np.full(48, 2.0), np.full(48, 3.0)]
    ledger.record_hours("test-time", "people", "chat", ("m1", "H100-SXM"), 0.0, hourly, 24)
    assert len(ledger.intervals()) == 0  # still buffered
    ledger.record_hours("test-time", "people", "chat", ("m2", "H100-SXM"), 48.0, hourly, 24)
    iv = ledger.intervals()
    assert iv.model_id.tolist() == ["m1", "m1"]
    assert iv.gpu_hours.tolist() == [sum(range(24)), sum(range(24, 48))]
    assert iv.queries.tolist() == [48.0, 48.0]
    ledger.flush_buffers("people")
    assert ledger.intervals().model_id.tolist() == ["m1", "m1", "m2", "m2"]
    assert ledger.intervals().end_h.tolist() == [24.0, 48.0, 72.0, 96.0]
    assert ledger.meter is not None
    assert ledger.meter.demand("test-time", 0, 72)["H100-SXM"][:50].tolist() == [
        *range(48),
        0.0,
        1.0,
    ]


def filled() -> Ledger:
    """A ledger with shared-label chunks, per-row labels and single rows, one chunk of which
    lies wholly outside [0, 10)."""
    ledger = Ledger()
    ledger.record("pretraining", "lab", "final-run", "m2", "H100-SXM", 0.0, 10.0, 5.0, 1.0)
    hours = np.array([1.0, 2.0, 3.0])
    ones = np.ones(3)
    ids = np.array(["m3", "m1", "m3"], dtype=object)
    ledger.record_many("test-time", "u", "chat", ids, "A100-80GB", hours, hours + 1, ones, ones)
    ledger.record_many(
        "test-time", "gone", "chat", "m9", "B200", hours + 20, hours + 21, ones, ones
    )
    ledger.record("post-training", "c", "sft", "m1", "H100-SXM", 5.0, 6.0, 7.0, 8.0)
    return ledger


def test_coded_take_codes_as_factorize_does_and_drops_labels_of_dropped_rows() -> None:
    """`take_coded` gives the times and amounts of the rows overlapping [0, 10), and each text
    column's codes and labels as `pd.factorize(column, sort=True)` gives them: labels of dropped
    rows absent."""
    every = filled().intervals()
    kept = (every.end_h > 0.0) & (every.start_h < 10.0)
    numbers, coded = filled().take_coded(0.0, 10.0)
    for name in ("regime", "agent", "model_id", "hardware", "base_id"):
        codes, labels = pd.factorize(getattr(every, name)[kept], sort=True)
        assert coded[name][0].tolist() == codes.tolist()
        assert coded[name][1] == labels.tolist()
    assert coded["agent"][1] == ["c", "lab", "u"]
    assert numbers.gpu_hours.tolist() == every.gpu_hours[kept].tolist() == [5.0, 1, 1, 1, 7.0]
