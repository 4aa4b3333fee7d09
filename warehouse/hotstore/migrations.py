"""Versioned, idempotent hot-store migrations for both flavours (plain PostgreSQL, TimescaleDB).

Each migration runs in its own transaction under an advisory lock and is recorded in
``schema_migrations``; running ``migrate`` again applies only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import psycopg

from warehouse.hotstore.schema import HOT_TABLES

Flavour = Literal["plain", "timescaledb"]

#: Arbitrary constant for pg_advisory_xact_lock, so concurrent ``migrate`` calls serialise.
_MIGRATION_LOCK = 7_240_301


def call_rollup_select(bucket: str) -> str:
    """Per-minute call rollup; same definitions as dbt's fct_calls (abandoned = queued and not
    answered; within 20 s = queued, answered and queue wait <= 20 s; handle = talk + hold +
    wrap-up of agent-answered calls; queued and handled count the denominators of service level
    and AHT). Columns added later come last (migration 5 appends them to the plain table).
    ``case`` rather than ``filter`` because TimescaleDB
    continuous aggregates reject some aggregate forms."""
    return f"""
    select
        tenant_id,
        {bucket} as minute,
        direction,
        queue_id,
        count(*) as offered,
        count(answer_at) as answered,
        sum(case when queue_id is not null and answer_at is null then 1 else 0 end) as abandoned,
        sum(case when queue_id is not null and answer_at is not null and queue_wait_sec <= 20
            then 1 else 0 end) as answered_within_20s,
        sum(billsec) as billsec_sum,
        sum(case when answer_at is not null and agent_id is not null
            then billsec + hold_sec + wrapup_sec else 0 end) as handle_sec_sum,
        sum(case when queue_id is not null then 1 else 0 end) as queued,
        sum(case when answer_at is not null and agent_id is not null then 1 else 0 end)
            as handled
    from calls"""


def queue_rollup_select(bucket: str) -> str:
    """Per-minute rollup of each queue's calls (a wallboard row per queue); same definitions as
    dbt's queue_interval_stats: offered = calls that entered the queue; abandoned = never
    answered; within 20 s = answered with queue wait <= 20 s; handled = answered by an agent,
    whose talk + hold + wrap-up make ``handle_sec_sum`` (AHT) and whose queue waits make
    ``handled_wait_sec_sum`` (ASA; a handled call without a wait counts 0 s, as the mart's
    null-skipping sum over its handled count does); longest wait = the largest queue wait of
    any of the minute's calls, answered or not. Every column is additive (or a max), so minutes
    combine into exact window figures. Queue calls only: the caller appends the window and
    ``group by 1, 2, 3`` after the ``where``."""
    return f"""
    select
        tenant_id,
        {bucket} as minute,
        queue_id,
        count(*) as offered,
        count(answer_at) as answered,
        sum(case when answer_at is null then 1 else 0 end) as abandoned,
        sum(case when answer_at is not null and queue_wait_sec <= 20 then 1 else 0 end)
            as answered_within_20s,
        sum(case when answer_at is not null and agent_id is not null then 1 else 0 end)
            as handled,
        sum(case when answer_at is not null and agent_id is not null
            then billsec + hold_sec + wrapup_sec else 0 end) as handle_sec_sum,
        sum(case when answer_at is not null and agent_id is not null
            then coalesce(queue_wait_sec, 0) else 0 end) as handled_wait_sec_sum,
        max(queue_wait_sec) as longest_wait_sec
    from calls
    where queue_id is not null"""


#: Quality rollup: additive sums so minutes combine into exact means
#: (mean jitter = jitter_ms_sum / reports; mean loss = loss_fraction_sum / reports;
#: mean rtt = rtt_ms_sum / rtt_reports). Jitter ms = RTP units * 1000 / clock rate (the contract
#: fills clock_rate_hz from the codec); loss fraction = fraction_lost / 256. Carrier comes from
#: the call of the report when the hot store holds it, else null.
QUALITY_ROLLUP_SELECT = """
    select
        r.tenant_id,
        date_trunc('minute', r.occurred_at) as minute,
        c.carrier_id,
        count(*) as reports,
        sum(r.interarrival_jitter * 1000.0 / r.clock_rate_hz) as jitter_ms_sum,
        sum(r.fraction_lost / 256.0) as loss_fraction_sum,
        count(r.rtt_ms) as rtt_reports,
        coalesce(sum(r.rtt_ms), 0) as rtt_ms_sum
    from rtcp_reports r
    left join lateral (
        select calls.carrier_id from calls
        where calls.tenant_id = r.tenant_id and calls.call_id = r.call_id
        order by calls.occurred_at desc
        limit 1
    ) c on true"""


def _raw_tables(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    for table in HOT_TABLES.values():
        conn.execute(table.create_sql(partition_by_range=flavour == "plain"))
        if flavour == "timescaledb":
            conn.execute(
                "select create_hypertable(%s, %s, chunk_time_interval => interval '1 day',"
                " if_not_exists => true)",
                (table.name, table.time_column),
            )
        conn.execute(
            f"create index if not exists {table.name}_tenant_time"
            f" on {table.name} (tenant_id, {table.time_column})"
        )
    conn.execute("create index if not exists calls_tenant_call on calls (tenant_id, call_id)")


def _call_rollup_aggregate(conn: psycopg.Connection) -> None:
    # materialized_only: reads see what refresh_rollups (or the policy) materialised, the
    # same contract as the plain path.
    conn.execute(
        "create materialized view if not exists call_minute_rollup"
        " with (timescaledb.continuous, timescaledb.materialized_only = true) as"
        + call_rollup_select("time_bucket('1 minute', start_at)")
        + " group by 1, 2, 3, 4 with no data"
    )
    # Materialised chunks default to 10x the raw chunk; 1 day lets retention drop whole days.
    conn.execute("select set_chunk_time_interval('call_minute_rollup', interval '1 day')")


def _rollups(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    if flavour == "timescaledb":
        _call_rollup_aggregate(conn)
    else:
        conn.execute(
            """create table if not exists call_minute_rollup (
                tenant_id text not null,
                minute timestamptz not null,
                direction text not null,
                queue_id text,
                offered bigint not null,
                answered bigint not null,
                abandoned bigint not null,
                answered_within_20s bigint not null,
                billsec_sum bigint not null,
                handle_sec_sum bigint not null
            )"""
        )
        conn.execute(
            "create index if not exists call_minute_rollup_tenant_minute"
            " on call_minute_rollup (tenant_id, minute)"
        )
    # A continuous aggregate cannot join the calls hypertable for the carrier, so the quality
    # rollup is a plain table refreshed by refresh_rollups on both flavours.
    conn.execute(
        """create table if not exists quality_minute_rollup (
            tenant_id text not null,
            minute timestamptz not null,
            carrier_id text,
            reports bigint not null,
            jitter_ms_sum double precision,
            loss_fraction_sum double precision not null,
            rtt_reports bigint not null,
            rtt_ms_sum double precision not null
        )"""
    )
    conn.execute(
        "create index if not exists quality_minute_rollup_tenant_minute"
        " on quality_minute_rollup (tenant_id, minute)"
    )


def _policies(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    """TimescaleDB only: background policies. The plain path enforces retention by
    ``PostgresHotStore.drop_expired`` and refreshes by ``refresh_rollups`` instead."""
    if flavour != "timescaledb":
        return
    conn.execute(
        "select add_continuous_aggregate_policy('call_minute_rollup',"
        " start_offset => interval '2 hours', end_offset => interval '1 minute',"
        " schedule_interval => interval '1 minute', if_not_exists => true)"
    )
    for table in HOT_TABLES.values():
        conn.execute(
            f"alter table {table.name} set (timescaledb.compress,"
            f" timescaledb.compress_segmentby = 'tenant_id',"
            f" timescaledb.compress_orderby = '{table.time_column} desc')"
        )
        conn.execute(
            "select add_compression_policy(%s, interval '1 day', if_not_exists => true)",
            (table.name,),
        )
        conn.execute(
            "select add_retention_policy(%s, make_interval(days => %s), if_not_exists => true)",
            (table.name, retention_days),
        )


def _rollup_queue(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    """The window of event times written but not yet rolled up, committed with the rows: a
    refresh may run later than the write (once per interval, not per batch) without a crash in
    between ever leaving rollups stale."""
    conn.execute(
        "create table if not exists rollup_dirty ("
        " id smallint primary key check (id = 1),"
        " since timestamptz not null, until timestamptz not null)"
    )


def _rollup_denominators(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    """Queued and handled counts per minute, so wallboards can show service level (answered
    within 20 s / queued) and AHT (handle seconds / handled) exactly. The plain table gets the
    columns (existing rows: recomputed by the next refresh of their minutes; set to 0 until
    then); TimescaleDB's continuous aggregate cannot be altered, so it is rebuilt from the raw
    hypertable with its refresh policy."""
    if flavour == "plain":
        for column in ("queued", "handled"):
            conn.execute(
                f"alter table call_minute_rollup add column if not exists {column}"
                " bigint not null default 0"
            )
        _queue_all_calls(conn)
        return
    columns = conn.execute(
        "select 1 from information_schema.columns"
        " where table_name = 'call_minute_rollup' and column_name = 'queued'"
    ).fetchone()
    if columns is not None:  # created by migration 2 with today's definition
        return
    conn.execute("drop materialized view if exists call_minute_rollup cascade")
    _call_rollup_aggregate(conn)
    conn.execute(
        "select add_continuous_aggregate_policy('call_minute_rollup',"
        " start_offset => interval '2 hours', end_offset => interval '1 minute',"
        " schedule_interval => interval '1 minute', if_not_exists => true)"
    )
    _queue_all_calls(conn)


def _queue_rollup_aggregate(conn: psycopg.Connection) -> None:
    """TimescaleDB: the queue rollup as a continuous aggregate, refreshed like the call rollup
    (``refresh_rollups`` and a policy over the last 2 hours)."""
    conn.execute(
        "create materialized view if not exists queue_minute_rollup"
        " with (timescaledb.continuous, timescaledb.materialized_only = true) as"
        + queue_rollup_select("time_bucket('1 minute', start_at)")
        + " group by 1, 2, 3 with no data"
    )
    conn.execute("select set_chunk_time_interval('queue_minute_rollup', interval '1 day')")
    conn.execute(
        "select add_continuous_aggregate_policy('queue_minute_rollup',"
        " start_offset => interval '2 hours', end_offset => interval '1 minute',"
        " schedule_interval => interval '1 minute', if_not_exists => true)"
    )


def _queue_rollup(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    """Per-queue minute rollup for the queue wallboard: a continuous aggregate on TimescaleDB,
    a table rebuilt by ``refresh_rollups`` on plain PostgreSQL (column order = the select's,
    which ``refresh_rollups`` inserts as is). The calls already stored are queued, so the next
    refresh fills it for them."""
    if flavour == "timescaledb":
        _queue_rollup_aggregate(conn)
    else:
        conn.execute(
            """create table if not exists queue_minute_rollup (
                tenant_id text not null,
                minute timestamptz not null,
                queue_id text not null,
                offered bigint not null,
                answered bigint not null,
                abandoned bigint not null,
                answered_within_20s bigint not null,
                handled bigint not null,
                handle_sec_sum bigint not null,
                handled_wait_sec_sum double precision not null,
                longest_wait_sec double precision
            )"""
        )
        conn.execute(
            "create index if not exists queue_minute_rollup_tenant_minute"
            " on queue_minute_rollup (tenant_id, minute)"
        )
    _queue_all_calls(conn)


def _queue_all_calls(conn: psycopg.Connection) -> None:
    """Queue every minute that has calls for the next rollup refresh, in the queue the schema
    has at this point: the single hull before migration 7, its ranges table after (a step
    re-applied on a newer schema, e.g. by an upgrade test)."""
    if conn.execute("select to_regclass('rollup_dirty_ranges')").fetchone() != (None,):
        conn.execute(
            "insert into rollup_dirty_ranges (since, until)"
            " select min(start_at), max(end_at) from calls having count(*) > 0"
        )
        return
    conn.execute(
        "insert into rollup_dirty (id, since, until)"
        " select 1, min(start_at), max(end_at) from calls having count(*) > 0"
        " on conflict (id) do update set since = least(rollup_dirty.since, excluded.since),"
        " until = greatest(rollup_dirty.until, excluded.until)"
    )


def _rollup_queue_ranges(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    """The queue as a set of time ranges instead of one hull: a late batch and a live one
    queued together no longer make the next refresh redo every minute between them. The
    queued hull, if any, moves over as one range."""
    conn.execute(
        "create table if not exists rollup_dirty_ranges ("
        " since timestamptz not null, until timestamptz not null)"
    )
    conn.execute(
        "insert into rollup_dirty_ranges (since, until) select since, until from rollup_dirty"
    )
    conn.execute("drop table rollup_dirty")


def _time_brin_indexes(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    """No query reads the raw tables by (tenant, time): the rollup refreshes scan a time range
    of every tenant, wallboards read the rollups. So the (tenant, time) b-trees go, saving
    ~10 % of PostgreSQL's time per COPY (measured on 100k calls); on the plain flavour a BRIN
    index over the time column (events land roughly in time order; a few pages to keep up)
    lets a refresh read only its minutes' blocks of a day partition. TimescaleDB's hypertables
    keep the time b-tree that create_hypertable made."""
    for table in HOT_TABLES.values():
        conn.execute(f"drop index if exists {table.name}_tenant_time")
        if flavour == "plain":
            conn.execute(
                f"create index if not exists {table.name}_time_brin"
                f" on {table.name} using brin ({table.time_column})"
            )


def _rollup_deltas(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    """Calls add their rollups by delta on the plain flavour (PostgresHotStore.insert): the
    call and queue rollups get a unique key for ``on conflict do update`` (it replaces the
    (tenant, minute) index: reads use its prefix), and the queue tells ranges that redo only
    the quality rollup from ranges that redo all. The stored minutes are emptied and every
    minute with calls is queued, so the key is built on rows known to be unique and the next
    refresh recomputes them all."""
    conn.execute(
        "alter table rollup_dirty_ranges"
        " add column if not exists quality_only boolean not null default false"
    )
    if flavour != "plain":
        return  # TimescaleDB: the call rollups are continuous aggregates
    conn.execute("delete from call_minute_rollup")
    conn.execute("delete from queue_minute_rollup")
    conn.execute("drop index if exists call_minute_rollup_tenant_minute")
    conn.execute("drop index if exists queue_minute_rollup_tenant_minute")
    conn.execute(
        "create unique index if not exists call_minute_rollup_key"
        " on call_minute_rollup (tenant_id, minute, direction, coalesce(queue_id, ''))"
    )
    conn.execute(
        "create unique index if not exists queue_minute_rollup_key"
        " on queue_minute_rollup (tenant_id, minute, queue_id)"
    )
    _queue_all_calls(conn)


def _call_id_hash_index(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    """The quality rollup finds a report's call by call id: a hash index on it costs each
    COPY less than the (tenant, call id) b-tree did (two text comparisons per level of a
    random-key tree; the tenant is checked on the few rows the hash finds)."""
    conn.execute("drop index if exists calls_tenant_call")
    conn.execute("create index if not exists calls_call_id_hash on calls using hash (call_id)")


def _event_id_byte_order(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    """Compare event ids byte by byte (``COLLATE "C"``) in the raw tables' keys: the database's
    collation (here C.UTF-8, which PostgreSQL 15 compares through the C library) cost ~10% of
    the server's CPU per call COPY (192k calls: 1.65-1.75 vs 1.54 core-s). Equality, which is
    all the key needs, is the same; for a UTF-8 database "C" orders like C.UTF-8 (code points).
    Only a collation changes, so no table is rewritten; the keys' indexes are rebuilt.
    TimescaleDB hypertables keep theirs: a column of a compressed hypertable cannot be altered.
    """
    if flavour != "plain":
        return
    for table in HOT_TABLES.values():
        conn.execute(f'alter table {table.name} alter column event_id type text collate "C"')


def _time_first_keys(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> None:
    """Key the raw tables by (time, event id) instead of (event id, time): the same columns,
    so the same rows are duplicates, but events arrive roughly in time order, so new keys land
    on the index's last pages instead of anywhere in it. PostgreSQL CPU for 960k calls COPied
    in batches of 16k: 7.6-7.8 -> 6.3 core-s (the event-id-first tree outgrows the cache).
    TimescaleDB hypertables keep theirs (constraints of compressed hypertables cannot change).
    """
    if flavour != "plain":
        return
    for table in HOT_TABLES.values():
        row = conn.execute(
            "select conname from pg_constraint where conrelid = %s::regclass and contype = 'p'",
            (table.name,),
        ).fetchone()
        if row is not None:
            conn.execute(f"alter table {table.name} drop constraint {row[0]}")
        conn.execute(
            f"alter table {table.name} add constraint {table.name}_pkey"
            f" primary key ({table.time_column}, event_id)"
        )


Migration = Callable[[psycopg.Connection, Flavour, int], None]

#: (version, name, step) in order; never edit a released step, add a new one.
MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "raw tables", _raw_tables),
    (2, "minute rollups", _rollups),
    (3, "timescaledb policies", _policies),
    (4, "rollup refresh queue", _rollup_queue),
    (5, "rollup denominators", _rollup_denominators),
    (6, "queue minute rollup", _queue_rollup),
    (7, "rollup queue of ranges", _rollup_queue_ranges),
    (8, "time brin indexes", _time_brin_indexes),
    (9, "rollup deltas", _rollup_deltas),
    (10, "call id hash index", _call_id_hash_index),
    (11, "event id byte order", _event_id_byte_order),
    (12, "time-first raw keys", _time_first_keys),
]


def apply_migrations(conn: psycopg.Connection, flavour: Flavour, retention_days: int) -> list[int]:
    """Apply the missing migrations; returns the versions applied now."""
    conn.execute(
        "create table if not exists schema_migrations ("
        " version integer primary key, name text not null, flavour text not null,"
        " applied_at timestamptz not null default now())"
    )
    applied: list[int] = []
    for version, name, step in MIGRATIONS:
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            done = conn.execute(
                "select 1 from schema_migrations where version = %s", (version,)
            ).fetchone()
            if done:
                continue
            step(conn, flavour, retention_days)
            conn.execute(
                "insert into schema_migrations (version, name, flavour) values (%s, %s, %s)",
                (version, name, flavour),
            )
            applied.append(version)
    return applied
