"""History statistics: the bundled Epoch AI data reproduce the calibration figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simdemand.calibration.history import (
    backtest_table,
    compute_distribution,
    frontier_growth_per_year,
    frontier_models,
    load_epoch_models,
    threshold_counts,
)

MID_2025 = "2025-06-30"


@pytest.fixture(scope="module")
def epoch() -> pd.DataFrame:
    """The bundled Epoch AI subset."""
    return load_epoch_models()


def frame(rows: list[tuple[str, float]], parents: list[str | None] | None = None) -> pd.DataFrame:
    """A models table from (release date, training FLOP) pairs."""
    return pd.DataFrame(
        {
            "model_id": [f"m{i}" for i in range(len(rows))],
            "released": pd.to_datetime([d for d, _ in rows], utc=True, format="ISO8601"),
            "training_flop": [f for _, f in rows],
            "parent_id": parents if parents is not None else [None] * len(rows),
        }
    )


def exponential_frontier(rate: float, start: str = "2015-01-01", months: int = 120) -> pd.DataFrame:
    """One model a month, each the largest so far, growing exactly `rate` per year."""
    dates = pd.date_range(start, periods=months, freq="MS", tz="UTC")
    years = (dates - dates[0]) / pd.Timedelta(days=365.25)
    return pd.DataFrame(
        {
            "released": dates,
            "training_flop": 1e20 * rate ** years.to_numpy(np.float64),
            "parent_id": None,
        }
    )


def row(table: pd.DataFrame, metric: str, period: str) -> dict[str, float]:
    """The numbers in the one row of a backtest table for (metric, period)."""
    match = table[(table["metric"] == metric) & (table["period"] == period)]
    assert len(match) == 1
    return {c: float(match[c].iloc[0]) for c in ("data", "sim_median", "sim_p10", "sim_p90")}


# --- the bundled data ------------------------------------------------------------------------


def test_bundled_subset_is_clean(epoch: pd.DataFrame) -> None:
    assert len(epoch) == 988
    assert str(epoch["released"].dt.tz) == "UTC"
    assert epoch["training_flop"].dtype == np.float64
    assert (epoch["training_flop"] > 0).all()
    assert np.isfinite(epoch["training_flop"]).all()
    assert epoch["model_id"].is_unique
    assert epoch["released"].max() == pd.Timestamp("2025-05-19", tz="UTC")
    utilization = epoch["hardware_utilization"].dropna()
    assert ((utilization > 0) & (utilization <= 1)).all()
    # Finetune compute cells like "1" (a mantissa without its exponent) were blanked.
    assert (epoch["finetune_compute_flop"].dropna() >= 1e6).all()
    assert {
        "model_id",
        "lab",
        "released",
        "params",
        "training_flop",
        "open_weights",
        "parent_id",
    } <= set(epoch.columns)


def test_threshold_counts_reproduce_calibration(epoch: pd.DataFrame) -> None:
    counts = threshold_counts(epoch, until=MID_2025)
    # 2025 stops at 2025-06-30 (the last dated model with a compute is 2025-05-19): "2025 H1".
    assert counts["n_ge_1e25"].to_dict() == {2021: 1, 2022: 0, 2023: 4, 2024: 13, 2025: 6}
    assert counts["n_ge_1e24"].to_dict() == {2021: 3, 2022: 5, 2023: 17, 2024: 48, 2025: 28}
    assert counts["n_ge_1e26"].to_dict() == {2021: 0, 2022: 0, 2023: 0, 2024: 0, 2025: 2}
    assert counts.index[-1] == 2025
    assert counts[["cum_ge_1e24", "cum_ge_1e25", "cum_ge_1e26"]].iloc[-1].tolist() == [101, 24, 2]
    over = epoch.loc[epoch["training_flop"] >= 1e26].sort_values("training_flop")
    assert over["model_id"].tolist() == ["GPT-4.5", "Grok-3"]
    assert over["training_flop"].tolist() == pytest.approx([2.1e26, 4.64e26])


def test_threshold_counts_without_derivatives(epoch: pd.DataFrame) -> None:
    # Epoch's compute for a derivative includes its base's: Llama Nemotron Ultra 253B (3.9e25,
    # from Llama 3.1-405B) is the one derivative >= 1e25; 23 of the 101 >= 1e24 are derivatives.
    counts = threshold_counts(epoch, until=MID_2025, parent_col="parent_id")
    assert counts[["cum_ge_1e24", "cum_ge_1e25", "cum_ge_1e26"]].iloc[-1].tolist() == [78, 23, 2]


def test_frontier_growth_reproduces_calibration(epoch: pd.DataFrame) -> None:
    # Top 10 when published among pretrained models (same-day releases count), since 2018:
    # 74 models, 4.62x/yr: the reference "≈ 4.6x/yr". Epoch's own rank column gives 4.56.
    assert frontier_growth_per_year(epoch) == pytest.approx(4.622, abs=0.005)
    assert len(frontier_models(epoch)) == 74
    ranked = epoch[(epoch["epoch_compute_rank"] <= 10) & (epoch["released"] >= "2018-01-01")]
    assert frontier_growth_per_year(ranked, top_n=10**6) == pytest.approx(4.561, abs=0.005)
    # Counting derivatives (their compute repeats the base's) would inflate it to 4.80.
    assert frontier_growth_per_year(epoch, parent_col=None) == pytest.approx(4.796, abs=0.005)


def test_compute_distribution_of_epoch(epoch: pd.DataFrame) -> None:
    table = compute_distribution(epoch, since="2018-01-01", until=MID_2025)
    assert table.index.tolist() == list(range(2018, 2026))
    assert table["n_models"].sum() == (epoch["released"] >= "2018-01-01").sum()
    assert table.loc[2025, "log10_flop_max"] == pytest.approx(np.log10(4.64e26))
    assert table["log10_flop_p50"].is_monotonic_increasing


# --- hand-built frames -----------------------------------------------------------------------


def test_threshold_counts_by_hand() -> None:
    models = frame(
        [
            ("2020-03-01", 1e24),  # exactly at the threshold counts
            ("2020-05-01", 9.99e23),
            ("2022-01-01", 3e25),
            ("2022-12-31T23:00", 1e26),
            ("2023-01-01", float("nan")),  # no compute: ignored
            ("2024-06-30T12:00", 5e25),  # within the day of `until`
            ("2024-07-01", 5e25),  # after `until`
        ]
    )
    counts = threshold_counts(models, thresholds=(1e24, 1e25), until="2024-06-30")
    expected = pd.DataFrame(
        {
            "n_ge_1e24": [1, 0, 2, 0, 1],
            "n_ge_1e25": [0, 0, 2, 0, 1],
            "cum_ge_1e24": [1, 1, 3, 3, 4],
            "cum_ge_1e25": [0, 0, 2, 2, 3],
        },
        index=pd.Index(range(2020, 2025), dtype="int64", name="year"),
    )
    pd.testing.assert_frame_equal(counts, expected)
    # `since` trims the years shown, not the running totals.
    later = threshold_counts(
        models, thresholds=(1e24, 1e25), since="2022-01-01", until="2024-01-01"
    )
    assert later.index.tolist() == [2022, 2023, 2024]
    assert later["cum_ge_1e24"].tolist() == [3, 3, 3]
    assert threshold_counts(frame([("2020-01-01", 1e20)])).empty


def test_threshold_counts_accepts_naive_dates_and_drops_derivatives() -> None:
    models = frame([("2021-01-01", 2e24), ("2021-06-01", 3e24)], parents=[None, "m0"])
    models["released"] = models["released"].dt.tz_localize(None)
    assert threshold_counts(models, thresholds=(1e24,))["n_ge_1e24"].tolist() == [2]
    pruned = threshold_counts(models, thresholds=(1e24,), parent_col="parent_id")
    assert pruned["n_ge_1e24"].tolist() == [1]


def test_frontier_growth_recovers_exact_rate() -> None:
    models = exponential_frontier(3.0)
    assert frontier_growth_per_year(models) == pytest.approx(3.0, rel=1e-9)
    # Small models never reach the top 10 after 2018; derivatives are left out of the ranking.
    small = frame([(f"{y}-06-01", 1e15) for y in range(2018, 2025)])
    huge = frame([("2019-01-01", 1e30)], parents=["m0"])
    mixed = pd.concat([models, small, huge])  # duplicate index labels must not matter
    assert frontier_growth_per_year(mixed) == pytest.approx(3.0, rel=1e-9)
    assert frontier_growth_per_year(mixed, parent_col=None) != pytest.approx(3.0, rel=1e-3)


def test_frontier_rank_at_publication() -> None:
    models = frame(
        [
            ("2018-01-01", 10.0),
            ("2018-02-01", 30.0),
            ("2018-02-01", 20.0),
            ("2018-03-01", 20.0),
            ("2018-04-01", 5.0),
        ]
    )
    top = frontier_models(models, top_n=2, since=None)
    # m2 shares its release day with the larger m1; m3 ties m2 (ties share a rank).
    assert top["model_id"].tolist() == ["m0", "m1", "m2", "m3"]
    assert top["rank_at_publication"].tolist() == [1, 1, 2, 2]
    assert np.isnan(frontier_growth_per_year(models.iloc[:1], since=None))
    with pytest.raises(KeyError, match="parent_id"):
        frontier_growth_per_year(models.drop(columns="parent_id"))


@settings(deadline=None, max_examples=50)
@given(
    flops=st.lists(st.floats(1e18, 1e27), min_size=12, max_size=40),
    power=st.integers(-20, 20),
    seed=st.integers(0, 2**32 - 1),
)
def test_frontier_growth_ignores_units_and_row_order(
    flops: list[float], power: int, seed: int
) -> None:
    dates = pd.date_range("2017-01-01", periods=len(flops), freq="45D", tz="UTC")
    models = pd.DataFrame({"released": dates, "training_flop": flops, "parent_id": None})
    growth = frontier_growth_per_year(models)
    # A power of two rescales exactly, so no two values can become tied.
    scaled = models.assign(training_flop=models["training_flop"] * 2.0**power)
    shuffled = models.sample(frac=1.0, random_state=seed)
    assert frontier_growth_per_year(scaled) == pytest.approx(growth, rel=1e-9, nan_ok=True)
    assert frontier_growth_per_year(shuffled) == pytest.approx(growth, rel=1e-12, nan_ok=True)


def test_compute_distribution_by_hand() -> None:
    models = frame([("2020-01-01", 1e20), ("2020-06-01", 1e22), ("2022-01-01", 1e24)])
    table = compute_distribution(models, quantiles=(0.5,))
    assert table.index.tolist() == [2020, 2021, 2022]
    assert table["n_models"].tolist() == [2, 0, 1]
    assert table["log10_flop_p50"].tolist() == pytest.approx([21.0, np.nan, 24.0], nan_ok=True)
    assert table["log10_flop_max"].tolist() == pytest.approx([22.0, np.nan, 24.0], nan_ok=True)


def test_backtest_table_two_replications() -> None:
    observed = frame([("2019-05-01", 2e24), ("2020-05-01", 2e25), ("2020-07-01", 2e26)])
    sim_a = frame([("2019-02-01", 5e24), ("2020-02-01", 5e24), ("2021-01-01", 1e25)])
    sim_b = frame(
        [("2019-02-01", 5e23), ("2020-03-01", 3e25), ("2020-04-01", 3e26), ("2021-05-01", 3e25)]
    )
    table = backtest_table(
        [sim_a, sim_b], observed, thresholds=(1e24, 1e25), since="2019-01-01", until="2020-12-31"
    )
    assert table.columns.tolist() == [
        "metric",
        "period",
        "data",
        "sim_median",
        "sim_p10",
        "sim_p90",
        "n_replications",
    ]
    # 2 thresholds x 2 years, 2 cumulative rows, 1 growth row.
    assert len(table) == 7
    assert row(table, "n_ge_1e24", "2019")["data"] == 1
    assert row(table, "n_ge_1e24", "2020")["data"] == 2
    # 2020 >= 1e24: a has 1, b has 2 -> median 1.5, p10 1.1, p90 1.9 (linear interpolation).
    assert row(table, "n_ge_1e24", "2020") == pytest.approx(
        {"data": 2, "sim_median": 1.5, "sim_p10": 1.1, "sim_p90": 1.9}
    )
    assert row(table, "n_ge_1e25", "2019")["sim_median"] == 0
    # Nothing after `until` is counted: by 2020-12-31 a has 2 and b has 2 models >= 1e24.
    assert row(table, "cum_ge_1e24", "by 2020-12-31") == pytest.approx(
        {"data": 3, "sim_median": 2, "sim_p10": 2, "sim_p90": 2}
    )
    assert row(table, "cum_ge_1e25", "by 2020-12-31") == pytest.approx(
        {"data": 2, "sim_median": 1, "sim_p10": 0.2, "sim_p90": 1.8}
    )
    growth = row(table, "frontier_growth_per_year", "2019-01-01/2020-12-31")
    assert growth["data"] == pytest.approx(frontier_growth_per_year(observed, since="2019"))
    each = [frontier_growth_per_year(s, since="2019", until="2020-12-31") for s in (sim_a, sim_b)]
    assert each[0] == pytest.approx(1.0)  # a's frontier stays flat at 5e24
    assert growth["sim_median"] == pytest.approx(float(np.median(each)))
    assert (table["n_replications"] == 2).all()
    # One frame split by a replication column gives the same table.
    stacked = pd.concat([sim_a.assign(rep=0), sim_b.assign(rep=1)], ignore_index=True)
    split = backtest_table(
        stacked,
        observed,
        thresholds=(1e24, 1e25),
        since="2019-01-01",
        until="2020-12-31",
        replication_col="rep",
    )
    pd.testing.assert_frame_equal(split, table)


def test_backtest_table_against_itself(epoch: pd.DataFrame) -> None:
    table = backtest_table([epoch, epoch], epoch, until=MID_2025)
    assert len(table) == 3 * 8 + 3 + 1  # 2018-2025 for three thresholds, 3 totals, growth
    np.testing.assert_allclose(table["data"], table["sim_median"])
    assert row(table, "cum_ge_1e25", "by 2025-06-30")["data"] == 23  # pretrained models only
    assert row(table, "n_ge_1e25", "2025")["data"] == 5
    assert row(table, "frontier_growth_per_year", "2018-01-01/2025-06-30")["data"] == (
        pytest.approx(4.622, abs=0.005)
    )
    every_row = backtest_table([epoch], epoch, parent_col=None)
    assert row(every_row, "cum_ge_1e25", "by 2025-06-30")["data"] == 24
    with pytest.raises(ValueError, match="no simulated"):
        backtest_table([], epoch)
