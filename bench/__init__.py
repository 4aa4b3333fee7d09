"""Benchmarks: ``python -m bench [name ...]`` runs the modules listed in ``bench.__main__``.

Each benchmark module exposes ``run() -> BenchResult``; the runner prints one table per result.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BenchResult:
    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
