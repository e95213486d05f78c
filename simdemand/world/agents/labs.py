"""Labs: the agents of pretraining scaling; they train models along a trend and release them."""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import cast

import simpy

from simdemand.catalog import Hardware, Precision
from simdemand.physics import lab_work, training
from simdemand.scenario.lab_tables import LabFamily, LabResearch
from simdemand.scenario.schema import LabArchetype
from simdemand.units import (
    DAYS_PER_YEAR,
    HOURS_PER_DAY,
    POST_TRAINING,
    PRETRAINING,
    SECONDS_PER_HOUR,
)
from simdemand.world.registry import ModelRecord
from simdemand.world.supply.fleet import Grant, Option
from simdemand.world.world import World

WATTS_PER_MW = 1e6


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


# A trained family member: (model id, plan, start hour, the hour it can be released).
MemberRun = tuple[str, RunPlan, float, float]


class Lab:
    """One lab: a Poisson stream of runs, each preceded by experiments and followed by a release."""

    def __init__(self, world: World, name: str, spec: LabArchetype, archetype: str = "") -> None:
        self.world = world
        self.name = name
        self.archetype = archetype
        self.spec = spec
        self.rng = world.rng(f"lab:{name}")
        self.runs = 0
        world.budget.join(self)
        world.env.process(self.run())
        if spec.research is not None:
            world.env.process(self.research(spec.research))

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
        wanted *= self.world.budget.multiplier(decided_h)
        return self.size(wanted, start_h, self.hardware(start_h))

    def size(self, wanted: float, start_h: float, hardware: Hardware) -> RunPlan:
        """Fit a run of `wanted` FLOP starting at `start_h` to the cluster on `hardware`."""
        spec = self.spec
        cluster = self.cluster(start_h, hardware)
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
        return run_plan(wanted, flop, active, params, tokens, hardware, precision, gpus, util)

    def cluster(self, start_h: float, hardware: Hardware) -> int:
        """The largest cluster at `start_h`: the campus's power in GPUs of `hardware` if the lab
        has a campus, else the GPU trend."""
        spec = self.spec
        years = self.world.years_since(start_h, spec.reference_date)
        if spec.campus is None:
            trend: float = spec.cluster_gpus_at_reference * spec.cluster_growth_per_year**years
            return max(1, round(trend))
        campus = spec.campus
        watts = campus.sites * campus.mw_at_reference * WATTS_PER_MW * campus.growth_per_year**years
        return training.campus_gpus(watts, hardware.tdp_w, self.world.scenario.run.pue)

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
        members = [
            self.world.env.process(self.train_member(member, f"{model_id}-{label}", run_start_h))
            for label, member in self.members(plan)
        ]
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
        post_end_h = run_end_h
        if spec.post_training is not None:
            yield self.world.env.timeout(max(0.0, run_end_h - self.world.now))
            post_end_h = self.post_train(plan, model_id, run_end_h)
        release_h = max(run_end_h + spec.release_lag_days * HOURS_PER_DAY, post_end_h)
        trained = [(model_id, plan, run_start_h)]
        if members:
            yield self.world.env.all_of(members)
            for process in members:
                member_id, member, start_h, ready_h = cast(MemberRun, process.value)
                trained.append((member_id, member, start_h))
                release_h = max(release_h, ready_h)
        yield self.world.env.timeout(max(0.0, release_h - self.world.now))
        for released_id, released, start_h in trained:
            self.release(released_id, released, start_h, release_h)

    def release(self, model_id: str, plan: RunPlan, start_h: float, release_h: float) -> None:
        """Register a base model trained by `plan` from `start_h`, released at `release_h`."""
        self.world.registry.release(
            ModelRecord(
                model_id=model_id,
                lab=self.name,
                released_h=release_h,
                params=plan.params,
                active_params=plan.active_params,
                tokens=plan.tokens,
                training_flop=plan.flop,
                open_weights=self.spec.open_weights,
                parent_id=None,
                hardware=plan.hardware.name,
                gpu_hours=plan.gpu_hours,
                predicted_loss=self.predicted_loss(plan, start_h),
                technique="pretraining",
            )
        )

    def members(self, flagship: RunPlan) -> list[tuple[str, RunPlan]]:
        """The family's members smaller than `flagship`, each labelled by its size ("8B")."""
        family = self.spec.family
        if family is None:
            return []
        return [
            (size_label(active), member_plan(flagship, active, family, self.min_run_s()))
            for active in family.active_params
            if active < flagship.active_params
        ]

    def min_run_s(self) -> float:
        """The shortest final run, in seconds."""
        return self.spec.min_run_days * HOURS_PER_DAY * SECONDS_PER_HOUR

    def train_member(
        self, plan: RunPlan, model_id: str, start_h: float
    ) -> Generator[simpy.Event, Grant, MemberRun]:
        """Train a family member from `start_h` (on its own fleet grant, if any) and post-train
        it; the value is (model id, plan, start, when it can be released)."""
        if self.world.fleet is not None:
            option = Option(plan.hardware.name, plan.gpus, plan.days * HOURS_PER_DAY)
            yield self.world.fleet.reserve(
                self.name, self.archetype, model_id, "final-run", (option,)
            )
            start_h = max(start_h, self.world.now)
        end_h = start_h + plan.days * HOURS_PER_DAY
        self.world.ledger.record(
            PRETRAINING,
            self.name,
            "final-run",
            model_id,
            plan.hardware.name,
            start_h,
            end_h,
            plan.gpu_hours,
            plan.flop,
        )
        post_end_h = end_h
        if self.spec.post_training is not None:
            yield self.world.env.timeout(max(0.0, end_h - self.world.now))
            post_end_h = self.post_train(plan, model_id, end_h)
        ready_h = max(end_h + self.spec.release_lag_days * HOURS_PER_DAY, post_end_h)
        return model_id, plan, start_h, ready_h

    def post_train(self, plan: RunPlan, model_id: str, start_h: float) -> float:
        """Charge the lab's post-training of `model_id` from `start_h` on the run's cluster and
        hardware, each activity over the whole phase; return the phase's end."""
        spec = self.spec.post_training
        if spec is None:
            return start_h
        hw = plan.hardware
        years = self.world.years_since(start_h, spec.reference_date)
        share = lab_work.rl_share(
            years, spec.rl_share_at_reference, spec.rl_share_growth_per_year, spec.rl_share_max
        )
        rl_hours = plan.gpu_hours * share
        run_flop_per_s = hw.peak_flop_per_s(plan.precision) * plan.utilization
        rollout_flop_per_s = lab_work.rollout_flop_per_s(hw.bf16_flop_per_s, hw.serving_efficiency)
        rollouts, updates = lab_work.rl_charges(
            rl_hours, plan.active_params, rollout_flop_per_s, run_flop_per_s
        )
        charges = {
            "sft": lab_work.sft_charge(
                plan.flop, plan.active_params, run_flop_per_s, spec.sft_flop_fraction
            ),
            "synthetic-data": lab_work.synthetic_data_charge(
                rl_hours * spec.synthetic_data_per_rl,
                plan.active_params,
                hw.bf16_flop_per_s,
                hw.serving_efficiency,
            ),
            "rl-rollouts": rollouts,
            "rl-updates": updates,
        }
        total_h = sum(charge.gpu_hours for charge in charges.values())
        if total_h <= 0:
            return start_h
        end_h = start_h + total_h / plan.gpus
        for activity, charge in charges.items():
            if charge.gpu_hours > 0:
                self.world.ledger.record(
                    POST_TRAINING,
                    self.name,
                    activity,
                    model_id,
                    hw.name,
                    start_h,
                    end_h,
                    charge.gpu_hours,
                    charge.flop,
                    tokens=charge.tokens,
                )
        return end_h

    def research(self, research: LabResearch) -> Generator[simpy.Event, None, None]:
        """Charge the standing research programme step by step from the start to the horizon:
        a multiple of the final-run work a year of the trend's median runs, as the cluster of the
        time allows them (a run capped by its cluster counts as capped)."""
        spec, world = self.spec, self.world
        yield world.env.timeout(max(0.0, -world.now))
        start_h = 0.0
        while start_h < world.horizon_h:
            end_h = min(start_h + research.step_days * HOURS_PER_DAY, world.horizon_h)
            mid_h = 0.5 * (start_h + end_h)
            years = world.years_since(mid_h, spec.reference_date)
            median = spec.compute_flop_at_reference * spec.compute_growth_per_year**years
            median *= world.budget.multiplier(start_h)
            hardware = self.hardware(mid_h)
            plan = self.size(median, mid_h, hardware)
            hours = end_h - start_h
            world.ledger.record(
                PRETRAINING,
                self.name,
                "research",
                f"{self.name}/research",
                hardware.name,
                start_h,
                end_h,
                lab_work.research_amount(
                    research.multiple, spec.runs_per_year, plan.gpu_hours, hours
                ),
                lab_work.research_amount(research.multiple, spec.runs_per_year, plan.flop, hours),
            )
            yield world.env.timeout(max(0.0, end_h - world.now))
            start_h = end_h

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


def member_plan(flagship: RunPlan, active: float, family: LabFamily, min_run_s: float) -> RunPlan:
    """A family member of `active` parameters trained beside `flagship`: the flagship's tokens
    (capped at `max_tokens_per_param`), 6 N D FLOP, on the flagship's hardware and precision,
    on the smallest cluster (no larger than the flagship's) that finishes within `min_run_s`."""
    params = active / family.active_fraction
    tokens = flagship.tokens
    if family.max_tokens_per_param is not None:
        tokens = min(tokens, family.max_tokens_per_param * active)
    flop = training.training_flop(active, tokens)
    hardware, precision = flagship.hardware, flagship.precision
    peak = hardware.peak_flop_per_s(precision)
    eff = hardware.training_efficiency
    util = training.training_utilization(active, params, precision, hardware_efficiency=eff)
    gpus = min(flagship.gpus, max(1, math.ceil(flop / (peak * util * min_run_s))))
    util = training.training_utilization(active, params, precision, gpus, hardware_efficiency=eff)
    return run_plan(flop, flop, active, params, tokens, hardware, precision, gpus, util)


def run_plan(
    wanted: float,
    flop: float,
    active: float,
    params: float,
    tokens: float,
    hardware: Hardware,
    precision: Precision,
    gpus: int,
    util: float,
) -> RunPlan:
    """A run of `flop` on `gpus` of `hardware` at utilization `util`: its GPU-hours and days."""
    peak = hardware.peak_flop_per_s(precision)
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


def size_label(active_params: float) -> str:
    """A member's label by its active parameters: "8B", "0.6B", "1.5T"."""
    if active_params >= 1e12:
        return f"{active_params / 1e12:.3g}T"
    return f"{active_params / 1e9:.3g}B"


def warmup_hours(spec: LabArchetype) -> float:
    """How long before the start a lab must begin so runs are already under way at hour 0."""
    return (spec.experiments_days + spec.max_run_days + spec.release_lag_days) * HOURS_PER_DAY
