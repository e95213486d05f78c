"""Communities: the agents of post-training scaling; they spin out derivatives of releases.

Every release by a lab joins a pool of bases (open weights: the community's own ecosystem;
closed: the labs' fine-tuning services). Once a step (two weeks by default) the community shares
that step's derivatives among the bases in proportion to their appeal, draws how many each gets
by technique, and draws each derivative's tokens (sized to its base's pretraining data), hence
its FLOP and GPU-hours from the recipes in simdemand/physics/post_training.py. Derivatives
that become bases for others, or that are big against their family's pretraining, are released
as models of their own, each with one job row. The others are charged in one job row per family,
technique and step, whose model_id is ``ROOT~TECHNIQUE``.
Every post-training row's ``derivatives`` column holds the number of derivatives it stands for.

Random streams: ``community:NAME`` (counts, tokens, timing), ``community:NAME:popularity`` (one
draw per base, so a base's appeal does not depend on the draws made before its release) and
``community:NAME:lineage`` (parents and weights of released derivatives, so how many are
released one by one changes no count or compute).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Generator
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import numpy.typing as npt
import simpy

from simdemand.catalog import Hardware
from simdemand.physics import post_training
from simdemand.scenario.communities import (
    CLIP_SIGMAS,
    CLOSED_TECHNIQUES,
    NEAR_FREE,
    TECHNIQUES,
    CommunitySpec,
    Technique,
    clipped_lognormal_mean,
    clipped_lognormal_variance,
    sample_clipped_lognormal,
)
from simdemand.units import HOURS_PER_DAY, HOURS_PER_MONTH, POST_TRAINING, aggregate_id
from simdemand.world.registry import ModelRecord
from simdemand.world.world import World

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
# A merge or a quantization takes minutes to an hour on one GPU (mergekit, llama.cpp); its
# compute is counted as zero, its row lasts this long.
NEAR_FREE_JOB_HOURS = 0.25
# The community starts at most this long before hour 0 (if the world starts earlier), so the
# jobs already running at the start are in the ledger: longer than the longest job.
WARMUP_DAYS = 60.0
# Closed-channel groups (private fine-tunes of one model, technique and step) larger than this
# have their total tokens drawn from the normal law of a sum (central limit), not one by one.
EXACT_GROUP = 32


@dataclass
class Pool:
    """The bases of one channel, as columns: ids, release times, appeal, sizes, pretraining
    tokens, loss, GPU-hours."""

    ids: list[str] = field(default_factory=list)
    released_h: list[float] = field(default_factory=list)
    appeal: list[float] = field(default_factory=list)
    params: list[float] = field(default_factory=list)
    active: list[float] = field(default_factory=list)
    tokens: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    gpu_hours: list[float] = field(default_factory=list)
    children: list[list[tuple[str, float]]] = field(default_factory=list)
    arrays: dict[str, FloatArray] = field(default_factory=dict)

    def add(self, model: ModelRecord, appeal: float) -> None:
        """Add a released model as a base."""
        self.ids.append(model.model_id)
        self.released_h.append(model.released_h)
        self.appeal.append(appeal)
        self.params.append(model.params)
        self.active.append(model.active_params)
        self.tokens.append(model.tokens)
        self.loss.append(model.predicted_loss)
        self.gpu_hours.append(model.gpu_hours)
        self.children.append([])
        self.arrays = {}

    def column(self, name: str, index: IntArray | slice) -> FloatArray:
        """One numeric column, at the given base indices."""
        if name not in self.arrays:
            self.arrays[name] = np.array(getattr(self, name), dtype=np.float64)
        return self.arrays[name][index]


@dataclass(frozen=True)
class Batch:
    """Derivatives of one technique drawn in one step, one entry per derivative (grouped by root).

    `flop` and `gpu_hours` are the final runs'; a job (from `start_h` to `end_h`) also runs the
    derivative's development runs, `charge` times the final run in all.
    """

    technique: str
    root: IntArray
    tokens: FloatArray
    flop: FloatArray
    gpu_hours: FloatArray
    start_h: FloatArray
    end_h: FloatArray
    becomes_base: BoolArray
    charge: float


class Community:
    """Spins out derivatives of every release: counts per base and technique once a step."""

    def __init__(self, world: World, name: str, spec: CommunitySpec) -> None:
        self.world = world
        self.name = name
        self.spec = spec
        self.rng = world.rng(f"community:{name}")
        self.popularity = world.rng(f"community:{name}:popularity")
        self.lineage = world.rng(f"community:{name}:lineage")
        self.open = Pool()
        self.closed = Pool()
        self.teacher: ModelRecord | None = None
        self.pending: list[tuple[float, int, ModelRecord, int, float]] = []
        self.rows: dict[tuple[bool, str, str], list[tuple[IntArray, FloatArray]]] = {}
        self.made = 0
        world.registry.subscribe(self.on_release)
        world.env.process(self.run())

    # --- releases ------------------------------------------------------------------------------

    def on_release(self, model: ModelRecord) -> None:
        """A lab's release joins a pool of bases (derivatives do not) and teaches if it is the best
        servable model so far."""
        if model.parent_id is not None:
            return
        if model.open_weights:
            self.open.add(model, self.appeal(model))
        else:
            self.closed.add(model, 1.0)
        teaches = model.active_params <= self.spec.max_teacher_active_params
        if teaches and (self.spec.closed_teachers or model.open_weights):
            best = self.teacher
            if best is None or model.predicted_loss < best.predicted_loss:
                self.teacher = model

    def appeal(self, model: ModelRecord) -> float:
        """Appeal of a new open base before quality: a heavy-tailed draw, scaled by its size."""
        spec = self.spec
        size = (model.params / spec.reference_params) ** -spec.size_elasticity
        draw = min(float(self.popularity.standard_normal()), CLIP_SIGMAS)
        return float(math.exp(spec.popularity_sigma * draw) * size)

    # --- the process ---------------------------------------------------------------------------

    def run(self) -> Generator[simpy.Event, None, None]:
        """Once a step, spin out derivatives; in between, release those that finish."""
        step_h = self.spec.step_days * HOURS_PER_DAY
        first = max(self.world.now, -WARMUP_DAYS * HOURS_PER_DAY)
        clock = math.ceil(first / step_h) * step_h
        while clock < self.world.horizon_h:
            yield from self.release_until(clock)
            yield self.world.env.timeout(max(0.0, clock - self.world.now))
            self.step(clock, step_h)
            clock += step_h
        yield from self.release_until(self.world.horizon_h)
        self.flush()

    def release_until(self, until_h: float) -> Generator[simpy.Event, None, None]:
        """Release, each at its own time, the derivatives that finish before `until_h`."""
        while self.pending and self.pending[0][0] < until_h:
            release_h, _, model, root, weight = heapq.heappop(self.pending)
            yield self.world.env.timeout(max(0.0, release_h - self.world.now))
            self.world.registry.release(model)
            if root >= 0:
                self.open.children[root].append((model.model_id, weight))

    def step(self, clock: float, step_h: float) -> None:
        """Draw and charge one step's derivatives, open and closed."""
        spec = self.spec
        hardware = self.hardware(clock)
        years = self.world.years_since(clock + step_h / 2, spec.reference_date)
        months = step_h / HOURS_PER_MONTH
        rate = spec.derivatives_per_month * spec.growth_per_year**years * months
        bases, split = self.counts(self.open, clock, step_h, rate, spec.outside_appeal)
        for k, technique in enumerate(TECHNIQUES):
            self.spin(self.open, technique, bases, split[:, k], clock, step_h, hardware)
        closed = spec.closed
        rate = closed.derivatives_per_month * closed.growth_per_year**years * months
        bases, split = self.counts(self.closed, clock, step_h, rate, 0.0)
        for k, technique in enumerate(CLOSED_TECHNIQUES):
            self.spin(self.closed, technique, bases, split[:, k], clock, step_h, hardware)
        self.flush()

    def counts(
        self, pool: Pool, clock: float, step_h: float, rate: float, outside: float
    ) -> tuple[IntArray, IntArray]:
        """(base indices, counts by technique) of the bases that get derivatives this step."""
        width = len(TECHNIQUES) if pool is self.open else len(CLOSED_TECHNIQUES)
        none = (np.empty(0, np.int64), np.empty((0, width), np.int64))
        live = np.flatnonzero(pool.column("released_h", slice(None)) <= clock).astype(np.int64)
        if rate <= 0 or len(live) == 0:
            return none
        spec = self.spec
        age_h = clock + step_h / 2 - pool.column("released_h", live)
        loss = pool.column("loss", live)
        behind = (loss - loss.min()) / spec.quality_nats if pool is self.open else 0.0
        decay_h = spec.decay_months * HOURS_PER_MONTH
        appeal = pool.column("appeal", live) * np.exp(-age_h / decay_h - behind)
        total = self.rng.poisson(rate * appeal / (outside + appeal.sum()))
        chosen = total > 0
        if not chosen.any():
            return none
        shares = spec.techniques.shares() if pool is self.open else spec.closed.shares()
        return live[chosen], self.rng.multinomial(total[chosen], shares).astype(np.int64)

    # --- making derivatives --------------------------------------------------------------------

    def spin(
        self,
        pool: Pool,
        technique: str,
        bases: IntArray,
        counts: IntArray,
        clock: float,
        step_h: float,
        hardware: Hardware,
    ) -> None:
        """Make this step's derivatives of one technique, then charge and release them."""
        if counts.sum() == 0:
            return
        if technique in NEAR_FREE:
            self.near_free(pool, technique, bases, counts, clock, step_h, hardware)
            return
        if pool is self.closed:
            self.private(technique, bases, counts, clock, step_h, hardware)
            return
        batch = self.draw(pool, technique, np.repeat(bases, counts), clock, step_h, hardware)
        family = pool.column("gpu_hours", batch.root)
        big = batch.gpu_hours >= self.spec.register_min_share * family
        keep = (batch.becomes_base | big) & (batch.end_h < self.world.horizon_h)
        for i in np.flatnonzero(keep):
            self.register(pool, batch, int(i), hardware)
        self.aggregate(pool, batch, ~keep, clock, step_h, hardware)

    def draw(
        self,
        pool: Pool,
        technique: str,
        root: IntArray,
        clock: float,
        step_h: float,
        hardware: Hardware,
    ) -> Batch:
        """Draw the tokens, compute, timing and fate of `len(root)` derivatives."""
        n = len(root)
        tokens = self.tokens(pool, technique, root)
        phases, memory_bytes = self.recipe(pool, technique, root, tokens)
        gpu_hours = self.gpu_hours(pool, technique, phases, hardware)
        charge = 1.0 + self.spec.experiments_multiple
        gpus = self.gpus(charge * gpu_hours, memory_bytes, hardware)
        start_h = clock + self.rng.random(n) * step_h
        return Batch(
            technique=technique,
            root=root,
            tokens=tokens,
            flop=np.asarray(phases.total_flop, dtype=np.float64),
            gpu_hours=gpu_hours,
            start_h=start_h,
            end_h=start_h + charge * gpu_hours / gpus,
            becomes_base=self.becomes_base(pool, technique, n),
            charge=charge,
        )

    def becomes_base(self, pool: Pool, technique: str, n: int) -> BoolArray:
        """Which of `n` derivatives become bases for others (open, never quantizations)."""
        fate = np.zeros(n, dtype=bool)
        if pool is self.open and technique != "quantize":
            chosen = self.rng.binomial(n, self.spec.base_probability)
            fate[self.rng.choice(n, size=chosen, replace=False)] = True
        return fate

    def tokens(self, pool: Pool, technique: str, root: IntArray) -> FloatArray:
        """Tokens per derivative of each base in `root`: the technique's distribution sized to
        the base's pretraining tokens (the closed channel's own distribution, unscaled)."""
        n = len(root)
        if pool is self.open:
            spec: Technique = getattr(self.spec.techniques, technique)
            scale = self.spec.data_scale(pool.column("tokens", root))
            return spec.sample_tokens(self.rng, n) * scale
        closed = self.spec.closed
        return sample_clipped_lognormal(self.rng, closed.tokens_median, closed.tokens_sigma, n)

    def recipe(
        self, pool: Pool, technique: str, root: IntArray, tokens: FloatArray
    ) -> tuple[post_training.PhaseFlop, FloatArray]:
        """FLOP by phase of each derivative, and the bytes of memory its job needs."""
        spec = self.spec.techniques
        active = pool.column("active", root)
        params = pool.column("params", root)
        tuned = params * post_training.FULL_TUNING_BYTES_PER_PARAM
        if technique == "lora":
            return post_training.lora_flop(
                active, tokens
            ), params * post_training.FROZEN_BYTES_PER_PARAM
        if technique == "sft":
            return post_training.sft_flop(active, tokens), tuned
        if technique == "rl":
            return post_training.rl_flop(active, tokens, spec.rl.reward_model_fraction), tuned
        if technique == "best_of_n":
            b = spec.best_of_n
            phases = post_training.best_of_n_flop(
                active, tokens, b.samples_per_prompt, b.reward_model_fraction
            )
            return phases, tuned
        if technique == "search":
            s = spec.search
            phases = post_training.search_flop(
                active, tokens, s.generated_per_kept_token, s.verifier_fraction
            )
            return phases, tuned
        if technique == "synthetic":
            ratio = spec.synthetic.generated_per_kept_token
            return post_training.synthetic_data_flop(active, tokens, ratio), tuned
        teacher_active, teacher_params = self.teacher_size(
            active, params, pool.column("loss", root)
        )
        phases = post_training.distillation_flop(active, teacher_active, tokens)
        return phases, tuned + teacher_params * post_training.FROZEN_BYTES_PER_PARAM

    def teacher_size(
        self, active: FloatArray, params: FloatArray, loss: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """(active, total) params of each student's teacher: the best servable model so far, or
        itself."""
        best = self.teacher
        if best is None:
            return active, params
        better = best.predicted_loss < loss
        return (
            np.where(better, best.active_params, active),
            np.where(better, best.params, params),
        )

    def gpu_hours(
        self, pool: Pool, technique: str, phases: post_training.PhaseFlop, hardware: Hardware
    ) -> FloatArray:
        """GPU-hours of each derivative: every phase at its own utilization of the BF16 peak."""
        spec = self.spec
        train = spec.train_utilization if pool is self.open else spec.closed.train_utilization
        generate = spec.rollout_utilization if technique == "rl" else spec.generation_utilization
        hours = post_training.post_training_gpu_hours(
            phases,
            hardware.bf16_flop_per_s,
            train_utilization=train,
            generate_utilization=generate,
            score_utilization=spec.scoring_utilization,
        )
        return np.asarray(hours, dtype=np.float64)

    def gpus(
        self, gpu_hours: FloatArray, memory_bytes: FloatArray, hardware: Hardware
    ) -> FloatArray:
        """GPUs per job: enough to hold the models, more to end in about job_days, capped."""
        held = np.asarray(post_training.min_gpus_to_hold(memory_bytes, 1.0, hardware.hbm_bytes))
        wanted = np.ceil(gpu_hours / (self.spec.job_days * HOURS_PER_DAY))
        gpus = np.maximum(held, np.minimum(wanted, self.spec.max_job_gpus))
        node = hardware.gpus_per_node
        whole: FloatArray = np.where(gpus > node, np.ceil(gpus / node) * node, gpus)
        return whole

    def near_free(
        self,
        pool: Pool,
        technique: str,
        bases: IntArray,
        counts: IntArray,
        clock: float,
        step_h: float,
        hardware: Hardware,
    ) -> None:
        """Merges and quantizations: counted per family; those that become bases released."""
        n = len(counts)
        promoted = np.zeros(n, dtype=np.int64)
        if pool is self.open and technique != "quantize":
            promoted = self.rng.binomial(counts, self.spec.base_probability)
        root = np.repeat(bases, promoted)
        start_h = clock + self.rng.random(len(root)) * step_h
        batch = Batch(
            technique=technique,
            root=root,
            tokens=np.zeros(len(root)),
            flop=np.zeros(len(root)),
            gpu_hours=np.zeros(len(root)),
            start_h=start_h,
            end_h=start_h + NEAR_FREE_JOB_HOURS,
            becomes_base=np.ones(len(root), dtype=bool),
            charge=1.0,
        )
        keep = batch.end_h < self.world.horizon_h
        for i in np.flatnonzero(keep):
            self.register(pool, batch, int(i), hardware)
        late = np.bincount(np.searchsorted(bases, root[~keep]), minlength=n)
        rest = (counts - promoted + late).astype(np.float64)
        some = rest > 0
        start = clock + self.rng.random(int(some.sum())) * step_h
        zeros = np.zeros(len(start))
        rows = np.column_stack(
            (start, start + NEAR_FREE_JOB_HOURS, zeros, zeros, rest[some], zeros)
        )
        self.keep_rows(pool, bases[some], technique, hardware, rows)

    def private(
        self,
        technique: str,
        bases: IntArray,
        counts: IntArray,
        clock: float,
        step_h: float,
        hardware: Hardware,
    ) -> None:
        """Closed models' fine-tuning services: private derivatives, counted per model and step.

        A group's tokens are the sum of its derivatives' draws (for large groups, a normal draw
        with the sum's mean and variance); its row lasts as long as its largest job would.
        """
        spec = self.spec.closed
        some = counts > 0
        bases, counts = bases[some], counts[some]
        exact = counts <= EXACT_GROUP
        tokens = np.zeros(len(counts))
        draws = sample_clipped_lognormal(
            self.rng, spec.tokens_median, spec.tokens_sigma, int(counts[exact].sum())
        )
        if exact.any():
            first = np.concatenate(([0], np.cumsum(counts[exact])[:-1]))
            tokens[exact] = np.add.reduceat(draws, first)
        mean = clipped_lognormal_mean(spec.tokens_median, spec.tokens_sigma)
        sd = math.sqrt(clipped_lognormal_variance(spec.tokens_median, spec.tokens_sigma))
        n = counts[~exact].astype(np.float64)
        normal = self.rng.standard_normal(len(n))
        tokens[~exact] = np.maximum(mean, n * mean + np.sqrt(n) * sd * normal)
        phases, memory_bytes = self.recipe(self.closed, technique, bases, tokens)
        gpu_hours = self.gpu_hours(self.closed, technique, phases, hardware)
        charge = 1.0 + self.spec.experiments_multiple
        z = np.array([min(CLIP_SIGMAS, NormalDist().inv_cdf(c / (c + 1.0))) for c in counts])
        largest = gpu_hours * spec.tokens_median * np.exp(spec.tokens_sigma * z) / tokens
        largest = np.minimum(largest, gpu_hours)
        span = charge * largest / self.gpus(charge * largest, memory_bytes, hardware)
        start = clock + self.rng.random(len(counts)) * step_h
        flop = np.asarray(phases.total_flop, dtype=np.float64)
        rows = np.column_stack(
            (start, start + span, charge * gpu_hours, charge * flop, counts.astype(float), tokens)
        )
        self.keep_rows(self.closed, bases, technique, hardware, rows)

    # --- charging and releasing ----------------------------------------------------------------

    def register(self, pool: Pool, batch: Batch, i: int, hardware: Hardware) -> None:
        """Charge one derivative as a job of its own and schedule its release as a model."""
        self.made += 1
        model_id = f"{self.name}/d{self.made}"
        r = int(batch.root[i])
        self.world.ledger.record(
            POST_TRAINING,
            self.name,
            batch.technique,
            model_id,
            hardware.name,
            float(batch.start_h[i]),
            float(batch.end_h[i]),
            float(batch.charge * batch.gpu_hours[i]),
            float(batch.charge * batch.flop[i]),
            derivatives=1.0,
            tokens=float(batch.tokens[i]),
        )
        model = ModelRecord(
            model_id=model_id,
            lab=self.name,
            released_h=float(batch.end_h[i]),
            params=pool.params[r],
            active_params=pool.active[r],
            tokens=float(batch.tokens[i]),
            training_flop=float(batch.flop[i]),
            open_weights=pool is self.open,
            parent_id=self.parent(pool, r) if pool is self.open else pool.ids[r],
            hardware=hardware.name,
            gpu_hours=float(batch.gpu_hours[i]),
            predicted_loss=pool.loss[r],
            technique=batch.technique,
        )
        root, weight = -1, 0.0
        if batch.becomes_base[i]:
            root = r
            weight = math.exp(self.spec.popularity_sigma * self.lineage.standard_normal())
        heapq.heappush(self.pending, (model.released_h, self.made, model, root, weight))

    def parent(self, pool: Pool, root: int) -> str:
        """The family's root, or (with derivative_parent_probability) one of its derivatives
        that became a base and is already released, picked in proportion to their weights."""
        children = pool.children[root]
        attach, pick = self.lineage.random(2)
        if not children or attach >= self.spec.derivative_parent_probability:
            return pool.ids[root]
        weights = np.cumsum([w for _, w in children])
        index = int(np.searchsorted(weights, pick * weights[-1], side="right"))
        return children[min(index, len(children) - 1)][0]

    def aggregate(
        self,
        pool: Pool,
        batch: Batch,
        mask: BoolArray,
        clock: float,
        step_h: float,
        hardware: Hardware,
    ) -> None:
        """Charge the derivatives not released one by one in one row per family: the family's
        jobs of this step run side by side with the longest of them, whose interval the row
        takes (so rows cover few hours; their sums over days and weeks are exact).
        """
        if not mask.any():
            return
        root = batch.root[mask]
        first = np.flatnonzero(np.concatenate(([True], root[1:] != root[:-1])))
        start_h, end_h = batch.start_h[mask], batch.end_h[mask]
        hours = end_h - start_h
        longest = np.maximum.reduceat(hours, first)
        sizes = np.diff(np.append(first, len(root)))
        index = np.where(hours == np.repeat(longest, sizes), np.arange(len(root)), len(root))
        pick = np.minimum.reduceat(index, first)
        amounts = [
            batch.charge * np.add.reduceat(getattr(batch, k)[mask], first)
            for k in ("gpu_hours", "flop")
        ]
        tokens = np.add.reduceat(batch.tokens[mask], first)
        rows = np.column_stack(
            (start_h[pick], end_h[pick], *amounts, sizes.astype(np.float64), tokens)
        )
        self.keep_rows(pool, root[first], batch.technique, hardware, rows)

    def keep_rows(
        self, pool: Pool, roots: IntArray, technique: str, hardware: Hardware, rows: FloatArray
    ) -> None:
        """Keep family rows (start, end, GPU-hours, FLOP, derivatives, tokens) for `flush`."""
        key = (pool is self.open, technique, hardware.name)
        self.rows.setdefault(key, []).append((roots, rows))

    def flush(self) -> None:
        """Append the step's family rows to the ledger, as they are drawn (a step ahead of the
        jobs they charge): one chunk per channel, technique and hardware, grouped by family."""
        for (is_open, technique, hardware), kept in self.rows.items():
            pool = self.open if is_open else self.closed
            roots = np.concatenate([r for r, _ in kept])
            rows = np.concatenate([x for _, x in kept])
            order = np.argsort(roots, kind="stable")
            roots, rows = roots[order], rows[order]
            family, where = np.unique(roots, return_inverse=True)
            names = np.array([aggregate_id(pool.ids[int(r)], technique) for r in family], object)
            start, end, gpu_hours, flop, number, tokens = rows.T
            self.world.ledger.record_many(
                POST_TRAINING,
                self.name,
                technique,
                names[where],
                hardware,
                start,
                end,
                gpu_hours,
                flop,
                derivatives=number,
                tokens=tokens,
            )
        self.rows = {}

    def hardware(self, at_h: float) -> Hardware:
        """The newest generation available (after the lag) at a time, else the oldest one."""
        catalog = self.world.catalog
        try:
            return catalog.newest_available(self.world.date_at(at_h), self.spec.hardware_lag_days)
        except LookupError:
            return min((catalog[n] for n in catalog.names), key=lambda hw: (hw.available, hw.name))
