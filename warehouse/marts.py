"""Read published marts (``<marts_dir>/<mart>.parquet``), always for exactly one tenant.

The pipeline publishes each mart by atomic replace (temp file + rename) while readers run, and
the pipeline's DuckDB file stays locked during runs, so readers query the Parquet files only.

Why the file is opened here and handed to DuckDB as ``/proc/self/fd/N``: DuckDB opens a Parquet
file several times per query (metadata at bind time, then again per scan thread). If the file is
replaced between those opens, the footer of one version is used to read the bytes of another,
and the query fails ("Invalid data", "bytes outside file") about half the time under a busy
publisher (measured). Holding one descriptor pins the inode: every open DuckDB makes through the
descriptor path sees the same version, and the next call sees the newest one. No file stays open
between calls.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from pydantic import TypeAdapter, ValidationError

from ingest.contracts.common import TenantId

#: Mart names are dbt model names: lower-case identifiers. Nothing else can reach the file system.
MART_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_COLUMN_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
#: Every mart carries its tenant in this column; every read filters on it.
TENANT_COLUMN = "tenant_id"

_TENANT_ID = TypeAdapter(TenantId)
# Linux has /proc/self/fd; macOS and the BSDs have /dev/fd. Both re-open the pinned inode.
_DESCRIPTOR_DIR = next(
    (folder for folder in ("/proc/self/fd", "/dev/fd") if os.path.isdir(folder)), None
)

ScalarFilter = str | int | float | bool | date


class MartError(Exception):
    """Base class of every mart read failure."""


class InvalidMartNameError(MartError, ValueError):
    """The mart name is not a plain identifier (or names a column that is not one)."""


class MartNotPublished(MartError, LookupError):  # noqa: N818 - name used by the API contract
    """The mart's Parquet file does not exist yet."""

    def __init__(self, mart: str, path: Path) -> None:
        self.mart = mart
        self.path = path
        super().__init__(f"mart {mart!r} has not been published yet; run the pipeline")


class MartReadError(MartError, RuntimeError):
    """The mart file exists but could not be queried (corrupt file, missing column)."""


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive range on one date column; an open end is ``None``."""

    column: str
    start: date | None = None
    end: date | None = None


def _quote(column: str) -> str:
    if not _COLUMN_PATTERN.match(column):
        raise InvalidMartNameError(f"column {column!r}: letters, digits and '_' only")
    return f'"{column}"'


class MartReader:
    """Tenant-scoped reads of published marts through an in-memory DuckDB.

    One in-memory DuckDB database per reader (starting one costs ~15 ms, a connection on it
    ~1 ms); every read uses a fresh connection on it and DuckDB's file cache is off, so each
    call reads the file as it is now.
    """

    def __init__(self, marts_dir: Path) -> None:
        self.marts_dir = marts_dir
        self._database: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()

    def path(self, mart: str) -> Path:
        """The published file of ``mart`` (validated name; the file may not exist)."""
        if not isinstance(mart, str) or not MART_NAME_PATTERN.match(mart):
            raise InvalidMartNameError(
                f"mart name {mart!r}: lower-case letters, digits and '_' only, "
                "starting with a letter"
            )
        return self.marts_dir / f"{mart}.parquet"

    def published(self) -> dict[str, datetime]:
        """Published marts and when each was last replaced (UTC), by name."""
        found: dict[str, datetime] = {}
        if not self.marts_dir.is_dir():
            return found
        for candidate in sorted(self.marts_dir.glob("*.parquet")):
            if not MART_NAME_PATTERN.match(candidate.stem):
                continue
            try:
                modified = candidate.stat().st_mtime
            except FileNotFoundError:  # replaced or removed while listing
                continue
            found[candidate.stem] = datetime.fromtimestamp(modified, tz=UTC)
        return found

    def read_for_tenant(
        self,
        mart: str,
        tenant_id: str,
        *,
        columns: Sequence[str] | None = None,
        date_range: DateRange | None = None,
        equals: Mapping[str, ScalarFilter] | None = None,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> pa.Table:
        """Rows of ``mart`` whose ``tenant_id`` equals ``tenant_id``, filtered in SQL.

        Every value is a bound parameter; column names are validated identifiers, quoted.
        Raises MartNotPublished when the file is missing, MartReadError when DuckDB cannot
        read it, ValueError when ``tenant_id`` is not a valid tenant slug.
        """
        self.path(mart)  # validates the name before any SQL is built
        tenant = _validated_tenant(tenant_id)
        select_list = ", ".join(_quote(name) for name in columns) if columns else "*"
        conditions = [f"{_quote(TENANT_COLUMN)} = $tenant_id"]
        params: dict[str, Any] = {"tenant_id": tenant}
        if date_range is not None:
            if date_range.start is not None:
                conditions.append(f"{_quote(date_range.column)} >= $range_start")
                params["range_start"] = date_range.start
            if date_range.end is not None:
                conditions.append(f"{_quote(date_range.column)} <= $range_end")
                params["range_end"] = date_range.end
        for position, (column, value) in enumerate((equals or {}).items()):
            conditions.append(f"{_quote(column)} = $equals_{position}")
            params[f"equals_{position}"] = value
        sql = f"select {select_list} from read_parquet($source) where " + " and ".join(conditions)
        if order_by:
            sql += " order by " + ", ".join(_quote(name) for name in order_by)
        if limit is not None:
            if limit < 0:
                raise ValueError(f"limit must be >= 0, got {limit}")
            sql += f" limit {int(limit)}"
        return self._query(mart, sql, params)

    def latest_for_tenant(self, mart: str, tenant_id: str, column: str) -> Any:
        """The largest value of ``column`` among the tenant's rows (None when it has none)."""
        sql = (
            f"select max({_quote(column)}) as latest from read_parquet($source) "
            f"where {_quote(TENANT_COLUMN)} = $tenant_id"
        )
        params = {"tenant_id": _validated_tenant(tenant_id)}
        return self._query(mart, sql, params).column("latest")[0].as_py()

    def _query(self, mart: str, sql: str, params: dict[str, Any]) -> pa.Table:
        path = self.path(mart)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - held open for the whole query on purpose
        except FileNotFoundError:
            raise MartNotPublished(mart, path) from None
        with handle:
            connection = self._connect()
            try:
                source = _pinned_path(handle.fileno(), path)
                return connection.sql(sql, params={**params, "source": source}).to_arrow_table()
            except duckdb.Error as exc:
                raise MartReadError(f"mart {mart!r} could not be read: {exc}") from exc
            finally:
                connection.close()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._database is None:
                self._database = duckdb.connect(
                    ":memory:", config={"enable_external_file_cache": False}
                )
            return self._database.cursor()


def _validated_tenant(tenant_id: str) -> str:
    try:
        validated = _TENANT_ID.validate_python(tenant_id, strict=True)
    except ValidationError as exc:
        raise ValueError(
            f"tenant_id {tenant_id!r}: {exc.errors()[0]['msg']} "
            "(lower-case letters, digits, '_' or '-', at most 63 chars)"
        ) from None
    if validated != tenant_id:
        raise ValueError(f"tenant_id {tenant_id!r}: surrounding whitespace is not allowed")
    return validated


def _pinned_path(descriptor: int, path: Path) -> str:
    if _DESCRIPTOR_DIR is None:  # no descriptor folder: fall back to the path (may tear)
        return str(path)
    return f"{_DESCRIPTOR_DIR}/{descriptor}"
