"""The supply side: the installed base, cluster reservations, the fluid allocator and the
invariants of the fleet's tables."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Generator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from simdemand import load_scenario, simulate, write_results
from simdemand.analysis.supply import unmet_by_year
from simdemand.catalog import load_catalog
from simdemand.cli import app
from simdemand.errors import InputError
from simdemand.results.run import Results
from simdemand.scenario.fleet import FleetSpec
from simdemand.simulate import build_world
from simdemand.units import POST_TRAINING, TEST_TIME
from simdemand.world.demand import DemandMeter
from simdemand.world.supply.allocation import ROUNDING_SHARE, FifoSplit, FluidQueue
from simdemand.world.supply.fleet import Fleet, Grant, Option
from simdemand.world.supply.installed import (
    first_window,
    growth_shipments,
    sliding_min,
    weights,
)

HERE = Path(__file__).parent
FLEET = HERE / "scenarios" / "fleet.toml"
ROOT = HERE.parent
HOURS_PER_QUARTER = 365.25 / 4 * 24


@pytest.fixture(scope="module")
def fleet_run() -> Results:
    """The fleet test scenario, run once for the module."""
    return simulate(load_scenario(FLEET))


def small_fleet(
    env: simpy.Environment, gpus: int = 100, life_years: float = 5.0, priority: str = "test"
) -> Fleet:
    """A fleet of H100s delivered at hour 0, one pool open to every regime."""
    order = ["test-time", "pretraining", "post-training"]
    if priority != "test":
        order = ["pretraining", "test-time", "post-training"]
    spec = FleetSpec.model_validate(
        {
            "deliveries": [{"date": dt.date(2025, 1, 1), "hardware": "H100-SXM", "gpus": gpus}],
            "pools": {"all": {"share": 1.0}},
            "service_life_years": life_years,
            "priority": order,
        }
    )
    return Fleet(env, spec, load_catalog(), dt.date(2025, 1, 1), year_meter())


def year_meter() -> DemandMeter:
    """A demand meter over the hours of one year from hour 0."""
    catalog = load_catalog()
    return DemandMeter(0.0, 24.0 * 365, weights(catalog, list(catalog.names)))


def ask(
    env: simpy.Environment,
    fleet: Fleet,
    at_h: float,
    gpus: float,
    hours: float,
    log: list[tuple[float, float]],
) -> Generator[simpy.Event, Grant, None]:
    """A process asking for a cluster at `at_h` and logging when it starts."""
    yield env.timeout(at_h)
    options = (Option("H100-SXM", gpus, hours),)
    grant = yield fleet.reserve("lab-1", "lab", f"m{gpus}", "final-run", options)
    assert grant.option.gpus == gpus
    log.append((gpus, env.now))


# --- the installed base -----------------------------------------------------------------------


def test_growth_law_delivers_quarterly_and_grows() -> None:
    """gpus x growth^(k/4) each quarter k; 'newest' picks the catalog's newest generation."""
    spec = FleetSpec.model_validate(
        {
            "growth": {
                "start": dt.date(2025, 6, 1),
                "gpus_per_quarter": 1000.0,
                "growth_per_year": 16.0,
            },
            "pools": {"all": {"share": 1.0}},
        }
    )
    assert spec.growth is not None
    shipments = growth_shipments(spec.growth, load_catalog(), dt.date(2025, 1, 1), 24.0 * 365)
    assert [b.gpus for b in shipments] == pytest.approx([1000.0, 2000.0, 4000.0])
    # 2025-06, -09, -12 without a lag: GB200 (2025-02), then GB300 (2025-08; ties B300, faster).
    assert [b.hardware for b in shipments] == ["GB200", "GB300", "GB300"]
    assert shipments[1].hour - shipments[0].hour == pytest.approx(HOURS_PER_QUARTER)


def test_gpus_retire_after_their_service_life() -> None:
    env = simpy.Environment()
    fleet = small_fleet(env, gpus=100, life_years=0.5)
    installed = fleet.calendars[("all", "H100-SXM")].installed
    life_h = 0.5 * 365.25 * 24
    assert installed[0] == 100
    assert installed[math.floor(life_h) - 1] == 100
    assert installed[math.floor(life_h) + 1] == 0


def test_pool_shares_split_each_delivery(fleet_run: Results) -> None:
    assert fleet_run.supply is not None
    table = fleet_run.supply.fleet.to_pandas()
    first = table[table.time == table.time.min()].set_index("pool").installed_gpu_hours
    assert first["own"] == pytest.approx(first["cloud"])  # shares 0.5 and 0.5


# --- reservations -----------------------------------------------------------------------------


def test_reservations_wait_first_come_first_served() -> None:
    """80 GPUs run [0, 10); 50 asked at 1 wait to hour 10; 10 asked at 2 fit at once but queue
    behind the 50 (a contiguous cluster is not overtaken); 500 can never fit and blocks nobody."""
    env = simpy.Environment()
    fleet = small_fleet(env)
    log: list[tuple[float, float]] = []
    for at, gpus, hours in ((0.0, 80, 10.0), (1.0, 50, 5.0), (1.5, 500, 5.0), (2.0, 10, 5.0)):
        env.process(ask(env, fleet, at, gpus, hours, log))
    env.run(until=100)
    assert log == [(80, 0.0), (50, 10.0), (10, 10.0)]
    assert [w.start_h for w in fleet.waits] == [0.0, 10.0, 10.0]
    assert [w.gpus for w in fleet.pending()] == [500]


def test_test_time_headroom_delays_runs_only_when_test_time_comes_first() -> None:
    """With 60 GPUs of test-time at hour 0, a 50-GPU run fits only if pretraining comes first."""
    starts = {}
    for priority in ("test", "pretraining"):
        env = simpy.Environment()
        fleet = small_fleet(env, priority=priority)
        fleet.meter.add_hourly(TEST_TIME, "H100-SXM", 0.0, np.array([60.0]))
        log: list[tuple[float, float]] = []
        env.process(ask(env, fleet, 0.5, 50, 5.0, log))
        env.run(until=100)
        starts[priority] = log[0][1]
    assert starts == {"pretraining": 0.5, "test": 25.0}


def test_a_waiting_run_rechecks_when_test_time_is_added_later() -> None:
    """60 GPUs of test-time at hour 0 hold a 50-GPU run to hour 25; test-time noted at hour 10
    for hour 30 moves it to 55, the first whole hour whose +-24 h window misses both."""
    env = simpy.Environment()
    fleet = small_fleet(env)
    fleet.meter.add_hourly(TEST_TIME, "H100-SXM", 0.0, np.array([60.0]))
    log: list[tuple[float, float]] = []
    env.process(ask(env, fleet, 0.5, 50, 5.0, log))

    def later() -> Generator[simpy.Event, None, None]:
        """Record test-time ahead, as a cohort does at its step."""
        yield env.timeout(10.0)
        fleet.meter.add_hourly(TEST_TIME, "H100-SXM", 30.0, np.array([60.0]))

    env.process(later())
    env.run(until=100)
    assert log == [(50, 55.0)]


def test_a_run_waits_for_a_delivery_far_ahead() -> None:
    """A run bigger than the first delivery starts with the second, months later."""
    env = simpy.Environment()
    spec = FleetSpec.model_validate(
        {
            "deliveries": [
                {"date": dt.date(2025, 1, 1), "hardware": "H100-SXM", "gpus": 100},
                {"date": dt.date(2025, 4, 1), "hardware": "H100-SXM", "gpus": 100},
            ],
            "pools": {"all": {"share": 1.0}},
        }
    )
    fleet = Fleet(env, spec, load_catalog(), dt.date(2025, 1, 1), year_meter())
    log: list[tuple[float, float]] = []
    env.process(ask(env, fleet, 3.5, 150, 100.0, log))
    env.run(until=24 * 365)
    assert log == [(150, 90 * 24.0)]  # Jan + Feb + Mar 2025 = 90 days


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60),
    st.integers(1, 70),
    st.integers(1, 70),
)
def test_sliding_min_is_the_minimum_of_each_window(
    values: list[float], length: int, count: int
) -> None:
    """Each window's minimum, cut at the end of the values, +inf past them."""
    x = np.array(values)
    expected = [float(x[i : i + length].min()) if i < len(x) else math.inf for i in range(count)]
    assert sliding_min(x, length, count).tolist() == expected


@given(st.lists(st.booleans(), max_size=60), st.integers(1, 70))
def test_first_window_finds_the_first_clear_run(ok: list[bool], length: int) -> None:
    """The first start whose window (cut at the end) is all true, or the length if none."""
    flags = np.array(ok, dtype=bool)
    starts = [i for i in range(len(ok)) if all(ok[i : i + length])]
    assert first_window(flags, length) == (starts[0] if starts else len(ok))


# --- the fluid queue --------------------------------------------------------------------------


def queue(
    arrivals: np.ndarray, capacity: np.ndarray, delay: float, block: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Served and lost work of a fresh queue fed whole (block 0) or `block` hours at a time."""
    fluid = FluidQueue(delay)
    size = block or len(arrivals)
    parts = [
        fluid.serve(arrivals[lo : lo + size], capacity[lo : lo + size], lo)
        for lo in range(0, len(arrivals), size)
    ]
    return np.concatenate([s for s, _ in parts]), np.concatenate([x for _, x in parts])


def test_queue_without_delay_serves_what_fits_and_loses_the_rest() -> None:
    served, lost = queue(np.array([5.0, 1.0]), np.array([2.0, 2.0]), 0.0)
    assert served.tolist() == [2.0, 1.0]
    assert lost.tolist() == [3.0, 0.0]


def test_unbounded_queue_carries_work_forward() -> None:
    served, lost = queue(np.array([5.0, 0.0, 0.0, 1.0]), np.array([2.0, 2.0, 2.0, 2.0]), math.inf)
    assert served.tolist() == [2.0, 2.0, 1.0, 1.0]
    assert lost.tolist() == [0.0] * 4


def test_bounded_queue_loses_work_older_than_the_delay() -> None:
    """Work of hour 0 may run in hours 0 and 1; what is left at the end of hour 1 is lost."""
    served, lost = queue(np.array([5.0, 0.0, 0.0]), np.array([2.0, 2.0, 2.0]), 1.0)
    assert served.tolist() == [2.0, 2.0, 0.0]
    assert lost.tolist() == [0.0, 1.0, 0.0]


@given(
    st.lists(st.floats(0, 10), min_size=1, max_size=40),
    st.lists(st.floats(0, 10), min_size=40, max_size=40),
    st.sampled_from([0.0, 1.0, 3.0, 5.5, math.inf]),
    st.integers(1, 9),
)
def test_a_queue_fed_day_by_day_serves_as_one_fed_whole(
    arrivals: list[float], capacity: list[float], delay: float, block: int
) -> None:
    """The allocator feeds its queues a day at a time: the state carried between blocks makes
    that the same queue as one fed the whole run at once."""
    a, c = np.array(arrivals), np.array(capacity[: len(arrivals)])
    whole, blocks = queue(a, c, delay), queue(a, c, delay, block)
    np.testing.assert_allclose(blocks[0], whole[0], atol=1e-9)
    np.testing.assert_allclose(blocks[1], whole[1], atol=1e-9)


def split_all(
    demand: dict[str, np.ndarray], served: np.ndarray, lost: np.ndarray, block: int = 0
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each generation's (served, lost), blocks of `block` hours (0: whole), then what is left
    lost at the last hour."""
    fifo = FifoSplit()
    size = block or len(served)
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for lo in range(0, len(served), size):
        window = slice(lo, lo + size)
        chunk = {name: d[window] for name, d in demand.items()}
        for name, pair in fifo.split(chunk, served[window], lost[window]).items():
            parts.setdefault(name, []).append(pair)
    out = {
        name: (np.concatenate([s for s, _ in p]), np.concatenate([x for _, x in p]))
        for name, p in parts.items()
    }
    for name, rest in fifo.left().items():
        out[name][1][-1] += rest
    return out


def test_attribution_is_first_come_first_served_across_generations() -> None:
    """A's 2 units arrive first, B's 2 next; 1 unit is served per hour: A runs, B is lost at
    the end (still waiting at the last hour)."""
    demand = {"A": np.array([2.0, 0.0]), "B": np.array([0.0, 2.0])}
    flows = split_all(demand, np.array([1.0, 1.0]), np.zeros(2))
    assert flows["A"][0].tolist() == [1.0, 1.0]
    assert flows["B"][0].tolist() == [0.0, 0.0]
    assert flows["B"][1].tolist() == [0.0, 2.0]


@given(
    st.lists(st.tuples(st.floats(0, 5), st.floats(0, 5)), min_size=2, max_size=30),
    st.lists(st.floats(0, 6), min_size=30, max_size=30),
    st.integers(1, 7),
)
def test_attribution_day_by_day_equals_attribution_whole(
    arrivals: list[tuple[float, float]], capacity: list[float], block: int
) -> None:
    """Split block by block (the history trimmed as it goes) or whole, each generation's
    served and lost work is the same, and it conserves its demand (up to the residue that
    `left` counts as rounding: ROUNDING_SHARE of the generation's total)."""
    demand = {"A": np.array([a for a, _ in arrivals]), "B": np.array([b for _, b in arrivals])}
    total = demand["A"] + demand["B"]
    served, lost = queue(total, np.array(capacity[: len(total)]), math.inf)
    whole, blocks = split_all(demand, served, lost), split_all(demand, served, lost, block)
    for name in demand:
        np.testing.assert_allclose(blocks[name][0], whole[name][0], atol=1e-9)
        np.testing.assert_allclose(blocks[name][1], whole[name][1], atol=1e-9)
        rounding = ROUNDING_SHARE * max(float(demand[name].sum()), 1.0)
        assert sum(whole[name][0]) + sum(whole[name][1]) == pytest.approx(
            demand[name].sum(), abs=1e-9 + rounding
        )


def test_h100_equivalents_weigh_by_dense_bf16_peak() -> None:
    w = weights(load_catalog(), ["H100-SXM", "A100-80GB", "B200"])
    assert w == pytest.approx({"H100-SXM": 1.0, "A100-80GB": 312 / 989, "B200": 2250 / 989})


def test_supply_tables_carry_each_generations_h100_weight(fleet_run: Results) -> None:
    """So a reader weighs GPUs without the scenario's catalog: B200 = 2250 / 989 TFLOP/s."""
    assert fleet_run.supply is not None
    for table in (fleet_run.supply.capacity, fleet_run.supply.fleet):
        frame = table.to_pandas()
        weight = frame.groupby("hardware").h100e_per_gpu.agg(["min", "max"])
        assert (weight["min"] == weight["max"]).all()
        expected = weights(load_catalog(), list(weight.index))
        assert weight["min"].to_dict() == pytest.approx(expected)
    capacity = fleet_run.supply.capacity.to_pandas()
    by_hardware = capacity.groupby("hardware").h100e_per_gpu.first()
    assert by_hardware["H100-SXM"] == 1.0
    assert by_hardware["B200"] == pytest.approx(2250 / 989)


def test_agents_read_served_and_unmet_work_as_the_run_goes() -> None:
    """Supply runs inside the world: at hour 1,000.5 the allocator has served every whole week
    so far (840 hours), and what it reports then is what the finished run's flows hold for
    those hours; idle capacity is never negative nor above the pool's installed GPUs."""
    world = build_world(load_scenario(FLEET))
    allocator = world.allocator
    assert allocator is not None
    assert world.fleet is not None
    world.env.run(until=1000.5)
    assert allocator.done == 840
    served = {r: allocator.served_so_far(r) for r in (TEST_TIME, POST_TRAINING)}
    unmet = {r: allocator.unmet_so_far(r) for r in (TEST_TIME, POST_TRAINING)}
    assert served[TEST_TIME] > 0
    for pool in world.fleet.spec.pools:
        installed = sum(
            float(cal.installed[840 - 1 - world.fleet.first]) * world.fleet.weight[hw]
            for (p, hw), cal in world.fleet.calendars.items()
            if p == pool
        )
        assert 0.0 <= allocator.idle_h100e(pool) <= installed
    world.env.run(until=world.horizon_h)
    flows = allocator.finish().flows
    w = world.fleet.weight
    for regime in (TEST_TIME, POST_TRAINING):
        done = [(f, w[hw]) for (r, hw), f in flows.items() if r == regime]
        assert served[regime] == pytest.approx(sum(f.served[:840].sum() * x for f, x in done))
        assert unmet[regime] == pytest.approx(sum(f.unmet[:840].sum() * x for f, x in done))


# --- invariants of a run ----------------------------------------------------------------------


def test_flows_are_conserved_bin_by_bin(fleet_run: Results) -> None:
    """demanded + queued before = served + unmet + queued after, for every regime and
    generation; nothing is negative."""
    assert fleet_run.supply is not None
    table = fleet_run.supply.capacity.to_pandas()
    numbers = table.filter(like="_gpu_hours")
    assert (numbers >= -1e-6).all().all()
    for _, group in table.groupby(["regime", "hardware"]):
        before = group.queued_gpu_hours.shift(fill_value=0.0)
        balance = group.demanded_gpu_hours + before - group.served_gpu_hours
        balance -= group.unmet_gpu_hours + group.queued_gpu_hours
        assert np.allclose(balance, 0.0, atol=1e-6 * group.demanded_gpu_hours.max())


def test_served_never_exceeds_installed(fleet_run: Results) -> None:
    """Per pool and generation, and for all regimes together in H100-equivalents."""
    assert fleet_run.supply is not None
    fleet = fleet_run.supply.fleet.to_pandas()
    assert (fleet.used_gpu_hours <= fleet.installed_gpu_hours * (1 + 1e-9) + 1e-6).all()
    assert ((fleet.utilization >= 0) & (fleet.utilization <= 1 + 1e-9)).all()
    capacity = fleet_run.supply.capacity.to_pandas()
    w = weights(load_catalog(), sorted(set(capacity.hardware) | set(fleet.hardware)))
    served = (capacity.served_gpu_hours * capacity.hardware.map(w)).groupby(capacity.time).sum()
    installed = (fleet.installed_gpu_hours * fleet.hardware.map(w)).groupby(fleet.time).sum()
    assert (served <= installed.reindex(served.index) * (1 + 1e-9) + 1e-6).all()


def test_demand_matches_the_demand_tables(fleet_run: Results) -> None:
    """Test-time and post-training demand equal the timeseries; so does pretraining when no
    run waited past the horizon."""
    assert fleet_run.supply is not None
    capacity = fleet_run.supply.capacity.to_pandas()
    demand = capacity.groupby("regime").demanded_gpu_hours.sum()
    series = fleet_run.timeseries.to_pandas().groupby("regime").gpu_hours.sum()
    assert demand["test-time"] == pytest.approx(series["test-time"], rel=1e-9)
    assert demand["post-training"] == pytest.approx(series["post-training"], rel=1e-9)


def test_the_fleet_scenario_contends(fleet_run: Results) -> None:
    """Runs wait for clusters, test-time goes unmet, post-training is squeezed."""
    assert fleet_run.supply is not None
    waits = fleet_run.supply.waits.to_pandas()
    assert (waits.wait_hours > 24).sum() >= 2
    unmet = fleet_run.supply.capacity.to_pandas().groupby("regime").unmet_gpu_hours.sum()
    assert (unmet > 0).all()


def test_waiting_delays_releases(fleet_run: Results) -> None:
    """A run that waited is released later than in the unconstrained run."""
    scenario = load_scenario(FLEET)
    free = simulate(scenario.model_copy(update={"fleet": None}))
    assert fleet_run.supply is not None
    waits = fleet_run.supply.waits.to_pandas()
    waited = waits[(waits.wait_hours > 0) & waits.started.notna()].model_id
    models = fleet_run.models.to_pandas().set_index("model_id").released
    unconstrained = free.models.to_pandas().set_index("model_id").released
    for model in waited:
        assert models[model] > unconstrained[model]


def test_a_fleet_that_never_binds_leaves_demand_unchanged(tmp_path: Path) -> None:
    """A fleet far larger than demand gives the demand tables of a run without a fleet."""
    huge = '[{date = 2024-01-01, hardware = "H100-SXM", gpus = 100000000}]'
    scenario = load_scenario(FLEET, [f"fleet.deliveries={huge}", "fleet.service_life_years=10"])
    constrained = simulate(scenario)
    free = simulate(scenario.model_copy(update={"fleet": None}))
    assert free.supply is None
    assert constrained.supply is not None
    assert (constrained.supply.waits.to_pandas().wait_hours == 0).all()
    pd.testing.assert_frame_equal(constrained.models.to_pandas(), free.models.to_pandas())
    pd.testing.assert_frame_equal(
        constrained.timeseries.to_pandas(),
        free.timeseries.to_pandas(),
        check_exact=False,
        rtol=1e-12,
    )
    assert constrained.supply.capacity.to_pandas().unmet_gpu_hours.sum() == 0.0


def test_fleet_outputs_are_reproducible(fleet_run: Results) -> None:
    again = simulate(load_scenario(FLEET))
    assert again.supply is not None
    assert fleet_run.supply is not None
    for name in ("capacity", "fleet", "waits"):
        assert getattr(again.supply, name).equals(getattr(fleet_run.supply, name))


def test_fleet_tables_are_written_only_with_a_fleet(tmp_path: Path, fleet_run: Results) -> None:
    out = write_results(fleet_run, tmp_path / "run")
    assert {p.name for p in out.iterdir()} >= {"capacity.parquet", "fleet.parquet", "waits.parquet"}
    tiny = simulate(load_scenario(HERE / "scenarios" / "tiny.toml"))
    plain = write_results(tiny, tmp_path / "plain")
    assert not (plain / "fleet.parquet").exists()


# --- calibration ------------------------------------------------------------------------------


def test_world_fleet_matches_epoch_chip_counts() -> None:
    """scenarios/fleet.toml delivers, by the end of 2025, 13.7M H100-equivalents (within 5%)
    drawing 8.6 GW of chip power (within 10%): Epoch AI's median cumulative estimate of Nvidia
    AI chips, Q1 2022 - Q4 2025 (docs/calibration.md, Energy)."""
    scenario = load_scenario(ROOT / "scenarios" / "fleet.toml")
    assert scenario.fleet is not None
    catalog = load_catalog()
    end = dt.date(2025, 12, 31)
    delivered = [d for d in scenario.fleet.deliveries if d.date <= end]
    units = sum(d.gpus for d in delivered)
    h100e = sum(d.gpus * weights(catalog, [d.hardware])[d.hardware] for d in delivered)
    watts = sum(d.gpus * catalog[d.hardware].tdp_w for d in delivered)
    assert units == pytest.approx(10.5e6, rel=0.05)
    assert h100e == pytest.approx(13.7e6, rel=0.05)
    assert watts == pytest.approx(8.6e9, rel=0.10)


def test_baseline_2025_energy_sits_within_public_data_centre_figures() -> None:
    """The baseline's 2025 energy lies between a twentieth of what the calibrated world fleet
    (scenarios/fleet.toml, tracking Epoch AI's chip counts) could draw running flat out in 2025
    and that ceiling itself, which in turn lies below the world's data-centre use (415 TWh in
    2024, IEA; docs/calibration.md, Energy): the modelled agents are a large minority of AI
    demand."""
    baseline = load_scenario(ROOT / "scenarios" / "baseline.toml", ["run.end=2026-01-01"])
    series = simulate(baseline).timeseries.to_pandas()
    used_twh = series.energy_mwh.sum() / 1e6
    world = load_scenario(ROOT / "scenarios" / "fleet.toml")
    assert world.fleet is not None
    catalog = load_catalog()
    begin, end = dt.date(2025, 1, 1), dt.date(2026, 1, 1)
    ceiling_wh = sum(
        d.gpus * catalog[d.hardware].tdp_w * (end - max(d.date, begin)).days * 24.0
        for d in world.fleet.deliveries
        if d.date < end
    )
    ceiling_twh = ceiling_wh * baseline.run.pue / 1e12
    assert ceiling_twh < 415.0
    assert ceiling_twh / 20 < used_twh < ceiling_twh


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "path"),
    [
        (
            'fleet.deliveries=[{date = 2024-01-01, hardware = "H900", gpus = 1}]',
            "fleet.deliveries.0.hardware",
        ),
        ("fleet.pools.own.labs=['nobody']", "fleet.pools.own.labs"),
        ("fleet.pools.cloud.share=0.6", "fleet"),
        ("fleet.priority=['post-training', 'test-time', 'pretraining']", "fleet"),
        ("fleet.pools.cloud.regimes=[]", "fleet.pools.cloud.regimes"),  # and no background
        ("fleet.growth.end=2020-01-01", "fleet.growth"),
        ("fleet.service_life_years=0", "fleet.service_life_years"),
    ],
)
def test_bad_fleets_are_rejected_naming_the_field(override: str, path: str) -> None:
    with pytest.raises(InputError) as caught:
        load_scenario(FLEET, [override])
    assert any(e.path == path for e in caught.value.errors), caught.value.errors


def test_cli_refuses_a_bad_fleet_and_writes_nothing(tmp_path: Path, runner: CliRunner) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["run", str(FLEET), "--out", str(out), "--set", "fleet.pools.cloud.share=0.9"]
    )
    assert result.exit_code == 2
    assert "fleet" in result.output
    assert not out.exists()


# --- summary and plot -------------------------------------------------------------------------


def test_summary_and_plot_show_the_supply_side(
    tmp_path: Path, fleet_run: Results, runner: CliRunner
) -> None:
    folder = write_results(fleet_run, tmp_path / "run")
    result = runner.invoke(app, ["summary", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    supply = pd.DataFrame(figures["supply"])
    capacity = fleet_run.supply.capacity.to_pandas() if fleet_run.supply else None
    assert capacity is not None
    assert supply.unmet_gpu_hours.sum() == pytest.approx(capacity.unmet_gpu_hours.sum())
    waits = fleet_run.supply.waits.to_pandas() if fleet_run.supply else None
    assert waits is not None
    assert figures["waits"]["never_started"] == waits.started.isna().sum() > 0
    image = tmp_path / "supply.png"
    result = runner.invoke(app, ["plot", str(folder), "--kind", "supply", "--out", str(image)])
    assert result.exit_code == 0, result.output
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_supply_plot_of_a_run_without_fleet_is_refused(tmp_path: Path, runner: CliRunner) -> None:
    folder = write_results(
        simulate(load_scenario(HERE / "scenarios" / "tiny.toml")), tmp_path / "r"
    )
    result = runner.invoke(app, ["plot", str(folder), "--kind", "supply"])
    assert result.exit_code == 2
    assert "no fleet" in result.output


def test_without_queues_served_plus_unmet_is_demanded_in_every_bin() -> None:
    """With no fluid work allowed to wait, each bin's test-time, post-training and experiment
    demand is exactly served or lost in that bin."""
    delays = ["fleet.experiments_max_delay_hours=0", "fleet.post_training_max_delay_hours=0"]
    result = simulate(load_scenario(FLEET, delays))
    assert result.supply is not None
    table = result.supply.capacity.to_pandas()
    fluid = table[table.regime != "pretraining"]
    gap = fluid.demanded_gpu_hours - fluid.served_gpu_hours - fluid.unmet_gpu_hours
    assert np.allclose(gap, 0.0, atol=1e-6 * fluid.demanded_gpu_hours.max())
    assert (fluid.queued_gpu_hours.abs() < 1e-6 * fluid.demanded_gpu_hours.max()).all()
    assert fluid.unmet_gpu_hours.sum() > 0


def test_unmet_share_is_of_the_work_that_left_the_queues() -> None:
    """A backlog demanded late in 2028 and lost early in 2029: 2029 lost 30 of the 40 GPU-hours
    that left its queues (0.75), where unmet / demanded would read 30 / 20 = 1.5."""
    capacity = pd.DataFrame(
        {
            "time": pd.to_datetime(["2028-12-31", "2029-01-01", "2029-06-01"], utc=True),
            "regime": ["post-training"] * 3,
            "demanded_gpu_hours": [50.0, 0.0, 20.0],
            "served_gpu_hours": [10.0, 0.0, 10.0],
            "unmet_gpu_hours": [0.0, 30.0, 0.0],
        }
    )
    table = unmet_by_year(capacity).set_index("year")
    assert table.loc[2028, "unmet_share"] == 0.0
    assert table.loc[2029, "unmet_share"] == pytest.approx(30.0 / 40.0)
