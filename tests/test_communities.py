"""Communities: the post-training mechanism, its lineage, its measurement and its bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from typer.testing import CliRunner

from simdemand import load_scenario, simulate, write_results
from simdemand.analysis.post_training import (
    ecosystem_summary,
    lineage,
    most_popular,
    ratio_distribution,
)
from simdemand.cli import app
from simdemand.results.run import Results
from simdemand.scenario.communities import CommunitySpec
from simdemand.scenario.schema import Scenario
from simdemand.scenario.techniques import TECHNIQUES
from simdemand.simulate import build_world
from simdemand.units import AGGREGATE_SEPARATOR
from simdemand.world.world import World

SCENARIO = Path(__file__).parent / "scenarios" / "communities.toml"
POST = "post-training"


def run(*overrides: str) -> Results:
    """Simulate the communities test scenario with overrides."""
    return simulate(load_scenario(SCENARIO, overrides))


def post_rows(results: Results) -> pd.DataFrame:
    """The post-training job rows of a run."""
    jobs = results.jobs.to_pandas()
    rows: pd.DataFrame = jobs.loc[jobs["regime"] == POST]
    return rows


@pytest.fixture(scope="module")
def results() -> Results:
    """The test scenario, run once."""
    return run()


# --- the mechanism ----------------------------------------------------------------------------


def test_every_technique_is_charged_and_counted(results: Results) -> None:
    """Each technique appears as an activity; zero-compute ones are counted but cost nothing."""
    rows = post_rows(results)
    by = rows.groupby("activity")[["derivatives", "gpu_hours", "flop"]].sum()
    expected = ["best_of_n", "distillation", "lora", "merge", "quantize", "rl", "search", "sft"]
    assert sorted(by.index) == sorted([*expected, "synthetic"])
    assert (by.loc[["merge", "quantize"], ["gpu_hours", "flop"]] == 0).all().all()
    assert (by.drop(index=["merge", "quantize"])[["gpu_hours", "flop"]] > 0).all().all()
    assert (by["derivatives"] > 0).all()
    assert (rows["agent"] == "c").all()


def test_zero_spin_out_gives_no_post_training() -> None:
    """No derivatives wanted: no post-training rows and no derivative models."""
    quiet = run(
        "communities.c.derivatives_per_month=0", "communities.c.closed.derivatives_per_month=0"
    )
    assert len(post_rows(quiet)) == 0
    assert quiet.models.to_pandas()["parent_id"].isna().all()


def test_doubling_the_spin_out_rate_doubles_the_ratio() -> None:
    """Derivatives and ecosystem GPU-hours are linear in the spin-out rate, in expectation:
    pooled over seeds (the labs, hence the bases, are the same in both arms)."""
    totals = {1.0: np.zeros(3), 2.0: np.zeros(3)}
    for seed in range(1, 5):
        for factor in totals:
            summary = ecosystem_summary(
                *tables(
                    run(
                        f"run.seed={seed}",
                        f"communities.c.derivatives_per_month={1000.0 * factor}",
                        "communities.c.closed.derivatives_per_month=0",
                    )
                )
            )
            totals[factor] += [
                summary["derivatives"].sum(),
                summary["post_training_gpu_hours"].sum(),
                summary["ratio"].sum(),
            ]
    np.testing.assert_allclose(totals[2.0] / totals[1.0], 2.0, rtol=0.15)


def tables(results: Results) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The models and jobs tables of a run, as pandas."""
    return results.models.to_pandas(), results.jobs.to_pandas()


def test_closed_models_feed_only_the_closed_channel() -> None:
    """With closed labs alone there are fine-tuning-service derivatives only: private (counted,
    never released), of closed models, with the service techniques; no open ecosystem."""
    scenario = load_scenario(SCENARIO)
    closed_only = scenario.model_copy(update={"labs": {"closed": scenario.labs["closed"]}})
    results = simulate(Scenario.model_validate(closed_only.model_dump()))
    rows = post_rows(results)
    models, jobs = tables(results)
    assert len(rows) > 0
    assert set(rows["activity"]) <= {"lora", "sft", "rl"}
    assert rows["model_id"].str.match(r"^closed-\d/\d+~(lora|sft|rl)$").all()
    assert models["parent_id"].isna().all()
    assert len(ecosystem_summary(models, jobs)) == 0
    closed = ecosystem_summary(models, jobs, open_only=False)
    assert (closed["derivatives"] > 0).any()
    assert not closed["open_weights"].any()


def test_open_bases_alone_have_no_closed_channel() -> None:
    """Without closed labs, no row belongs to a closed model."""
    scenario = load_scenario(SCENARIO)
    open_only = scenario.model_copy(update={"labs": {"open_mid": scenario.labs["open_mid"]}})
    rows = post_rows(simulate(Scenario.model_validate(open_only.model_dump())))
    assert len(rows) > 0
    assert not rows["model_id"].str.startswith("closed").any()


def test_a_closed_lab_never_changes_open_derivatives() -> None:
    """Each channel draws from its own stream: a third closed lab adds closed fine-tunes (and
    with closed teachers could teach better), but the open bases' derivatives (rows, counts,
    tokens, compute, released models) are the same draws as without it."""
    base = ["communities.c.closed_teachers=false"]
    two, _ = charged(*base)
    three, _ = charged(*base, "labs.closed.count=3")
    open_two = two.loc[~two["closed"]].reset_index(drop=True)
    open_three = three.loc[~three["closed"]].reset_index(drop=True)
    assert len(open_two) > 0
    pd.testing.assert_frame_equal(open_two, open_three)
    families = {n: set(f.loc[f["closed"], "model_id"]) for n, f in (("2", two), ("3", three))}
    assert len(families["3"]) > len(families["2"])  # the third lab's models are tuned too


# --- lineage ----------------------------------------------------------------------------------


def test_lineage_is_consistent_and_deep(results: Results) -> None:
    """Every parent exists and was released before its child; depth > 1 occurs; a derivative
    has its base's size and is open when its family is."""
    models = results.models.to_pandas().set_index("model_id")
    derived = models.loc[models["parent_id"].notna()]
    assert len(derived) > 0
    assert derived["parent_id"].isin(models.index).all()
    parents = models.loc[derived["parent_id"]]
    assert (parents["released"].to_numpy() < derived["released"].to_numpy()).all()
    np.testing.assert_array_equal(parents["params"].to_numpy(), derived["params"].to_numpy())
    assert derived["open_weights"].all()
    assert (derived["lab"] == "c").all()
    assert lineage(models.reset_index())["depth"].max() >= 2
    assert set(derived["technique"]) <= set(TECHNIQUES)


def test_released_derivatives_have_their_own_job_row(results: Results) -> None:
    """A derivative released as a model was charged under its own id, as one derivative."""
    models = results.models.to_pandas()
    rows = post_rows(results).set_index("model_id")
    inside = models.loc[
        models["parent_id"].notna() & (models["released"] > pd.Timestamp("2025-02-01", tz="UTC"))
    ]
    assert inside["model_id"].isin(rows.index).all()
    mine = rows.loc[inside["model_id"]]
    np.testing.assert_allclose(mine["derivatives"].to_numpy(), 1.0)
    np.testing.assert_array_equal(mine["activity"].to_numpy(), inside["technique"].to_numpy())


def charged(*overrides: str) -> tuple[pd.DataFrame, World]:
    """The post-training ledger rows of the test scenario, unclipped, with a `closed` column,
    and the world that charged them."""
    world = build_world(load_scenario(SCENARIO, list(overrides)))
    world.env.run(until=world.horizon_h)
    iv = world.ledger.intervals()
    names = ("regime", "activity", "model_id", "gpu_hours", "flop", "tokens", "derivatives")
    frame = pd.DataFrame({k: getattr(iv, k) for k in names})
    rows = frame.loc[frame["regime"] == POST].drop(columns="regime")
    return rows.assign(closed=rows["model_id"].str.startswith("closed")), world


def by_technique(rows: pd.DataFrame) -> pd.DataFrame:
    """Sums of the charged rows by channel and technique."""
    return rows.groupby(["closed", "activity"]).sum(numeric_only=True)


def test_registration_threshold_is_representation_only() -> None:
    """Releasing more or fewer derivatives one by one changes no count or compute."""
    few = by_technique(charged("communities.c.register_min_share=1.0")[0])
    many = by_technique(charged("communities.c.register_min_share=0.0001")[0])
    pd.testing.assert_frame_equal(few, many, rtol=1e-9)


def test_derivative_data_scales_with_the_base() -> None:
    """Halving the reference base's tokens doubles every open derivative's tokens, FLOP and
    GPU-hours (elasticity 1, the same draws); counts and the closed channel do not change."""
    rows = by_technique(charged()[0])
    half = by_technique(charged("communities.c.reference_base_tokens=5e12")[0])
    scale = np.where(rows.index.get_level_values("closed"), 1.0, 2.0)
    for column in ("tokens", "flop", "gpu_hours"):
        np.testing.assert_allclose(half[column], rows[column] * scale, rtol=1e-9)
    np.testing.assert_allclose(half["derivatives"], rows["derivatives"], rtol=1e-9)


def test_data_scale_follows_the_base_tokens() -> None:
    """Tokens per derivative ~ (base tokens / reference)^elasticity; elasticity 0: unscaled."""
    spec = CommunitySpec()
    base = np.array([spec.reference_base_tokens, 4 * spec.reference_base_tokens])
    np.testing.assert_allclose(spec.data_scale(base), [1.0, 4.0])
    half = spec.model_copy(update={"tokens_elasticity": 0.5})
    np.testing.assert_allclose(half.data_scale(base), [1.0, 2.0])
    np.testing.assert_allclose(
        spec.model_copy(update={"tokens_elasticity": 0.0}).data_scale(base), 1.0
    )


def teachers(rows: pd.DataFrame, world: World, charge: float) -> npt.NDArray[np.float64]:
    """Active params of the teacher of each distillation row: its FLOP per token are
    charge x (2 N_teacher + 6 N_student), the student having its family root's size."""
    rows = rows.loc[(rows["activity"] == "distillation") & (rows["tokens"] > 0)]
    roots = rows["model_id"].str.rpartition(AGGREGATE_SEPARATOR)
    ids = roots[0].where(roots[1] != "", rows["model_id"])
    student = np.array([world.registry.by_id[i].active_params for i in ids])
    per_token = rows["flop"].to_numpy() / rows["tokens"].to_numpy() / charge
    teacher: npt.NDArray[np.float64] = (per_token - 6.0 * student) / 2.0
    return teacher


def test_teachers_are_servable_models() -> None:
    """Distillation teachers have at most max_teacher_active_params active parameters: the
    test scenario's closed models (~1e12 active) teach only when the cap is lifted."""
    scenario = load_scenario(SCENARIO)
    charge = 1.0 + scenario.communities["c"].experiments_multiple
    cap = scenario.communities["c"].max_teacher_active_params
    capped = teachers(*charged(), charge)
    assert len(capped) > 0
    assert capped.max() <= cap * (1 + 1e-6)
    lifted = teachers(*charged("communities.c.max_teacher_active_params=1e15"), charge)
    assert lifted.max() > cap


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    """Two runs of the scenario write byte-identical tables; another seed differs."""
    scenario = load_scenario(SCENARIO)
    a = write_results(simulate(scenario), tmp_path / "a")
    b = write_results(simulate(scenario), tmp_path / "b")
    for name in ("jobs.parquet", "models.parquet", "timeseries.parquet"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    other = post_rows(run("run.seed=12"))
    assert other["gpu_hours"].sum() != post_rows(simulate(scenario))["gpu_hours"].sum()


def test_time_series_conserves_post_training_and_counts(results: Results) -> None:
    """Binned post-training GPU-hours, FLOP and derivative counts equal the job rows'."""
    ts = results.timeseries.to_pandas()
    binned = ts.loc[ts["regime"] == POST, ["gpu_hours", "flop", "derivatives"]].sum()
    charged = post_rows(results)[["gpu_hours", "flop", "derivatives"]].sum()
    np.testing.assert_allclose(binned.to_numpy(), charged.to_numpy(), rtol=1e-9)


# --- the measurement --------------------------------------------------------------------------


def hand_made() -> tuple[pd.DataFrame, pd.DataFrame]:
    """An open base A with a two-deep lineage and family rows, and a closed base B."""
    t = pd.Timestamp("2025-01-01", tz="UTC")
    models = pd.DataFrame(
        {
            "model_id": ["A", "B", "c/d1", "c/d2"],
            "lab": ["lab-1", "lab-2", "c", "c"],
            "released": [t, t, t + pd.Timedelta(days=10), t + pd.Timedelta(days=20)],
            "params": [7e9, 1e12, 7e9, 7e9],
            "active_params": [7e9, 1e12, 7e9, 7e9],
            "training_flop": [1e20, 1e25, 1e18, 1e17],
            "open_weights": [True, False, True, True],
            "parent_id": [None, None, "A", "c/d1"],
            "gpu_hours": [100.0, 1e6, 10.0, 5.0],
        }
    )
    jobs = pd.DataFrame(
        {
            "regime": [POST, POST, POST, POST, POST, "pretraining"],
            "model_id": ["c/d1", "c/d2", "A~lora", "A~quantize", "B~lora", "A"],
            "base_id": ["A", "A", "A", "A", "B", None],
            "gpu_hours": [10.0, 5.0, 20.0, 0.0, 3.0, 100.0],
            "flop": [1e18, 1e17, 2e18, 0.0, 1e18, 1e20],
            "derivatives": [1.0, 1.0, 30.0, 7.0, 4.0, 0.0],
            "end": [t + pd.Timedelta(days=365)] * 6,
        }
    )
    return models, jobs


def test_ecosystem_summary_by_hand() -> None:
    """Counts, depth, tree compute and ratios of a hand-made run."""
    models, jobs = hand_made()
    a = ecosystem_summary(models, jobs).set_index("base").loc["A"]
    assert a["derivatives"] == 39.0  # 2 released + 30 LoRA + 7 quantizations, in bulk
    assert a["registered"] == 2
    assert a["max_depth"] == 2  # c/d2 (bulk rows sit one below the base)
    assert a["post_training_gpu_hours"] == 35.0
    assert a["ratio"] == pytest.approx(0.35)
    assert a["ratio_flop"] == pytest.approx(3.1e18 / 1e20)
    assert a["observed_days"] == pytest.approx(365.0)
    both = ecosystem_summary(models, jobs, open_only=False).set_index("base")
    assert both.loc["B", "derivatives"] == 4.0
    assert list(both.index) == ["A", "B"]  # most derivatives first


def test_ratio_distribution_reports_quantiles_and_top() -> None:
    """The distribution is plain numbers, over open bases observed long enough."""
    models, jobs = hand_made()
    dist = ratio_distribution(ecosystem_summary(models, jobs, open_only=False))
    assert dist["bases"] == 1
    assert dist["p50"] == dist["max"] == pytest.approx(0.35)
    assert dist["top"][0]["base"] == "A"
    assert dist["top_p50"] == dist["top_min"] == dist["top_max"] == pytest.approx(0.35)
    late = ratio_distribution(ecosystem_summary(models, jobs), min_observed_days=400.0)
    assert late["bases"] == 0
    assert late["top"] == []
    assert late["top_p50"] == 0.0


def test_most_popular_bases_are_read_after_a_year() -> None:
    """The most popular bases: most derivatives first, among open bases observed a year."""
    models, jobs = hand_made()
    summary = ecosystem_summary(models, jobs, open_only=False)
    assert most_popular(summary)["base"].tolist() == ["A"]
    assert most_popular(summary, open_only=False)["base"].tolist() == ["A", "B"]
    assert most_popular(summary, min_observed_days=366.0).empty


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "path", "message"),
    [
        ("communities.c.techniques.rl.share=0.5", "communities.c.techniques", "shares sum to"),
        (
            "communities.c.techniques.rl.tokens_median=-1.0",
            "communities.c.techniques.rl.tokens_median",
            "greater than 0",
        ),
        (
            "communities.c.techniques.best_of_n.samples_per_prompt=0.5",
            "communities.c.techniques.best_of_n.samples_per_prompt",
            "greater than or equal to 1",
        ),
        (
            "communities.c.techniques.sft.tokens_sigma=9.0",
            "communities.c.techniques.sft.tokens_sigma",
            "less than or equal to 5",
        ),
        (
            "communities.c.techniques.lora.tokens_median=nan",
            "communities.c.techniques.lora.tokens_median",
            "finite",
        ),
        ("communities.c.techniques.dpo.share=0.1", "communities.c.techniques.dpo", "unknown key"),
        ("communities.c.closed.rl_share=0.5", "communities.c.closed", "not 1"),
        (
            "communities.c.train_utilization=0.0",
            "communities.c.train_utilization",
            "greater than 0",
        ),
        ("communities.c.step_days=60.0", "communities.c.step_days", "less than or equal to 31"),
        (
            "communities.c.tokens_elasticity=-0.5",
            "communities.c.tokens_elasticity",
            "greater than or equal to 0",
        ),
        (
            "communities.c.tokens_elasticity=3.0",
            "communities.c.tokens_elasticity",
            "less than or equal to 2",
        ),
        (
            "communities.c.reference_base_tokens=0.0",
            "communities.c.reference_base_tokens",
            "greater than or equal to 1000000",
        ),
        (
            "communities.c.max_teacher_active_params=-1.0",
            "communities.c.max_teacher_active_params",
            "greater than or equal to 1000000",
        ),
    ],
)
def test_bad_technique_parameters_are_rejected(override: str, path: str, message: str) -> None:
    """`simdemand validate` names the field, exits 2 and prints one line per problem."""
    result = CliRunner().invoke(app, ["validate", str(SCENARIO), "--set", override])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(f"{SCENARIO}: {path}: ") and message in line for line in lines), (
        lines
    )
