"""``python -m bench [name ...]``: run benchmarks (all by default) and print a table for each."""

from __future__ import annotations

import importlib
import sys

from rich.console import Console
from rich.table import Table

from bench import BenchResult

#: Benchmark modules under bench/, in the order they run.
BENCHMARKS: tuple[str, ...] = (
    "simulator_rate",
    "ingest_rate",
    "edge_validation",
    "server_pipeline",
    "hotstore_load",
    "hotstore_refresh",
    "rating_rate",
    "revenue_marts",
    "emodel_rate",
    "wfm_staffing",
    "anomaly_eval",
)


def render(result: BenchResult, console: Console) -> None:
    table = Table(title=result.title, title_justify="left")
    for index, column in enumerate(result.columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    for row in result.rows:
        table.add_row(*row)
    console.print(table)
    for note in result.notes:
        console.print(f"  {note}")


def main(argv: list[str]) -> int:
    console = Console()
    names = argv or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        console.print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        render(module.run(), console)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
