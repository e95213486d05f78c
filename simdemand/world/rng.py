"""Keyed random streams: each agent draws from its own stream, derived from the run's seed."""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(name: str) -> tuple[int, ...]:
    """Return a stable spawn key for a name (independent of PYTHONHASHSEED)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class Streams:
    """Hands out one numpy Generator per named stream; a name can be taken only once."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.taken: dict[str, tuple[int, ...]] = {}

    def generator(self, name: str) -> np.random.Generator:
        """Return the generator keyed by `name` under this run's seed."""
        if name in self.taken:
            raise ValueError(f"random stream '{name}' was already taken")
        key = stream_key(name)
        self.taken[name] = key
        seq = np.random.SeedSequence(self.seed, spawn_key=key)
        return np.random.Generator(np.random.PCG64(seq))
