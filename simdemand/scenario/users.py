"""Scenario section `[users.COHORT]`: user cohorts of the test-time regime."""

from __future__ import annotations

from simdemand.scenario.base import Strict


class CohortSpec(Strict):
    """A user cohort (to be specified by the test-time regime)."""
