"""Technology progress: algorithmic progress, serving software gains, by hand and in a run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from test_testtime_calibration import output_tokens_per_gpu_s
from typer.testing import CliRunner

from simdemand import load_scenario, simulate
from simdemand.analysis import technology
from simdemand.catalog import Catalog, load_catalog, trend
from simdemand.cli import app
from simdemand.errors import InputError
from simdemand.physics import serving, training
from simdemand.physics.estimate import estimate_inference
from simdemand.scenario.loader import scenario_catalog
from simdemand.world.agents.users import Cohort
from simdemand.world.registry import ModelRecord
from simdemand.world.world import World

HERE = Path(__file__).parent / "scenarios"
BASELINE = Path(__file__).parents[1] / "scenarios" / "baseline.toml"
Row = dict[str, str | float | pd.Timestamp]


# --- Algorithmic progress (training) ----------------------------------------------------------


def test_algorithmic_default_is_ho_et_al() -> None:
    """The default halving time is Ho et al. 2024's central 8 months, inside their 95% CI
    (5-14 months); effective compute then grows 2^(12/8) = 2.83x a year."""
    assert training.ALGORITHMIC_HALVING_MONTHS == 8.0
    assert 5.0 <= training.ALGORITHMIC_HALVING_MONTHS <= 14.0
    assert training.algorithmic_multiplier(1.0, 8.0) == pytest.approx(2.0**1.5, rel=1e-12)
    assert training.algorithmic_multiplier(8.0 / 12.0, 8.0) == pytest.approx(2.0, rel=1e-12)
    assert training.algorithmic_multiplier(0.0, 8.0) == 1.0
    assert training.algorithmic_multiplier(-2.0, 8.0) == pytest.approx(2.0**-3, rel=1e-12)


def test_effective_loss_scales_n_and_d_by_the_root() -> None:
    """A multiplier of 4 is the loss of 2N params on 2D tokens (4x the compute, same ratio)."""
    n, d = 7e10, 1.4e12
    assert training.effective_loss(n, d, 4.0) == pytest.approx(
        training.chinchilla_loss(2 * n, 2 * d), rel=1e-12
    )
    assert training.effective_loss(n, d, 1.0) == training.chinchilla_loss(n, d)


def test_newer_smaller_run_beats_older_larger() -> None:
    """Two years of progress (8x effective compute) let a run of a quarter of the FLOP reach a
    lower loss than the older run at full size."""
    old_n, old_d = training.compute_optimal_sizing(1e26)
    new_n, new_d = training.compute_optimal_sizing(0.25e26)
    older = training.effective_loss(old_n, old_d, training.algorithmic_multiplier(0.0, 8.0))
    newer = training.effective_loss(new_n, new_d, training.algorithmic_multiplier(2.0, 8.0))
    assert newer < older


def test_models_carry_effective_loss_and_physical_flop(tiny: Path) -> None:
    """Every base model's predicted loss is the effective loss at its run's start; its FLOP stay
    6 N D (physical)."""
    scenario = load_scenario(tiny)
    result = simulate(scenario)
    models = result.models.to_pandas().set_index("model_id")
    jobs = result.jobs.to_pandas()
    runs = jobs[jobs["activity"] == "final-run"].set_index("model_id")
    runs = runs[runs.index.isin(models.index)]  # released before the horizon
    assert len(runs) > 5
    for model_id, run in runs.iterrows():
        model = models.loc[model_id]
        spec = scenario.labs[str(run["agent"]).rsplit("-", 1)[0]]
        ref = pd.Timestamp(spec.algorithmic_reference_date, tz="UTC")
        years = (run["start"] - ref).total_seconds() / 3600.0 / (24.0 * 365.25)
        multiplier = training.algorithmic_multiplier(years, spec.algorithmic_halving_months)
        expected = training.effective_loss(model["active_params"], model["tokens"], multiplier)
        assert model["predicted_loss"] == pytest.approx(expected, rel=1e-9)
        flop = training.training_flop(model["active_params"], model["tokens"])
        assert model["training_flop"] == pytest.approx(flop, rel=1e-9)


# --- Serving software gains -------------------------------------------------------------------


def test_software_default_is_mlperf_round_over_round() -> None:
    """The default gain, 1.5x a year, sits in MLPerf's H200 Llama-2-70B rate (v4.1 -> v5.0:
    ~1.5-1.6x a year; v4.0 -> v4.1: +27% in 5 months, 1.77x annualised)."""
    assert serving.SOFTWARE_GAIN_PER_YEAR == 1.5
    assert 1.27 <= serving.SOFTWARE_GAIN_PER_YEAR <= 1.27 ** (12 / 5)
    assert serving.software_speedup(1.5, 2.0) == pytest.approx(2.25, rel=1e-12)
    assert serving.software_speedup(1.5, 0.0) == 1.0


def cohort_ledger(overrides: list[str]) -> pd.DataFrame:
    """The users test scenario's ledger (one cohort, hourly rows, a step a day)."""
    scenario = load_scenario(HERE / "users.toml", overrides)
    world = World(scenario, scenario_catalog(scenario))
    for name, spec in scenario.users.items():
        Cohort(world, name, spec)
    world.env.run(until=world.horizon_h)
    iv = world.ledger.intervals()
    return pd.DataFrame({k: getattr(iv, k) for k in ("activity", "start_h", "gpu_hours", "flop")})


def test_software_gain_divides_gpu_time_not_flop() -> None:
    """Same draws with a 1.5x/yr gain from a year before the start: each hour's GPU-hours are the
    reference ones over 1.5^t at the middle of its daily step, to 1e-9; FLOP are unchanged."""
    gain = "users.people.serving.software_gain_per_year"
    off = cohort_ledger([f"{gain}=1.0"])
    on = cohort_ledger([f"{gain}=1.5", "users.people.serving.software_reference_date=2024-03-03"])
    assert (on["start_h"].to_numpy() == off["start_h"].to_numpy()).all()
    # The run starts 2025-03-03, 365 days after the reference; steps are days, priced at noon.
    days = 365.0 + (on["start_h"] // 24.0) + 0.5
    expected = off["gpu_hours"] / (1.5 ** (days / 365.25))
    assert on["gpu_hours"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-9)
    assert on["flop"].to_numpy() == pytest.approx(off["flop"].to_numpy(), rel=1e-12)


# --- Serving tiers ----------------------------------------------------------------------------


def tier_world(overrides: list[str]) -> World:
    """The users test scenario served by two released models, a large and a small one."""
    scenario = load_scenario(
        HERE / "users.toml", ["users.people.serving.policy=frontier", *overrides]
    )
    world = World(scenario, scenario_catalog(scenario))
    for model_id, active, loss in (("big", 1e11, 1.9), ("small", 2e10, 2.0)):
        world.registry.release(
            ModelRecord(
                model_id=model_id,
                lab="lab",
                released_h=-1e5,
                params=active * 10,
                active_params=active,
                tokens=1e13,
                training_flop=6 * active * 1e13,
                open_weights=True,
                parent_id=None,
                hardware="H200-SXM",
                gpu_hours=1.0,
                predicted_loss=loss,
                technique="pretraining",
            )
        )
    for name, spec in scenario.users.items():
        Cohort(world, name, spec)
    world.env.run(until=world.horizon_h)
    return world


def test_efficient_tier_takes_its_share_of_each_class() -> None:
    """With a 4e10 budget and chat 60% to the efficient tier: chat's queries split 0.4/0.6
    between the best model (big) and the best within the budget (small), to 1e-9; classes
    without a share stay on the frontier tier; the two tiers' rows do not flush each other."""
    world = tier_world(
        [
            "users.people.serving.efficient_max_active_params=4e10",
            "users.people.classes.chat.efficient_share=0.6",
        ]
    )
    iv = world.ledger.intervals()
    frame = pd.DataFrame({k: getattr(iv, k) for k in ("activity", "model_id", "queries")})
    chat = frame[frame["activity"] == "chat"].groupby("model_id")["queries"].sum()
    assert chat["small"] / chat.sum() == pytest.approx(0.6, rel=1e-9)
    others = frame[frame["activity"] != "chat"]
    assert set(others["model_id"]) == {"big"}
    # hourly rows, 21 days: one row per hour per tier for chat, not more (no split intervals)
    assert (frame[frame["activity"] == "chat"].groupby("model_id").size() == 21 * 24).all()


def test_efficient_share_needs_a_budget() -> None:
    """A class sending queries to an efficient tier that the cohort lacks is an error; the
    `cheapest` policy always has one (its need lag defines it)."""
    with pytest.raises(InputError, match="efficient_max_active_params"):
        load_scenario(HERE / "users.toml", ["users.people.classes.chat.efficient_share=0.5"])
    cheapest = ["users.people.classes.chat.efficient_share=0.5"]
    cheapest += ['users.people.serving.policy="cheapest"']
    spec = load_scenario(HERE / "users.toml", cheapest).users["people"]
    assert spec.serving.efficient_max_active_params is None  # the need defines the tier


def test_baseline_open_labs_overtrain_like_deepseek() -> None:
    """The open MoE archetype trains 400 tokens per active parameter (DeepSeek-V3: 14.8T tokens
    on 37B active); at DeepSeek-V3's 3.4e24 FLOP that gives 37.6B active (within 5%)."""
    spec = load_scenario(BASELINE).labs["frontier_open"]
    assert spec.tokens_per_param == 400.0
    active, tokens = training.compute_optimal_sizing(3.4e24, spec.tokens_per_param)
    assert active == pytest.approx(37e9, rel=0.05)
    assert tokens == pytest.approx(14.8e12, rel=0.05)


# --- The hardware roadmap and the trend law ---------------------------------------------------

ROADMAP = {  # name: (dense FP8, dense FP4, HBM bytes) as published (research notes, issue 14)
    "B300": (4.5e15, 13.5e15, 288e9),  # DGX B300 datasheet; "108 PF dense" per HGX / 8
    "GB300": (5e15, 15e15, 288e9),  # NVIDIA blog "Inside NVIDIA Blackwell Ultra", Aug 2025
    "Rubin": (16.7e15, 35e15, 288e9),  # GTC 2025 1.2 EF FP8 / 72; CES 2026 35 PF NVFP4 training
    "Rubin-Ultra": (34.7e15, 69.4e15, 1e12),  # GTC 2025: 5 EF FP8 / 144 packages
    "MI355X": (256 * 8192 * 2.4e9, 10.066e15, 288e9),  # 256 CUs x 8,192 FLOP/clk x 2.4 GHz
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The bundled catalog, with its trend generations."""
    return load_catalog()


@pytest.mark.parametrize("name", sorted(ROADMAP))
def test_roadmap_rows_match_their_sources(catalog: Catalog, name: str) -> None:
    """Dense FP8 and FP4 peaks and HBM of each roadmap row, to 0.5%, each with its source."""
    fp8, fp4, hbm = ROADMAP[name]
    hw = catalog[name]
    assert hw.peak_flop_per_s("fp8") == pytest.approx(fp8, rel=5e-3)
    assert hw.peak_flop_per_s("fp4") == pytest.approx(fp4, rel=5e-3)
    assert hw.hbm_bytes == pytest.approx(hbm, rel=5e-3)
    assert len(hw.source) > 100


def test_fp4_where_the_hardware_has_it(catalog: Catalog) -> None:
    """Blackwell FP4 is 2x FP8 (Blackwell Ultra 3x); Hopper falls back to FP8, A100 to BF16."""
    assert catalog["B200"].peak_flop_per_s("fp4") == 2 * catalog["B200"].peak_flop_per_s("fp8")
    assert catalog["GB300"].peak_flop_per_s("fp4") == 3 * catalog["GB300"].peak_flop_per_s("fp8")
    assert catalog["GB300"].supported("fp4") == "fp4"
    assert catalog["H200-SXM"].supported("fp4") == "fp8"
    assert catalog["A100-80GB"].supported("fp4") == "bf16"
    assert catalog["B200"].supported("fp8") == "fp8"
    with pytest.raises(ValueError, match="H200-SXM has no FP4 tensor cores; use precision 'fp8'"):
        catalog["H200-SXM"].peak_flop_per_s("fp4")


def test_default_choice_stays_on_the_flagship_line(catalog: Catalog) -> None:
    """'Newest available' never picks a part marked off the default line (Trainium2, TPU7x,
    MI355X), and walks GB200 -> GB300 -> Rubin -> Rubin Ultra -> the trend law."""
    picks = {
        catalog.newest_available(dt.date(year, month, 1)).name
        for year in range(2024, 2037)
        for month in (1, 4, 7, 10)
    }
    assert not picks & {"Trainium2", "TPU7x", "MI355X"}
    assert {"GB200", "GB300", "Rubin", "Rubin-Ultra", "Trend-2028", "Trend-2035"} <= picks
    assert catalog.newest_available(dt.date(2026, 1, 1), among=["TPU7x", "GB200"]).name == "TPU7x"


def test_trend_law_grows_each_quantity_at_its_rate(catalog: Catalog) -> None:
    """One generation after Rubin Ultra: FLOP/s x1.5, FLOP/s per W x1.25, HBM x1.3, bandwidth
    x1.33, FLOP/s per dollar x1.3, a year later; by hand to 1e-12."""
    last, nxt = catalog["Rubin-Ultra"], catalog["Trend-2028"]
    assert trend.last_announced(catalog).name == "Trend-2040"
    assert nxt.available == dt.date(2028, 10, 1)
    assert nxt.fp4_flop_per_s == pytest.approx(last.fp4_flop_per_s * 1.5, rel=1e-12)  # type: ignore[operator]
    assert nxt.bf16_flop_per_s / nxt.tdp_w == pytest.approx(
        1.25 * last.bf16_flop_per_s / last.tdp_w, rel=1e-12
    )
    assert nxt.hbm_bytes == pytest.approx(1.3 * last.hbm_bytes, rel=1e-12)
    assert nxt.hbm_bytes_per_s == pytest.approx(1.33 * last.hbm_bytes_per_s, rel=1e-12)
    assert nxt.bf16_flop_per_s / nxt.usd_per_gpu_hour == pytest.approx(
        1.3 * last.bf16_flop_per_s / last.usd_per_gpu_hour, rel=1e-12
    )
    assert "Trend law" in nxt.source


def test_a_2035_horizon_gets_new_hardware(catalog: Catalog) -> None:
    """With the labs' 180-day lag, mid-2035 runs on the 2034 generation, ~1.5^7 Rubin Ultra's
    FLOP/s."""
    hw = catalog.newest_available(dt.date(2035, 6, 1), 180.0)
    assert hw.name == "Trend-2034"
    assert hw.bf16_flop_per_s == pytest.approx(catalog["Rubin-Ultra"].bf16_flop_per_s * 1.5**7)


def test_estimate_knows_every_catalog_entry(catalog: Catalog) -> None:
    """`simdemand estimate` prices a query on every entry, roadmap and trend rows included."""
    for name in catalog.names:
        result = estimate_inference(
            params=7e10, hardware=name, input_tokens=1000.0, output_tokens=500.0
        )
        assert float(result["gpu_seconds_per_query"]) > 0, name


def test_mlperf_b200_in_fp4(tmp_path: Path) -> None:
    """B200 in FP4, as NVIDIA's Blackwell MLPerf submissions are: within +-30% of MLPerf
    Inference v5.1's 101,527 tokens/s per 8 B200s = 12,691 per GPU (observed +26%; FP8 -38%)."""
    rate, used = output_tokens_per_gpu_s(tmp_path, "2025-02-01", precision="fp4")
    assert used == "B200"
    assert rate == pytest.approx(101_527 / 8, rel=0.30)


# --- The technology table of the summary ------------------------------------------------------


def job(regime: str, activity: str, model: str, hw: str, start: str, **amounts: float) -> Row:
    """One jobs-table row with zero amounts unless given."""
    row: Row = {"regime": regime, "agent": "a", "activity": activity, "model_id": model}
    row |= {"hardware": hw, "start": pd.Timestamp(start, tz="UTC"), "gpus": 0.0}
    row |= dict.fromkeys(("gpu_hours", "flop", "cost_usd", "queries", "tokens"), 0.0)
    return row | amounts


def test_technology_table_by_hand() -> None:
    """Two years, two served models (m1 at the reference capability, m2 smaller and better):
    USD per million tokens, fixed capability, GPU-seconds per query, token-weighted active
    parameters, the serving mix and the largest run, each as computed by hand."""
    jobs = pd.DataFrame(
        [
            job("test-time", "chat", "m1", "H200", "2025-03-01", cost_usd=4.0, tokens=2e6,
                queries=10.0, gpu_hours=1.0),
            job("test-time", "reasoning", "m1", "GB200", "2025-06-01", cost_usd=6.0, tokens=2e6,
                queries=10.0, gpu_hours=3.0),
            job("test-time", "chat", "m1", "GB300", "2026-03-01", cost_usd=2.0, tokens=1e6,
                queries=4.0, gpu_hours=0.5),
            job("test-time", "chat", "m2", "GB300", "2026-04-01", cost_usd=1.0, tokens=4e6,
                queries=16.0, gpu_hours=0.5),
            job("pretraining", "final-run", "m9", "GB200", "2025-02-01", flop=1e26, gpus=5e4),
            job("pretraining", "final-run", "m8", "GB200", "2025-05-01", flop=3e26, gpus=8e4),
            job("pretraining", "experiments", "m8", "GB200", "2025-01-01", flop=9e26),
        ]
    )  # fmt: skip
    models = pd.DataFrame(
        {
            "model_id": ["m1", "m2", "m9"],
            "parent_id": [None, None, None],
            "released": pd.to_datetime(["2024-12-01", "2025-12-01", "2024-06-01"], utc=True),
            "params": [4e10, 1e10, 1e11],
            "active_params": [4e10, 1e10, 1e11],
            "predicted_loss": [2.0, 1.9, 2.1],
        }
    )
    table = technology.by_year(jobs, models, pd.Timestamp("2025-01-01", tz="UTC"))
    y25, y26 = (table[table["year"] == y].iloc[0] for y in (2025, 2026))
    assert y25["usd_per_m_tokens"] == pytest.approx(10.0 / 4.0)
    assert y26["usd_per_m_tokens"] == pytest.approx(3.0 / 5.0)
    # reference: m1 (loss 2.0, the best released by 2025); in 2026 m2 (1.9) is $0.25/M, m1 $2/M
    assert y25["usd_per_m_tokens_fixed"] == pytest.approx(2.5)
    assert (y26["usd_per_m_tokens_fixed"], y26["fixed_capability_model"]) == (0.25, "m2")
    assert y25["gpu_s_per_query"] == pytest.approx(4.0 * 3600 / 20)
    assert y26["served_active_params"] == pytest.approx((4e10 * 1e6 + 1e10 * 4e6) / 5e6)
    assert y25["serving_hardware"] == "GB200 75%, H200 25%"
    assert (y25["largest_run_flop"], y25["largest_run_gpus"]) == (3e26, 8e4)
    assert pd.isna(y26["largest_run_flop"])
    by_class = technology.cost_by_class(jobs).set_index("year")
    assert by_class.loc[2025, "chat"] == pytest.approx(2.0)
    assert by_class.loc[2025, "reasoning"] == pytest.approx(3.0)


def test_generation_rows_stay_out_of_token_measures() -> None:
    """An image class (100 requests, 0 tokens, $5, 2 GPU-hours on H200) beside 2025's chat
    and reasoning: USD per million tokens and GPU-seconds per query as without it, the serving
    mix counts its GPU-hours (H200 3 of 6), and the generation table prices it per request."""
    jobs = pd.DataFrame(
        [
            job("test-time", "chat", "m1", "H200", "2025-03-01", cost_usd=4.0, tokens=2e6,
                queries=10.0, gpu_hours=1.0),
            job("test-time", "reasoning", "m1", "GB200", "2025-06-01", cost_usd=6.0, tokens=2e6,
                queries=10.0, gpu_hours=3.0),
            job("test-time", "image", "image-12B", "H200", "2025-06-01", cost_usd=5.0,
                queries=100.0, gpu_hours=2.0),
        ]
    )  # fmt: skip
    models = pd.DataFrame(
        {
            "model_id": ["m1"],
            "parent_id": [None],
            "released": pd.to_datetime(["2024-12-01"], utc=True),
            "params": [4e10],
            "active_params": [4e10],
            "predicted_loss": [2.0],
        }
    )
    (y25,) = technology.by_year(jobs, models, pd.Timestamp("2025-01-01", tz="UTC")).itertuples()
    assert y25.usd_per_m_tokens == pytest.approx(10.0 / 4.0)
    assert y25.gpu_s_per_query == pytest.approx(4.0 * 3600 / 20)
    assert y25.serving_hardware == "GB200 50%, H200 50%"
    assert "image" not in technology.cost_by_class(jobs).columns
    generated = technology.generation_by_class(jobs)
    assert len(generated) == 1
    image = generated.iloc[0]
    assert (image["year"], image["class"], image["requests"]) == (2025, "image", 100.0)
    assert image["gpu_s_per_request"] == pytest.approx(72.0)
    assert image["usd_per_request"] == pytest.approx(0.05)


def test_summary_has_the_technology_table(tmp_path: Path, runner: CliRunner) -> None:
    """`simdemand summary` prints the technology table of a run with labs and cohorts."""
    out = tmp_path / "run"
    sets = ["labs.big.reference_date=2025-01-01", "labs.big.compute_flop_at_reference=1e24"]
    sets += ["labs.big.compute_growth_per_year=4.0", "labs.big.runs_per_year=12.0"]
    sets += ["labs.big.cluster_gpus_at_reference=4096"]
    args = ["run", str(HERE / "users.toml"), "--out", str(out)]
    result = runner.invoke(app, [*args, *(a for s in sets for a in ("--set", s))])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["summary", str(out)])
    assert result.exit_code == 0, result.output
    assert "Technology by year" in result.stdout
    result = runner.invoke(app, ["summary", str(out), "--json"])
    (first, *_) = json.loads(result.stdout)["technology"]
    assert first["year"] == 2025
    assert first["usd_per_m_tokens"] > 0
    assert "usd_per_m_tokens_available" in first
