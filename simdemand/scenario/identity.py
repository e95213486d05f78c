"""A scenario's identity: the hash of its resolved form, and the seeds of its replications."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from simdemand.scenario.schema import Scenario


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario as canonical JSON."""
    return hashlib.sha256(canonical_json(scenario).encode()).hexdigest()


def canonical_json(scenario: Scenario) -> str:
    """The resolved scenario as JSON with sorted keys."""
    data: dict[str, Any] = scenario.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def replication_seed(seed: int, replication: int) -> int:
    """Seed of replication `replication` of a run seeded `seed` (keyed, order-independent)."""
    state = np.random.SeedSequence(seed, spawn_key=(replication,)).generate_state(2, np.uint64)
    return int(state[0] >> np.uint64(1))
