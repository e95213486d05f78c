"""User cohorts: the agents of test-time scaling."""

from __future__ import annotations

from simdemand.scenario.users import CohortSpec
from simdemand.world.world import World


class Cohort:
    """A population of users issuing queries (to be built by the test-time regime)."""

    def __init__(self, world: World, name: str, spec: CohortSpec) -> None:
        self.world = world
        self.name = name
        self.spec = spec
