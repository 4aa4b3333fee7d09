"""How fast the edge turns an HTTP body of call events into the contract's Arrow table.

Input: a JSON array of 1,000 valid simulated call records of one tenant (what one
``POST /v1/events/call`` carries). Measured in one process, best of several runs:

* baseline — the contract path per event, as ingest worked before the fast path:
  ``orjson.loads``, ``prepare_record`` + ``validate_record`` (pydantic) per record,
  ``events_to_table``;
* fast edge — ``orjson.loads`` and :func:`ingest.validate.validate_records` (msgspec Structs and
  Arrow column checks derived from the contracts, the contract model for what they do not
  vouch for);
* ``ingest_tenant_batch`` — the whole HTTP ingest core after the body is parsed the way the
  route parses it (records, tenant guard, dedupe, dead letters, table for the sink);
* ``encode_batch`` — the server profile's message body made of that table (Arrow IPC, lz4).

The two tables are checked to be equal before anything is timed.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from bench import BenchResult, best_of
from ingest import DeadLetterStore, read_objects
from ingest.contracts import CallRecord
from ingest.transport import encode_batch
from ingest.validate import (
    RecordOptions,
    events_to_table,
    prepare_record,
    validate_record,
    validate_records,
)
from ingest.webhooks import CollectingSink, ingest_tenant_batch
from telephony.simulator import SimulationConfig, simulate

EVENTS = 1_000
REPEATS = 15


def call_body(events: int = EVENTS) -> tuple[bytes, str]:
    """A JSON array of ``events`` simulated call records of one tenant, and that tenant."""
    config = SimulationConfig(
        days=2, tenants=2, seed=3, start=date(2024, 3, 4), families=frozenset({"call"})
    )
    rows: list[dict[str, Any]] = simulate(config).tables["call"].to_pylist()
    tenant = rows[0]["tenant_id"]
    # The wire form: what write_result's NDJSON holds (ISO timestamps, decimal strings).
    records = [
        orjson.loads(orjson.dumps(row, default=str)) for row in rows if row["tenant_id"] == tenant
    ][:events]
    if len(records) < events:
        raise RuntimeError(f"the simulation gave {len(records)} calls of {tenant}, not {events}")
    return orjson.dumps(records), tenant


def contract_path(body: bytes, tenant: str) -> pa.Table:
    options = RecordOptions(tenant=tenant)
    events = [
        validate_record("call", prepare_record(record, "call", options))
        for record in orjson.loads(body)
    ]
    return events_to_table(events, CallRecord)


def fast_edge(body: bytes, tenant: str) -> pa.Table:
    records = orjson.loads(body)
    validated = validate_records("call", records, RecordOptions(tenant=tenant))
    return validated.table(range(len(records)))


def run() -> BenchResult:
    body, tenant = call_body()
    expected = contract_path(body, tenant)
    if not fast_edge(body, tenant).equals(expected):
        raise AssertionError("the fast edge and the contract path built different tables")
    with tempfile.TemporaryDirectory() as tmp:
        deadletters = DeadLetterStore(Path(tmp))

        def http_core() -> pa.Table:
            sink = CollectingSink()
            result = ingest_tenant_batch(
                list(read_objects(orjson.loads(body), "bench")),
                family="call",
                tenant=tenant,
                batch_id="bench",
                source="bench",
                sink=sink,
                deadletters=deadletters,
            )
            assert result.counts.accepted == EVENTS, result.counts
            return sink.tables["call"]

        if not http_core().equals(expected):
            raise AssertionError("ingest_tenant_batch built a different table")
        timings = {
            "baseline: orjson + pydantic per event + events_to_table": best_of(
                REPEATS, lambda: contract_path(body, tenant)
            ),
            "fast edge: orjson + validate_records": best_of(
                REPEATS, lambda: fast_edge(body, tenant)
            ),
            "ingest_tenant_batch (HTTP core, parsed body)": best_of(REPEATS, http_core),
            "encode_batch (message body of that table)": best_of(
                REPEATS, lambda: encode_batch(expected)
            ),
        }
    baseline = next(iter(timings.values()))
    rows = [
        [
            measure,
            f"{EVENTS:,}",
            f"{seconds * 1e3:.2f}",
            f"{EVENTS / seconds:,.0f}",
            f"{baseline / seconds:.2f}x",
        ]
        for measure, seconds in timings.items()
    ]
    return BenchResult(
        title="edge_validation: JSON array of 1,000 call events to the Arrow table, one core",
        columns=["measure", "events", "ms", "events / s", "vs baseline"],
        rows=rows,
        notes=[
            f"best of {REPEATS}; body {len(body):,} bytes; tables checked equal before timing; "
            f"message body {len(encode_batch(expected)):,} bytes",
        ],
    )
