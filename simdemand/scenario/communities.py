"""Scenario section `[communities.NAME]`: derivative-model communities of post-training."""

from __future__ import annotations

from simdemand.scenario.base import Strict


class CommunitySpec(Strict):
    """A community spinning out derivatives (to be specified by the post-training regime)."""
