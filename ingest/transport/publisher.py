"""The API's shared JetStream publisher: one NATS connection for every request, with backpressure.

``publish_batch`` opens a connection per call; under HTTP load that is a TCP + TLS + INFO round
trip per request. :class:`JetStreamPublisher` keeps one connection (reopened after a failure),
ensures each family stream once, and refuses a batch *before* publishing it while a stream worker
is too far behind: every durable consumer of the family stream is asked for its backlog
(``num_pending + num_ack_pending``), cached for ``backlog_cache_s`` so that this costs one request
per family per second, not one per HTTP request.

A refused batch is never published, so nothing the API acknowledged is lost; the client retries
the same body later (its batch id is content-derived, so a retry that races a stored copy is
deduplicated by the stream).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from types import TracebackType

import nats.errors
from nats.aio.client import Client

from ingest.transport.jetstream import (
    BatchMessage,
    JetStreamConfig,
    PublishAck,
    TransportUnavailableError,
    connect,
    ensure_streams,
    publish_batch,
    stream_name,
)

#: The API's default limit (``IRISX_MAX_BACKLOG_BATCHES``): at the worker's measured rate this is
#: well under a minute of catching up, and far below a stream's ``max_msgs``.
DEFAULT_MAX_BACKLOG_BATCHES = 2_000


@dataclass(frozen=True, slots=True)
class ConsumerBacklog:
    """How far one durable consumer of a family stream is behind, in batches (messages)."""

    stream: str
    consumer: str
    #: Not yet delivered plus delivered and not yet acknowledged.
    pending: int


class BacklogTooLargeError(TransportUnavailableError):
    """A consumer of the family stream has more batches pending than the configured limit."""

    def __init__(self, backlog: ConsumerBacklog, limit: int) -> None:
        self.backlog = backlog
        self.limit = limit
        super().__init__(
            f"consumer {backlog.consumer!r} of stream {backlog.stream} is {backlog.pending}"
            f" batches behind (limit {limit})"
        )


@dataclass(slots=True)
class PublisherStats:
    #: Connections opened (one for the publisher's life unless NATS went away).
    connects: int = 0
    connect_failures: int = 0
    published: int = 0
    #: Batches refused because a consumer's backlog was over the limit.
    refused_backlog: int = 0
    #: Consumer-list requests sent to JetStream (the cache keeps this near one per second).
    backlog_checks: int = 0


class JetStreamPublisher:
    """Publishes validated batches over one shared connection. Use it from one event loop (the
    API's); ``close`` it on shutdown (or use ``async with``).

    ``max_backlog_batches`` of 0 or None turns the backlog check off (a full stream still
    refuses new batches). After a failed connect, requests in the next ``reconnect_after_s``
    fail at once instead of each waiting for their own connect timeout.
    """

    def __init__(
        self,
        config: JetStreamConfig,
        *,
        max_backlog_batches: int | None = DEFAULT_MAX_BACKLOG_BATCHES,
        backlog_cache_s: float = 1.0,
        reconnect_after_s: float = 1.0,
    ) -> None:
        self.config = config
        self.max_backlog_batches = max_backlog_batches or None
        self.backlog_cache_s = backlog_cache_s
        self.reconnect_after_s = reconnect_after_s
        self.stats = PublisherStats()
        self._client: Client | None = None
        self._lock = asyncio.Lock()
        self._ensured: set[str] = set()
        self._backlogs: dict[str, tuple[float, ConsumerBacklog | None]] = {}
        self._last_failure: tuple[float, str] | None = None

    async def __aenter__(self) -> JetStreamPublisher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and not client.is_closed:
            await client.close()

    async def publish(self, message: BatchMessage) -> PublishAck:
        """Store one batch in its family stream, or raise :class:`TransportUnavailableError`
        (:class:`BacklogTooLargeError` when a consumer is too far behind) without storing it."""
        client = await self._connected()
        await self._ensure_stream(client, message.family)
        await self._check_backlog(client, message.family)
        try:
            ack = await publish_batch(self.config, message, client=client, ensure_stream=False)
        except TransportUnavailableError:
            # The stream may have been deleted under us: look it up again next time.
            self._ensured.discard(message.family)
            raise
        self.stats.published += 1
        return ack

    async def backlog(self, family: str) -> ConsumerBacklog | None:
        """The most-behind durable consumer of ``family``'s stream (None: no consumer yet),
        measured at most ``backlog_cache_s`` ago."""
        client = await self._connected()
        await self._ensure_stream(client, family)
        return await self._largest_backlog(client, family)

    async def _connected(self) -> Client:
        if self._client is not None and self._client.is_connected:
            return self._client
        async with self._lock:
            if self._client is not None and self._client.is_connected:
                return self._client
            if self._last_failure is not None:
                failed_at, reason = self._last_failure
                ago = time.monotonic() - failed_at
                if ago < self.reconnect_after_s:
                    raise TransportUnavailableError(f"{reason} ({ago:.1f} s ago)")
            await self.close()  # a connection that dropped is closed; release it fully
            try:
                self._client = await connect(self.config)
            except TransportUnavailableError as exc:
                self.stats.connect_failures += 1
                self._last_failure = (time.monotonic(), str(exc))
                raise
            self.stats.connects += 1
            self._last_failure = None
            # Streams may have been recreated while we were away; the server's word counts.
            self._ensured.clear()
            return self._client

    async def _ensure_stream(self, client: Client, family: str) -> None:
        if family in self._ensured:
            return
        js = client.jetstream(timeout=self.config.publish_timeout_s)
        try:
            await ensure_streams(js, self.config, (family,))
        except (nats.errors.Error, TimeoutError, OSError) as exc:
            raise TransportUnavailableError(f"stream of {family!r} not ready: {exc}") from exc
        self._ensured.add(family)

    async def _check_backlog(self, client: Client, family: str) -> None:
        if self.max_backlog_batches is None:
            return
        backlog = await self._largest_backlog(client, family)
        if backlog is not None and backlog.pending > self.max_backlog_batches:
            self.stats.refused_backlog += 1
            raise BacklogTooLargeError(backlog, self.max_backlog_batches)

    async def _largest_backlog(self, client: Client, family: str) -> ConsumerBacklog | None:
        cached = self._backlogs.get(family)
        if cached is not None and time.monotonic() - cached[0] < self.backlog_cache_s:
            return cached[1]
        stream = stream_name(self.config, family)
        js = client.jetstream(timeout=self.config.publish_timeout_s)
        try:
            consumers = await js.consumers_info(stream)
        except (nats.errors.Error, TimeoutError, OSError) as exc:
            raise TransportUnavailableError(f"consumers of {stream} unknown: {exc}") from exc
        self.stats.backlog_checks += 1
        backlogs = [
            ConsumerBacklog(
                stream=stream,
                consumer=info.name,
                pending=(info.num_pending or 0) + (info.num_ack_pending or 0),
            )
            for info in consumers
        ]
        largest = max(backlogs, key=lambda backlog: backlog.pending, default=None)
        self._backlogs[family] = (time.monotonic(), largest)
        return largest
