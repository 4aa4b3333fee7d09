"""``PostgresHotStore``: the ingest BatchSink for the hot store, plus the wallboard reads."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.hotstore.copy_binary import pgcopy_chunks
from warehouse.hotstore.migrations import (
    QUALITY_ROLLUP_SELECT,
    Flavour,
    apply_migrations,
    call_rollup_select,
    queue_rollup_select,
)
from warehouse.hotstore.rollup_deltas import (
    CALL_ROLLUP_KEY,
    CALL_ROLLUP_SUMS,
    QUEUE_ROLLUP_KEY,
    QUEUE_ROLLUP_MAXES,
    QUEUE_ROLLUP_SUMS,
    call_rollup_deltas,
    queue_rollup_deltas,
)
from warehouse.hotstore.schema import HOT_TABLES, HotTable

#: The minute rollups of the calls started / RTCP reports sent in [%s, %s): what
#: ``refresh_rollups`` stores, and what the lake's live reads (warehouse.live) compute on the fly.
CALL_ROLLUP_OF_WINDOW = (
    call_rollup_select("date_trunc('minute', start_at)")
    + " where start_at >= %s and start_at < %s group by 1, 2, 3, 4"
)
QUEUE_ROLLUP_OF_WINDOW = (
    queue_rollup_select("date_trunc('minute', start_at)")
    + " and start_at >= %s and start_at < %s group by 1, 2, 3"
)
QUALITY_ROLLUP_OF_WINDOW = (
    QUALITY_ROLLUP_SELECT + " where r.occurred_at >= %s and r.occurred_at < %s group by 1, 2, 3"
)
#: Arbitrary constant for pg_advisory_xact_lock around rollup refreshes.
_REFRESH_LOCK = 7_240_302
#: Arbitrary constant: held shared by call inserts that add rollup deltas (plain flavour) and
#: exclusively by a refresh that recomputes call/queue minutes, so a recompute never runs
#: between a batch's rows and its deltas.
_RECOMPUTE_LOCK = 7_240_303
#: (rollup, temp table of a batch's deltas, conflict target, summed columns, max columns) of
#: the rollups that calls update by delta on the plain flavour.
_DELTA_ROLLUPS = (
    (
        "call_minute_rollup",
        "call_rollup_delta",
        "tenant_id, minute, direction, coalesce(queue_id, '')",
        CALL_ROLLUP_KEY,
        CALL_ROLLUP_SUMS,
        (),
    ),
    (
        "queue_minute_rollup",
        "queue_rollup_delta",
        "tenant_id, minute, queue_id",
        QUEUE_ROLLUP_KEY,
        QUEUE_ROLLUP_SUMS,
        QUEUE_ROLLUP_MAXES,
    ),
)
#: The call-derived rollups: continuous aggregates on TimescaleDB, plain tables otherwise.
_CONTINUOUS_AGGREGATES = ("call_minute_rollup", "queue_minute_rollup")
_PARTITION_NAME = re.compile(r"^(?P<table>[a-z_]+)_p(?P<day>\d{8})$")


def _minute_window(since: datetime, until: datetime | None) -> tuple[datetime, datetime]:
    """[first minute, exclusive end) covering ``since``..``until`` (None: now); one extra minute
    at the end because RTCP reports may trail a call's end by a few seconds."""
    first = since.astimezone(UTC).replace(second=0, microsecond=0)
    last = (until or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    return first, last + timedelta(minutes=2)


#: Event-time ranges closer than this are refreshed as one: an extra statement per range costs
#: more than recomputing a few quiet minutes between them.
_MERGE_GAP = timedelta(minutes=5)


def merge_windows(
    windows: Iterable[tuple[datetime, datetime]],
) -> list[tuple[datetime, datetime]]:
    """Sorted, disjoint windows covering ``windows``; ones less than the merge gap apart are
    joined."""
    pairs = list(windows)
    if not pairs:
        return []
    starts, ends = zip(*pairs, strict=True)
    return _merged(_us_of(starts), _us_of(ends))


def dirty_ranges(table: pa.Table, time_column: str) -> list[tuple[datetime, datetime]]:
    """The event-time ranges a batch can change in the rollups: per row, from its partition
    time to its latest timestamp of any kind (a call's RTCP reports fall between its start and
    end, and the quality rollup takes the carrier from the call), merged across rows."""
    # Vectorised over int64 microseconds: a Python datetime per row costs more than the rest.
    start_us = _epoch_us(table.column(time_column))
    end_us = start_us.copy()
    for field in table.schema:
        if pa.types.is_timestamp(field.type) and field.name != time_column:
            np.maximum(end_us, _epoch_us(table.column(field.name)), out=end_us)
    return _merged(start_us, end_us)


def _merged(start_us: np.ndarray, end_us: np.ndarray) -> list[tuple[datetime, datetime]]:
    """Ranges [start, end] (epoch microseconds, ends >= starts) merged where less than
    :data:`_MERGE_GAP` apart, sorted, as datetimes."""
    order = np.argsort(start_us, kind="stable")
    start_us, end_us = start_us[order], np.maximum.accumulate(end_us[order])
    gap_us = _MERGE_GAP // timedelta(microseconds=1)
    # A new range starts where a row begins more than the gap after every earlier row ended.
    opens = np.flatnonzero(np.r_[True, start_us[1:] > end_us[:-1] + gap_us])
    closes = np.r_[opens[1:] - 1, len(start_us) - 1]
    return [
        (_from_epoch_us(start_us[i]), _from_epoch_us(end_us[j]))
        for i, j in zip(opens, closes, strict=True)
    ]


def _us_of(values: Sequence[datetime]) -> np.ndarray:
    return np.array([(value - _EPOCH) // timedelta(microseconds=1) for value in values])


def _epoch_us(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Microseconds since the epoch; a null is the smallest int64 (never a range's end)."""
    micros = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return pc.fill_null(micros, _NULL_US).to_numpy(zero_copy_only=False)


def _from_epoch_us(value: np.int64) -> datetime:
    return _EPOCH + timedelta(microseconds=int(value))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NULL_US = int(np.iinfo(np.int64).min)


def _first_of_each_key(table: pa.Table, hot: HotTable) -> pa.Table:
    """``table`` without repeats of a key (event_id, time column): the first row of each, as
    ``insert ... on conflict do nothing`` keeps it."""
    rows = pa.array(np.arange(table.num_rows))
    firsts = (
        table.select(["event_id", hot.time_column])
        .append_column("row", rows)
        .group_by(["event_id", hot.time_column], use_threads=False)
        .aggregate([("row", "min")])
        .column("row_min")
    )
    if len(firsts) == table.num_rows:
        return table
    return table.take(pc.sort_indices(firsts))


def _check_contract(family: str, table: pa.Table, contract: pa.Schema) -> None:
    """Reject a batch that is not in the contract schema, naming the first offending field.
    Nullability is checked on the data, not the schema flag, so an equivalent table built
    without the flags (e.g. by concatenating or replacing columns) is accepted."""
    if table.schema.names != contract.names:
        missing = [name for name in contract.names if name not in table.schema.names]
        extra = [name for name in table.schema.names if name not in contract.names]
        raise ValueError(
            f"{family} batch columns differ from the contract: missing {missing},"
            f" unexpected {extra} (order must be {contract.names})"
        )
    for field in contract:
        got = table.schema.field(field.name).type
        if got != field.type:
            raise ValueError(f"{family}.{field.name}: type {got}, contract says {field.type}")
        if not field.nullable and table.column(field.name).null_count:
            raise ValueError(f"{family}.{field.name}: null in a required field")


@dataclass(frozen=True)
class CallStats:
    """Call totals of one tenant over the wallboard window."""

    offered: int
    answered: int
    abandoned: int
    answered_within_20s: int
    billsec: int
    handle_sec: int
    #: Calls that entered a queue (the denominator of service level).
    queued: int
    #: Calls an agent answered (the denominator of AHT).
    handled: int


@dataclass(frozen=True)
class QueueStats:
    """Call totals of one tenant's queue over one minute bucket (``minute`` set) or over the
    whole wallboard window (``minute`` None)."""

    queue_id: str
    minute: datetime | None
    #: Calls that entered the queue (the denominator of service level and abandon rate).
    offered: int
    answered: int
    #: Offered calls never answered.
    abandoned: int
    answered_within_20s: int
    #: Calls an agent answered (the denominator of AHT and ASA).
    handled: int
    #: Talk + hold + wrap-up seconds of the handled calls.
    handle_sec: int
    #: Queue-wait seconds of the handled calls.
    handled_wait_sec: float
    #: Largest queue wait of any offered call (None when no call has a recorded wait).
    longest_wait_sec: float | None


@dataclass(frozen=True)
class QualityStats:
    """RTCP quality of one tenant and carrier (None: call not in the hot store) over the window."""

    carrier_id: str | None
    reports: int
    mean_jitter_ms: float | None
    mean_loss_fraction: float
    mean_rtt_ms: float | None


class PostgresHotStore:
    """The last ``retention_days`` of calls, RTCP reports and agent states in PostgreSQL.

    With the timescaledb extension available: hypertables with 1-day chunks, a continuous
    aggregate for the call rollup and refresh/compression/retention policies. Without it: daily
    range partitions created ahead of each write, dropped by ``drop_expired``, and rollup tables
    rebuilt by ``refresh_rollups``. Reads are identical on both.

    Re-delivery is idempotent: a batch is loaded with binary COPY straight into its table; if
    any of its keys (event_id, time column) is there already, it goes through a temporary table
    and ``insert ... on conflict do nothing`` instead. Unlike the lake, a re-sent batch id with
    *different* events adds them rather than replacing the earlier ones.
    """

    def __init__(self, dsn: str, retention_days: int = 7, *, connect_timeout_s: int = 5) -> None:
        if retention_days < 1:
            raise ValueError(f"retention_days must be >= 1, got {retention_days}")
        self.dsn = dsn
        self.retention_days = retention_days
        self.connect_timeout_s = connect_timeout_s
        self._conn: psycopg.Connection | None = None
        self._flavour: Flavour | None = None
        self._copy_supported = True

    # -- connection -------------------------------------------------------------------------

    @property
    def conn(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            # Bounded connect: an unreachable host must fail fast (API 503, worker backoff)
            # instead of blocking a thread for the OS's TCP timeout.
            self._conn = psycopg.connect(
                self.dsn, autocommit=True, connect_timeout=self.connect_timeout_s
            )
            self._conn.execute("set time zone 'UTC'")
            version = str(self._conn.execute("select version()").fetchone()[0])  # type: ignore[index]
            # PGlite (PostgreSQL in WASM) drops the connection on COPY FROM STDIN.
            self._copy_supported = "emscripten" not in version.lower()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> PostgresHotStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def flavour(self) -> Flavour:
        if self._flavour is None:
            available = self.conn.execute(
                "select 1 from pg_available_extensions where name = 'timescaledb'"
            ).fetchone()
            self._flavour = "timescaledb" if available else "plain"
        return self._flavour

    def migrate(self) -> list[int]:
        """Create or upgrade the schema; returns the migration versions applied now."""
        if self.flavour == "timescaledb":
            self.conn.execute("create extension if not exists timescaledb")
        return apply_migrations(self.conn, self.flavour, self.retention_days)

    # -- writes -----------------------------------------------------------------------------

    def write_batch(self, family: str, table: pa.Table, batch_id: str) -> list[Path]:
        """BatchSink: keep call/rtcp/agent events, ignore other families. Writes no files, so
        returns []; ``insert`` tells how many rows were new."""
        if family in HOT_TABLES:
            self.insert(family, table)
        return []

    def insert(self, family: str, table: pa.Table) -> int:
        """Insert one family's events (contract schema); returns the rows that were new."""
        hot = HOT_TABLES[family]
        if table.num_rows == 0:
            return 0
        _check_contract(family, table, hot.schema)
        # Computed on the Arrow column: a Python datetime per row cost more than the encoding.
        times = table.column(hot.time_column)
        conn = self.conn
        adds_deltas = family == "call" and self.flavour == "plain"
        with conn.transaction():
            if adds_deltas:
                # Before any partition is created: that locks the calls table, which a
                # recompute holding the exclusive lock would wait for (a deadlock).
                conn.execute("select pg_advisory_xact_lock_shared(%s)", (_RECOMPUTE_LOCK,))
            if self.flavour == "plain":
                self._create_partitions(hot, set(pc.unique(times.cast(pa.date32())).to_pylist()))
            new_rows = (
                self._copy_new_rows(hot, table)
                if self._copy_supported
                else self._insert_new_rows(hot, table)
            )
            if adds_deltas and new_rows.num_rows:
                self._add_rollup_deltas(new_rows)
            self._mark_dirty(hot, table)
        return new_rows.num_rows

    def _mark_dirty(self, hot: HotTable, table: pa.Table) -> None:
        """Queue the batch's event-time ranges for the rollup refresh, in the insert's
        transaction (rows and "roll these minutes up" commit together). Calls change the
        quality rollup too (its carrier comes from the call); on the plain flavour their own
        rollups took their deltas already, so they queue the quality rollup only. Agent states
        feed no rollup."""
        if hot.family == "agent":
            return
        quality_only = hot.family != "call" or self.flavour == "plain"
        self._queue_windows(dirty_ranges(table, hot.time_column), quality_only=quality_only)

    def _queue_windows(
        self, windows: Sequence[tuple[datetime, datetime]], *, quality_only: bool
    ) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(
                "insert into rollup_dirty_ranges (since, until, quality_only) values (%s, %s, %s)",
                [(since, until, quality_only) for since, until in windows],
            )

    def _add_rollup_deltas(self, calls: pa.Table) -> None:
        """Add the rollups of new calls to the call and queue rollups (plain flavour): COPY
        each delta into a temp table, then one upsert adding it to the stored minutes. Rows go
        in key order so that concurrent writers lock shared minutes in the same order."""
        self._create_delta_tables()
        deltas = (call_rollup_deltas(calls), queue_rollup_deltas(calls))
        for (rollup, temp, target, keys, sums, maxes), delta in zip(
            _DELTA_ROLLUPS, deltas, strict=True
        ):
            if delta.num_rows == 0:
                continue
            columns = ", ".join(delta.column_names)
            self._copy(temp, delta.column_names, pgcopy_chunks(delta))
            updates = [f"{name} = {rollup}.{name} + excluded.{name}" for name in sums] + [
                f"{name} = greatest({rollup}.{name}, excluded.{name})" for name in maxes
            ]
            self.conn.execute(
                f"insert into {rollup} ({columns}) select {columns} from {temp}"
                f" order by {', '.join(keys)} on conflict ({target})"
                f" do update set {', '.join(updates)}"
            )

    def _create_delta_tables(self) -> None:
        """The session's temp tables for rollup deltas (emptied at each commit). Asked for on
        every insert, not remembered: a rolled-back transaction takes them away again."""
        for rollup, temp, *_ in _DELTA_ROLLUPS:
            self.conn.execute(
                f"create temp table if not exists {temp} (like {rollup}) on commit delete rows"
            )

    def _copy_new_rows(self, hot: HotTable, table: pa.Table) -> pa.Table:
        """Binary COPY straight into the table; if any row is already there (a re-delivered
        batch, or an event twice in it), undo that and load through a temp table and
        ``on conflict do nothing``. COPY into the table measured ~1/3 less server time than
        temp table + insert-select (100k calls), so the common case, new events, pays only it.
        Returns the rows that were new."""
        try:
            with self.conn.transaction():  # a savepoint: the failed COPY leaves nothing behind
                self._copy(hot.name, hot.columns, pgcopy_chunks(table))
                return table
        except psycopg.errors.UniqueViolation:
            pass
        table = _first_of_each_key(table, hot)
        self._create_incoming(hot)
        self._copy("hot_incoming", hot.columns, pgcopy_chunks(table))
        return self._insert_incoming(hot, table)

    def _insert_new_rows(self, hot: HotTable, table: pa.Table) -> pa.Table:
        """Without COPY (PGlite): ``executemany`` into a temp table, then the same insert."""
        table = _first_of_each_key(table, hot)
        self._create_incoming(hot)
        columns = [table.column(name).to_pylist() for name in hot.columns]
        placeholders = ", ".join(["%s"] * len(hot.columns))
        with self.conn.cursor() as cursor:
            cursor.executemany(
                f"insert into hot_incoming ({', '.join(hot.columns)}) values ({placeholders})",
                list(zip(*columns, strict=True)),
            )
        return self._insert_incoming(hot, table)

    def _create_incoming(self, hot: HotTable) -> None:
        self.conn.execute(f"create temp table hot_incoming (like {hot.name}) on commit drop")

    def _insert_incoming(self, hot: HotTable, table: pa.Table) -> pa.Table:
        """Move the temp table's rows that are new into ``hot``; returns them (the rows of
        ``table``, one per key, whose keys were inserted)."""
        key = ["event_id", hot.time_column]
        inserted = self.conn.execute(
            f"insert into {hot.name} select * from hot_incoming on conflict do nothing"
            f" returning {', '.join(key)}"
        ).fetchall()
        if len(inserted) == table.num_rows:
            return table
        keys = pa.table(
            {
                "event_id": pa.array([row[0] for row in inserted], pa.string()),
                hot.time_column: pa.array(
                    [row[1] for row in inserted], table.schema.field(hot.time_column).type
                ),
            }
        )
        return table.join(keys, keys=key, join_type="left semi")

    def _copy(
        self, target: str, columns: Sequence[str], payload: Iterable[bytes | memoryview]
    ) -> int:
        """Send a binary COPY payload (``columns``, in order) into ``target``; returns the rows
        loaded."""
        with self.conn.cursor() as cursor:
            with cursor.copy(
                f"copy {target} ({', '.join(columns)}) from stdin (format binary)"
            ) as copy:
                for chunk in payload:
                    copy.write(chunk)
            return cursor.rowcount

    def _create_partitions(self, hot: HotTable, days: set[date]) -> None:
        for day in sorted(days):
            name = f"{hot.name}_p{day:%Y%m%d}"
            if self.conn.execute("select to_regclass(%s)", (name,)).fetchone() != (None,):
                continue
            # Two writers may create the same day's partition at once; the lock (held to
            # commit, only when a partition is missing) makes the second see the first's.
            self.conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (hot.name,))
            self.conn.execute(
                f"create table if not exists {name} partition of {hot.name}"
                f" for values from ('{day.isoformat()}') to"
                f" ('{(day + timedelta(days=1)).isoformat()}')"
            )

    # -- rollups and retention --------------------------------------------------------------

    def refresh_rollups(self, since: datetime | None = None, until: datetime | None = None) -> None:
        """Recompute the minute rollups from ``since`` to ``until`` (``since`` alone: to now).

        Without arguments: the queued ranges, i.e. the event times written since the last
        refresh. The queue is committed with each insert, so the refresh may run later than the
        write (the stream worker runs it at most once per interval) and a crash in between
        never leaves rollups stale. Only the minutes the writes can change are redone, range by
        range: the cost follows the batches, not the distance between a late event and a live
        one. On the plain flavour, calls add their own deltas to the call and queue rollups as
        they are inserted, so their ranges redo only the quality rollup; ranges queued by a
        migration, and explicit ``since``/``until``, redo every rollup."""
        conn = self.conn
        with conn.transaction():
            # Serialise refreshes: two concurrent delete+insert would each keep the other's rows.
            conn.execute("select pg_advisory_xact_lock(%s)", (_REFRESH_LOCK,))
            if since is None:
                # Take the queue. A writer committing after this statement's snapshot leaves its
                # ranges for the next refresh; one committed before it has its rows visible to
                # the rollup statements below (read committed: each sees a newer snapshot).
                queued = conn.execute(
                    "delete from rollup_dirty_ranges returning since, until, quality_only"
                ).fetchall()
                if not queued:
                    return  # nothing written since the last refresh
                every = merge_windows(
                    _minute_window(start, end)
                    for start, end, quality_only in queued
                    if not quality_only
                )
                quality = merge_windows(_minute_window(start, end) for start, end, _ in queued)
            else:
                every = quality = [_minute_window(since, until)]
            if every and self.flavour == "plain":  # TimescaleDB: continuous aggregates, below
                # Call inserts add deltas under the shared lock: none may land mid-recompute.
                conn.execute("select pg_advisory_xact_lock(%s)", (_RECOMPUTE_LOCK,))
                for first, end in every:
                    self._recompute("call_minute_rollup", CALL_ROLLUP_OF_WINDOW, first, end)
                    self._recompute("queue_minute_rollup", QUEUE_ROLLUP_OF_WINDOW, first, end)
            for first, end in quality:
                self._recompute("quality_minute_rollup", QUALITY_ROLLUP_OF_WINDOW, first, end)
        if self.flavour == "timescaledb":
            # refresh_continuous_aggregate refuses to run inside a transaction block, so it
            # runs after the ranges were taken; if it fails, they go back in the queue.
            try:
                for first, end in every:
                    for aggregate in _CONTINUOUS_AGGREGATES:
                        conn.execute(
                            f"call refresh_continuous_aggregate('{aggregate}',"
                            " %s::timestamptz, %s::timestamptz)",
                            (first, end),
                        )
            except psycopg.Error:
                if since is None:
                    # Best effort: with the connection gone, the policy refreshes the last hours.
                    with contextlib.suppress(psycopg.Error):
                        self._queue_windows(every, quality_only=False)
                raise

    def _recompute(
        self, rollup: str, select_of_window: str, first: datetime, end: datetime
    ) -> None:
        """Replace ``rollup``'s minutes in [first, end) by ``select_of_window`` over them."""
        self.conn.execute(f"delete from {rollup} where minute >= %s and minute < %s", (first, end))
        self.conn.execute(f"insert into {rollup}" + select_of_window, (first, end))

    def drop_expired(self, now: datetime | None = None) -> list[str]:
        """Drop raw data older than the retention (whole days) and the rollup rows of those
        days; returns the partitions or chunks dropped."""
        now = now or datetime.now(UTC)
        cutoff = datetime.combine(
            (now - timedelta(days=self.retention_days)).date(), datetime.min.time(), UTC
        )
        dropped: list[str] = []
        conn = self.conn
        with conn.transaction():
            for hot in HOT_TABLES.values():
                if self.flavour == "timescaledb":
                    rows = conn.execute(
                        "select drop_chunks(%s, older_than => %s::timestamptz)",
                        (hot.name, cutoff),
                    ).fetchall()
                    dropped.extend(str(row[0]) for row in rows)
                    continue
                children = conn.execute(
                    "select c.relname from pg_inherits i"
                    " join pg_class c on c.oid = i.inhrelid"
                    " join pg_class p on p.oid = i.inhparent"
                    " where p.relname = %s and p.relnamespace = current_schema()::regnamespace",
                    (hot.name,),
                ).fetchall()
                for (child,) in children:
                    match = _PARTITION_NAME.match(child)
                    if match is None or match["table"] != hot.name:
                        continue
                    day = datetime.strptime(match["day"], "%Y%m%d").replace(tzinfo=UTC)
                    if day + timedelta(days=1) <= cutoff:
                        conn.execute(f"drop table {child}")
                        dropped.append(child)
            for aggregate in _CONTINUOUS_AGGREGATES:
                if self.flavour == "plain":
                    conn.execute(f"delete from {aggregate} where minute < %s", (cutoff,))
                else:
                    # The continuous aggregate outlives its raw chunks unless dropped too.
                    conn.execute(
                        f"select drop_chunks('{aggregate}', older_than => %s::timestamptz)",
                        (cutoff,),
                    )
            conn.execute("delete from quality_minute_rollup where minute < %s", (cutoff,))
        return sorted(dropped)

    # -- wallboard reads --------------------------------------------------------------------

    def live_call_stats(
        self, tenant_id: str, minutes: int, now: datetime | None = None
    ) -> CallStats:
        """Call totals of ``tenant_id`` over the minute buckets in (now - minutes, now]."""
        row = self.conn.execute(
            LIVE_CALL_STATS_SELECT, (tenant_id, *live_window(minutes, now))
        ).fetchone()
        assert row is not None
        return call_stats_from_row(row)

    def live_quality(
        self, tenant_id: str, minutes: int, now: datetime | None = None
    ) -> list[QualityStats]:
        """RTCP quality of ``tenant_id`` per carrier over the minute buckets in
        (now - minutes, now], carriers in name order (unknown last)."""
        rows = self.conn.execute(
            LIVE_QUALITY_SELECT, (tenant_id, *live_window(minutes, now))
        ).fetchall()
        return quality_stats_from_rows(rows)

    def live_queue_stats(
        self,
        tenant_id: str,
        minutes: int,
        now: datetime | None = None,
        queue_id: str | None = None,
    ) -> list[QueueStats]:
        """Per-queue call totals of ``tenant_id`` over the minute buckets in (now - minutes,
        now]: for each queue (in id order, or only ``queue_id``) its window total, then its
        minutes with calls in time order."""
        params = (tenant_id, *live_window(minutes, now))
        rows = self.conn.execute(
            live_queue_stats_select(one_queue=queue_id is not None),
            params if queue_id is None else (*params, queue_id),
        ).fetchall()
        return queue_stats_from_rows(rows)


# The wallboard reads over the minute rollups, shared with the lake's implementation
# (warehouse.live.LakeLiveRollups), which runs them on the same rollups computed by DuckDB.
# Parameters (``%s``, in order): tenant, window start (exclusive), window end (inclusive).
LIVE_CALL_STATS_SELECT = (
    "select coalesce(sum(offered), 0), coalesce(sum(answered), 0),"
    " coalesce(sum(abandoned), 0), coalesce(sum(answered_within_20s), 0),"
    " coalesce(sum(billsec_sum), 0), coalesce(sum(handle_sec_sum), 0),"
    " coalesce(sum(queued), 0), coalesce(sum(handled), 0)"
    " from call_minute_rollup"
    " where tenant_id = %s and minute > %s and minute <= %s"
)
LIVE_QUALITY_SELECT = (
    "select carrier_id, sum(reports), sum(jitter_ms_sum) / sum(reports),"
    " sum(loss_fraction_sum) / sum(reports),"
    " sum(rtt_ms_sum) / nullif(sum(rtt_reports), 0)"
    " from quality_minute_rollup"
    " where tenant_id = %s and minute > %s and minute <= %s"
    " group by carrier_id order by carrier_id nulls last"
)


def live_queue_stats_select(*, one_queue: bool) -> str:
    """Per-queue window totals (``minute`` null) and per-minute rows over the queue rollup, in a
    single pass (grouping sets); parameters as the other reads, then the queue id when
    ``one_queue``."""
    return (
        "select queue_id, minute, sum(offered), sum(answered), sum(abandoned),"
        " sum(answered_within_20s), sum(handled), sum(handle_sec_sum),"
        " sum(handled_wait_sec_sum), max(longest_wait_sec)"
        " from queue_minute_rollup"
        " where tenant_id = %s and minute > %s and minute <= %s"
        + (" and queue_id = %s" if one_queue else "")
        + " group by grouping sets ((queue_id), (queue_id, minute))"
        " order by queue_id, minute nulls first"
    )


def live_window(minutes: int, now: datetime | None) -> tuple[datetime, datetime]:
    """(now - minutes, now]: the minute buckets a wallboard window counts."""
    if minutes < 1:
        raise ValueError(f"minutes must be >= 1, got {minutes}")
    end = now or datetime.now(UTC)
    return end - timedelta(minutes=minutes), end


def call_stats_from_row(row: Sequence[Any]) -> CallStats:
    """``CallStats`` from a row of ``LIVE_CALL_STATS_SELECT``."""
    return CallStats(*(int(value) for value in row))


def quality_stats_from_rows(rows: Iterable[Sequence[Any]]) -> list[QualityStats]:
    """``QualityStats`` from the rows of ``LIVE_QUALITY_SELECT``."""
    return [
        QualityStats(
            carrier_id=carrier,
            reports=int(reports),
            mean_jitter_ms=None if jitter is None else float(jitter),
            mean_loss_fraction=float(loss),
            mean_rtt_ms=None if rtt is None else float(rtt),
        )
        for carrier, reports, jitter, loss, rtt in rows
    ]


def queue_stats_from_rows(rows: Iterable[Sequence[Any]]) -> list[QueueStats]:
    """``QueueStats`` from the rows of ``live_queue_stats_select``."""
    return [
        QueueStats(
            queue_id=queue,
            minute=None if minute is None else minute.astimezone(UTC),
            offered=int(offered),
            answered=int(answered),
            abandoned=int(abandoned),
            answered_within_20s=int(within_20s),
            handled=int(handled),
            handle_sec=int(handle_sec),
            handled_wait_sec=float(handled_wait_sec),
            longest_wait_sec=None if longest_wait is None else float(longest_wait),
        )
        for (
            queue,
            minute,
            offered,
            answered,
            abandoned,
            within_20s,
            handled,
            handle_sec,
            handled_wait_sec,
            longest_wait,
        ) in rows
    ]
