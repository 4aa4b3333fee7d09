"""Batches over NATS's payload limit travel as several messages, deduplicated part by part."""

from __future__ import annotations

import asyncio
from datetime import date

import pyarrow as pa

from config import Settings
from ingest import DeadLetterStore
from ingest.transport import BatchMessage, BatchWorker, JetStreamConfig, publish_batch
from ingest.transport.jetstream import _payload_parts, decode_batch
from telephony.simulator import SimulationConfig, simulate
from tests.stream_support import stream_messages
from warehouse import ParquetLake


def _simulated_calls(rows: int) -> pa.Table:
    result = simulate(
        SimulationConfig(
            days=2, tenants=1, seed=5, start=date(2024, 5, 1), scale=4.0,
            families=frozenset({"call"}),
        )
    )  # fmt: skip
    table = result.tables["call"]
    assert table.num_rows >= rows
    return table.slice(0, rows)


def test_parts_fit_the_limit_and_rebuild_the_batch() -> None:
    table = _simulated_calls(3_000)
    message = BatchMessage("call", "t", "abc", table)
    (whole,) = _payload_parts(message, 64 * 1024**2)
    assert whole[0] == "abc"
    parts = _payload_parts(message, 60_000)
    assert len(parts) > 1
    assert [batch_id for batch_id, _ in parts] == [
        f"abc-p{number}of{len(parts)}" for number in range(1, len(parts) + 1)
    ]
    assert all(len(payload) <= 60_000 for _, payload in parts)
    rebuilt = pa.concat_tables([decode_batch(payload) for _, payload in parts])
    assert rebuilt.equals(table)
    assert _payload_parts(message, 60_000) == parts  # deterministic: retries dedupe


def test_ten_thousand_events_over_one_megabyte_are_stored_once(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    table = _simulated_calls(10_000)
    message = BatchMessage("call", "acme-health", "big", table)

    first = asyncio.run(publish_batch(js_config, message))
    stored = stream_messages(js_config, "call")
    assert stored >= 2  # 10,000 simulated calls encode to more than NATS's 1 MB default
    again = asyncio.run(publish_batch(js_config, message))  # a retried request
    assert (first.duplicate, again.duplicate) == (False, True)
    assert stream_messages(js_config, "call") == stored

    lake = ParquetLake(settings.lake_dir)
    worker = BatchWorker(
        js_config, [lake], DeadLetterStore(settings.deadletter_dir), families=["call"]
    )
    stats = asyncio.run(worker.run(once=True, fetch_timeout_s=2.0))
    assert (stats.acked, stats.events_acked) == (stored, 10_000)
    assert lake.row_count("call") == 10_000
