"""The stream worker's sinks for the server profile: the ClickHouse warehouse and the hot store.

Each wraps a store with what a long-running consumer needs around it: a connection opened
lazily (and reopened after a failure), schema migrations on first use, one writer at a time
(the worker consumes the family streams concurrently, but a chDB client or a psycopg connection
with an open transaction must not be shared between threads), failures of the *store* turned
into :class:`ingest.StoreUnavailableError` so that batches wait in the stream instead of being
dead-lettered, and the follow-up work of a committed write (landing log, rollup refresh).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import clickhouse_connect
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import OperationalError as ClickHouseOperationalError

from ingest import StoreUnavailableError
from warehouse.clickhouse.handoff import FolderYield
from warehouse.clickhouse.store import ClickHouseRawStore
from warehouse.hotstore import HOT_TABLES, PostgresHotStore
from warehouse.landing import LandingLog

#: Columns whose UTC dates a write "touches" for the incremental dbt runs: the event time, and
#: for calls the start (fct_calls counts a call on the day it started, which can be the day
#: before the record was emitted).
_DAY_COLUMNS = ("occurred_at", "start_at")


def event_days(table: pa.Table) -> set[date]:
    """UTC dates of the day columns present in ``table``."""
    days: set[date] = set()
    for name in _DAY_COLUMNS:
        if name in table.column_names:
            column = table.column(name)
            days.update(day for day in pc.unique(pc.cast(column, pa.date32())).to_pylist() if day)
    return days


class ClickHouseWarehouseSink:
    """Raw events into ClickHouse (server or chDB) and their days into the landing log.

    On chDB the folder allows one process: between batches this sink lets go of it while another
    process (a dbt run) asked for it, see :mod:`warehouse.clickhouse.handoff`.
    """

    def __init__(
        self,
        dsn: str,
        *,
        database: str = "irisx_raw",
        landing: LandingLog | None = None,
        chdb_folder: Path | None = None,
        connect: Callable[[str], Client] | None = None,
    ) -> None:
        self.dsn = dsn
        self.database = database
        self.landing = landing
        self._connect = connect or (lambda value: clickhouse_connect.get_client(dsn=value))
        self._yield = FolderYield(chdb_folder) if chdb_folder is not None else None
        self._store: ClickHouseRawStore | None = None
        self._lock = threading.Lock()
        #: Seconds spent with the chDB folder lent to another process.
        self.yielded_s = 0.0

    @property
    def store(self) -> ClickHouseRawStore:
        """The open store (connects and migrates on first use)."""
        if self._store is None:
            try:
                store = ClickHouseRawStore(self._connect(self.dsn), self.database)
                store.migrate()
            except Exception as exc:  # cannot open (server down, chDB folder held elsewhere)
                raise StoreUnavailableError(f"ClickHouse at {self.dsn}: {exc}") from exc
            self._store = store
        return self._store

    def write_batch(self, family: str, table: pa.Table, batch_id: str) -> list[Path]:
        with self._lock:
            try:
                self.store.write_batch(family, table, batch_id)
            except ClickHouseOperationalError as exc:  # connection lost mid-insert
                self._close()
                raise StoreUnavailableError(f"ClickHouse at {self.dsn}: {exc}") from exc
        if self.landing is not None and table.num_rows:
            self.landing.record(family, event_days(table), rows=table.num_rows)
        return []

    def flush(self) -> None:
        """Nothing is deferred: every write is committed when ``write_batch`` returns."""

    def between_batches(self) -> None:
        if self._yield is None or not self._yield.should_yield():
            return
        with self._lock:  # the other families' writers wait here too
            self._close()
            self.yielded_s += self._yield.wait_until_free()

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._store is not None:
            self._store.client.close()
            self._store = None


class HotStoreSink:
    """Calls, RTCP reports and agent states into the PostgreSQL hot store; other families are
    not kept there. The minute rollups are refreshed at most every ``refresh_every_s`` (after a
    write, or between batches when the stream is quiet), so a wallboard sees an event within
    about that long after its batch was committed; expired days are dropped hourly. Each insert
    queues its window in the store itself, so deferring the refresh loses nothing on a crash.

    A refresh recomputes its minutes from the raw rows, so under heavy load it costs more the
    more rows those minutes hold; the interval then stretches to ``refresh_cost_factor`` times
    the last refresh's duration, which keeps refreshes to at most about 1 / factor of the
    store's time (freshness degrades gradually instead of refreshes starving the inserts)."""

    def __init__(
        self,
        store: PostgresHotStore,
        *,
        refresh_rollups: bool = True,
        refresh_every_s: float = 0.5,
        refresh_cost_factor: float = 4.0,
        expire_every_s: float = 3600,
    ) -> None:
        if refresh_cost_factor < 1:
            raise ValueError(f"refresh_cost_factor must be >= 1, got {refresh_cost_factor}")
        self.store = store
        self.refresh_rollups = refresh_rollups
        self.refresh_every_s = refresh_every_s
        self.refresh_cost_factor = refresh_cost_factor
        #: Duration of the last rollup refresh, seconds; refreshes run so far.
        self.last_refresh_s = 0.0
        self.refreshes = 0
        self.expire_every_s = expire_every_s
        self._migrated = False
        self._next_expiry = 0.0
        self._next_refresh = 0.0
        # True at start: a previous worker may have died with a window queued.
        self._refresh_pending = True
        self._lock = threading.Lock()

    def write_batch(self, family: str, table: pa.Table, batch_id: str) -> list[Path]:
        if family not in HOT_TABLES or table.num_rows == 0:
            return []
        with self._lock, self._unavailable_on_store_errors():
            self._ensure_migrated()
            self.store.insert(family, table)
            self._refresh_pending = True
            self._refresh_if_due()
        return []

    def between_batches(self) -> None:
        with self._lock, self._unavailable_on_store_errors():
            self._refresh_if_due()
            if time.monotonic() >= self._next_expiry:
                self._ensure_migrated()
                self.store.drop_expired()
                self._next_expiry = time.monotonic() + self.expire_every_s

    def flush(self) -> None:
        """Refresh now whatever is pending (the stream is idle, or the worker stops)."""
        with self._lock, self._unavailable_on_store_errors():
            self._refresh_if_due(force=True)

    def _refresh_if_due(self, *, force: bool = False) -> None:
        if not (self.refresh_rollups and self._refresh_pending):
            return
        if not force and time.monotonic() < self._next_refresh:
            return
        self._ensure_migrated()
        started = time.monotonic()
        self.store.refresh_rollups()
        finished = time.monotonic()
        self.last_refresh_s = finished - started
        self.refreshes += 1
        self._refresh_pending = False
        self._next_refresh = finished + max(
            self.refresh_every_s, self.refresh_cost_factor * self.last_refresh_s
        )

    def close(self) -> None:
        with self._lock:
            self.store.close()

    def _ensure_migrated(self) -> None:
        if not self._migrated:
            self.store.migrate()
            self._migrated = True

    @contextmanager
    def _unavailable_on_store_errors(self) -> Iterator[None]:
        """PostgreSQL errors that are not about the batch become StoreUnavailableError.

        Connection failures (server down, closed port) and a revoked privilege both mean "the
        store does not take writes now": retrying the batch later is right, dead-lettering it
        is not."""
        try:
            yield
        except (psycopg.OperationalError, psycopg.errors.InsufficientPrivilege) as exc:
            self.store.close()  # reconnect on the next try
            raise StoreUnavailableError(f"PostgreSQL hot store: {exc}") from exc
