"""Write a mart's rows (an Arrow table) to a file: CSV, JSON, Parquet or XLSX.

Money and exact ratios are decimals in the marts. CSV and XLSX cells hold them as written by
Arrow (CSV: exact decimal text; XLSX: numbers, which spreadsheets read as doubles — a spreadsheet
is for people, the other formats are for programs). JSON holds them as strings, so no digit is
lost; dates are ISO strings. Parquet keeps every type as it is.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from warehouse.atomic import write_parquet_atomic


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"
    XLSX = "xlsx"


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: the value is UTC
    return value


def write_table(table: pa.Table, path: Path, fmt: ExportFormat, *, sheet: str = "rows") -> None:
    """Write ``table`` to ``path`` in ``fmt`` (the file is replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt is ExportFormat.PARQUET:
        write_parquet_atomic(table, path)
    elif fmt is ExportFormat.CSV:
        pacsv.write_csv(table, path)
    elif fmt is ExportFormat.JSON:
        rows = [
            {name: _json_value(value) for name, value in row.items()} for row in table.to_pylist()
        ]
        path.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    elif fmt is ExportFormat.XLSX:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        worksheet = book.create_sheet(sheet[:31])  # Excel's sheet-name limit
        worksheet.append(table.column_names)
        for row in table.to_pylist():
            worksheet.append([_xlsx_value(value) for value in row.values()])
        book.save(path)
    else:  # pragma: no cover - the enum is exhaustive
        raise ValueError(f"unknown export format {fmt!r}")
