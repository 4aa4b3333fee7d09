"""Read published marts, always for exactly one tenant, wherever the profile publishes them.

``MartReader`` is the interface the API and ``irisx export`` read through; ``mart_reader_for``
is the one place that picks an implementation:

- embedded profile: ``ParquetMartReader`` over ``<marts_dir>/<mart>.parquet`` (the dbt ``duckdb``
  target publishes each mart there by atomic replace);
- server profile: ``ClickHouseMartReader`` over the tables ``irisx.<mart>`` that the dbt
  ``clickhouse`` (chDB) and ``clickhouse_server`` targets write.

Both build the same SQL from the same arguments (tenant filter, inclusive date range, equality
filters, columns, order, limit), every value a bound parameter and every name a validated,
quoted identifier, so the same request gets the same rows from either.

Parquet: the pipeline's DuckDB file stays locked during runs, so readers query the Parquet files
only. Why the file is opened here and handed to DuckDB as ``/proc/self/fd/N``: DuckDB opens a
Parquet file several times per query (metadata at bind time, then again per scan thread). If the
file is replaced between those opens, the footer of one version is used to read the bytes of
another, and the query fails ("Invalid data", "bytes outside file") about half the time under a
busy publisher (measured). Holding one descriptor pins the inode: every open DuckDB makes through
the descriptor path sees the same version, and the next call sees the newest one. No file stays
open between calls.

ClickHouse on chDB: chDB locks its folder for one process, and the stream worker keeps it open.
Each read therefore files a request (``warehouse.clickhouse.handoff``), opens a short-lived
client once the worker let go (retrying up to ``open_timeout_s``), reads and closes, so the worker
gets the folder back at once. A dbt run holds the folder for its whole duration: reads during one
wait, then fail with ``MartsUnavailable`` (the API answers 503 with Retry-After). With a
ClickHouse server none of this applies: one client, shared by all threads.
"""

from __future__ import annotations

import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import TypeAdapter, ValidationError

from config import Profile, Settings
from ingest.contracts.common import TenantId

if TYPE_CHECKING:  # clickhouse-connect is imported only when a ClickHouse reader is used
    from clickhouse_connect.driver.client import Client

#: Mart names are dbt model names: lower-case identifiers. Nothing else can reach the file system.
MART_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_COLUMN_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
#: Every mart carries its tenant in this column; every read filters on it.
TENANT_COLUMN = "tenant_id"
#: The ClickHouse database the dbt clickhouse targets build marts in (``schema`` in
#: dbt/profiles.yml).
MARTS_DATABASE = "irisx"

_TENANT_ID = TypeAdapter(TenantId)
# Linux has /proc/self/fd; macOS and the BSDs have /dev/fd. Both re-open the pinned inode.
_DESCRIPTOR_DIR = next(
    (folder for folder in ("/proc/self/fd", "/dev/fd") if os.path.isdir(folder)), None
)
# ClickHouse error codes meaning "no such table" / "no such database": the mart is not built yet.
_UNKNOWN_TABLE_CODES = frozenset({60, 81})

ScalarFilter = str | int | float | bool | date


class MartError(Exception):
    """Base class of every mart read failure."""


class InvalidMartNameError(MartError, ValueError):
    """The mart name is not a plain identifier (or names a column that is not one)."""


class MartNotPublished(MartError, LookupError):  # noqa: N818 - name used by the API contract
    """The mart has not been published yet (no Parquet file, no ClickHouse table)."""

    def __init__(self, mart: str, location: str) -> None:
        self.mart = mart
        #: Where it was looked for: the Parquet file, or ``database.table`` on ClickHouse.
        self.location = location
        super().__init__(f"mart {mart!r} has not been published yet; run the pipeline")


class MartReadError(MartError, RuntimeError):
    """The mart exists but could not be queried (corrupt file, missing column)."""


class MartsUnavailable(MartError, ConnectionError):  # noqa: N818 - like MartNotPublished
    """The warehouse holding the marts cannot be reached now (server down, chDB folder busy):
    a transient condition, worth a retry."""


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive range on one date column; an open end is ``None``."""

    column: str
    start: date | None = None
    end: date | None = None


def validate_mart_name(mart: str) -> str:
    """``mart`` if it is a plain lower-case identifier (a dbt model name), else an error."""
    if not isinstance(mart, str) or not MART_NAME_PATTERN.match(mart):
        raise InvalidMartNameError(
            f"mart name {mart!r}: lower-case letters, digits and '_' only, starting with a letter"
        )
    return mart


def _quote(column: str) -> str:
    if not _COLUMN_PATTERN.match(column):
        raise InvalidMartNameError(f"column {column!r}: letters, digits and '_' only")
    return f'"{column}"'


@dataclass
class _Parameters:
    """Bound values of one statement, written by the dialect's placeholder syntax."""

    placeholder: Callable[[str, Any], str]
    values: dict[str, Any] = field(default_factory=dict)

    def bind(self, name: str, value: Any) -> str:
        self.values[name] = value
        return self.placeholder(name, value)


class MartReader(ABC):
    """Tenant-scoped reads of published marts. Implementations say where marts live and how a
    statement runs; the statements themselves are built here, once, for every implementation."""

    @abstractmethod
    def published(self) -> dict[str, datetime]:
        """Published marts and when each was last replaced or updated (UTC), by name."""

    @abstractmethod
    def columns(self, mart: str) -> list[str]:
        """The mart's column names, in order (MartNotPublished when it does not exist)."""

    @abstractmethod
    def _source(self, mart: str) -> str:
        """The SQL table expression that reads ``mart`` (a validated name)."""

    @abstractmethod
    def _placeholder(self, name: str, value: Any) -> str:
        """How the dialect writes the bound parameter ``name`` holding ``value``."""

    @abstractmethod
    def _query(self, mart: str, sql: str, params: dict[str, Any]) -> pa.Table:
        """Run ``sql`` with ``params`` and return its rows."""

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
        Raises MartNotPublished when the mart is missing, MartReadError when it cannot be
        read, MartsUnavailable when its warehouse cannot be reached, ValueError when
        ``tenant_id`` is not a valid tenant slug.
        """
        validate_mart_name(mart)  # before any SQL is built
        params = _Parameters(self._placeholder)
        tenant = params.bind("tenant_id", _validated_tenant(tenant_id))
        select_list = ", ".join(_quote(name) for name in columns) if columns else "*"
        conditions = [f"{_quote(TENANT_COLUMN)} = {tenant}"]
        if date_range is not None:
            if date_range.start is not None:
                start = params.bind("range_start", date_range.start)
                conditions.append(f"{_quote(date_range.column)} >= {start}")
            if date_range.end is not None:
                end = params.bind("range_end", date_range.end)
                conditions.append(f"{_quote(date_range.column)} <= {end}")
        for position, (column, value) in enumerate((equals or {}).items()):
            conditions.append(f"{_quote(column)} = {params.bind(f'equals_{position}', value)}")
        sql = f"select {select_list} from {self._source(mart)} where " + " and ".join(conditions)
        if order_by:
            sql += " order by " + ", ".join(_quote(name) for name in order_by)
        if limit is not None:
            if limit < 0:
                raise ValueError(f"limit must be >= 0, got {limit}")
            sql += f" limit {int(limit)}"
        return self._query(mart, sql, params.values)

    def latest_for_tenant(self, mart: str, tenant_id: str, column: str) -> Any:
        """The largest value of ``column`` among the tenant's rows (None when it has none)."""
        validate_mart_name(mart)
        params = _Parameters(self._placeholder)
        tenant = params.bind("tenant_id", _validated_tenant(tenant_id))
        # No row at all without the tenant's rows: ClickHouse's max() of nothing is the type's
        # default (1970-01-01), not NULL.
        sql = (
            f"select max({_quote(column)}) as latest from {self._source(mart)} "
            f"where {_quote(TENANT_COLUMN)} = {tenant} having count(*) > 0"
        )
        latest = self._query(mart, sql, params.values).column("latest")
        return latest[0].as_py() if len(latest) else None


class ParquetMartReader(MartReader):
    """Marts as Parquet files ``<marts_dir>/<mart>.parquet``, read through an in-memory DuckDB.

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
        return self.marts_dir / f"{validate_mart_name(mart)}.parquet"

    def published(self) -> dict[str, datetime]:
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

    def columns(self, mart: str) -> list[str]:
        path = self.path(mart)
        try:
            return list(pq.read_schema(path).names)
        except FileNotFoundError:
            raise MartNotPublished(mart, str(path)) from None
        except (OSError, pa.ArrowException) as exc:
            raise MartReadError(f"mart {mart!r} could not be read: {exc}") from exc

    def _source(self, mart: str) -> str:
        return "read_parquet($source)"

    def _placeholder(self, name: str, value: Any) -> str:
        return f"${name}"

    def _query(self, mart: str, sql: str, params: dict[str, Any]) -> pa.Table:
        path = self.path(mart)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - held open for the whole query on purpose
        except FileNotFoundError:
            raise MartNotPublished(mart, str(path)) from None
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


#: One chDB read at a time per process: reads share the folder's request and engine.
_CHDB_LOCK = threading.Lock()


class ClickHouseMartReader(MartReader):
    """Marts as ClickHouse tables ``<database>.<mart>``, through clickhouse-connect.

    ``dsn`` is a clickhouse-connect DSN: a server (``http(s)://user:password@host:8123/``) or chDB
    (``chdb:///folder``; pass the same folder as ``chdb_folder`` so reads ask the folder's holder
    to let go, see the module docstring). A "mart" is a table (not a view) of the database with a
    ``tenant_id`` column; dbt's own temporary tables (``*__dbt_*``) are not marts.
    """

    def __init__(
        self,
        dsn: str,
        *,
        database: str = MARTS_DATABASE,
        chdb_folder: Path | None = None,
        open_timeout_s: float = 10.0,
    ) -> None:
        if not _COLUMN_PATTERN.match(database):
            raise InvalidMartNameError(f"database {database!r}: letters, digits and '_' only")
        self.dsn = dsn
        self.database = database
        self.chdb_folder = chdb_folder
        self.open_timeout_s = open_timeout_s
        self._server_client: Client | None = None
        self._lock = threading.Lock()

    def published(self) -> dict[str, datetime]:
        if self._not_created():
            return {}
        params = _Parameters(self._placeholder)
        database = params.bind("database", self.database)
        # The latest of the table's (re)creation and its newest data part: incremental marts
        # change by inserts, replaced ones by an exchange of tables.
        sql = f"""
            select
                tables.name as name,
                toUnixTimestamp(greatest(
                    tables.metadata_modification_time,
                    ifNull(parts.latest, tables.metadata_modification_time)
                )) as modified
            from system.tables as tables
            left join (
                select table, max(modification_time) as latest
                from system.parts
                where database = {database} and active
                group by table
            ) as parts on parts.table = tables.name
            where tables.database = {database}
                and tables.engine not like '%View'
                and tables.name in (
                    select table from system.columns
                    where database = {database} and name = '{TENANT_COLUMN}'
                )
        """
        rows = self._run(sql, params.values).to_pylist()
        return {
            row["name"]: datetime.fromtimestamp(row["modified"], tz=UTC)
            for row in sorted(rows, key=lambda row: row["name"])
            if MART_NAME_PATTERN.match(row["name"]) and "__dbt" not in row["name"]
        }

    def columns(self, mart: str) -> list[str]:
        validate_mart_name(mart)
        if self._not_created():
            raise MartNotPublished(mart, f"{self.database}.{mart}")
        params = _Parameters(self._placeholder)
        sql = (
            "select name from system.columns where database = "
            f"{params.bind('database', self.database)} and table = {params.bind('mart', mart)} "
            "order by position"
        )
        names = [str(name) for name in self._run(sql, params.values).column("name").to_pylist()]
        if not names:
            raise MartNotPublished(mart, f"{self.database}.{mart}")
        return names

    def close(self) -> None:
        """Close the shared server client (chDB clients never outlive a read)."""
        with self._lock:
            if self._server_client is not None:
                self._server_client.close()
                self._server_client = None

    def _source(self, mart: str) -> str:
        return f'"{self.database}"."{validate_mart_name(mart)}"'

    def _placeholder(self, name: str, value: Any) -> str:
        return f"{{{name}:{_clickhouse_type(value)}}}"

    def _query(self, mart: str, sql: str, params: dict[str, Any]) -> pa.Table:
        if self._not_created():
            raise MartNotPublished(mart, f"{self.database}.{mart}")
        from clickhouse_connect.driver.exceptions import DatabaseError

        try:
            return self._run(sql, params)
        except DatabaseError as exc:
            if getattr(exc, "code", None) in _UNKNOWN_TABLE_CODES:
                raise MartNotPublished(mart, f"{self.database}.{mart}") from None
            raise MartReadError(f"mart {mart!r} could not be read: {exc}") from exc

    def _run(self, sql: str, params: Mapping[str, Any]) -> pa.Table:
        from clickhouse_connect.driver.exceptions import OperationalError

        with self._client() as client:
            try:
                table = client.query_arrow(sql, parameters=dict(params), use_strings=True)
            except OperationalError as exc:  # connection lost: reconnect on the next read
                self._drop_server_client(client)
                raise MartsUnavailable(f"ClickHouse at {self._where()}: {exc}") from exc
        # Same schema as a Parquet read: ClickHouse marks non-Nullable columns "not null".
        return table.cast(pa.schema([column.with_nullable(True) for column in table.schema]))

    @contextmanager
    def _client(self) -> Iterator[Client]:
        if self.chdb_folder is None:
            yield self._shared_server_client()
            return
        from warehouse.clickhouse.handoff import chdb_folder_requested

        with _CHDB_LOCK, chdb_folder_requested(self.chdb_folder):
            client = self._open_chdb()
            try:
                yield client
            finally:
                client.close()

    def _shared_server_client(self) -> Client:
        import clickhouse_connect

        with self._lock:
            if self._server_client is None:
                try:
                    # No session: a session-less client may run queries from several threads.
                    self._server_client = clickhouse_connect.get_client(
                        dsn=self.dsn, autogenerate_session_id=False
                    )
                except Exception as exc:  # server down, refused, bad credentials
                    raise MartsUnavailable(f"ClickHouse at {self._where()}: {exc}") from exc
            return self._server_client

    def _drop_server_client(self, client: Client) -> None:
        with self._lock:
            if self._server_client is client:
                self._server_client = None
        if self.chdb_folder is None:
            client.close()

    def _open_chdb(self) -> Client:
        """A client on the chDB folder, retried while another process holds it."""
        from warehouse.clickhouse.handoff import open_chdb_client

        try:
            return open_chdb_client(self.dsn, timeout_s=self.open_timeout_s)
        except Exception as exc:  # the folder is locked by the worker or a dbt run
            raise MartsUnavailable(
                f"chDB folder {self.chdb_folder} stayed busy for {self.open_timeout_s:g} s"
                f" (another process holds it: a dbt run, or a worker that did not let "
                f"go): {exc}"
            ) from exc

    def _not_created(self) -> bool:
        """chDB whose folder does not exist yet: nothing published (and do not create it)."""
        return self.chdb_folder is not None and not self.chdb_folder.is_dir()

    def _where(self) -> str:
        # Never the DSN itself: it may hold a password.
        return str(self.chdb_folder) if self.chdb_folder is not None else "the configured server"


def mart_reader_for(settings: Settings) -> MartReader:
    """The reader of this deployment's marts: Parquet files in the embedded profile; in the
    server profile the ClickHouse tables of the dbt clickhouse targets (the server that
    ``IRISX_CLICKHOUSE_DSN`` names, else chDB in ``<data_dir>/chdb``)."""
    if settings.profile is Profile.SERVER:
        return ClickHouseMartReader(
            settings.warehouse_dsn,
            chdb_folder=settings.chdb_dir if settings.warehouse_is_chdb else None,
        )
    return ParquetMartReader(settings.marts_dir)


def _clickhouse_type(value: Any) -> str:
    """The ClickHouse type a bound parameter is sent as (bool before int: bool is an int)."""
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        return "Int64"
    if isinstance(value, float):
        return "Float64"
    if isinstance(value, str):
        return "String"
    if isinstance(value, datetime):
        return "DateTime64(6, 'UTC')"
    if isinstance(value, date):
        return "Date32"  # Date would saturate far dates (9999-12-31 becomes 2149-06-06)
    raise TypeError(f"unsupported filter value {value!r} ({type(value).__name__})")


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
