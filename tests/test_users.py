"""User cohorts: hand-computed per-query costs, cycles, mix shift, serving policy, scale and
bad input. The small scenario is tests/scenarios/users.toml (one cohort, no labs, 3 weeks)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Generator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import simpy
from typer.testing import CliRunner

from simdemand import load_scenario, simulate
from simdemand.analysis.summary import json_ready
from simdemand.analysis.test_time import measures
from simdemand.catalog import load_catalog
from simdemand.cli import app
from simdemand.physics import serving
from simdemand.scenario.adoption import BassAdoption, LogisticAdoption, TimeZone
from simdemand.scenario.loader import scenario_catalog
from simdemand.scenario.queries import AgenticClass, ChatClass, SearchClass
from simdemand.world.agents.usage import (
    adoption_users,
    context_bucket,
    lognormal_sums,
    mean_tokens,
    utc_week_profile,
    work_coefficients,
)
from simdemand.world.agents.users import Bar, Cohort
from simdemand.world.registry import ModelRecord
from simdemand.world.world import World

USERS = Path(__file__).parent / "scenarios" / "users.toml"
DAYS = 21
# Default served model (DeepSeek-V3) and the hardware picked on 2025-03-03 with a 180-day lag.
PARAMS, ACTIVE = 671e9, 37e9
HARDWARE = "H200-SXM"


def world_of(overrides: Sequence[str] = ()) -> World:
    """A world with the test cohort, run to its horizon."""
    scenario = load_scenario(USERS, overrides)
    world = World(scenario, scenario_catalog(scenario))
    for name, spec in scenario.users.items():
        Cohort(world, name, spec)
    world.env.run(until=world.horizon_h)
    return world


def ledger(world: World) -> pd.DataFrame:
    """The world's ledger as a DataFrame, with the UTC hour and day of each interval."""
    iv = world.ledger.intervals()
    frame = pd.DataFrame({name: getattr(iv, name) for name in iv.__dataclass_fields__})
    return frame.assign(hour=frame["start_h"] % 24, day=frame["start_h"] // 24)


def per_query(frame: pd.DataFrame, activity: str, column: str) -> float:
    """Total `column` of one class over its queries (GPU-hours as GPU-seconds)."""
    rows = frame[frame["activity"] == activity]
    scale = 3600.0 if column == "gpu_hours" else 1.0
    return float(rows[column].sum() * scale / rows["queries"].sum())


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    """The test scenario's ledger."""
    return ledger(world_of())


def reference_point(context: float) -> serving.ServingPoint:
    """The serving point the cohort should use, computed directly from the cost physics."""
    hw = load_catalog()[HARDWARE]
    kv = serving.default_kv_bytes_per_token(ACTIVE, "fp8")
    return serving.serving_point(PARAMS, ACTIVE, hw, "fp8", kv, context, latency_target_s=0.05)


# --- Per-query amounts, by hand --------------------------------------------------------------


def test_chat_costs_what_the_roofline_says(base: pd.DataFrame) -> None:
    """Chat: 1536 input tokens (25% cached) at the prefill rate plus 1024 output tokens at the
    decode rate of DeepSeek-V3 in FP8 on an H200 at a 2048-token context, to 1e-9."""
    assert set(base["hardware"]) == {HARDWARE}
    assert set(base["model_id"]) == {"DeepSeek-V3"}
    point = reference_point(2048.0)
    seconds = 1536 * 0.75 / point.prefill_tokens_per_gpu_s + 1024 / point.decode_tokens_per_gpu_s
    flop = (1536 * 0.75 + 1024) * serving.inference_flop_per_token(ACTIVE, 2048.0)
    assert per_query(base, "chat", "gpu_hours") == pytest.approx(seconds, rel=1e-9)
    assert per_query(base, "chat", "flop") == pytest.approx(flop, rel=1e-9)
    assert per_query(base, "chat", "tokens") == pytest.approx(1536 + 1024, rel=1e-12)


def test_best_of_n_decodes_n_times_over_one_prefill(base: pd.DataFrame) -> None:
    """Best-of-4 with chat's lengths: the same prefill, 4x the decode (same context, same
    serving point), so it costs chat + 3 x decode of one answer."""
    point = reference_point(2048.0)
    decode_s = 1024 / point.decode_tokens_per_gpu_s
    chat = per_query(base, "chat", "gpu_hours")
    assert per_query(base, "best_of_n", "gpu_hours") == pytest.approx(chat + 3 * decode_s, 1e-9)
    assert per_query(base, "best_of_n", "tokens") == pytest.approx(1536 + 4 * 1024, rel=1e-12)


def test_search_and_agentic_token_counts(base: pd.DataFrame) -> None:
    """Search 3 x 4 over 512-token steps: 1536 + 12 x 512 tokens. Agentic, 5 steps: calls read
    2000, 3300, 4600, 5900, 7200 tokens (prompt + previous outputs and 1000-token tool results)
    and write 5 x 300."""
    assert per_query(base, "search", "tokens") == pytest.approx(1536 + 12 * 512, rel=1e-12)
    inputs = sum(2000 + k * (300 + 1000) for k in range(5))
    assert inputs == 5 * 2000 + 10 * 1300
    assert per_query(base, "agentic", "tokens") == pytest.approx(inputs + 5 * 300, rel=1e-12)


def test_work_coefficients() -> None:
    """prefill = a I + b O + c and decode = d O, per kind."""
    common = {"share": 1.0, "input_tokens": 1.0, "output_tokens": 1.0}
    search = SearchClass(kind="search", branching=3, depth=4, **common)
    agentic = AgenticClass(kind="agentic", steps=5, tool_tokens=1000.0, **common)
    assert work_coefficients(ChatClass(kind="chat", **common)) == (1.0, 0.0, 0.0, 1.0)
    assert work_coefficients(search) == (1.0, 0.0, 0.0, 12.0)
    assert work_coefficients(agentic) == (5.0, 10.0, 10_000.0, 5.0)


def test_doubling_reasoning_length_at_least_doubles_its_ratio(base: pd.DataFrame) -> None:
    """Reasoning output 4096 -> 8192 tokens: twice the decode tokens, each dearer, since the
    longer mean context (1536 + O/2: 3584 -> 5632) holds more KV cache and shrinks the decode
    batch. The ratio to chat grows between 2x (cost per token unchanged) and 2 x 5632/3584
    (cost per token proportional to context, the KV-bound limit); here ~2.9x. The ratio itself
    is the roofline's, by hand at the contexts the cohort prices (1/16-octave buckets)."""
    longer = ledger(world_of(["users.people.classes.reasoning.output_tokens=8192.0"]))
    ratio = per_query(base, "reasoning", "gpu_hours") / per_query(base, "chat", "gpu_hours")
    ratio2 = per_query(longer, "reasoning", "gpu_hours") / per_query(longer, "chat", "gpu_hours")
    assert 2.0 <= ratio2 / ratio <= 2.0 * 5632 / 3584 * 1.02

    def seconds(output: float) -> float:
        point = reference_point(context_bucket(1536 + output / 2))
        return 1536 * 0.75 / point.prefill_tokens_per_gpu_s + output / point.decode_tokens_per_gpu_s

    assert ratio == pytest.approx(seconds(4096) / seconds(1024), rel=1e-9)


# --- Cycles, mix and scale -------------------------------------------------------------------


def test_daily_cycle_follows_the_profile(base: pd.DataFrame) -> None:
    """One time zone at UTC: queries and GPU-hours at 03:00 vs 14:00 follow the profile's
    0.2 / 1.6 within 3% (Poisson noise at ~2e4 queries per hour is < 1%)."""
    weekdays = base[(base["day"] % 7) < 5]
    hourly = weekdays.groupby("hour")[["queries", "gpu_hours"]].sum()
    ratio = hourly.loc[3] / hourly.loc[14]
    assert ratio["queries"] == pytest.approx(0.2 / 1.6, rel=0.03)
    assert ratio["gpu_hours"] == pytest.approx(0.2 / 1.6, rel=0.03)


def test_time_zone_moves_the_peak() -> None:
    """Users at UTC+8 peak at 14:00 local = 06:00 UTC."""
    shifted = ledger(world_of(["users.people.timezones=[{utc_offset_h = 8.0, share = 1.0}]"]))
    by_hour = shifted.groupby("hour")["queries"].sum()
    assert float(by_hour.index[int(by_hour.to_numpy().argmax())]) == 14 - 8


def test_weekly_profile_shows(base: pd.DataFrame) -> None:
    """Saturday and Sunday at half a weekday: the first weekend against the Friday before and
    the Monday after (centred on it, so slow adoption growth cancels), within 2%."""
    daily = base.groupby("day")["queries"].sum()
    assert (daily[5] + daily[6]) / (daily[4] + daily[7]) == pytest.approx(0.5, rel=0.02)


def test_class_mix_shifts_linearly(base: pd.DataFrame) -> None:
    """Reasoning's share of queries moves from 0.2 toward 0.5 linearly over the 21 days."""
    daily = base.pivot_table(index="day", columns="activity", values="queries", aggfunc="sum")
    share = daily["reasoning"] / daily.sum(axis=1)
    for day in (0, 10, 20):
        expected = 0.2 + 0.3 * (day + 0.5) / DAYS
        assert share[day] == pytest.approx(expected, rel=0.02)


def test_population_scales_demand_not_work() -> None:
    """x1000 users: x1000 GPU-hours and tokens (expected value, within 0.5%), but the same
    number of ledger rows and of SimPy events: nothing is done per query."""
    scaled = [
        "users.people.adoption.users_at_reference=1e9",
        "users.people.adoption.ceiling_users=1e10",
    ]
    results = []
    for overrides in ([], scaled):
        scenario = load_scenario(USERS, overrides)
        world = World(scenario, scenario_catalog(scenario))
        Cohort(world, "people", scenario.users["people"])
        events = 0
        while world.env.peek() < world.horizon_h:
            world.env.step()
            events += 1
        results.append((ledger(world), events))
    (small, small_events), (big, big_events) = results
    assert big_events == small_events <= DAYS + 2
    assert len(big) == len(small)
    for column in ("gpu_hours", "tokens", "queries"):
        assert big[column].sum() / small[column].sum() == pytest.approx(1000, rel=0.005)


def test_same_seed_same_tables_other_seed_other_draws() -> None:
    """Byte-identical tables for one seed; a new seed changes the draws, not their scale."""
    scenario = load_scenario(USERS)
    first, second = simulate(scenario), simulate(scenario)
    assert first.jobs.equals(second.jobs)
    assert first.timeseries.equals(second.timeseries)
    assert "cohort:people" in first.streams
    other = simulate(load_scenario(USERS, ["run.seed=12"]))
    a = first.jobs.column("queries").to_numpy()
    b = other.jobs.column("queries").to_numpy()
    assert not np.array_equal(a, b)
    assert b.sum() == pytest.approx(a.sum(), rel=0.01)


def test_output_grid_changes_rows_not_amounts() -> None:
    """Day bins charge one interval per day and class instead of 24: same draws, same daily
    totals (to rounding), 24x fewer jobs."""
    hourly = simulate(load_scenario(USERS))
    daily = simulate(load_scenario(USERS, ["run.resolution=day"]))
    assert hourly.jobs.num_rows == 24 * daily.jobs.num_rows
    by_day = (
        hourly.timeseries.to_pandas()
        .groupby([pd.Grouper(key="time", freq="D"), "activity"])[["gpu_hours", "tokens"]]
        .sum()
    )
    direct = daily.timeseries.to_pandas().set_index(["time", "activity"])[["gpu_hours", "tokens"]]
    pd.testing.assert_frame_equal(by_day, direct.sort_index(), rtol=1e-12, check_names=False)


def test_day_scatter_keeps_the_mean() -> None:
    """day_sigma scatters daily volumes around the same mean (mean-one lognormal factor)."""
    calm = ledger(world_of())
    noisy = ledger(world_of(["users.people.day_sigma=0.2"]))
    calm_days = calm.groupby("day")["queries"].sum()
    noisy_days = noisy.groupby("day")["queries"].sum()
    assert float((noisy_days / calm_days).std()) > 0.05
    assert noisy["queries"].sum() / calm["queries"].sum() == pytest.approx(1.0, abs=0.15)


# --- Serving: models and hardware ------------------------------------------------------------


def record(model_id: str, at_h: float, loss: float, **fields: object) -> ModelRecord:
    """A released model with defaults for what the cohort does not read."""
    values: dict[str, object] = {
        "model_id": model_id,
        "lab": "lab",
        "released_h": at_h,
        "params": 4e11,
        "active_params": 4e10,
        "tokens": 1e13,
        "training_flop": 1e25,
        "open_weights": False,
        "parent_id": None,
        "hardware": HARDWARE,
        "gpu_hours": 1e6,
        "predicted_loss": loss,
        "technique": "pretraining",
    }
    values.update(fields)
    return ModelRecord(**values)  # type: ignore[arg-type]


RELEASES = [
    record("closed-a", 48.0, 1.90),
    record("open-b", 120.0, 1.85, open_weights=True),
    record("too-big", 200.0, 1.70, params=2e12, active_params=2e12),
    record("derivative", 260.0, 1.60, parent_id="open-b", open_weights=True),
    record("worse", 300.0, 1.95, open_weights=True),
]


def models_by_day(
    policy: str, releases_in: Sequence[ModelRecord] = RELEASES, extra: Sequence[str] = ()
) -> dict[int, str]:
    """Serving model per day under `policy` with the releases above and a one-day lag."""
    scenario = load_scenario(
        USERS,
        [
            f'users.people.serving.policy="{policy}"',
            "users.people.serving.migration_lag_days=1.0",
            "users.people.serving.max_active_params=1e12",
            "run.resolution=day",
            *extra,
        ],
    )
    world = World(scenario, scenario_catalog(scenario))
    Cohort(world, "people", scenario.users["people"])

    def releases() -> Generator[simpy.Event, None, None]:
        for model in releases_in:
            yield world.env.timeout(model.released_h - world.now)
            world.registry.release(model)

    world.env.process(releases())
    world.env.run(until=world.horizon_h)
    frame = ledger(world)
    chosen = frame.groupby("day")["model_id"].agg(lambda ids: "/".join(sorted(set(ids))))
    return {int(day): str(model) for day, model in zip(chosen.index, chosen, strict=True)}


def test_frontier_policy_takes_the_best_base_model_after_the_lag() -> None:
    """The initial model until closed-a is a day old (day 3), then open-b (lower loss) from
    day 6; never a model above the active-parameter cap, a derivative, or a worse model."""
    days = models_by_day("frontier")
    assert [days[d] for d in (0, 2, 3, 5, 6, 20)] == [
        "DeepSeek-V3",
        "DeepSeek-V3",
        "closed-a",
        "closed-a",
        "open-b",
        "open-b",
    ]


def test_open_policy_skips_closed_models() -> None:
    days = models_by_day("open")
    assert [days[d] for d in (3, 5, 6, 20)] == ["DeepSeek-V3", "DeepSeek-V3", "open-b", "open-b"]


CHEAP_RELEASES = [
    record("big-a", 48.0, 1.90, params=2e12, active_params=2e11),
    record("small-b", 120.0, 1.90, params=1e11, active_params=1e10),
    record("best-c", 200.0, 1.80, params=3e12, active_params=3e11),
]


def test_cheapest_policy_serves_the_cheapest_model_meeting_the_need() -> None:
    """Frontier tier (need lag 0, so the migration lag of one day): big-a from day 3; small-b,
    as good and 20x smaller, from day 6; best-c once it is a day old (day 10, 240 h >= 224 h),
    when the need becomes its loss. Efficient tier (half of chat, need lag 5 days): small-b
    from day 6 until best-c is 5 days old (320 h: day 14), when only best-c meets the need."""
    days = models_by_day(
        "cheapest",
        CHEAP_RELEASES,
        [
            "users.people.serving.efficient_need_lag_days=5.0",
            "users.people.classes.chat.efficient_share=0.5",
        ],
    )
    assert [days[d] for d in (2, 3, 5, 6, 9, 10, 13, 14, 20)] == [
        "DeepSeek-V3",
        "big-a",
        "big-a",
        "small-b",
        "small-b",
        "best-c/small-b",
        "best-c/small-b",
        "best-c",
        "best-c",
    ]


def test_cheapest_policy_ranks_by_serving_cost() -> None:
    """Of two equally good models, the one with fewer GPU-seconds per ranking query on the
    step's hardware serves, whatever the release order."""
    swapped = [
        record("small-b", 48.0, 1.90, params=1e11, active_params=1e10),
        record("big-a", 120.0, 1.90, params=2e12, active_params=2e11),
    ]
    assert set(models_by_day("cheapest", swapped).values()) - {"DeepSeek-V3"} == {"small-b"}


def test_fixed_policy_ignores_releases() -> None:
    assert set(models_by_day("fixed").values()) == {"DeepSeek-V3"}


def test_hardware_follows_the_catalog_with_a_lag() -> None:
    """180 days after availability: H200 until 2025-07-13, B200 (2025-01-15) from 2025-07-14,
    GB200 (2025-02-15) from 2025-08-14, and the GPU time per query drops with each."""
    world = world_of(["run.start=2025-07-07", "run.end=2025-08-25", "run.resolution=day"])
    frame = ledger(world)
    frame["date"] = [world.date_at(h) for h in frame["start_h"]]
    by_date = frame.groupby("date")["hardware"].agg(lambda hw: "/".join(sorted(set(hw))))
    assert by_date[dt.date(2025, 7, 13)] == "H200-SXM"
    assert by_date[dt.date(2025, 7, 14)] == "B200"
    assert by_date[dt.date(2025, 8, 13)] == "B200"
    assert by_date[dt.date(2025, 8, 14)] == "GB200"
    chat = frame[frame["activity"] == "chat"]
    cost = (chat["gpu_hours"] / chat["queries"]).groupby(chat["hardware"]).mean()
    assert cost["H200-SXM"] > cost["B200"] > cost["GB200"]


def test_no_fp8_means_bf16() -> None:
    """In mid-2021 the newest GPU past the lag is the A100, which has no FP8: serve in BF16."""
    scenario = load_scenario(
        USERS,
        [
            "run.start=2021-06-01",
            "run.end=2021-06-08",
            "users.people.reference_date=2021-06-01",
            "users.people.mix_final_date=2021-06-08",
        ],
    )
    world = World(scenario, scenario_catalog(scenario))
    cohort = Cohort(world, "people", scenario.users["people"])
    world.env.run(until=world.horizon_h)
    assert {key[1:3] for key in cohort.points} == {("A100-80GB", "bf16")}


# --- Pure functions --------------------------------------------------------------------------


def test_adoption_curves_pass_through_the_reference() -> None:
    """Both curves start at users_at_reference, rise, and stay below the ceiling; logistic by
    hand: N(1) = K / (1 + (K/N0 - 1) e^-r)."""
    years = np.array([-1.0, 0.0, 1.0, 5.0, 50.0])
    logistic = LogisticAdoption(
        curve="logistic", users_at_reference=1e6, ceiling_users=1e7, rate_per_year=1.0
    )
    bass = BassAdoption(
        curve="bass",
        users_at_reference=1e6,
        ceiling_users=1e7,
        innovation_per_year=0.03,
        imitation_per_year=0.4,
    )
    for curve in (logistic, bass):
        users = adoption_users(curve, years)
        assert users[1] == pytest.approx(1e6, rel=1e-12)
        assert np.all(np.diff(users) > 0)
        assert users[-1] == pytest.approx(1e7, rel=1e-3)
        assert np.all(users <= 1e7)
    assert adoption_users(logistic, np.array([1.0]))[0] == pytest.approx(1e7 / (1 + 9 / math.e))


def test_lengths_grow_and_saturate() -> None:
    """m(t) = cap m0 g^t / (cap + m0 (g^t - 1)): m0 at 0, ~g per year while small, the cap
    in the limit; exponential without a cap."""
    common = {"share": 1.0, "input_tokens": 100.0}
    capped = ChatClass(
        kind="chat",
        output_tokens=1000.0,
        output_growth_per_year=5.0,
        output_tokens_max=64_000.0,
        **common,
    )
    free = ChatClass(kind="chat", output_tokens=1000.0, output_growth_per_year=2.2, **common)
    assert mean_tokens(capped, "output", 0.0) == pytest.approx(1000.0)
    assert mean_tokens(capped, "output", 1.0) == pytest.approx(64e3 * 5e3 / (64e3 + 4e3))
    assert mean_tokens(capped, "output", 30.0) == pytest.approx(64_000.0, rel=1e-6)
    assert mean_tokens(free, "output", 2.0) == pytest.approx(1000.0 * 2.2**2)
    assert mean_tokens(free, "input", 2.0) == pytest.approx(100.0)


def test_week_profile_mixes_time_zones() -> None:
    """Mean 1; one zone at +2 h moves the local curve 2 h earlier in UTC; +0.5 h blends."""
    daily = tuple(float(h == 10) + 1.0 for h in range(24))
    weekly = (1.0,) * 7
    at = utc_week_profile(daily, weekly, (TimeZone(utc_offset_h=2.0, share=1.0),))
    assert at.mean() == pytest.approx(1.0)
    assert int(np.argmax(at[:24])) == 8
    half = utc_week_profile(daily, weekly, (TimeZone(utc_offset_h=0.5, share=1.0),))
    assert half[9] == pytest.approx(half[10])
    assert half[9] > half[8]


def test_lognormal_sums_have_the_right_moments() -> None:
    """Sums of n lognormal lengths (mean m, log-sd s): mean n m, variance n m^2 (e^(s^2) - 1);
    exact when s = 0."""
    rng = np.random.default_rng(5)
    counts = np.full((1, 200_000), 100.0)
    sums = lognormal_sums(rng, counts, np.array([[10.0]]), np.array([[1.0]]))
    assert sums.mean() == pytest.approx(1000.0, rel=0.005)
    assert sums.var() == pytest.approx(100 * 100 * math.expm1(1.0), rel=0.02)
    exact = lognormal_sums(rng, counts[:, :3], np.array([[10.0]]), np.array([[0.0]]))
    assert exact.tolist() == [[1000.0, 1000.0, 1000.0]]


def test_summary_of_the_test_scenario_is_json_ready() -> None:
    """The summary of a run: ratios to chat, tokens per day, shares; serialisable."""
    results = simulate(load_scenario(USERS, ["run.resolution=day"]))
    summary = measures(results.jobs.to_pandas(), results.timeseries.to_pandas())
    table = summary["per_class"]
    assert isinstance(table, pd.DataFrame)
    chat = table[(table["cohort"] == "all") & (table["class"] == "chat")]
    assert float(chat["gpu_s_ratio"].iloc[0]) == 1.0
    assert summary["test_time_share"] == 1.0
    days = summary["tokens_per_day"]
    assert isinstance(days, pd.DataFrame)
    assert len(days) == DAYS * 5
    json.dumps(json_ready(summary), allow_nan=False)


# --- Bad input -------------------------------------------------------------------------------

TEXT = USERS.read_text()
BAD = [
    ("shares", ("share = 0.7", "share = 0.6"), "users.people", "classes.*.share must sum to 1"),
    ("final shares", ("share_final = 0.3", "share_final = 0.2"), "users.people", "share_final"),
    ("no final date", ("mix_final_date = 2025-03-24\n", ""), "users.people", "no mix_final_date"),
    (
        "final date first",
        ("mix_final_date = 2025-03-24", "mix_final_date = 2025-03-01"),
        "users.people",
        "must be after",
    ),
    (
        "one sample",
        ("samples = 4", "samples = 1"),
        "users.people.classes.best_of_n.samples",
        "greater than or equal to 2",
    ),
    (
        "unknown kind",
        ('kind = "search"', 'kind = "tree"'),
        "users.people.classes.search",
        "does not match",
    ),
    ("unknown key", ("cached_fraction = 0.8", "cache = 0.8"), "users.people.classes", "unknown"),
    (
        "cache above 1",
        ("cached_fraction = 0.8", "cached_fraction = 1.5"),
        "users.people.classes.agentic.cached_fraction",
        "less than or equal to 1",
    ),
    (
        "nan tokens",
        ("output_tokens = 300.0", "output_tokens = nan"),
        "users.people.classes.agentic.output_tokens",
        "finite",
    ),
    (
        "short profile",
        ("weekly_profile = [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5]", "weekly_profile = [1.0]"),
        "users.people",
        "weekly_profile needs 7 values",
    ),
    (
        "negative profile",
        ("0.4, 0.3, 0.25", "0.4, -0.3, 0.25"),
        "users.people.daily_profile.1",
        "greater than or equal to 0",
    ),
    (
        "ceiling",
        ("ceiling_users = 1e7", "ceiling_users = 1e5"),
        "users.people.adoption",
        "must be below",
    ),
    (
        "cap below start",
        ("output_tokens = 4096.0", "output_tokens = 4096.0\noutput_tokens_max = 100.0"),
        "users.people.classes.reasoning",
        "must exceed",
    ),
    (
        "time zones",
        ("step_days = 1", "step_days = 1\ntimezones = [{utc_offset_h = 1.0, share = 0.5}]"),
        "users.people",
        "timezones.*.share must sum to 1",
    ),
    (
        "offset",
        ("step_days = 1", "step_days = 1\ntimezones = [{utc_offset_h = 15.0, share = 1.0}]"),
        "users.people.timezones.0.utc_offset_h",
        "less than or equal to 14",
    ),
    (
        "initial model",
        (
            'policy = "fixed"',
            'policy = "fixed"\ninitial_model = { params = 1e9, active_params = 2e9 }',
        ),
        "users.people.serving.initial_model",
        "exceeds params",
    ),
    ("step", ("step_days = 1", "step_days = 0"), "users.people.step_days", "greater than"),
]


@pytest.mark.parametrize(("case", "edit", "field", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_cohorts_are_refused_naming_the_field(
    tmp_path: Path, case: str, edit: tuple[str, str], field: str, message: str
) -> None:
    """Each bad cohort is a `file: field: message` line and exit status 2."""
    old, new = edit
    assert old in TEXT, case
    path = tmp_path / "bad.toml"
    path.write_text(TEXT.replace(old, new, 1))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert any(f": {field}" in line and message in line for line in lines), lines


def test_summary_by_hand() -> None:
    """Two years, two classes and a pretraining row: chat 1 then 2 GPU-hours, reasoning 10
    then 40, each over 3,600 queries; pretraining 49 GPU-hours in the first year."""
    times = pd.to_datetime(["2025-01-01", "2025-01-01", "2026-01-01", "2026-01-01", "2025-01-01"])
    series = pd.DataFrame(
        {
            "time": times.tz_localize("UTC"),
            "regime": ["test-time"] * 4 + ["pretraining"],
            "agent": ["a"] * 4 + ["lab"],
            "activity": ["chat", "reasoning", "chat", "reasoning", "final-run"],
            "hardware": ["H100-SXM"] * 5,
            "gpu_hours": [1.0, 10.0, 2.0, 40.0, 49.0],
            "flop": [1e15, 4e15, 1e15, 4e15, 1e20],
            "queries": [3600.0, 3600.0, 3600.0, 3600.0, 0.0],
            "tokens": [1e6, 3e6, 1e6, 5e6, 0.0],
        }
    )
    jobs = series.rename(columns={"time": "start"})
    summary = measures(jobs, series)
    table = summary["per_class"]
    assert isinstance(table, pd.DataFrame)
    pooled = table[table["cohort"] == "all"].set_index("class")
    assert pooled.loc["chat", "gpu_s_per_query"] == pytest.approx(1.5)
    assert pooled.loc["reasoning", "gpu_s_ratio"] == pytest.approx(25.0 / 1.5)
    assert pooled.loc["reasoning", "flop_ratio"] == pytest.approx(4.0)
    years = summary["per_class_by_year"]
    assert isinstance(years, pd.DataFrame)
    assert years.loc[years["class"] == "reasoning", "gpu_s_ratio"].tolist() == [10.0, 20.0]
    assert summary["test_time_share"] == pytest.approx(53.0 / 102.0)
    assert summary["scaling_share"] == pytest.approx(50.0 / 53.0)
    shares = summary["share_by_year"]
    assert isinstance(shares, pd.DataFrame)
    assert shares["test_time_share"].tolist() == pytest.approx([11.0 / 60.0, 1.0])
    monthly = summary["monthly"]
    assert isinstance(monthly, pd.DataFrame)
    assert monthly["scaling_token_share"].tolist() == pytest.approx([0.75, 5.0 / 6.0])
    per_year = summary["tokens_per_day_by_year"]
    assert isinstance(per_year, pd.DataFrame)
    assert per_year["tokens_per_day"].tolist() == [1e6, 3e6, 1e6, 5e6]


def test_before_its_oldest_release_a_bar_needs_the_frontier_of_the_runs_start() -> None:
    """Bases released in the warm-up at -300 h (loss 2.0) and -100 h (1.9), and at +50 h
    (1.5): a cutoff before all of them needs the frontier at hour 0 (1.9, not the first
    release's 2.0); the base of +50 h counts only once a cutoff passes it."""
    bar = Bar()
    for model in (record("a", -300.0, 2.0), record("b", -100.0, 1.9), record("c", 50.0, 1.5)):
        bar.admit(model, True)
    assert bar.need(-1000.0) == 1.9
    assert bar.need(-500.0) == 1.9  # an earlier cutoff later on changes nothing
    assert bar.need(40.0) == 1.9
    assert bar.need(50.0) == 1.5
    fresh = Bar()
    fresh.admit(record("a", -300.0, 2.0), True)
    fresh.admit(record("b", -100.0, 1.9), True)
    assert fresh.need(-200.0) == 2.0  # a is released by the cutoff: no stand-in is needed


def test_a_tier_bar_falls_with_the_cutoff_and_keeps_the_eligible_bases_meeting_it() -> None:
    """The need is the lowest loss released by the cutoff; candidates meet it, in order."""
    bar = Bar()
    a, b, c = record("a", 10.0, 2.0), record("b", 20.0, 1.5), record("c", 30.0, 1.8)
    for model, eligible in ((a, True), (b, False), (c, True)):
        bar.admit(model, eligible)
    assert Bar().need(5.0) == math.inf  # no base yet: any model will do
    assert bar.need(5.0) == 2.0  # none released by 5, none by the run's start: a stands in
    assert bar.meeting(2.0) == [a, c]
    assert bar.need(10.0) == 2.0
    assert bar.meeting(2.0) == [a, c]
    assert bar.need(25.0) == 1.5  # b sets the need though the tier may not serve it
    assert bar.meeting(1.5) == []
    assert bar.need(40.0) == 1.5
