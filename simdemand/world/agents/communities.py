"""Communities: the agents of post-training scaling; they spin out derivatives of releases.

Every release by a lab joins the bases of a channel (open weights: the community's own
ecosystem; closed: the labs' fine-tuning services; see :mod:`simdemand.world.agents.channels`).
Once a step (two weeks by default) each channel shares that step's derivatives among its bases
in proportion to their appeal, draws how many each gets by technique, and draws each
derivative's tokens, hence its FLOP and GPU-hours from the technique's recipe
(:mod:`simdemand.world.agents.recipes`). Open derivatives that become bases for others, or that
are big against their family's pretraining, are released as models of their own, each with
one job row; the others are charged in one job row per family, technique and step, whose
model_id is ``ROOT~TECHNIQUE``. Every post-training row names its family's base (``base_id``)
and holds in ``derivatives`` the number of derivatives it stands for.

Random streams: one per channel, ``community:NAME:open`` and ``community:NAME:closed`` (counts,
tokens, timing), so a closed release never changes the draws of open derivatives;
``community:NAME:popularity`` (one draw per open base) and ``community:NAME:lineage`` (parents
and weights of released derivatives).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Generator
from statistics import NormalDist

import numpy as np
import numpy.typing as npt
import simpy

from simdemand.catalog import Hardware
from simdemand.physics import post_training
from simdemand.scenario.communities import CommunitySpec
from simdemand.scenario.techniques import CLIP_SIGMAS, NEAR_FREE
from simdemand.units import HOURS_PER_DAY, HOURS_PER_MONTH, POST_TRAINING, aggregate_id
from simdemand.world.agents.batches import Batch, Step, family_rows
from simdemand.world.agents.channels import Channel, ClosedChannel, OpenChannel
from simdemand.world.agents.recipes import RECIPES, Sizes, job_gpus, teacher_sizes
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


class Community:
    """Spins out derivatives of every release: counts per base and technique once a step."""

    def __init__(self, world: World, name: str, spec: CommunitySpec) -> None:
        self.world = world
        self.name = name
        self.spec = spec
        self.open = OpenChannel(world, name, spec)
        self.closed = ClosedChannel(world, name, spec)
        self.teacher: ModelRecord | None = None
        self.pending: list[tuple[float, int, ModelRecord, int, float]] = []
        self.rows: dict[tuple[str, str, str], list[tuple[IntArray, FloatArray]]] = {}
        self.made = 0
        world.registry.subscribe(self.on_release)
        world.env.process(self.run())

    @property
    def channels(self) -> tuple[Channel, ...]:
        """The channels, open first."""
        return (self.open, self.closed)

    # --- releases ------------------------------------------------------------------------------

    def on_release(self, model: ModelRecord) -> None:
        """A lab's release joins its channel's bases (derivatives do not) and teaches if it is
        the best servable model so far."""
        if model.parent_id is not None:
            return
        (self.open if model.open_weights else self.closed).admit(model)
        teaches = model.active_params <= self.spec.max_teacher_active_params
        if teaches and (self.spec.closed_teachers or model.open_weights):
            best = self.teacher
            if best is None or model.predicted_loss < best.predicted_loss:
                self.teacher = model

    # --- the process ---------------------------------------------------------------------------

    def run(self) -> Generator[simpy.Event, None, None]:
        """Once a step, spin out derivatives; in between, release those that finish."""
        step_h = self.spec.step_days * HOURS_PER_DAY
        first = max(self.world.now, -WARMUP_DAYS * HOURS_PER_DAY)
        clock = math.ceil(first / step_h) * step_h
        while clock < self.world.horizon_h:
            yield from self.release_until(clock)
            yield self.world.env.timeout(max(0.0, clock - self.world.now))
            self.spin_out(Step(clock, step_h, self.hardware(clock)))
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
                self.open.pool.adopt(root, model.model_id, weight)

    def spin_out(self, step: Step) -> None:
        """Draw and charge one step's derivatives, channel by channel."""
        years = self.world.years_since(step.clock + step.hours / 2, self.spec.reference_date)
        months = step.hours / HOURS_PER_MONTH
        for channel in self.channels:
            bases, split = self.counts(channel, step, channel.rate(years, months))
            for k, technique in enumerate(channel.techniques):
                self.spin(channel, technique, bases, split[:, k], step)
        self.flush()

    def counts(self, channel: Channel, step: Step, rate: float) -> tuple[IntArray, IntArray]:
        """(base indices, counts by technique) of the bases that get derivatives this step."""
        pool = channel.pool
        none = (np.empty(0, np.int64), np.empty((0, len(channel.techniques)), np.int64))
        live = np.flatnonzero(pool.column("released_h", slice(None)) <= step.clock)
        if rate <= 0 or len(live) == 0:
            return none
        age_h = step.clock + step.hours / 2 - pool.column("released_h", live)
        behind = channel.penalty(pool.column("loss", live))
        decay_h = self.spec.decay_months * HOURS_PER_MONTH
        appeal = pool.column("appeal", live) * np.exp(-age_h / decay_h - behind)
        total = channel.rng.poisson(rate * appeal / (channel.outside_appeal() + appeal.sum()))
        chosen = total > 0
        if not chosen.any():
            return none
        split = channel.rng.multinomial(total[chosen], channel.shares()).astype(np.int64)
        return live[chosen], split

    # --- making derivatives --------------------------------------------------------------------

    def spin(
        self,
        channel: Channel,
        technique: str,
        bases: IntArray,
        counts: IntArray,
        step: Step,
    ) -> None:
        """Make this step's derivatives of one technique, then charge and release them."""
        if counts.sum() == 0:
            return
        if technique in NEAR_FREE:
            self.near_free(channel, technique, bases, counts, step)
        elif isinstance(channel, ClosedChannel):
            self.private(channel, technique, bases, counts, step)
        elif isinstance(channel, OpenChannel):
            self.individual(channel, technique, bases, counts, step)

    def individual(
        self,
        channel: OpenChannel,
        technique: str,
        bases: IntArray,
        counts: IntArray,
        step: Step,
    ) -> None:
        """Open derivatives drawn one by one: some released as models, the rest in bulk rows."""
        batch = self.draw(channel, technique, np.repeat(bases, counts), step)
        family = channel.pool.column("gpu_hours", batch.root)
        big = batch.gpu_hours >= self.spec.register_min_share * family
        keep = (batch.becomes_base | big) & (batch.end_h < self.world.horizon_h)
        for i in np.flatnonzero(keep):
            self.register(channel, batch, int(i), step.hardware)
        self.aggregate(channel, batch, ~keep, step.hardware)

    def draw(
        self,
        channel: Channel,
        technique: str,
        root: IntArray,
        step: Step,
    ) -> Batch:
        """Draw the tokens, compute, timing and fate of `len(root)` derivatives."""
        n = len(root)
        tokens = channel.tokens(technique, root)
        phases, memory_bytes = self.recipe(channel, technique, root, tokens)
        gpu_hours = self.gpu_hours(channel, technique, phases, step.hardware)
        charge = 1.0 + self.spec.experiments_multiple
        gpus = job_gpus(self.spec, charge * gpu_hours, memory_bytes, step.hardware)
        start_h = step.clock + channel.rng.random(n) * step.hours
        return Batch(
            technique=technique,
            root=root,
            tokens=tokens,
            flop=np.asarray(phases.total_flop, dtype=np.float64),
            gpu_hours=gpu_hours,
            start_h=start_h,
            end_h=start_h + charge * gpu_hours / gpus,
            becomes_base=channel.becomes_base(technique, n),
            charge=charge,
        )

    def recipe(
        self, channel: Channel, technique: str, root: IntArray, tokens: FloatArray
    ) -> tuple[post_training.PhaseFlop, FloatArray]:
        """FLOP by phase of each derivative, and the bytes of memory its job needs."""
        pool = channel.pool
        model = Sizes(pool.column("active", root), pool.column("params", root))
        teacher = teacher_sizes(self.teacher, model, pool.column("loss", root))
        return RECIPES[technique](self.spec.techniques, model, tokens, teacher)

    def gpu_hours(
        self, channel: Channel, technique: str, phases: post_training.PhaseFlop, hardware: Hardware
    ) -> FloatArray:
        """GPU-hours of each derivative: every phase at its own utilization of the BF16 peak."""
        spec = self.spec
        generate = spec.rollout_utilization if technique == "rl" else spec.generation_utilization
        hours = post_training.post_training_gpu_hours(
            phases,
            hardware.bf16_flop_per_s,
            train_utilization=channel.train_utilization(),
            generate_utilization=generate,
            score_utilization=spec.scoring_utilization,
        )
        return np.asarray(hours, dtype=np.float64)

    def near_free(
        self,
        channel: Channel,
        technique: str,
        bases: IntArray,
        counts: IntArray,
        step: Step,
    ) -> None:
        """Merges and quantizations: counted per family; those that become bases released."""
        n = len(counts)
        promoted = channel.promoted(technique, counts)
        root = np.repeat(bases, promoted)
        start_h = step.clock + channel.rng.random(len(root)) * step.hours
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
        if isinstance(channel, OpenChannel):
            for i in np.flatnonzero(keep):
                self.register(channel, batch, int(i), step.hardware)
        late = np.bincount(np.searchsorted(bases, root[~keep]), minlength=n)
        rest = (counts - promoted + late).astype(np.float64)
        some = rest > 0
        start = step.clock + channel.rng.random(int(some.sum())) * step.hours
        zeros = np.zeros(len(start))
        rows = np.column_stack(
            (start, start + NEAR_FREE_JOB_HOURS, zeros, zeros, rest[some], zeros)
        )
        self.keep_rows(channel, bases[some], rows, technique, step.hardware)

    def private(
        self,
        channel: ClosedChannel,
        technique: str,
        bases: IntArray,
        counts: IntArray,
        step: Step,
    ) -> None:
        """Closed models' fine-tuning services: private derivatives, counted per model and step.

        A group's tokens are the sum of its derivatives' draws (for large groups, a normal draw
        with the sum's mean and variance); its row lasts as long as its largest job would.
        """
        spec = self.spec.closed
        some = counts > 0
        bases, counts = bases[some], counts[some]
        tokens = channel.group_tokens(counts)
        phases, memory_bytes = self.recipe(channel, technique, bases, tokens)
        gpu_hours = self.gpu_hours(channel, technique, phases, step.hardware)
        charge = 1.0 + self.spec.experiments_multiple
        z = np.array([min(CLIP_SIGMAS, NormalDist().inv_cdf(c / (c + 1.0))) for c in counts])
        largest = gpu_hours * spec.tokens_median * np.exp(spec.tokens_sigma * z) / tokens
        largest = np.minimum(largest, gpu_hours)
        span = charge * largest / job_gpus(self.spec, charge * largest, memory_bytes, step.hardware)
        start = step.clock + channel.rng.random(len(counts)) * step.hours
        flop = np.asarray(phases.total_flop, dtype=np.float64)
        rows = np.column_stack(
            (start, start + span, charge * gpu_hours, charge * flop, counts.astype(float), tokens)
        )
        self.keep_rows(channel, bases, rows, technique, step.hardware)

    # --- charging and releasing ----------------------------------------------------------------

    def register(self, channel: OpenChannel, batch: Batch, i: int, hardware: Hardware) -> None:
        """Charge one derivative as a job of its own and schedule its release as a model."""
        self.made += 1
        model_id = f"{self.name}/d{self.made}"
        pool, r = channel.pool, int(batch.root[i])
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
            base_id=pool.ids[r],
        )
        model = ModelRecord(
            model_id=model_id,
            lab=self.name,
            released_h=float(batch.end_h[i]),
            params=pool.params[r],
            active_params=pool.active[r],
            tokens=float(batch.tokens[i]),
            training_flop=float(batch.flop[i]),
            open_weights=channel.open_weights,
            parent_id=channel.parent(r),
            hardware=hardware.name,
            gpu_hours=float(batch.gpu_hours[i]),
            predicted_loss=pool.loss[r],
            technique=batch.technique,
        )
        root, weight = -1, 0.0
        if batch.becomes_base[i]:
            root = r
            weight = math.exp(self.spec.popularity_sigma * channel.lineage.standard_normal())
        heapq.heappush(self.pending, (model.released_h, self.made, model, root, weight))

    def aggregate(
        self, channel: Channel, batch: Batch, mask: BoolArray, hardware: Hardware
    ) -> None:
        """Charge the derivatives not released one by one in one row per family."""
        if mask.any():
            self.keep_rows(channel, *family_rows(batch, mask), batch.technique, hardware)

    def keep_rows(
        self,
        channel: Channel,
        roots: IntArray,
        rows: FloatArray,
        technique: str,
        hardware: Hardware,
    ) -> None:
        """Keep family rows (start, end, GPU-hours, FLOP, derivatives, tokens) for `flush`."""
        self.rows.setdefault((channel.name, technique, hardware.name), []).append((roots, rows))

    def flush(self) -> None:
        """Append the step's family rows to the ledger, as they are drawn (a step ahead of the
        jobs they charge): one chunk per channel, technique and hardware, grouped by family."""
        channels = {channel.name: channel for channel in self.channels}
        for (name, technique, hardware), kept in self.rows.items():
            pool = channels[name].pool
            roots = np.concatenate([r for r, _ in kept])
            rows = np.concatenate([x for _, x in kept])
            order = np.argsort(roots, kind="stable")
            roots, rows = roots[order], rows[order]
            family, where = np.unique(roots, return_inverse=True)
            bases = np.array([pool.ids[int(r)] for r in family], dtype=object)
            names = np.array([aggregate_id(base, technique) for base in bases], dtype=object)
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
                base_id=bases[where],
            )
        self.rows = {}

    def hardware(self, at_h: float) -> Hardware:
        """The newest generation available (after the lag) at a time (validation made sure there
        is one)."""
        return self.world.catalog.newest_available(
            self.world.date_at(at_h), self.spec.hardware_lag_days
        )
