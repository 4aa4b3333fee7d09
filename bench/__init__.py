"""Benchmarks: ``python -m bench [name ...]`` runs the modules listed in ``bench.__main__``.

Each benchmark module exposes ``run() -> BenchResult``; the runner prints one table per result.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class BenchResult:
    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def best_of(repeats: int, action: Callable[[], object]) -> float:
    """Seconds of the fastest of ``repeats`` runs of ``action`` (the least disturbed one)."""
    best = math.inf
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - began)
    return best
