"""How fast ``PostgresHotStore.insert`` loads 100k simulated calls into a fresh plain store.

Measured, each into its own fresh database (migrated, partitions made by the insert itself):

- the store's path: binary COPY payload encoded column-wise from Arrow by pgpq
  (``warehouse.hotstore.copy_binary``), sent straight into ``calls``;
- the previous path, kept here as the baseline: ``to_pylist`` per column, psycopg
  ``copy.write_row`` per row into a temp table, then ``insert ... select ... on conflict do
  nothing``;
- the server alone: the new path's payload, encoded beforehand, COPied into ``calls`` (what
  PostgreSQL itself needs for these rows and indexes on this machine: the ceiling);
- re-delivering the same 100k rows (all already stored) on both paths.

Both paths must leave identical tables (checked with an md5 over every row).
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime

import psycopg
import pyarrow as pa
from psycopg.adapt import Dumper
from psycopg.postgres import types as pg_types
from psycopg.pq import Format

from bench import BenchResult
from telephony.simulator import SimulationConfig, simulate
from warehouse.hotstore import HOT_TABLES, PostgresHotStore
from warehouse.hotstore.copy_binary import pgcopy_chunks
from warehouse.hotstore.schema import pg_type
from warehouse.hotstore.store import _check_contract

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
ROWS = 100_000
REPEATS = 3
#: PostgreSQL binary COPY with a primary key, measured alone (shared/reference/LIMITS.md).
LIMITS_ROWS_PER_S = 130_000

_COPY_TYPES = {
    "text": "text",
    "bigint": "int8",
    "double precision": "float8",
    "boolean": "bool",
    "timestamptz": "timestamptz",
    "numeric(18,6)": "numeric",
}
_PG_EPOCH_OFFSET_US = 946_684_800_000_000


class _EpochMicros(int):
    """Marker type of the previous path (its dumper was registered for it)."""


class _EpochMicrosTimestamptzDumper(Dumper):
    """The previous path's binary timestamptz dumper: Arrow epoch microseconds as they are."""

    oid = pg_types["timestamptz"].oid
    format = Format.BINARY

    def dump(self, obj: int) -> bytes:
        return (obj - _PG_EPOCH_OFFSET_US).to_bytes(8, "big", signed=True)


class PerRowCopyStore(PostgresHotStore):
    """The store's ``insert`` before the column-wise encoder, unchanged: the baseline."""

    def insert(self, family: str, table: pa.Table) -> int:
        hot = HOT_TABLES[family]
        if table.num_rows == 0:
            return 0
        _check_contract(family, table, hot.schema)
        times: list[datetime] = table.column(hot.time_column).to_pylist()
        conn = self.conn
        with conn.transaction():
            if self.flavour == "plain":
                self._create_partitions(hot, {moment.date() for moment in times})
            conn.execute(f"create temp table hot_incoming (like {hot.name}) on commit drop")
            with conn.cursor() as cursor:
                cursor.adapters.register_dumper(_EpochMicros, _EpochMicrosTimestamptzDumper)
                columns = [
                    table.column(field.name).cast(pa.int64()).to_pylist()
                    if pa.types.is_timestamp(field.type)
                    else table.column(field.name).to_pylist()
                    for field in hot.schema
                ]
                with cursor.copy(
                    f"copy hot_incoming ({', '.join(hot.columns)}) from stdin (format binary)"
                ) as copy:
                    copy.set_types([_COPY_TYPES[pg_type(field.type)] for field in hot.schema])
                    for row in zip(*columns, strict=True):
                        copy.write_row(row)
            inserted = conn.execute(
                f"insert into {hot.name} select * from hot_incoming on conflict do nothing"
            ).rowcount
        earliest = min(times)
        if self._dirty_since is None or earliest < self._dirty_since:
            self._dirty_since = earliest
        return inserted


def _calls() -> pa.Table:
    """100k simulated calls over 10 days (10 daily partitions), 5 tenants."""
    config = SimulationConfig(
        days=10, tenants=5, seed=3, start=date(2024, 3, 4), scale=2.0, families=frozenset({"call"})
    )
    table = simulate(config).tables["call"]
    if table.num_rows < ROWS:
        raise RuntimeError(f"simulator gave {table.num_rows} calls, wanted {ROWS}")
    return table.slice(0, ROWS)


@contextmanager
def _fresh_store(kind: type[PostgresHotStore]) -> Iterator[PostgresHotStore]:
    name = f"bench_hotload_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"create database {name}")
    try:
        with kind(f"host=127.0.0.1 port=5432 user=postgres dbname={name}") as store:
            store.migrate()
            yield store
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")


def _timed(action: Callable[[], object]) -> tuple[float, object]:
    began = time.perf_counter()
    outcome = action()
    return time.perf_counter() - began, outcome


def _checksum(store: PostgresHotStore) -> str:
    row = store.conn.execute(
        "select md5(string_agg(c::text, '|' order by event_id)) from calls c"
    ).fetchone()
    assert row is not None
    return str(row[0])


def _load(kind: type[PostgresHotStore], table: pa.Table) -> tuple[float, float, str]:
    """Seconds to insert ``table`` into a fresh store, seconds to re-deliver it, checksum."""
    with _fresh_store(kind) as store:
        first_s, inserted = _timed(lambda: store.insert("call", table))
        again_s, repeated = _timed(lambda: store.insert("call", table))
        if (inserted, repeated) != (table.num_rows, 0):
            raise RuntimeError(f"{kind.__name__}: inserted {inserted}, then {repeated}")
        return first_s, again_s, _checksum(store)


def _server_alone(table: pa.Table) -> float:
    """Seconds for PostgreSQL to COPY the payload, encoded beforehand, into fresh partitions."""
    payload = list(pgcopy_chunks(table))
    hot = HOT_TABLES["call"]
    with _fresh_store(PostgresHotStore) as store:
        days = set(table.column("start_at").cast(pa.date32()).unique().to_pylist())
        with store.conn.transaction():
            store._create_partitions(hot, days)

        def copy() -> int:
            with store.conn.cursor() as cursor:
                with cursor.copy(
                    f"copy calls ({', '.join(hot.columns)}) from stdin (format binary)"
                ) as writer:
                    for chunk in payload:
                        writer.write(chunk)
                return cursor.rowcount

        seconds, copied = _timed(copy)
        if copied != table.num_rows:
            raise RuntimeError(f"server alone: copied {copied}")
        return seconds


def run() -> BenchResult:
    table = _calls()
    new: list[tuple[float, float, str]] = []
    old: list[tuple[float, float, str]] = []
    alone: list[float] = []
    for _ in range(REPEATS):  # interleaved, so a busy moment hits every path alike
        new.append(_load(PostgresHotStore, table))
        old.append(_load(PerRowCopyStore, table))
        alone.append(_server_alone(table))
    checksums = {checksum for *_, checksum in new + old}
    if len(checksums) != 1:
        raise RuntimeError("the two paths stored different rows")

    def rate(seconds: list[float]) -> tuple[float, float]:
        """(best, median) rows/s."""
        return ROWS / min(seconds), ROWS / statistics.median(seconds)

    def ratios(top: tuple[float, float], bottom: tuple[float, float], form: str) -> list[str]:
        return [form.format(t / b) for t, b in zip(top, bottom, strict=True)]

    new_rate = rate([first for first, _, _ in new])
    old_rate = rate([first for first, _, _ in old])
    alone_rate = rate(alone)
    new_again = [again for _, again, _ in new]
    old_again = [again for _, again, _ in old]
    rows = [
        ["store insert: column-wise binary COPY into calls", *(f"{r:,.0f}" for r in new_rate)],
        ["previous: write_row COPY, temp table, insert-select", *(f"{r:,.0f}" for r in old_rate)],
        ["ratio new / previous", *ratios(new_rate, old_rate, "{:.2f}x")],
        ["server alone: prebuilt payload COPY into calls", *(f"{r:,.0f}" for r in alone_rate)],
        ["new as share of server alone", *ratios(new_rate, alone_rate, "{:.0%}")],
        [
            f"new as share of LIMITS.md binary COPY ({LIMITS_ROWS_PER_S:,})",
            *(f"{n / LIMITS_ROWS_PER_S:.0%}" for n in new_rate),
        ],
        [
            "re-delivery of the same rows (0 new), s: new / previous",
            f"{min(new_again):.2f} / {min(old_again):.2f}",
            f"{statistics.median(new_again):.2f} / {statistics.median(old_again):.2f}",
        ],
    ]
    return BenchResult(
        title=f"hotstore_load: {ROWS:,} simulated calls into a fresh PostgreSQL hot store",
        columns=["measure (rows/s unless said)", f"best of {REPEATS}", "median"],
        rows=rows,
        notes=[
            "Each run: fresh database, migrated; the insert creates the 10 daily partitions.",
            "Both paths left identical tables (md5 over every row).",
            "calls has a primary key, a (tenant, call) index and a BRIN over start_at: "
            "PostgreSQL's own share of the "
            "load (server alone) bounds the rate, not the client.",
        ],
    )
