"""JetStream publishing: one stream per family, one message per validated batch.

Streams are ``<prefix>_<FAMILY>`` with subjects ``<root>.*.<family>``; a batch of tenant T goes to
``<root>.T.<family>``. The message body is the batch's Arrow table as an IPC stream (in one LZ4
frame, or with zstd-compressed buffers; either way it keeps the contract schema exactly) and its
``Nats-Msg-Id`` header is the batch id (a hash of the batch content): within the stream's
duplicate window a retried publish of the same batch is stored once. Streams discard *new*
messages when full, so a full stream is a publish error (the API answers 503 + Retry-After)
rather than silently dropping old, unconsumed batches.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import lz4.frame
import nats
import nats.errors
import nats.js.errors
import pyarrow as pa
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StorageType, StreamConfig

from ingest.contracts import FAMILIES

MSG_ID_HEADER = "Nats-Msg-Id"
FAMILY_HEADER = "Irisx-Family"
TENANT_HEADER = "Irisx-Tenant"
BATCH_HEADER = "Irisx-Batch-Id"


class TransportUnavailableError(Exception):
    """NATS is unreachable, the stream is full or the publish was not acknowledged in time."""


@dataclass(frozen=True, slots=True)
class JetStreamConfig:
    """Where and how batches travel. Tests use their own ``stream_prefix``/``subject_root`` so
    that parallel runs never share a stream."""

    url: str = "nats://127.0.0.1:4222"
    stream_prefix: str = "IRISX"
    subject_root: str = "irisx"
    duplicate_window_s: float = 120.0
    # JetStream reserves max_bytes of disk per file stream up front (7 streams x 8 GiB did not
    # fit on this machine's store): size it per deployment.
    max_bytes: int = 1024**3
    max_msgs: int = 10_000_000
    max_age_s: float = 7 * 24 * 3600.0
    connect_timeout_s: float = 2.0
    publish_timeout_s: float = 5.0


@dataclass(frozen=True, slots=True)
class PublishAck:
    stream: str
    seq: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class BatchMessage:
    family: str
    tenant: str
    batch_id: str
    table: pa.Table


def stream_name(config: JetStreamConfig, family: str) -> str:
    return f"{config.stream_prefix}_{family.upper()}"


def subject_for(config: JetStreamConfig, tenant: str, family: str) -> str:
    return f"{config.subject_root}.{tenant}.{family}"


#: Batches whose lz4 form is larger than this are sent zstd-compressed instead (about 0.6x the
#: bytes, 3.5x the CPU): a 1,000-call batch is ~0.2 MB as lz4, NATS's default max_payload 1 MB.
LZ4_MAX_BYTES = 512 * 1024
#: The magic number every LZ4 frame starts with (little-endian 0x184D2204).
LZ4_FRAME_MAGIC = b"\x04\x22\x4d\x18"
#: The most a message body may unpack to: far above any batch the API publishes (a 10,000-call
#: body is ~4 MB as Arrow), so a corrupt or hostile frame cannot make the worker allocate more.
MAX_DECODED_BYTES = 256 * 1024**2


def _ipc_stream(table: pa.Table, codec: str | None) -> bytes:
    sink = pa.BufferOutputStream()
    # One thread: compressing a batch's buffers in Arrow's pool cost 40-70% more CPU than inline.
    options = pa.ipc.IpcWriteOptions(compression=codec, use_threads=False)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def encode_batch(table: pa.Table) -> bytes:
    """The table as an Arrow IPC stream inside one LZ4 frame (cheapest to write and read); when
    that is above :data:`LZ4_MAX_BYTES`, as an IPC stream with zstd-compressed buffers.

    One frame around the whole stream, not Arrow's own per-buffer lz4: Arrow compresses each of
    a call batch's ~70 buffers in a frame of its own, which cost 0.67 ms to write and 0.74 ms
    to read per 1,000 calls, against 0.57 and 0.13 ms for one frame of the same size (each
    message is read twice, once per store's consumer)."""
    if table.nbytes > 4 * LZ4_MAX_BYTES:
        # lz4 shrinks call batches about 2x: trying it on one this large would be wasted work.
        return _ipc_stream(table, "zstd")
    # The frame records the stream's size, so a reader needs nothing else to unpack it.
    payload: bytes = lz4.frame.compress(_ipc_stream(table, None), store_size=True)
    return payload if len(payload) <= LZ4_MAX_BYTES else _ipc_stream(table, "zstd")


def decode_batch(data: bytes) -> pa.Table:
    """The table in a message body (either form :func:`encode_batch` writes, and the IPC
    stream with lz4 buffers that it wrote before 2026-11-29, which a stream may still hold);
    raises ``pyarrow.ArrowInvalid`` on a corrupt body."""
    if data[:4] == LZ4_FRAME_MAGIC:
        try:
            size = lz4.frame.get_frame_info(data)["content_size"]
            if not 0 < size <= MAX_DECODED_BYTES:  # 0: the frame does not say
                raise RuntimeError(f"it declares {size} bytes (1 to {MAX_DECODED_BYTES} expected)")
            data = lz4.frame.decompress(data)
        except RuntimeError as exc:  # the lz4 binding's error for a corrupt frame
            raise pa.ArrowInvalid(f"corrupt LZ4 frame: {exc}") from exc
    with pa.ipc.open_stream(pa.py_buffer(data)) as reader:
        return reader.read_all()


async def _ignore_error(error: Exception) -> None:
    """Connection errors surface as :class:`TransportUnavailableError`; no log spam."""


async def connect(config: JetStreamConfig) -> Client:
    """A connection that fails fast (no reconnect loop) so that the API can answer 503."""
    try:
        # nats-py retries the first connect in a loop even without reconnects: bound it.
        return await asyncio.wait_for(
            nats.connect(
                config.url,
                connect_timeout=config.connect_timeout_s,
                allow_reconnect=False,
                max_reconnect_attempts=0,
                error_cb=_ignore_error,
            ),
            timeout=config.connect_timeout_s * 2,
        )
    except (OSError, nats.errors.Error, TimeoutError) as exc:
        raise TransportUnavailableError(f"cannot reach NATS at {config.url}: {exc}") from exc


async def ensure_streams(
    js: JetStreamContext, config: JetStreamConfig, families: tuple[str, ...] | None = None
) -> None:
    """Create the family streams that do not exist yet (existing ones are left as they are)."""
    for family in families or tuple(sorted(FAMILIES)):
        name = stream_name(config, family)
        try:
            await js.stream_info(name)
            continue
        except nats.js.errors.NotFoundError:
            pass
        await js.add_stream(
            StreamConfig(
                name=name,
                subjects=[f"{config.subject_root}.*.{family}"],
                duplicate_window=config.duplicate_window_s,
                max_bytes=config.max_bytes,
                max_msgs=config.max_msgs,
                max_age=config.max_age_s,
                discard=DiscardPolicy.NEW,
                storage=StorageType.FILE,
            )
        )


async def publish_batch(
    config: JetStreamConfig,
    message: BatchMessage,
    *,
    client: Client | None = None,
    ensure_stream: bool = True,
) -> PublishAck:
    """Publish one validated batch and wait for the stream's ack.

    Raises :class:`TransportUnavailableError` when it was not stored (NATS down, stream full,
    message over the server's payload limit, no ack in time): the caller must not report the
    batch as accepted. ``ensure_stream=False`` skips the stream lookup for a caller that has
    already ensured the family's stream on ``client`` (the API's shared publisher).
    """
    nc = client or await connect(config)
    try:
        parts = _payload_parts(message, nc.max_payload)
        js = nc.jetstream(timeout=config.publish_timeout_s)
        if ensure_stream:
            await ensure_streams(js, config, (message.family,))
        acks = []
        for batch_id, payload in parts:
            acks.append(
                await js.publish(
                    subject_for(config, message.tenant, message.family),
                    payload,
                    timeout=config.publish_timeout_s,
                    stream=stream_name(config, message.family),
                    headers={
                        MSG_ID_HEADER: batch_id,
                        FAMILY_HEADER: message.family,
                        TENANT_HEADER: message.tenant,
                        BATCH_HEADER: batch_id,
                    },
                )
            )
    except (nats.errors.Error, TimeoutError, OSError) as exc:
        raise TransportUnavailableError(f"batch {message.batch_id} not stored: {exc}") from exc
    finally:
        if client is None:
            await nc.close()
    ack = acks[-1]
    return PublishAck(ack.stream, ack.seq, all(bool(part.duplicate) for part in acks))


def _payload_parts(message: BatchMessage, max_payload: int) -> list[tuple[str, bytes]]:
    """The message body, or — when it is over the server's payload limit (1 MB by default;
    10,000 call records encode to ~1.2 MB) — the batch cut by rows into as few parts as fit.
    Part ids derive from the batch id (``<id>-p<k>of<n>``), so a retried publish of the same
    batch is deduplicated part by part; a part stored before a failure is caught the same way.
    """
    payload = encode_batch(message.table)
    if len(payload) <= max_payload:
        return [(message.batch_id, payload)]
    rows = message.table.num_rows
    count = max(2, -(-len(payload) // int(max_payload * 0.9)))
    while count <= rows:
        size = -(-rows // count)
        pieces = [encode_batch(message.table.slice(start, size)) for start in range(0, rows, size)]
        if all(len(piece) <= max_payload for piece in pieces):
            total = len(pieces)
            return [
                (f"{message.batch_id}-p{number}of{total}", piece)
                for number, piece in enumerate(pieces, start=1)
            ]
        count *= 2
    raise TransportUnavailableError(
        f"batch {message.batch_id}: one event encodes to more than NATS's {max_payload} bytes"
    )
