"""Where validated batches go. ``warehouse.ParquetLake`` satisfies this structurally; ingest never
imports warehouse (data flows one way): the composition root (the CLI, the pipeline) passes one in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import pyarrow as pa


class StoreUnavailableError(Exception):
    """The store behind a sink cannot take writes now (down, unreachable, locked).

    Unlike any other error from ``write_batch`` this says nothing about the batch: stream workers
    keep such batches in the stream and retry later instead of counting it towards dead-lettering.
    """


@runtime_checkable
class BatchSink(Protocol):
    def write_batch(self, family: str, table: pa.Table, batch_id: str) -> list[Path]:
        """Write one family's validated events of one batch (``table`` in the family's contract
        schema, possibly empty). Writing a ``batch_id`` again replaces what the earlier write of
        that family and batch wrote (idempotent; an empty table leaves nothing of it). Returns
        the files written. Raises :class:`StoreUnavailableError` when the store is down."""
        ...


@runtime_checkable
class MaintainedSink(BatchSink, Protocol):
    """A sink with work to do between batches (yield a shared resource, expire old data).

    Stream workers call ``between_batches`` before each fetch, from a worker thread; it may
    block (e.g. while another process borrows the store) and messages wait in the stream."""

    def between_batches(self) -> None: ...

    def flush(self) -> None:
        """Finish deferred work now: called when the stream is idle and when the worker stops."""
        ...
