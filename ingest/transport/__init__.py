"""Server-profile transport: validated batches travel over NATS JetStream to sink workers.

Imports nothing from serving/ or warehouse/: the API publishes, ``irisx worker`` consumes and
writes to whatever :class:`ingest.BatchSink` objects the composition root passes in.
"""

from ingest.transport.jetstream import (
    BatchMessage,
    JetStreamConfig,
    PublishAck,
    TransportUnavailableError,
    decode_batch,
    encode_batch,
    ensure_streams,
    publish_batch,
    stream_name,
    subject_for,
)
from ingest.transport.publisher import (
    BacklogTooLargeError,
    ConsumerBacklog,
    JetStreamPublisher,
    PublisherStats,
)
from ingest.transport.worker import BatchWorker, WorkerStats

__all__ = [
    "BacklogTooLargeError",
    "BatchMessage",
    "BatchWorker",
    "ConsumerBacklog",
    "JetStreamConfig",
    "JetStreamPublisher",
    "PublishAck",
    "PublisherStats",
    "TransportUnavailableError",
    "WorkerStats",
    "decode_batch",
    "encode_batch",
    "ensure_streams",
    "publish_batch",
    "stream_name",
    "subject_for",
]
