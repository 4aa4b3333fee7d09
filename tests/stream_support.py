"""Helpers for tests of the JetStream path: validated batches and stream/consumer state."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import nats

from ingest import DeadLetterStore, read_objects
from ingest.transport import BatchMessage, JetStreamConfig, stream_name
from ingest.webhooks import CollectingSink, ingest_tenant_batch


def validated_batch(
    events: list[dict[str, Any]],
    batch_id: str,
    deadletter_dir: Path,
    *,
    family: str = "call",
    tenant: str = "acme",
) -> BatchMessage:
    """The message the API would publish for ``events`` (validated through the contracts)."""
    sink = CollectingSink()
    ingest_tenant_batch(
        read_objects(events, "test"),
        family=family,
        tenant=tenant,
        batch_id=batch_id,
        source="test",
        sink=sink,
        deadletters=DeadLetterStore(deadletter_dir),
    )
    return BatchMessage(family, tenant, batch_id, sink.tables[family])


def stream_messages(config: JetStreamConfig, family: str) -> int:
    """Messages stored in the family's stream."""

    async def count() -> int:
        nc = await nats.connect(config.url)
        info = await nc.jetstream().stream_info(stream_name(config, family))
        await nc.close()
        return int(info.state.messages)

    return asyncio.run(count())


def consumer_backlog(config: JetStreamConfig, family: str, durable: str) -> int:
    """Messages the durable consumer has not acked yet (pending + delivered unacked)."""

    async def backlog() -> int:
        nc = await nats.connect(config.url)
        info = await nc.jetstream().consumer_info(stream_name(config, family), durable)
        await nc.close()
        return int(info.num_pending) + int(info.num_ack_pending)

    return asyncio.run(backlog())
