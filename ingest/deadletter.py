"""The dead-letter store: every rejected record, with why and where it came from.

Layout (under ``Settings.deadletter_dir``)::

    <batch_id>.parquet           the rejects of one batch (one input), replaced as a whole
    files/<batch_id>/<name>      an input that could not be read at all, kept byte for byte

Keyed by batch id (derived from the input's content), so ingesting the same input again
rewrites the same file instead of adding copies. Files are written atomically (temporary file in
the same folder, fsync, rename): readers see the old set or the new one. ``ingest`` may not import
``warehouse`` (data flows one way), hence the small atomic writer here.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingest.readers import Position, PositionUnit

SCHEMA = pa.schema(
    [
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("position_unit", pa.string(), nullable=False),
        pa.field("position", pa.int64(), nullable=False),
        pa.field("family", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        # What was received: JSON text of the parsed record, or the verbatim text when it could
        # not be parsed (exactly one of the two is set).
        pa.field("raw_json", pa.string()),
        pa.field("raw_text", pa.string()),
        pa.field("rejected_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)

_BATCH_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One rejected record."""

    batch_id: str
    position: Position
    family: str | None
    reason: str
    #: The record as received: a dict for parsed records, the text for unparsable input.
    raw: Any
    rejected_at: datetime

    @property
    def source(self) -> str:
        return self.position.source


def _json_default(value: object) -> str:
    # Parquet rows carry datetimes, decimals and bytes; keep them as readable text.
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _check_batch_id(batch_id: str) -> str:
    if not _BATCH_ID_RE.match(batch_id):
        raise ValueError(f"batch_id {batch_id!r}: letters, digits, '_' or '-' only")
    return batch_id


class DeadLetterStore:
    """Rejected records under ``root`` (``Settings.deadletter_dir``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, batch_id: str) -> Path:
        return self.root / f"{_check_batch_id(batch_id)}.parquet"

    def write(self, batch_id: str, letters: Sequence[DeadLetter]) -> Path | None:
        """Replace the dead letters of ``batch_id``; with none, remove its file. Idempotent."""
        path = self.path_for(batch_id)
        if not letters:
            path.unlink(missing_ok=True)
            return None
        columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
        for letter in letters:
            is_text = isinstance(letter.raw, str)
            columns["batch_id"].append(batch_id)
            columns["source"].append(letter.position.source)
            columns["position_unit"].append(letter.position.unit.value)
            columns["position"].append(letter.position.index)
            columns["family"].append(letter.family)
            columns["reason"].append(letter.reason)
            columns["raw_json"].append(
                None
                if is_text
                else orjson.dumps(
                    letter.raw, default=_json_default, option=orjson.OPT_NON_STR_KEYS
                ).decode()
            )
            columns["raw_text"].append(letter.raw if is_text else None)
            columns["rejected_at"].append(letter.rejected_at)
        table = pa.Table.from_pydict(columns, schema=SCHEMA)
        return _write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))

    def keep_file(self, batch_id: str, name: str, data: bytes) -> Path:
        """Keep an unreadable input byte for byte (so nothing is lost); returns where."""
        safe = _SAFE_NAME_RE.sub("_", Path(name).name) or "input"
        path = self.root / "files" / _check_batch_id(batch_id) / safe

        def write(tmp: Path) -> None:
            tmp.write_bytes(data)

        return _write_atomic(path, write)

    def files(self) -> list[Path]:
        return sorted(self.root.glob("*.parquet"))

    def table(self) -> pa.Table:
        """Every dead letter as one Arrow table (newest first)."""
        tables = [pq.read_table(path, schema=SCHEMA) for path in self.files()]
        if not tables:
            return SCHEMA.empty_table()
        return pa.concat_tables(tables).sort_by(
            [("rejected_at", "descending"), ("source", "ascending"), ("position", "ascending")]
        )

    def count(self) -> int:
        return sum(pq.read_metadata(path).num_rows for path in self.files())

    def read(self, *, limit: int | None = None, batch_id: str | None = None) -> list[DeadLetter]:
        """Dead letters, newest first; optionally only one batch's, at most ``limit``."""
        table = self.table()
        if batch_id is not None:
            table = table.filter(pc.equal(table["batch_id"], batch_id))
        if limit is not None:
            table = table.slice(0, limit)
        letters = []
        for row in table.to_pylist():
            raw_json = row["raw_json"]
            letters.append(
                DeadLetter(
                    batch_id=row["batch_id"],
                    position=Position(
                        row["source"], PositionUnit(row["position_unit"]), row["position"]
                    ),
                    family=row["family"],
                    reason=row["reason"],
                    raw=orjson.loads(raw_json) if raw_json is not None else row["raw_text"],
                    rejected_at=row["rejected_at"],
                )
            )
        return letters
