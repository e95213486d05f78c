"""Labs: the agents of pretraining scaling; they train models along a trend and release them."""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass

import simpy

from simdemand.catalog import Hardware, Precision
from simdemand.physics import training
from simdemand.scenario.schema import LabArchetype
from simdemand.units import DAYS_PER_YEAR, HOURS_PER_DAY, SECONDS_PER_HOUR
from simdemand.world.registry import ModelRecord
from simdemand.world.supply.fleet import Grant, Option
from simdemand.world.world import World


@dataclass(frozen=True)
class RunPlan:
    """A pretraining run decided at one moment: its size, hardware, cluster and length."""

    wanted_flop: float
    flop: float
    params: float
    active_params: float
    tokens: float
    hardware: Hardware
    precision: Precision
    gpus: int
    utilization: float
    gpu_hours: float
    days: float


class Lab:
    """One lab: a Poisson stream of runs, each preceded by experiments and followed by a release."""

    def __init__(self, world: World, name: str, spec: LabArchetype, archetype: str = "") -> None:
        self.world = world
        self.name = name
        self.archetype = archetype
        self.spec = spec
        self.rng = world.rng(f"lab:{name}")
        self.runs = 0
        world.env.process(self.run())

    def run(self) -> Generator[simpy.Event, None, None]:
        """Start runs at exponential intervals from this lab's own warm-up until the horizon.

        The lab keeps its own clock so that its times do not depend on when the world started
        (which depends on the other agents' warm-up).
        """
        mean_gap_h = DAYS_PER_YEAR * HOURS_PER_DAY / self.spec.runs_per_year
        clock = -warmup_hours(self.spec)
        while True:
            clock += self.rng.exponential(mean_gap_h)
            if clock >= self.world.horizon_h:
                return
            yield self.world.env.timeout(max(0.0, clock - self.world.now))
            self.world.env.process(self.train(self.plan(clock), clock))

    def plan(self, decided_h: float) -> RunPlan:
        """Size a run decided at `decided_h` from the trend, the cluster and the hardware."""
        spec = self.spec
        start_h = decided_h + spec.experiments_days * HOURS_PER_DAY
        years = self.world.years_since(start_h, spec.reference_date)
        wanted = spec.compute_flop_at_reference * spec.compute_growth_per_year**years
        wanted *= math.exp(spec.compute_sigma * self.rng.standard_normal())
        return self.size(wanted, start_h, self.hardware(start_h))

    def size(self, wanted: float, start_h: float, hardware: Hardware) -> RunPlan:
        """Fit a run of `wanted` FLOP starting at `start_h` to the cluster on `hardware`."""
        spec = self.spec
        years = self.world.years_since(start_h, spec.reference_date)
        cluster = max(
            1, round(spec.cluster_gpus_at_reference * spec.cluster_growth_per_year**years)
        )
        precision = hardware.supported(spec.precision)
        peak = hardware.peak_flop_per_s(precision)
        min_s = spec.min_run_days * HOURS_PER_DAY * SECONDS_PER_HOUR
        max_s = spec.max_run_days * HOURS_PER_DAY * SECONDS_PER_HOUR
        active0, params0, _ = self.sizing(wanted)
        eff = hardware.training_efficiency
        util = training.training_utilization(
            active0, params0, precision, cluster, hardware_efficiency=eff
        )
        gpus = min(cluster, max(1, math.ceil(wanted / (peak * util * min_s))))
        active, params, _ = self.sizing(wanted)
        util = training.training_utilization(
            active, params, precision, gpus, hardware_efficiency=eff
        )
        flop = min(wanted, gpus * peak * util * max_s)
        active, params, tokens = self.sizing(flop)
        seconds = flop / (gpus * peak * util)
        return RunPlan(
            wanted_flop=wanted,
            flop=flop,
            params=params,
            active_params=active,
            tokens=tokens,
            hardware=hardware,
            precision=precision,
            gpus=gpus,
            utilization=util,
            gpu_hours=training.gpu_hours_from_flop(flop, peak, util),
            days=seconds / SECONDS_PER_HOUR / HOURS_PER_DAY,
        )

    def sizing(self, flop: float) -> tuple[float, float, float]:
        """Return (active params, total params, tokens) for a run of `flop`."""
        active, tokens = training.compute_optimal_sizing(flop, self.spec.tokens_per_param)
        return active, active / self.spec.active_fraction, tokens

    def hardware(self, start_h: float) -> Hardware:
        """The pinned hardware, else the newest generation available (after the lag) at start_h."""
        catalog = self.world.catalog
        if self.spec.hardware is not None:
            return catalog[self.spec.hardware]
        # Validation made sure a generation is available from the lab's first possible run.
        return catalog.newest_available(self.world.date_at(start_h), self.spec.hardware_lag_days)

    def train(self, plan: RunPlan, decided_h: float) -> Generator[simpy.Event, Grant, None]:
        """Run experiments, then the final run, then release the model after a lag."""
        self.runs += 1
        model_id = f"{self.name}/{self.runs}"
        spec, ledger, hw = self.spec, self.world.ledger, plan.hardware.name
        run_start_h = decided_h + spec.experiments_days * HOURS_PER_DAY
        run_end_h = run_start_h + plan.days * HOURS_PER_DAY
        release_h = run_end_h + spec.release_lag_days * HOURS_PER_DAY
        if spec.experiments_multiple > 0:
            ledger.record(
                "pretraining",
                self.name,
                "experiments",
                model_id,
                hw,
                decided_h,
                run_start_h,
                plan.gpu_hours * spec.experiments_multiple,
                plan.flop * spec.experiments_multiple,
            )
        if self.world.fleet is not None:
            yield self.world.env.timeout(max(0.0, run_start_h - self.world.now))
            asked_h = self.world.now
            plans = self.alternatives(plan, run_start_h)
            options = tuple(Option(p.hardware.name, p.gpus, p.days * HOURS_PER_DAY) for p in plans)
            grant = yield self.world.fleet.reserve(
                self.name, self.archetype, model_id, "final-run", options
            )
            plan = plans[options.index(grant.option)]
            hw = plan.hardware.name
            if self.world.now > asked_h:  # it waited: the run starts now
                run_start_h = self.world.now
            run_end_h = run_start_h + plan.days * HOURS_PER_DAY
            release_h = run_end_h + spec.release_lag_days * HOURS_PER_DAY
        ledger.record(
            "pretraining",
            self.name,
            "final-run",
            model_id,
            hw,
            run_start_h,
            run_end_h,
            plan.gpu_hours,
            plan.flop,
        )
        yield self.world.env.timeout(max(0.0, release_h - self.world.now))
        self.world.registry.release(
            ModelRecord(
                model_id=model_id,
                lab=self.name,
                released_h=release_h,
                params=plan.params,
                active_params=plan.active_params,
                tokens=plan.tokens,
                training_flop=plan.flop,
                open_weights=spec.open_weights,
                parent_id=None,
                hardware=hw,
                gpu_hours=plan.gpu_hours,
                predicted_loss=self.predicted_loss(plan, run_start_h),
                technique="pretraining",
            )
        )

    def predicted_loss(self, plan: RunPlan, start_h: float) -> float:
        """The run's Chinchilla loss at its effective compute (algorithmic progress at start)."""
        spec = self.spec
        years = self.world.years_since(start_h, spec.algorithmic_reference_date)
        multiplier = training.algorithmic_multiplier(years, spec.algorithmic_halving_months)
        return training.effective_loss(plan.active_params, plan.tokens, multiplier)

    def alternatives(self, plan: RunPlan, start_h: float) -> list[RunPlan]:
        """The planned run, then the same run resized for each other generation the fleet has
        (newest first), unless the lab pins its hardware."""
        plans = [plan]
        fleet = self.world.fleet
        if fleet is not None and self.spec.hardware is None:
            others = [self.world.catalog[n] for n in fleet.hardware if n != plan.hardware.name]
            others.sort(key=lambda hw: (-hw.available.toordinal(), hw.name))
            plans += [self.size(plan.wanted_flop, start_h, hw) for hw in others]
        return plans


def warmup_hours(spec: LabArchetype) -> float:
    """How long before the start a lab must begin so runs are already under way at hour 0."""
    return (spec.experiments_days + spec.max_run_days + spec.release_lag_days) * HOURS_PER_DAY
