"""Readers: turn files or bytes into ``(position, raw record)`` pairs, streaming.

Supported inputs (the suffix decides; ``.gz`` may follow any text format):

* NDJSON (``.ndjson``, ``.jsonl``): one JSON object per line; position = line number (1-based).
* CSV (``.csv``): a header row, then one record per row; an empty cell is null; position = the
  line the row starts on (1-based, the header is line 1).
* Parquet (``.parquet``): read in record batches; position = row index (0-based).
* JSON (``.json``): one JSON document per file (a FreeSWITCH ``mod_json_cdr`` file is one object),
  a JSON array of objects (position = item index, 0-based), or NDJSON saved as ``.json``.

A line or row that cannot be parsed is yielded with ``record=None`` and an ``error``: the caller
rejects it and goes on. An input that cannot be read at all (corrupt gzip, not Parquet, bad text
encoding) raises :class:`UnreadableInputError`, possibly after some records were yielded: callers
must then drop what they read from it.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: Parquet rows are converted to Python in batches of this many rows.
PARQUET_BATCH_ROWS = 16_384


class SourceFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"
    PARQUET = "parquet"
    JSON = "json"


class PositionUnit(StrEnum):
    LINE = "line"  # 1-based line number in a text file
    ROW = "row"  # 0-based row index in a Parquet file
    ITEM = "item"  # 0-based index in a JSON array or a list of objects
    FILE = "file"  # the input as a whole (unreadable file)


_SUFFIX_FORMATS = {
    ".ndjson": SourceFormat.NDJSON,
    ".jsonl": SourceFormat.NDJSON,
    ".csv": SourceFormat.CSV,
    ".parquet": SourceFormat.PARQUET,
    ".json": SourceFormat.JSON,
}


class Position(NamedTuple):
    """Where a record came from: the source (path or name) and its place in it."""

    source: str
    unit: PositionUnit
    index: int

    def __str__(self) -> str:
        return f"{self.source} {self.unit.value} {self.index}"


# NamedTuples, not dataclasses: one of each is made per record, and tuples are cheap to build.
class RawRecord(NamedTuple):
    """One record as received. ``record`` is None when the input could not be parsed; then
    ``text`` holds what was received and ``error`` says why it is not a record."""

    position: Position
    record: dict[str, Any] | None
    text: str | None = None
    error: str | None = None


class UnreadableInputError(Exception):
    """The input as a whole cannot be read (corrupt compression, not Parquet, bad encoding)."""


class UnsupportedFormatError(ValueError):
    """The file name has no suffix we know how to read."""


def detect_format(name: str) -> tuple[SourceFormat, bool]:
    """``(format, gzipped)`` from a file name; raises :class:`UnsupportedFormatError`."""
    lowered = name.lower()
    gzipped = lowered.endswith(".gz")
    if gzipped:
        lowered = lowered[:-3]
    for suffix, source_format in _SUFFIX_FORMATS.items():
        if lowered.endswith(suffix):
            if gzipped and source_format is SourceFormat.PARQUET:
                break  # Parquet compresses its own pages; a gzipped Parquet file is a mistake
            return source_format, gzipped
    known = ", ".join([*_SUFFIX_FORMATS, *(s + ".gz" for s in _SUFFIX_FORMATS if s != ".parquet")])
    raise UnsupportedFormatError(f"{name}: unsupported file type (known: {known})")


def is_supported(name: str) -> bool:
    try:
        detect_format(name)
    except UnsupportedFormatError:
        return False
    return True


def _decode_lossy(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _parse_object(data: bytes | str) -> tuple[dict[str, Any] | None, str | None]:
    """Parse one JSON object; ``(record, None)`` or ``(None, reason)``."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc}"
    if not isinstance(value, dict):
        return None, f"expected a JSON object, got {type(value).__name__}"
    return value, None


def read_ndjson(stream: IO[bytes], source: str) -> Iterator[RawRecord]:
    """One JSON object per line; blank lines are skipped."""
    for number, line in enumerate(stream, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        record, error = _parse_object(stripped)
        if record is None:
            yield RawRecord(
                Position(source, PositionUnit.LINE, number),
                None,
                _decode_lossy(line.rstrip(b"\r\n")),  # as received, less the line break
                error,
            )
        else:
            yield RawRecord(Position(source, PositionUnit.LINE, number), record)


def read_json(stream: IO[bytes], source: str) -> Iterator[RawRecord]:
    """A JSON document (object or array of objects), or NDJSON saved with a ``.json`` suffix."""
    data = stream.read()
    if not data.strip():
        return
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        first_line = data.lstrip().split(b"\n", 1)[0]
        if _parse_object(first_line)[0] is not None:
            # The first line is a whole object on its own: this is NDJSON.
            yield from read_ndjson(io.BytesIO(data), source)
        else:
            # One broken document (e.g. a truncated CDR): one reject, not one per line.
            yield RawRecord(
                Position(source, PositionUnit.LINE, 1),
                None,
                _decode_lossy(data),
                f"invalid JSON: {exc}",
            )
        return
    if isinstance(document, dict):
        yield RawRecord(Position(source, PositionUnit.LINE, 1), document)
    elif isinstance(document, list):
        yield from read_objects(document, source)
    else:
        yield RawRecord(
            Position(source, PositionUnit.LINE, 1),
            None,
            _decode_lossy(data),
            f"expected a JSON object or array, got {type(document).__name__}",
        )


def read_objects(objects: Iterable[Any], source: str) -> Iterator[RawRecord]:
    """Already-parsed objects (e.g. an HTTP request's JSON array); position = item index."""
    item = PositionUnit.ITEM
    # tuple.__new__ skips the NamedTuples' Python-level __new__: ~40% of this loop's cost.
    new = tuple.__new__
    for index, value in enumerate(objects):
        position = new(Position, (source, item, index))
        if type(value) is dict:
            # Nothing downstream mutates a record: no copy.
            yield new(RawRecord, (position, value, None, None))
        elif isinstance(value, Mapping):
            yield RawRecord(position, dict(value))
        else:
            yield RawRecord(
                position,
                None,
                orjson.dumps(value, default=str).decode(),
                f"expected a JSON object, got {type(value).__name__}",
            )


def read_csv(stream: IO[bytes], source: str) -> Iterator[RawRecord]:
    """Header row, then records; empty cells are null. Cells stay text: the contracts parse them."""
    # utf-8-sig drops a byte-order mark (spreadsheet exports); newline="" lets csv see quoted
    # line breaks.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_records(text, source)
    finally:
        text.detach()  # the caller's stream stays open (a wrapper closes it when collected)


def _csv_records(text: IO[str], source: str) -> Iterator[RawRecord]:
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    columns = [name.strip() for name in header]
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated or "" in columns:
        problem = f"repeats column(s) {', '.join(repeated)}" if repeated else "has an empty name"
        raise UnreadableInputError(f"CSV header {problem}")
    next_line = reader.line_num + 1
    for cells in reader:
        position = Position(source, PositionUnit.LINE, next_line)
        next_line = reader.line_num + 1
        if not cells:
            continue
        if len(cells) != len(columns):
            yield RawRecord(
                position,
                None,
                ",".join(cells),
                f"row has {len(cells)} fields, the header has {len(columns)}",
            )
            continue
        yield RawRecord(
            position,
            {
                name: (cell if cell != "" else None)
                for name, cell in zip(columns, cells, strict=True)
            },
        )


def read_parquet(stream: IO[bytes], source: str) -> Iterator[RawRecord]:
    """Parquet rows in batches (see :func:`_batch_rows` for how values are converted)."""
    try:
        parquet = pq.ParquetFile(stream)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UnreadableInputError(f"not a readable Parquet file: {exc}") from exc
    index = 0
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
        for row in _batch_rows(batch):
            yield RawRecord(Position(source, PositionUnit.ROW, index), row)
            index += 1


def _batch_rows(batch: pa.RecordBatch) -> Iterator[dict[str, object]]:
    """Rows of a record batch as dicts, converted column by column.

    Row-wise ``to_pylist`` costs ~2x more: it builds a zone-aware datetime and a Decimal per
    value. Timestamps become ISO 8601 strings (with their offset when the column has a time
    zone, so naive columns stay naive and fail the contract as they should) and decimals
    become exact strings; the contracts parse both.
    """
    columns = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_timestamp(field.type):
            pattern = "%Y-%m-%dT%H:%M:%S%z" if field.type.tz else "%Y-%m-%dT%H:%M:%S"
            column = pc.strftime(column, format=pattern)
        elif pa.types.is_decimal(field.type):
            column = column.cast(pa.string())
        columns.append(column.to_pylist())
    names = batch.schema.names
    for values in zip(*columns, strict=True):
        yield dict(zip(names, values, strict=True))


_READERS = {
    SourceFormat.NDJSON: read_ndjson,
    SourceFormat.CSV: read_csv,
    SourceFormat.PARQUET: read_parquet,
    SourceFormat.JSON: read_json,
}


def read_stream(stream: IO[bytes], name: str, source: str | None = None) -> Iterator[RawRecord]:
    """Records of a binary stream whose format follows from ``name`` (suffix, optional .gz)."""
    source_format, gzipped = detect_format(name)
    opened: IO[bytes] = gzip.GzipFile(fileobj=stream, mode="rb") if gzipped else stream
    records = _READERS[source_format](opened, source or name)
    try:
        yield from records
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise UnreadableInputError(f"corrupt gzip data: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableInputError(f"not UTF-8 text: {exc}") from exc
    except csv.Error as exc:
        raise UnreadableInputError(f"malformed CSV: {exc}") from exc
    except (pa.ArrowInvalid, OSError) as exc:
        raise UnreadableInputError(f"read failed: {exc}") from exc


def read_bytes(data: bytes, name: str, source: str | None = None) -> Iterator[RawRecord]:
    """Records of an in-memory payload (an HTTP body, say) named like a file."""
    return read_stream(io.BytesIO(data), name, source)


def read_path(path: Path) -> Iterator[RawRecord]:
    """Records of a file, streamed."""
    detect_format(path.name)  # fail before opening
    with open(path, "rb") as handle:
        yield from read_stream(handle, path.name, str(path))


__all__ = [
    "PARQUET_BATCH_ROWS",
    "Position",
    "PositionUnit",
    "RawRecord",
    "SourceFormat",
    "UnreadableInputError",
    "UnsupportedFormatError",
    "detect_format",
    "is_supported",
    "read_bytes",
    "read_csv",
    "read_json",
    "read_ndjson",
    "read_objects",
    "read_parquet",
    "read_path",
    "read_stream",
]
