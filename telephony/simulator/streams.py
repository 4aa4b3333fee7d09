"""Seeded random streams: one root seed, an independent stream per component and key.

A stream is ``SeedSequence(seed, spawn_key=(component, *keys))`` -- exactly the child that
``SeedSequence.spawn`` would hand out, but addressed by name rather than by call order. Drawing
more numbers in one component (or adding a tenant) therefore never shifts another's numbers.
"""

from __future__ import annotations

import numpy as np

#: Append new components at the end: a component's position is part of its streams' identity.
COMPONENTS: tuple[str, ...] = (
    "network",
    "tenants",
    "incidents",
    "inbound",
    "staffing",
    "dialer",
    "api_calls",
    "toll_fraud",
    "messaging",
    "billing",
    "transcripts",
    "rtcp",
    "event_ids",
    "call_ids",
    "agents",
)
_INDEX = {name: index for index, name in enumerate(COMPONENTS)}


class Streams:
    """Factory of independent, reproducible ``numpy.random.Generator`` objects."""

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed: must be >= 0, got {seed}")
        self.seed = seed

    def rng(self, component: str, *keys: int) -> np.random.Generator:
        try:
            index = _INDEX[component]
        except KeyError:
            raise KeyError(f"unknown random stream component {component!r}") from None
        sequence = np.random.SeedSequence(self.seed, spawn_key=(index, *keys))
        return np.random.Generator(np.random.PCG64(sequence))
