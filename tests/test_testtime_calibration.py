"""The test-time regime against public figures. Each test names its source and tolerance.

Volumes: the baseline's whole market against Google, the largest provider that publishes its
token count: 9.7T tokens/month (May 2024) -> 480T (May 2025) -> 980T (mid-2025) -> > 1.3
quadrillion (Q3 2025) (Google I/O 2025 and later statements, docs/calibration.md). The market is at
least the largest provider and, with about half a dozen providers of comparable scale (OpenAI,
Microsoft, ByteDance, Anthropic, Meta, Alibaba, ...), at most ~10x it: 1e15-1e16 tokens/month
in Q3 2025. Tokens are input + output processed, cached input included, as providers count them.

Serving cost per token: MLPerf Inference Llama-2-70B Offline through the cohort's own pricing
path (serving point -> GPU-seconds per token), with the tolerances of the estimate's
calibration (tests/test_estimate_calibration.py): +-30%; B200 -45%..-10% (NVFP4 submissions).

The seed's ~100x (reasoning / search vs a single pass) is not an input: it is measured on the
baseline and pinned here as a band.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from simdemand import load_scenario, simulate
from simdemand.analysis.test_time import measures
from simdemand.physics import serving
from simdemand.scenario.queries import ChatClass, ReasoningClass
from simdemand.world.agents.usage import mean_tokens, utc_week_profile

ROOT = Path(__file__).parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
ECONOMY = ROOT / "scenarios" / "economy.toml"


@pytest.fixture(scope="module")
def summary() -> dict[str, Any]:
    """The baseline run (day bins) and its test-time summary."""
    results = simulate(load_scenario(BASELINE))
    return measures(results.jobs.to_pandas(), results.timeseries.to_pandas())


def monthly(summary: dict[str, Any]) -> pd.DataFrame:
    """Monthly test-time totals indexed by month start."""
    table: pd.DataFrame = summary["monthly"]
    return table.set_index("month")


def test_market_tokens_per_month_in_q3_2025(summary: dict[str, Any]) -> None:
    """Q3 2025 mean within [1e15, 1e16] tokens/month: at least Google's > 1.3e15 minus a margin
    for its share, at most ~10 providers of its size (module docstring). Observed ~2.7e15."""
    months = monthly(summary).loc["2025-07-01":"2025-09-01", "tokens"]
    assert len(months) == 3
    assert 1e15 <= months.mean() <= 1e16


def test_tokens_grow_several_fold_through_2025(summary: dict[str, Any]) -> None:
    """Oct 2025 / Jan 2025 between 2x and 15x. Google grew ~10x over the same months
    (interpolating 9.7T May 2024 -> 480T May 2025 gives ~1.3e14 in Jan 2025, vs 1.3e15 in
    Q3) while gaining share, so the market grew less than Google. Observed ~2.9x."""
    tokens = monthly(summary)["tokens"]
    growth = tokens[pd.Timestamp("2025-10-01")] / tokens[pd.Timestamp("2025-01-01")]
    assert 2.0 <= growth <= 15.0


def test_reasoning_share_of_tokens_late_2025(summary: dict[str, Any]) -> None:
    """OpenRouter (State of AI, Dec 2025): reasoning models > 50% of tokens by late 2025, up
    from little at the start of 2025. The simulator counts classes, not models: tokens beyond a
    single pass (reasoning, best-of-n, search, agentic: by late 2025 agentic coding runs on
    reasoning models) must exceed 50% in Nov-Dec 2025, and must have risen through 2025.
    Observed ~0.45 in Jan and ~0.72 in Dec 2025 (reasoning, best-of-n and search alone: 0.15 ->
    0.22; OpenRouter's figure lies between the two measures)."""
    share = monthly(summary)["scaling_token_share"]
    late = share[pd.Timestamp("2025-11-01") : pd.Timestamp("2025-12-01")]
    assert late.min() > 0.5
    assert share[pd.Timestamp("2025-12-01")] > share[pd.Timestamp("2025-01-01")] + 0.1


def test_reasoning_lengths_follow_epoch() -> None:
    """Epoch AI (Apr 2025): reasoning responses ~8x as long as non-reasoning ones, growing ~5x/yr
    vs 2.2x/yr. In each baseline cohort with both classes: the output ratio at the reference
    date within 5-10x; over the first year the reasoning mean grows 2-5x (5x/yr slowed by its
    ceiling) and the chat mean at most 2.2x."""
    scenario = load_scenario(BASELINE)
    checked = 0
    for name, cohort in scenario.users.items():
        chat = [c for c in cohort.classes.values() if isinstance(c, ChatClass)]
        thinking = [c for c in cohort.classes.values() if isinstance(c, ReasoningClass)]
        if not (chat and thinking):
            continue
        checked += 1
        ratio = mean_tokens(thinking[0], "output", 0.0) / mean_tokens(chat[0], "output", 0.0)
        assert 5.0 <= ratio <= 10.0, name
        reasoning_growth = mean_tokens(thinking[0], "output", 1.0) / thinking[0].output_tokens
        assert 2.0 <= reasoning_growth <= 5.0, name
        assert mean_tokens(chat[0], "output", 1.0) / chat[0].output_tokens <= 2.2 + 1e-9, name
    assert checked == 3


MLPERF_COHORT = """
[run]
name = "mlperf"
start = {start}
end = {end}
seed = 1
[users.bench]
reference_date = {start}
queries_per_user_per_day = 10.0
daily_profile = [{flat}]
step_days = 1
[users.bench.adoption]
curve = "logistic"
users_at_reference = 1e6
ceiling_users = 1e7
rate_per_year = 0.1
[users.bench.classes.mlperf]
kind = "chat"
share = 1.0
input_tokens = 222.3
input_sigma = 0.0
output_tokens = 291.8
output_sigma = 0.0
[users.bench.serving]
policy = "fixed"
initial_model = {{ model_id = "Llama-2-70B", params = 68.98e9, active_params = 68.98e9 }}
precision = "{precision}"
hardware_lag_days = 0.0
latency_target_s = {latency}
software_gain_per_year = 1.0
mode = "{mode}"
"""


def output_tokens_per_gpu_s(
    tmp_path: Path,
    start: str,
    latency: float = 1e3,
    precision: str = "fp8",
    mode: str = "benchmark",
) -> tuple[float, str]:
    """Output tokens per GPU-second of the MLPerf workload served by a cohort, and its GPU.

    MLPerf's OpenOrca samples: 222.3 input and 291.8 output tokens on average; Llama-2-70B has
    68.98e9 parameters; FP8 weights and KV cache (the cohort's default KV bytes per token for
    69B active parameters in FP8 is within 1% of the exact 163,840). Offline has no latency
    bound: a 1,000 s target leaves the batch to memory alone. The GPU is the newest available
    on `start` (no lag). MLPerf v5.x measures 2025 software on each GPU, so the software gain
    is off, and the mode is `benchmark`: the roofline alone is compared.
    """
    end = (pd.Timestamp(start) + pd.Timedelta(days=7)).date().isoformat()
    path = tmp_path / f"mlperf-{start}-{latency}-{precision}-{mode}.toml"
    flat = ", ".join(["1.0"] * 24)
    text = MLPERF_COHORT.format(
        start=start, end=end, flat=flat, latency=latency, precision=precision, mode=mode
    )
    path.write_text(text)
    jobs = simulate(load_scenario(path)).jobs.to_pandas()
    seconds = jobs["gpu_hours"].sum() * 3600.0
    (hardware,) = set(jobs["hardware"])
    return 291.8 * jobs["queries"].sum() / seconds, str(hardware)


@pytest.mark.parametrize(
    ("start", "hardware", "published"),
    [
        # H200: 34.5-35.3K tokens/s per 8 GPUs (MLPerf v5.x) = 4.35K per GPU.
        ("2025-01-01", "H200-SXM", 4_350.0),
        # H100: 31,306.8 tokens/s per 8 GPUs (MLPerf v5.0, NVIDIA 5.0-0057).
        ("2023-01-01", "H100-SXM", 31_306.8 / 8),
    ],
)
def test_mlperf_llama2_70b_offline_through_the_cohort(
    tmp_path: Path, start: str, hardware: str, published: float
) -> None:
    """Per-GPU offline throughput within +-30% of MLPerf (observed: H200 -22%, H100 -12%)."""
    rate, used = output_tokens_per_gpu_s(tmp_path, start)
    assert used == hardware
    assert rate == pytest.approx(published, rel=0.30)


def test_mlperf_b200_and_online_serving(tmp_path: Path) -> None:
    """B200 (newest in Feb 2025): ~101.5K tokens/s per 8 GPUs in NVFP4, a precision the model
    lacks, so the FP8 estimate falls short by 10-45% (observed -38%). Online (the 50 ms default)
    serves fewer tokens per GPU than offline on the same GPU (H200: ~2.7K vs ~3.4K)."""
    rate, used = output_tokens_per_gpu_s(tmp_path, "2025-02-01")
    assert used == "B200"
    assert -0.45 <= rate / 12_700.0 - 1 <= -0.10
    online, _ = output_tokens_per_gpu_s(tmp_path, "2025-02-01", latency=0.05)
    assert online < rate


def test_production_mode_serves_the_calibrated_fraction_of_the_benchmark(tmp_path: Path) -> None:
    """Production serving = the benchmark roofline x 0.586 (MLPerf v5.1 Llama-2-70B 8x B200,
    interactive 59,545 / offline 101,527 tokens/s) x 0.816 (DeepSeek V3/R1 service, 226.75
    average of 278 peak nodes): 0.478 of the benchmark's tokens per GPU-second, to 1e-9."""
    factor = serving.PRODUCTION_FACTOR
    assert factor == pytest.approx(59_545 / 101_527 * 226.75 / 278, rel=0.01)
    bench, _ = output_tokens_per_gpu_s(tmp_path, "2025-01-01", latency=0.05)
    prod, _ = output_tokens_per_gpu_s(tmp_path, "2025-01-01", latency=0.05, mode="production")
    assert prod / bench == pytest.approx(serving.PRODUCTION_FACTOR, rel=1e-9)


def test_seed_claim_is_an_outcome(summary: dict[str, Any]) -> None:
    """The seed: reasoning queries can need ~100x a single pass. Measured on the baseline,
    all cohorts pooled, ratio of mean GPU-seconds per query to chat: reasoning 3-30x; the
    multi-pass classes (best-of-n, search, agentic) 20-300x over the run; by 2029 the
    largest reaches 50-300x (observed over the run: reasoning ~13x, search ~115x; search ~235x
    in 2029). GPU time grows faster than FLOP for decode-heavy classes: decode is
    memory-bound, prefill is not."""
    table: pd.DataFrame = summary["per_class"]
    pooled = table[table["cohort"] == "all"].set_index("class")
    gpu_s = {str(k): float(v) for k, v in pooled["gpu_s_ratio"].items()}
    flop = {str(k): float(v) for k, v in pooled["flop_ratio"].items()}
    assert 3.0 <= gpu_s["reasoning"] <= 30.0
    for name in ("best_of_n", "search", "agentic"):
        assert 20.0 <= gpu_s[name] <= 300.0, name
    assert gpu_s["reasoning"] > flop["reasoning"]
    years: pd.DataFrame = summary["per_class_by_year"]
    # Language classes only: an image or a video is not a query that thinks longer.
    language = ~years["class"].isin(["chat", "image", "video"])
    late = years[(years["year"] == 2029) & language]
    assert 50.0 <= late["gpu_s_ratio"].max() <= 300.0


def test_open_loop_test_time_share_falls(summary: dict[str, Any]) -> None:
    """The baseline is the open loop: usage follows fixed adoption and growth curves, labs their
    compute trends, and nothing answers price. Test-time GPU time per token falls ~4x a year
    (software 1.5x, FP4, the roadmap, cheaper models good enough) while its tokens grow ~2-3x
    and the labs' trend spend ~3x, so test-time's share of GPU-hours falls (observed 0.166 in
    2025, 0.004 in 2029): inference does not overtake training here, unlike the published
    record (OpenAI 2024: ~$2B inference of ~$7B compute, Epoch AI). The closed loop of
    scenarios/economy.toml holds it (test_economy_test_time_share_of_demand_holds)."""
    shares = summary["share_by_year"].set_index("year")["test_time_share"]
    assert 0.05 <= shares[2025] <= 0.5
    assert shares[2029] < shares[2025] / 10


@pytest.fixture(scope="module")
def economy() -> dict[str, Any]:
    """The economy scenario (the baseline with prices and demand responding to them; day bins)
    and its test-time summary."""
    results = simulate(load_scenario(ECONOMY))
    return measures(results.jobs.to_pandas(), results.timeseries.to_pandas())


def test_economy_test_time_share_of_demand_holds(economy: dict[str, Any]) -> None:
    """Inference holding its share of a growing pie once demand answers price and the labs'
    compute follows their funding: with the calibrated elasticities and [economy.labs] of
    scenarios/economy.toml test-time's share of all GPU-hours is between 10% and 90% in every
    year and in 2029 within 25% of 2025's (OpenAI's 2024 inference ~$2B of ~$7B compute, Epoch
    AI; Q1-Q3 2025 inference on Azure ~$8.7B against ~$9B of 2025 R&D compute). Observed 0.268
    -> 0.307 (2026) -> 0.256 (2029); without the budget the trends' x4.6/yr runs outgrow the
    market's revenue and the share falls to ~0.1."""
    shares = economy["share_by_year"].set_index("year")["test_time_share"]
    assert all(0.1 <= shares[year] <= 0.9 for year in range(2025, 2030))
    assert shares[2029] == pytest.approx(shares[2025], rel=0.25)


def test_economy_tokens_grow_like_the_published_volumes(economy: dict[str, Any]) -> None:
    """2025 of the economy scenario against the published volumes (module docstring): Q3 2025
    within [1e15, 1e16] tokens/month and Oct / Jan between 5x and 15x, closer to Google's ~10x
    than the open loop's ~3x (observed ~8.1e15 and ~9.9x)."""
    tokens = monthly(economy)["tokens"]
    assert 1e15 <= tokens.loc["2025-07-01":"2025-09-01"].mean() <= 1e16
    assert 5.0 <= tokens.loc["2025-10-01"] / tokens.loc["2025-01-01"] <= 15.0


def test_hourly_baseline_shows_the_daily_cycle() -> None:
    """Two weeks of the baseline at hourly bins: each cohort's queries per UTC hour follow its
    daily profile mixed over its time zones (within 3%), and the consumer cycle swings by
    more than 1.5x between its quietest and busiest hour."""
    scenario = load_scenario(BASELINE, ["run.end=2025-01-15", "run.resolution=hour"])
    series = simulate(scenario).timeseries.to_pandas()
    series = series[series["regime"] == "test-time"]
    hour = series["time"].dt.hour
    for name, cohort in scenario.users.items():
        mine = series[series["agent"] == name]
        by_hour = mine.groupby(hour[mine.index])["queries"].sum()
        profile = utc_week_profile(cohort.daily_profile, cohort.weekly_profile, cohort.timezones)
        expected = pd.Series(profile.reshape(7, 24).mean(axis=0))
        observed = by_hour / by_hour.mean()
        assert (observed / expected - 1).abs().max() < 0.03, name
        if name == "consumer":
            assert observed.max() / observed.min() > 1.5
