"""Communities: the agents of post-training scaling."""

from __future__ import annotations

from simdemand.scenario.communities import CommunitySpec
from simdemand.world.world import World


class Community:
    """Spins out derivative models from releases (to be built by the post-training regime)."""

    def __init__(self, world: World, name: str, spec: CommunitySpec) -> None:
        self.world = world
        self.name = name
        self.spec = spec
