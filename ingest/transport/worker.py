"""The pull consumer behind ``irisx worker``: batches from JetStream into the configured sinks.

A message is acked only after every sink committed its batch. A sink failure naks it (redelivered
later); on its ``max_deliver``-th delivery a batch that still fails, or one that cannot be decoded
at all, goes whole to the dead-letter store with the reason and is terminated, so one poison
message never blocks the stream and nothing is dropped without a trace. Sinks write by batch id
(idempotent), so a redelivery after a partial write replaces rather than duplicates.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from ingest.contracts import FAMILIES
from ingest.deadletter import DeadLetter, DeadLetterStore
from ingest.readers import Position, PositionUnit
from ingest.sink import BatchSink
from ingest.transport.jetstream import (
    BATCH_HEADER,
    FAMILY_HEADER,
    JetStreamConfig,
    connect,
    decode_batch,
    ensure_streams,
    stream_name,
)

_BATCH_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


@dataclass(slots=True)
class WorkerStats:
    acked: int = 0
    redelivery_requested: int = 0
    dead_lettered: int = 0
    errors: list[str] = field(default_factory=list)


class BatchWorker:
    """One durable, explicit-ack pull consumer per family stream."""

    def __init__(
        self,
        config: JetStreamConfig,
        sinks: Sequence[BatchSink],
        deadletters: DeadLetterStore,
        *,
        durable: str = "irisx-worker",
        families: Sequence[str] | None = None,
        fetch_batch: int = 16,
        max_deliver: int = 5,
        ack_wait_s: float = 60.0,
        nak_delay_s: float = 1.0,
    ) -> None:
        if not sinks:
            raise ValueError("sinks: a worker needs at least one sink")
        self.config = config
        self.sinks = list(sinks)
        self.deadletters = deadletters
        self.durable = durable
        self.families = tuple(families or sorted(FAMILIES))
        self.fetch_batch = fetch_batch
        self.max_deliver = max_deliver
        self.ack_wait_s = ack_wait_s
        self.nak_delay_s = nak_delay_s
        self.stats = WorkerStats()

    async def run(self, *, once: bool = False, fetch_timeout_s: float = 1.0) -> WorkerStats:
        """Consume until cancelled; with ``once``, each family stops at its first empty fetch.

        Families are consumed concurrently, so a quiet stream never delays a busy one.
        """
        nc = await connect(self.config)
        try:
            subscriptions = await self._subscribe(nc)
            await asyncio.gather(
                *(
                    self._consume(family, subscription, once, fetch_timeout_s)
                    for family, subscription in subscriptions
                )
            )
            return self.stats
        finally:
            await nc.close()

    async def _consume(
        self,
        family: str,
        subscription: JetStreamContext.PullSubscription,
        once: bool,
        fetch_timeout_s: float,
    ) -> None:
        while True:
            try:
                messages = await subscription.fetch(self.fetch_batch, timeout=fetch_timeout_s)
            except TimeoutError:  # nats-py raises its own subclass or asyncio's, by code path
                if once:
                    return
                continue
            for message in messages:
                await self.handle(family, message)

    async def _subscribe(self, nc: Client) -> list[tuple[str, JetStreamContext.PullSubscription]]:
        js = nc.jetstream()
        await ensure_streams(js, self.config, self.families)
        subscriptions = []
        for family in self.families:
            subscription = await js.pull_subscribe(
                f"{self.config.subject_root}.*.{family}",
                durable=self.durable,
                stream=stream_name(self.config, family),
                config=ConsumerConfig(
                    ack_policy=AckPolicy.EXPLICIT,
                    max_deliver=self.max_deliver,
                    ack_wait=self.ack_wait_s,
                ),
            )
            subscriptions.append((family, subscription))
        return subscriptions

    async def handle(self, family: str, message: Msg) -> None:
        headers = message.headers or {}
        batch_id = headers.get(BATCH_HEADER, "")
        if not _BATCH_ID_RE.match(batch_id):
            # Not one of ours (or a foreign producer): name the batch by its stream position.
            batch_id = f"seq{message.metadata.sequence.stream}"
        family = headers.get(FAMILY_HEADER, family)
        try:
            table = decode_batch(message.data)
        except Exception as exc:  # any decode failure makes the message poison
            await self._dead_letter(message, family, batch_id, f"undecodable batch: {exc}")
            return
        try:
            for sink in self.sinks:
                # Sinks are blocking (files, database clients): keep the event loop free.
                await asyncio.to_thread(sink.write_batch, family, table, batch_id)
        except Exception as exc:
            reason = f"sink {type(sink).__name__} failed: {type(exc).__name__}: {exc}"
            self.stats.errors.append(reason)
            if message.metadata.num_delivered >= self.max_deliver:
                await self._dead_letter(message, family, batch_id, reason)
            else:
                self.stats.redelivery_requested += 1
                await message.nak(delay=self.nak_delay_s)
            return
        await message.ack_sync()
        self.stats.acked += 1

    async def _dead_letter(self, message: Msg, family: str, batch_id: str, reason: str) -> None:
        deliveries = message.metadata.num_delivered
        letter_id = f"{batch_id}-deliveries{deliveries}"
        kept = await asyncio.to_thread(
            self.deadletters.keep_file, letter_id, f"{batch_id}.arrows", message.data
        )
        letter = DeadLetter(
            letter_id,
            Position(message.subject, PositionUnit.FILE, message.metadata.sequence.stream),
            family,
            f"{reason} (after {deliveries} deliveries)",
            {"subject": message.subject, "kept_as": str(kept), "bytes": len(message.data)},
            datetime.now(UTC),
        )
        await asyncio.to_thread(self.deadletters.write, letter_id, [letter])
        await message.term()
        self.stats.dead_lettered += 1
