"""The pull consumer behind ``irisx worker``: batches from JetStream into the configured sinks.

A message is acked only after every sink committed it. The messages of one fetch (one family)
are written as ONE table (stores want large inserts: LIMITS.md measured chDB and COPY at their
best from 10k rows), under a batch id derived from the member batch ids; when that combined write
fails, each message is retried alone so that one bad batch cannot hold back good ones.

Failures, by kind:
- the store is down (:class:`ingest.sink.StoreUnavailableError`): every fetched message is naked
  and the consumer backs off before fetching again; such deliveries never lead to dead-lettering,
  so an outage of any length loses nothing and the backlog drains when the store is back;
- any other sink error: nak (redelivered later); on its ``max_deliver``-th delivery the batch
  goes whole to the dead-letter store with the reason and is terminated;
- a body that cannot be decoded: dead-lettered at once.
Sinks write idempotently (lake: by batch id; stores: by ``event_id``), so a redelivery after a
partial write or a crash between commit and ack never double-counts.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from ingest.contracts import FAMILIES
from ingest.deadletter import DeadLetter, DeadLetterStore
from ingest.readers import Position, PositionUnit
from ingest.sink import BatchSink, MaintainedSink, StoreUnavailableError
from ingest.transport.jetstream import (
    BATCH_HEADER,
    JetStreamConfig,
    connect,
    decode_batch,
    ensure_streams,
    stream_name,
)

_BATCH_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


#: Seconds between fetches while a store is down: doubles from the first to the last.
_OUTAGE_BACKOFF_S = (0.5, 30.0)


@dataclass(slots=True)
class WorkerStats:
    acked: int = 0
    redelivery_requested: int = 0
    dead_lettered: int = 0
    #: Events in acked batches (as delivered: a redelivered batch counts again).
    events_acked: int = 0
    #: Sink writes (a combined write of several messages counts once).
    writes: int = 0
    #: Fetches naked whole because a store was down.
    outages: int = 0
    errors: list[str] = field(default_factory=list)


def combined_batch_id(batch_ids: Sequence[str]) -> str:
    """The id of a write that combines several batches: the same members give the same id."""
    digest = hashlib.blake2b("\n".join(sorted(batch_ids)).encode(), digest_size=12)
    return f"m{len(batch_ids)}-{digest.hexdigest()}"


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
        linger_s: float = 0.2,
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
        #: How long a partial fetch waits for more messages to join its write: larger inserts
        #: for the stores (each chDB insert is a part to merge) at the cost of this much latency.
        self.linger_s = linger_s
        self.stats = WorkerStats()
        #: Where sink calls run (they block on files and database clients): one thread, the
        #: same for every call of this worker. asyncio's default pool spreads the writes over
        #: several threads, which measured ~25 % more worker CPU. Not shared between
        #: ``irisx worker``'s consumers: the ClickHouse sink may wait minutes while dbt borrows
        #: chDB, and the hot store's writes must go on meanwhile. Made by ``run``.
        self._executor: ThreadPoolExecutor | None = None
        #: When a write of any family last finished (monotonic): "idle" means every family.
        self._last_write = 0.0

    async def run(self, *, once: bool = False, fetch_timeout_s: float = 1.0) -> WorkerStats:
        """Consume until cancelled; with ``once``, each family stops once its consumer has
        nothing pending or unacknowledged (or at a store outage).

        Families are consumed concurrently, so a quiet stream never delays a busy one.
        """
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="irisx-sinks")
        try:
            await self._run(once, fetch_timeout_s)
        finally:
            # A write under way finishes before the caller closes the sinks.
            self._executor.shutdown(wait=True)
            self._executor = None
        return self.stats

    async def _run(self, once: bool, fetch_timeout_s: float) -> None:
        nc = await connect(self.config)
        try:
            subscriptions = await self._subscribe(nc)
            await asyncio.gather(
                *(
                    self._consume(family, subscription, once, fetch_timeout_s)
                    for family, subscription in subscriptions
                )
            )
        finally:
            await nc.close()

    async def _consume(
        self,
        family: str,
        subscription: JetStreamContext.PullSubscription,
        once: bool,
        fetch_timeout_s: float,
    ) -> None:
        backoff = 0.0
        # The next pull (its round trips and linger) runs while the current one is written, so
        # the store, not the pull, sets the pace. Its messages are acked only once written.
        ahead: asyncio.Task[list[Msg]] | None = None
        try:
            while True:
                if await self._maintain_sinks():
                    pull = ahead or asyncio.ensure_future(self._pull(subscription, fetch_timeout_s))
                    ahead = None
                    try:
                        messages = await pull
                    except TimeoutError:  # nats-py raises its own subclass or asyncio's, by path
                        # Idle: deferred work (e.g. rollup refreshes) need not wait any longer;
                        # but only when no family wrote for a pull's timeout: the sinks are
                        # shared, and a quiet family's flush while the calls stream would
                        # force refreshes past the sink's own pacing.
                        # (With ``once`` the worker is about to stop: flush regardless.)
                        idle_s = asyncio.get_running_loop().time() - self._last_write
                        if (once or idle_s >= fetch_timeout_s) and not await self._flush_sinks():
                            continue
                        if once and await self._drained(subscription):
                            return
                        continue
                    ahead = asyncio.ensure_future(self._pull(subscription, fetch_timeout_s))
                    if await self.handle_fetch(family, messages):
                        backoff = 0.0
                        continue
                    await self._give_back(ahead)
                    ahead = None
                # A store is down: everything went back to the stream; wait before trying again.
                backoff = min(max(backoff * 2, _OUTAGE_BACKOFF_S[0]), _OUTAGE_BACKOFF_S[1])
                if once:
                    return
                await asyncio.sleep(backoff)
        finally:
            if ahead is not None:
                # Stopping: a pulled batch not yet written is redelivered after ack_wait.
                ahead.cancel()
                if ahead.done() and not ahead.cancelled():
                    ahead.exception()  # retrieved: the stop's own error is the one to raise

    async def _pull(
        self, subscription: JetStreamContext.PullSubscription, fetch_timeout_s: float
    ) -> list[Msg]:
        """One fetch (TimeoutError when nothing comes), topped up for ``linger_s``."""
        messages = await subscription.fetch(self.fetch_batch, timeout=fetch_timeout_s)
        return await self._top_up(subscription, messages)

    async def _give_back(self, ahead: asyncio.Task[list[Msg]]) -> None:
        """A store went down while the next batches were pulled: hand them back too."""
        try:
            messages = await ahead
        except TimeoutError:
            return
        for message in messages:
            await message.nak(delay=_OUTAGE_BACKOFF_S[0])

    async def _top_up(
        self, subscription: JetStreamContext.PullSubscription, messages: list[Msg]
    ) -> list[Msg]:
        """Fetch more until ``fetch_batch`` messages or ``linger_s`` have passed."""
        deadline = asyncio.get_running_loop().time() + self.linger_s
        while len(messages) < self.fetch_batch:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0.001:
                break
            try:
                messages += await subscription.fetch(self.fetch_batch - len(messages), timeout=left)
            except TimeoutError:
                break
        return messages

    @staticmethod
    async def _drained(subscription: JetStreamContext.PullSubscription) -> bool:
        """Nothing left for this consumer: an empty fetch alone can also mean a slow server."""
        info = await subscription.consumer_info()
        return not info.num_pending and not info.num_ack_pending

    async def _flush_sinks(self) -> bool:
        """Run the sinks' deferred work now; False when a store is down."""
        return await self._on_maintained_sinks("flush")

    async def _maintain_sinks(self) -> bool:
        """Run the sinks' between-batches work; False when a store is down (fetch nothing)."""
        return await self._on_maintained_sinks("between_batches")

    async def _on_maintained_sinks(self, method: str) -> bool:
        for sink in self.sinks:
            if isinstance(sink, MaintainedSink):
                try:
                    await self._in_sink_thread(getattr(sink, method))
                except StoreUnavailableError as exc:
                    self.stats.outages += 1
                    self.stats.errors.append(f"sink {type(sink).__name__}: {exc}")
                    return False
        return True

    async def _subscribe(self, nc: Client) -> list[tuple[str, JetStreamContext.PullSubscription]]:
        js = nc.jetstream()
        await ensure_streams(js, self.config, self.families)
        subscriptions = []
        for family in self.families:
            subscription = await js.pull_subscribe(
                f"{self.config.subject_root}.*.{family}",
                durable=self.durable,
                stream=stream_name(self.config, family),
                # No server-side max_deliver: the worker dead-letters data errors itself and
                # must be able to retry through a store outage of any length.
                config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=self.ack_wait_s),
            )
            subscriptions.append((family, subscription))
        return subscriptions

    async def handle_fetch(self, family: str, messages: Sequence[Msg]) -> bool:
        """Write and ack the messages of one fetch; False when a store was down (all naked)."""
        decoded: list[tuple[Msg, str, pa.Table]] = []
        for message in messages:
            batch_id = self._batch_id(message)
            try:
                decoded.append((message, batch_id, decode_batch(message.data)))
            except Exception as exc:  # any decode failure makes the message poison
                await self._dead_letter(message, family, batch_id, f"undecodable batch: {exc}")
        if len(decoded) > 1:
            tables = [table for _, _, table in decoded]
            try:
                combined = pa.concat_tables(tables)
            except pa.ArrowInvalid:  # e.g. a producer on another schema version: one by one
                combined = None
            if combined is not None:
                error = await self._write(
                    family, combined, combined_batch_id([batch_id for _, batch_id, _ in decoded])
                )
                if error is None:
                    for message, _, table in decoded:
                        await self._ack(message, table)
                    return True
                if isinstance(error, StoreUnavailableError):
                    return await self._outage(decoded, error)
        for position, (message, batch_id, table) in enumerate(decoded):
            error = await self._write(family, table, batch_id)
            if error is None:
                await self._ack(message, table)
            elif isinstance(error, StoreUnavailableError):
                return await self._outage(decoded[position:], error)
            else:
                await self._failed(message, family, batch_id, error)
        return True

    async def handle(self, family: str, message: Msg) -> None:
        """Write and ack one message (a fetch of one)."""
        await self.handle_fetch(family, [message])

    @staticmethod
    def _batch_id(message: Msg) -> str:
        batch_id = (message.headers or {}).get(BATCH_HEADER, "")
        if _BATCH_ID_RE.match(batch_id):
            return batch_id
        # Not one of ours (or a foreign producer): name the batch by its stream position.
        return f"seq{message.metadata.sequence.stream}"

    async def _write(self, family: str, table: pa.Table, batch_id: str) -> Exception | None:
        for sink in self.sinks:
            try:
                # Sinks are blocking (files, database clients): keep the event loop free.
                await self._in_sink_thread(sink.write_batch, family, table, batch_id)
            except Exception as exc:
                reason = f"sink {type(sink).__name__} failed: {type(exc).__name__}: {exc}"
                self.stats.errors.append(reason)
                return exc
        self.stats.writes += 1
        self._last_write = asyncio.get_running_loop().time()
        return None

    async def _in_sink_thread(self, call: Callable[..., object], *args: object) -> object:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(call, *args))

    async def _ack(self, message: Msg, table: pa.Table) -> None:
        await message.ack_sync()
        self.stats.acked += 1
        self.stats.events_acked += table.num_rows

    async def _outage(self, decoded: Sequence[tuple[Msg, str, pa.Table]], error: Exception) -> bool:
        """Give the not-yet-acked messages back to the stream; the caller backs off."""
        self.stats.outages += 1
        for message, _, _ in decoded:
            await message.nak(delay=_OUTAGE_BACKOFF_S[0])
        return False

    async def _failed(self, message: Msg, family: str, batch_id: str, error: Exception) -> None:
        reason = self.stats.errors[-1]
        if message.metadata.num_delivered >= self.max_deliver:
            await self._dead_letter(message, family, batch_id, reason)
        else:
            self.stats.redelivery_requested += 1
            await message.nak(delay=self.nak_delay_s)

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
