"""Write a simulation to a folder: ``<family>.parquet`` or ``<family>.ndjson`` per event family,
``ground_truth.json`` and ``manifest.json``. Each file is written under a temporary name and then
renamed, so a reader never sees a half-written file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from telephony.simulator.config import SimulationResult
from telephony.simulator.wire import FAMILY_NAMES

_NDJSON_BATCH_ROWS = 65_536


class OutputFormat(StrEnum):
    PARQUET = "parquet"
    NDJSON = "ndjson"


@contextmanager
def _atomic(path: Path) -> Iterator[BinaryIO]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
        os.chmod(temp, 0o644)  # mkstemp creates 0600; these are data files meant to be shared
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_parquet(table: pa.Table, path: Path) -> Path:
    with _atomic(path) as stream:
        pq.write_table(table, stream, compression="zstd")
    return path


def _json_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 text with a UTC offset, decimals as exact text."""
    columns = []
    for column, field in zip(table.columns, table.schema, strict=True):
        if pa.types.is_timestamp(field.type):
            column = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S+00:00")
        elif pa.types.is_decimal(field.type):
            column = column.cast(pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def write_ndjson(table: pa.Table, path: Path) -> Path:
    """One JSON object per line; null optional fields are written as ``null``."""
    with _atomic(path) as stream:
        for batch in _json_ready(table).to_batches(max_chunksize=_NDJSON_BATCH_ROWS):
            names = batch.schema.names
            values = [column.to_pylist() for column in batch.columns]
            lines = [
                orjson.dumps(dict(zip(names, row, strict=True)))
                for row in zip(*values, strict=True)
            ]
            if lines:
                stream.write(b"\n".join(lines))
                stream.write(b"\n")
    return path


def _write_json(document: Any, path: Path) -> Path:
    with _atomic(path) as stream:
        stream.write(json.dumps(document, indent=2, sort_keys=False).encode("utf-8") + b"\n")
    return path


def write_result(
    result: SimulationResult, out_dir: Path, fmt: OutputFormat | str = OutputFormat.PARQUET
) -> dict[str, Path]:
    """Write every generated family plus ``ground_truth.json`` and ``manifest.json``."""
    fmt = OutputFormat(fmt)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for family in FAMILY_NAMES:
        if family not in result.tables:
            continue
        path = out_dir / f"{family}.{fmt.value}"
        writer = write_parquet if fmt is OutputFormat.PARQUET else write_ndjson
        written[family] = writer(result.tables[family], path)
    written["ground_truth"] = _write_json(result.ground_truth, out_dir / "ground_truth.json")
    manifest = {
        **result.manifest,
        "format": fmt.value,
        "files": {family: path.name for family, path in written.items()},
    }
    written["manifest"] = _write_json(manifest, out_dir / "manifest.json")
    return written
