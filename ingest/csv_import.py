"""Reading an imported CSV of reference data (subscription periods, exchange rates, interval
plans): the machinery the imports share, while each keeps its own row model and file rules.

A file is UTF-8 text (a BOM is allowed) with a header row naming every required column and
possibly some optional ones, nothing else (:class:`CsvFileError` otherwise: the file as a whole
cannot be imported). Each further line is validated against the import's row model, then against
the import's file-level rule (``accept``: e.g. no repeated key); a line that fails either is a
dead letter with its 1-based line number, its cells and the reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import pyarrow as pa
from pydantic import BaseModel, ValidationError

from ingest.contracts.common import TenantId
from ingest.deadletter import DeadLetter
from ingest.readers import Position, PositionUnit

RowT = TypeVar("RowT", bound=BaseModel)


class CsvFileError(ValueError):
    """The file as a whole cannot be imported (not UTF-8, missing or unknown columns)."""


class _Tenant(BaseModel):
    tenant_id: TenantId


def valid_tenant(tenant_id: str) -> str:
    """``tenant_id`` checked as a tenant id (pydantic ``ValidationError`` when it is not one)."""
    return _Tenant(tenant_id=tenant_id).tenant_id


def file_import_id(prefix: str, data: bytes, tenant_id: str | None = None) -> str:
    """The id of one import, derived from the file's bytes (and its tenant, if any): the same
    file imports under the same id."""
    scope = b"" if tenant_id is None else tenant_id.encode() + b"\0"
    digest = hashlib.sha256(scope + data).hexdigest()[:32]
    return f"{prefix}-{digest}" if tenant_id is None else f"{prefix}-{tenant_id}-{digest}"


def validation_reason(exc: ValidationError) -> str:
    """One line naming each failed field and why (``row`` for a rule over the whole row)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'row'}: {error['msg']}"
        for error in exc.errors()
    )


def read_csv_rows(
    data: bytes,
    *,
    source: str,
    row_model: type[RowT],
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    accept: Callable[[int, RowT], str | None],
    kind: str,
    batch_id: str,
    rejected_at: datetime,
    file_error: type[CsvFileError] = CsvFileError,
) -> tuple[list[RowT], list[DeadLetter]]:
    """The rows of ``data`` that pass ``row_model`` and ``accept``, in file order, and the dead
    letters (family ``kind``) of the others.

    ``accept(line, row)`` is the import's file-level rule: it returns why the row is rejected,
    or None to accept it (and then records whatever later rows are checked against). Raises
    ``file_error`` when the file is not UTF-8 or its header is not ``required`` plus some of
    ``optional``.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise file_error(f"{source}: not UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name not in required + optional]
    if missing or unknown:
        also = f" (and optionally {', '.join(optional)})" if optional else ""
        raise file_error(
            f"{source}: header must name {', '.join(required)}{also}; missing {missing}, "
            f"unknown {unknown}"
        )
    reader.fieldnames = header
    accepted: list[RowT] = []
    rejects: list[DeadLetter] = []
    for cells in reader:
        line = reader.line_num
        try:
            if None in cells:  # DictReader files surplus cells under the key None
                raise ValueError(
                    f"{len(cells[None]) + len(header)} cells, the header has {len(header)}"
                )
            row = row_model.model_validate(cells)
        except ValidationError as exc:
            reason: str | None = validation_reason(exc)
        except ValueError as exc:
            reason = str(exc)
        else:
            reason = accept(line, row)
        if reason is None:
            accepted.append(row)
            continue
        rejects.append(
            DeadLetter(
                batch_id=batch_id,
                position=Position(source, PositionUnit.LINE, line),
                family=kind,
                reason=reason,
                raw=dict(cells),
                rejected_at=rejected_at,
            )
        )
    return accepted, rejects


def rows_table(rows: list[RowT], schema: pa.Schema, constants: Mapping[str, Any]) -> pa.Table:
    """``rows`` as a table of ``schema``: each column is the rows' field of the same name, or,
    for the names in ``constants`` (tenant, import id, import time), that value on every row."""
    return pa.Table.from_pydict(
        {
            name: [constants[name]] * len(rows)
            if name in constants
            else [getattr(row, name) for row in rows]
            for name in schema.names
        },
        schema=schema,
    )
