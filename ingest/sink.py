"""Where validated batches go. ``warehouse.ParquetLake`` satisfies this structurally; ingest never
imports warehouse (data flows one way): the composition root (the CLI, the pipeline) passes one in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import pyarrow as pa


@runtime_checkable
class BatchSink(Protocol):
    def write_batch(self, family: str, table: pa.Table, batch_id: str) -> list[Path]:
        """Write one family's validated events of one batch (``table`` in the family's contract
        schema, possibly empty). Writing a ``batch_id`` again replaces what the earlier write of
        that family and batch wrote (idempotent; an empty table leaves nothing of it). Returns
        the files written."""
        ...
