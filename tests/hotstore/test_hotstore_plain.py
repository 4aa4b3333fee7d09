"""Plain PostgreSQL path: daily partitions, rollup refresh, idempotent re-delivery, retention."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import hotstore_events as events
import psycopg
import pyarrow as pa
import pytest

from warehouse.hotstore import PostgresHotStore, QualityStats

NOW = datetime(2024, 5, 1, 10, 4, 30, tzinfo=UTC)


def _load(store: PostgresHotStore) -> None:
    assert store.write_batch("call", events.calls(), "b1") == []
    store.write_batch("rtcp", events.rtcp_reports(), "b1")
    store.write_batch("agent", events.agent_states(), "b1")
    store.refresh_rollups()


def _partitions(dsn: str, table: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid"
            " join pg_class p on p.oid = i.inhparent where p.relname = %s order by 1",
            (table,),
        ).fetchall()
    return [row[0] for row in rows]


def test_migrate_is_versioned_and_idempotent(plain_dsn: str, store: PostgresHotStore) -> None:
    assert store.migrate() == []
    with psycopg.connect(plain_dsn) as conn:
        versions = conn.execute(
            "select version, flavour from schema_migrations order by 1"
        ).fetchall()
        kind = conn.execute("select relkind from pg_class where relname = 'calls'").fetchone()
        types = dict(
            conn.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_name = 'calls'"
            ).fetchall()
        )
        # Migration 11: event ids compare byte by byte in every raw table and its partitions.
        collations = conn.execute(
            "select distinct collation_name from information_schema.columns"
            " where column_name = 'event_id' and table_name ~ '^(calls|rtcp_reports|agent_states)'"
        ).fetchall()
    assert versions == [(version, "plain") for version in range(1, 13)]
    assert collations == [("C",)]
    assert kind == ("p",)  # partitioned table
    assert types["start_at"] == "timestamp with time zone"
    assert types["cost"] == "numeric"
    assert types["billsec"] == "bigint"
    assert types["queue_wait_sec"] == "double precision"


def test_raw_tables_are_indexed_for_their_reads(plain_dsn: str, store: PostgresHotStore) -> None:
    """The key, the call lookup of the quality rollup (a hash index, migration 10) and a BRIN
    over time; no (tenant, time) b-tree (migration 8: nothing reads by it)."""
    with psycopg.connect(plain_dsn) as conn:
        indexes = conn.execute(
            "select tablename, indexname, indexdef from pg_indexes"
            " where tablename in ('calls', 'rtcp_reports', 'agent_states')"
        ).fetchall()
    methods = {
        (table, name): definition.split(" USING ")[1].split(" ")[0]
        for table, name, definition in indexes
    }
    # Migration 12: keys lead with the time column (new events land on the last pages).
    keys = {
        table: definition.split(" USING btree ")[1]
        for table, name, definition in indexes
        if name.endswith("_pkey")
    }
    assert keys == {
        "calls": "(start_at, event_id)",
        "rtcp_reports": "(occurred_at, event_id)",
        "agent_states": "(occurred_at, event_id)",
    }
    assert methods == {
        ("calls", "calls_pkey"): "btree",
        ("calls", "calls_call_id_hash"): "hash",
        ("calls", "calls_time_brin"): "brin",
        ("rtcp_reports", "rtcp_reports_pkey"): "btree",
        ("rtcp_reports", "rtcp_reports_time_brin"): "brin",
        ("agent_states", "agent_states_pkey"): "btree",
        ("agent_states", "agent_states_time_brin"): "brin",
    }


def test_wallboard_call_stats_match_hand_counts(plain_dsn: str, store: PostgresHotStore) -> None:
    _load(store)
    assert _partitions(plain_dsn, "calls") == ["calls_p20240501", "calls_p20240502"]
    assert store.live_call_stats("acme", 5, now=NOW) == events.ACME_1000_CALL_STATS
    assert store.live_call_stats("other", 5, now=NOW).offered == 1
    # 10:00 bucket lies outside (10:01:30, 10:04:30] ...
    assert store.live_call_stats("acme", 3, now=NOW).offered == 0
    # ... and the next day's call shows only in its own window.
    next_day = datetime(2024, 5, 2, 10, 0, 30, tzinfo=UTC)
    assert store.live_call_stats("acme", 1, now=next_day).offered == 1
    # Tenant ids are bound parameters, never SQL.
    assert store.live_call_stats("acme' or '1'='1", 5, now=NOW).offered == 0


def test_wallboard_queue_totals_and_minutes(store: PostgresHotStore) -> None:
    _load(store)
    q1 = events.ACME_1000_Q1_STATS
    # One queue, one minute: the window total, then the 10:00 minute with the same figures.
    expected = [q1, replace(q1, minute=events.ACME_1000_MINUTE)]
    assert store.live_queue_stats("acme", 5, now=NOW) == expected
    assert store.live_queue_stats("acme", 5, now=NOW, queue_id="q1") == expected
    assert store.live_queue_stats("acme", 5, now=NOW, queue_id="q2") == []
    # The unqueued c1, tenant other's c5 and the next day's c6 are in no queue row.
    assert store.live_queue_stats("other", 5, now=NOW) == []
    assert store.live_queue_stats("acme", 3, now=NOW) == []
    assert store.live_queue_stats("acme' or '1'='1", 5, now=NOW) == []


def test_wallboard_quality_per_carrier(store: PostgresHotStore) -> None:
    _load(store)
    quality = store.live_quality("acme", 5, now=NOW)
    assert quality[0] == QualityStats("carrier-a", 2, pytest.approx(15.0), 0.125, 50.0)
    assert quality[1] == QualityStats(None, 1, pytest.approx(30.0), 0.5, None)
    assert len(quality) == 2
    assert store.live_quality("other", 5, now=NOW) == []


def test_redelivered_batch_is_not_double_counted(plain_dsn: str, store: PostgresHotStore) -> None:
    _load(store)
    assert store.insert("call", events.calls()) == 0
    assert store.insert("rtcp", events.rtcp_reports()) == 0
    store.refresh_rollups(datetime(2024, 5, 1, tzinfo=UTC))
    assert store.live_call_stats("acme", 5, now=NOW).offered == 4
    assert store.live_quality("acme", 5, now=NOW)[0].reports == 2
    with psycopg.connect(plain_dsn) as conn:
        assert conn.execute("select count(*) from calls").fetchone() == (6,)
        rollup_rows = conn.execute(
            "select count(*) from call_minute_rollup where tenant_id = 'acme'"
        ).fetchone()
    # acme minute 10:00 on day 1: (inbound, no queue) and (inbound, q1); day 2: one group.
    assert rollup_rows == (3,)


def test_retention_drops_whole_old_days(plain_dsn: str, store: PostgresHotStore) -> None:
    _load(store)
    # Retention 7 days at 2024-05-09 12:00 keeps 2024-05-02 onwards.
    dropped = store.drop_expired(now=datetime(2024, 5, 9, 12, tzinfo=UTC))
    assert dropped == ["agent_states_p20240501", "calls_p20240501", "rtcp_reports_p20240501"]
    assert _partitions(plain_dsn, "calls") == ["calls_p20240502"]
    with psycopg.connect(plain_dsn) as conn:
        assert conn.execute("select event_id from calls").fetchall() == [("call-000006",)]
    assert store.live_call_stats("acme", 5, now=NOW).offered == 0
    assert store.live_quality("acme", 5, now=NOW) == []
    assert store.live_queue_stats("acme", 5, now=NOW) == []
    assert store.drop_expired(now=datetime(2024, 5, 9, 12, tzinfo=UTC)) == []


def test_other_families_are_ignored_and_bad_tables_rejected(store: PostgresHotStore) -> None:
    message = events.table("message", [events.VALID_EVENTS["message"]])
    assert store.write_batch("message", message, "b1") == []
    with pytest.raises(ValueError, match="call batch columns differ from the contract"):
        store.write_batch("call", events.agent_states(), "b1")
    calls = events.calls()
    wrong_type = calls.set_column(11, "billsec", calls.column("billsec").cast(pa.float64()))
    with pytest.raises(ValueError, match=r"call\.billsec: type double"):
        store.write_batch("call", wrong_type, "b1")
    null_tenant = calls.set_column(1, "tenant_id", pa.nulls(calls.num_rows, pa.string()))
    with pytest.raises(ValueError, match=r"call\.tenant_id: null in a required field"):
        store.write_batch("call", null_tenant, "b1")
    store.refresh_rollups()
    assert store.live_call_stats("acme", 5, now=NOW).offered == 0


def test_bad_settings_name_the_field(plain_dsn: str) -> None:
    with pytest.raises(ValueError, match="retention_days"):
        PostgresHotStore(plain_dsn, retention_days=0)
    with PostgresHotStore(plain_dsn) as hot, pytest.raises(ValueError, match="minutes"):
        hot.live_call_stats("acme", 0)


def test_values_round_trip_exactly(plain_dsn: str, store: PostgresHotStore) -> None:
    priced = events.table("call", [events.VALID_EVENTS["call"]])
    assert store.insert("call", priced) == 1
    with psycopg.connect(plain_dsn) as conn:
        row = conn.execute(
            "select cost, price, answer_at, queue_id, queue_wait_sec, billsec from calls"
        ).fetchone()
    assert row == (
        Decimal("0.012500"),
        Decimal("0.020000"),
        datetime(2024, 5, 1, 10, 0, 5, tzinfo=UTC),
        None,
        None,
        25,
    )
    # Binary COPY sends Arrow's epoch microseconds as they are: none may be lost.
    precise = events.table("call", [events.call_record(7, answer_at="2024-05-01T10:00:05.123456Z")])
    assert store.insert("call", precise) == 1
    with psycopg.connect(plain_dsn) as conn:
        answer = conn.execute(
            "select answer_at from calls where event_id = 'call-000007'"
        ).fetchone()
    assert answer == (datetime(2024, 5, 1, 10, 0, 5, 123456, tzinfo=UTC),)
