"""How fast batch ingest turns call records into lake rows.

Input: simulated call CDRs (about 100k) as NDJSON and as Parquet. Measured: ``ingest_paths``
(read → validate against the contract → dedupe → Arrow → atomic Parquet in the lake) in one
process, for both formats, against a naive baseline in the same process that does the obvious
thing: ``json.loads`` and ``CallRecord.model_validate`` per line, ``model_dump`` per event,
``Table.from_pylist`` and one ``write_table``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from bench import BenchResult, best_of
from ingest import DeadLetterStore, ingest_paths
from ingest.contracts import CallRecord, models_to_table
from telephony.simulator import SimulationConfig, simulate, write_result
from warehouse import ParquetLake

REPEATS = 3


def _naive(ndjson: Path, out: Path) -> int:
    with ndjson.open() as lines:
        events = [CallRecord.model_validate(json.loads(line)) for line in lines if line.strip()]
    pq.write_table(models_to_table(events, CallRecord), out)
    return len(events)


def run() -> BenchResult:
    config = SimulationConfig(
        days=10, tenants=5, seed=3, start=date(2024, 3, 4), scale=2.0, families=frozenset({"call"})
    )
    result = simulate(config)
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_result(result, root / "ndjson", fmt="ndjson")
        write_result(result, root / "parquet", fmt="parquet")
        count = result.tables["call"].num_rows

        def ours(fmt: str) -> Callable[[], object]:
            def action() -> object:
                lake = ParquetLake(root / f"lake-{fmt}")
                lake.initialize()
                report = ingest_paths(
                    [root / fmt / f"call.{fmt}"], lake, DeadLetterStore(root / f"dead-{fmt}")
                )
                assert report.counts("call").accepted == count, report.summary()
                return report

            return action

        timings = {
            "ingest_paths, NDJSON input": best_of(REPEATS, ours("ndjson")),
            "ingest_paths, Parquet input": best_of(REPEATS, ours("parquet")),
            "naive per-event baseline, NDJSON": best_of(
                REPEATS, lambda: _naive(root / "ndjson" / "call.ndjson", root / "naive.parquet")
            ),
        }
    baseline = timings["naive per-event baseline, NDJSON"]
    for measure, seconds in timings.items():
        rows.append(
            [
                measure,
                f"{count:,}",
                f"{seconds:.2f}",
                f"{count / seconds:,.0f}",
                f"{baseline / seconds:.2f}x",
            ]
        )
    return BenchResult(
        title="ingest_rate: call records into the lake, one process",
        columns=["measure", "events", "seconds", "events / s", "vs naive"],
        rows=rows,
        notes=[f"best of {REPEATS}; 10 days x 5 tenants x scale 2 of simulated CDRs"],
    )
