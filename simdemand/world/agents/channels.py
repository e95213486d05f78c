"""The channels derivatives come from: open weights (a community's own ecosystem) and closed
models (their labs' fine-tuning services). Each has its bases, techniques, rate and random
stream, so what happens in one never changes the draws of the other."""

from __future__ import annotations

import bisect
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simdemand.scenario.communities import CommunitySpec
from simdemand.scenario.techniques import (
    CLIP_SIGMAS,
    CLOSED_TECHNIQUES,
    TECHNIQUES,
    Technique,
    clipped_lognormal_mean,
    clipped_lognormal_variance,
    sample_clipped_lognormal,
)
from simdemand.world.registry import ModelRecord
from simdemand.world.world import World

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Bases:
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
    # Each base's children's weights summed in order (running totals, as `np.cumsum` adds).
    totals: list[list[float]] = field(default_factory=list)
    # Each numeric column as an array that grows (its capacity doubling) as bases are added.
    arrays: dict[str, FloatArray] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)

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
        self.totals.append([])

    def adopt(self, root: int, model_id: str, weight: float) -> None:
        """Add a released derivative that became a base to the children of base `root`."""
        totals = self.totals[root]
        totals.append(totals[-1] + weight if totals else weight)
        self.children[root].append((model_id, weight))

    def column(self, name: str, index: IntArray | slice) -> FloatArray:
        """One numeric column, at the given base indices."""
        values: list[float] = getattr(self, name)
        held = self.arrays.get(name, np.empty(0))
        filled = self.filled.get(name, 0)
        if filled < len(values):
            if len(held) < len(values):
                held = self.arrays[name] = np.concatenate([held[:filled], np.empty(len(values))])
            held[filled : len(values)] = values[filled:]
            self.filled[name] = len(values)
        return held[: len(values)][index]


class Channel(ABC):
    """What both channels share: a pool of bases and a random stream of their own."""

    name = ""
    open_weights = False
    techniques: tuple[str, ...] = ()
    # True if derivatives are charged in private groups, never released one by one.
    grouped = False

    def __init__(self, world: World, community: str, spec: CommunitySpec) -> None:
        self.spec = spec
        self.pool = Bases()
        self.rng = world.rng(f"community:{community}:{self.name}")

    @abstractmethod
    def rate(self, years: float, months: float) -> float:
        """Expected derivatives in a step of `months`, `years` after the reference date."""

    @abstractmethod
    def shares(self) -> list[float]:
        """Each technique's share of derivatives, in the order of `techniques`."""

    def admit(self, model: ModelRecord) -> None:
        """Add a lab's release as a base of this channel."""
        self.pool.add(model, 1.0)

    def outside_appeal(self) -> float:
        """Weight of the options outside the simulation against which bases compete."""
        return 0.0

    def penalty(self, loss: FloatArray) -> FloatArray:
        """How far each live base's quality lowers its appeal, in e-folds."""
        return np.zeros_like(loss)

    @abstractmethod
    def tokens(self, technique: str, root: IntArray) -> FloatArray:
        """Tokens per derivative of each base in `root`."""

    @abstractmethod
    def train_utilization(self) -> float:
        """Utilization of training phases of this channel's jobs."""

    def becomes_base(self, technique: str, n: int) -> BoolArray:
        """Which of `n` derivatives become bases for others."""
        return np.zeros(n, dtype=bool)

    def promoted(self, technique: str, counts: IntArray) -> IntArray:
        """How many near-free derivatives of each base become bases for others."""
        return np.zeros(len(counts), dtype=np.int64)


class OpenChannel(Channel):
    """Open weights: the community's own ecosystem, with popularity, quality and lineage."""

    name = "open"
    open_weights = True
    techniques = TECHNIQUES

    def __init__(self, world: World, community: str, spec: CommunitySpec) -> None:
        super().__init__(world, community, spec)
        self.popularity = world.rng(f"community:{community}:popularity")
        self.lineage = world.rng(f"community:{community}:lineage")

    def rate(self, years: float, months: float) -> float:
        """The community's open derivatives per month, growing yearly."""
        return float(self.spec.derivatives_per_month * self.spec.growth_per_year**years * months)

    def shares(self) -> list[float]:
        """The techniques' shares from the scenario."""
        return self.spec.techniques.shares()

    def admit(self, model: ModelRecord) -> None:
        """Add an open base with its appeal: a heavy-tailed draw, scaled by its size."""
        spec = self.spec
        size = (model.params / spec.reference_params) ** -spec.size_elasticity
        draw = min(float(self.popularity.standard_normal()), CLIP_SIGMAS)
        self.pool.add(model, float(math.exp(spec.popularity_sigma * draw) * size))

    def outside_appeal(self) -> float:
        """Models outside the simulation, or not building at all."""
        return self.spec.outside_appeal

    def penalty(self, loss: FloatArray) -> FloatArray:
        """E-folds of appeal lost per `quality_nats` behind the best live base."""
        behind: FloatArray = (loss - loss.min()) / self.spec.quality_nats
        return behind

    def tokens(self, technique: str, root: IntArray) -> FloatArray:
        """The technique's distribution, sized to each base's pretraining tokens."""
        spec: Technique = getattr(self.spec.techniques, technique)
        scale = self.spec.data_scale(self.pool.column("tokens", root))
        drawn: FloatArray = spec.sample_tokens(self.rng, len(root)) * scale
        return drawn

    def train_utilization(self) -> float:
        """The community's training utilization."""
        return self.spec.train_utilization

    def becomes_base(self, technique: str, n: int) -> BoolArray:
        """A few derivatives become bases for others (never quantizations)."""
        fate = np.zeros(n, dtype=bool)
        if technique != "quantize":
            chosen = self.rng.binomial(n, self.spec.base_probability)
            fate[self.rng.choice(n, size=chosen, replace=False)] = True
        return fate

    def promoted(self, technique: str, counts: IntArray) -> IntArray:
        """Merges (not quantizations) become bases with the base probability."""
        if technique == "quantize":
            return np.zeros(len(counts), dtype=np.int64)
        drawn: IntArray = self.rng.binomial(counts, self.spec.base_probability)
        return drawn

    def parent(self, root: int) -> str:
        """The family's root, or (with derivative_parent_probability) one of its derivatives
        that became a base and is already released, picked in proportion to their weights."""
        children = self.pool.children[root]
        attach, pick = self.lineage.random(2)
        if not children or attach >= self.spec.derivative_parent_probability:
            return self.pool.ids[root]
        totals = self.pool.totals[root]
        index = bisect.bisect_right(totals, pick * totals[-1])
        return children[min(index, len(children) - 1)][0]


class ClosedChannel(Channel):
    """Closed models' fine-tuning services: private derivatives, counted in groups."""

    name = "closed"
    techniques = CLOSED_TECHNIQUES
    grouped = True
    # Groups (private fine-tunes of one model, technique and step) larger than this have their
    # total tokens drawn from the normal law of a sum (central limit), not one by one.
    exact_group = 32

    def rate(self, years: float, months: float) -> float:
        """The services' fine-tunes per month, growing yearly."""
        closed = self.spec.closed
        return float(closed.derivatives_per_month * closed.growth_per_year**years * months)

    def shares(self) -> list[float]:
        """The services' technique shares."""
        return self.spec.closed.shares()

    def tokens(self, technique: str, root: IntArray) -> FloatArray:
        """The services' own distribution, not scaled to the base."""
        closed = self.spec.closed
        return sample_clipped_lognormal(
            self.rng, closed.tokens_median, closed.tokens_sigma, len(root)
        )

    def train_utilization(self) -> float:
        """Provider-run jobs on tuned stacks."""
        return self.spec.closed.train_utilization

    def group_tokens(self, counts: IntArray) -> FloatArray:
        """Total tokens of each group of `counts` private derivatives: the sum of their draws,
        or for large groups a normal draw with the sum's mean and variance."""
        closed = self.spec.closed
        exact = counts <= self.exact_group
        tokens = np.zeros(len(counts))
        draws = sample_clipped_lognormal(
            self.rng, closed.tokens_median, closed.tokens_sigma, int(counts[exact].sum())
        )
        if exact.any():
            first = np.concatenate(([0], np.cumsum(counts[exact])[:-1]))
            tokens[exact] = np.add.reduceat(draws, first)
        mean = clipped_lognormal_mean(closed.tokens_median, closed.tokens_sigma)
        sd = math.sqrt(clipped_lognormal_variance(closed.tokens_median, closed.tokens_sigma))
        n = counts[~exact].astype(np.float64)
        normal = self.rng.standard_normal(len(n))
        tokens[~exact] = np.maximum(mean, n * mean + np.sqrt(n) * sd * normal)
        return tokens
