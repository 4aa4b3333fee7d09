"""TimescaleDB path on PGlite + TimescaleDB (scripts/timescaledb): hypertables, the continuous
aggregates (call and queue rollups) refreshed by call, policies registered, chunk retention,
same wallboard reads.

PGlite runs no background workers, so the policies are only checked to be registered (their
jobs never run here); PGlite also drops the connection on COPY FROM STDIN, which the store
detects (version string names Emscripten) and loads with executemany instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import hotstore_events as events
import pytest

from warehouse.hotstore import PostgresHotStore, QualityStats

NOW = datetime(2024, 5, 1, 10, 4, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(timescaledb_dsn: str) -> Iterator[PostgresHotStore]:
    # One PGlite database per session (per pytest -n worker) and one module using it.
    with PostgresHotStore(timescaledb_dsn, retention_days=7) as hot:
        assert hot.flavour == "timescaledb"
        assert hot.migrate() == list(range(1, 13))
        yield hot


def test_schema_uses_hypertables_and_policies(store: PostgresHotStore) -> None:
    conn = store.conn
    hypertables = conn.execute(
        "select hypertable_name from timescaledb_information.hypertables order by 1"
    ).fetchall()
    assert {"calls", "rtcp_reports", "agent_states"} <= {row[0] for row in hypertables}
    interval = conn.execute(
        "select time_interval from timescaledb_information.dimensions"
        " where hypertable_name = 'calls'"
    ).fetchone()
    assert interval is not None
    assert interval[0].days == 1
    caggs = conn.execute(
        "select view_name, materialized_only from timescaledb_information.continuous_aggregates"
    ).fetchall()
    assert sorted(caggs) == [("call_minute_rollup", True), ("queue_minute_rollup", True)]
    jobs = conn.execute(
        "select proc_name, hypertable_name from timescaledb_information.jobs"
        " where proc_name like 'policy_%' and proc_name <> 'policy_job_stat_history_retention'"
        " order by 1, 2"
    ).fetchall()
    refreshed = sorted(
        table for name, table in jobs if name == "policy_refresh_continuous_aggregate"
    )
    # (a continuous aggregate's job names its materialisation hypertable, not the view)
    assert len(refreshed) == 2
    assert [name for name, table in jobs if name == "policy_compression"] == [
        "policy_compression"
    ] * 3
    assert sorted(table for name, table in jobs if name == "policy_retention") == [
        "agent_states",
        "calls",
        "rtcp_reports",
    ]
    compressed = conn.execute(
        "select attname from timescaledb_information.compression_settings"
        " where hypertable_name = 'calls' and segmentby_column_index = 1"
    ).fetchall()
    assert compressed == [("tenant_id",)]
    assert store.migrate() == []


def test_refresh_redelivery_and_retention_in_order(store: PostgresHotStore) -> None:
    """One test, so that pytest -n never runs the steps on different workers (each worker has
    its own PGlite): each step builds on the state the previous one left."""
    _continuous_aggregates_refresh_and_reads(store)
    _redelivery_is_idempotent(store)
    _retention_drops_old_chunks(store)


def _continuous_aggregates_refresh_and_reads(store: PostgresHotStore) -> None:
    store.write_batch("call", events.calls(), "b1")
    store.write_batch("rtcp", events.rtcp_reports(), "b1")
    store.write_batch("agent", events.agent_states(), "b1")
    # materialized_only: nothing shows until the aggregate is refreshed.
    assert store.live_call_stats("acme", 5, now=NOW).offered == 0
    store.refresh_rollups()
    assert store.live_call_stats("acme", 5, now=NOW) == events.ACME_1000_CALL_STATS
    assert store.live_call_stats("other", 5, now=NOW).offered == 1
    q1 = events.ACME_1000_Q1_STATS
    assert store.live_queue_stats("acme", 5, now=NOW) == [
        q1,
        replace(q1, minute=events.ACME_1000_MINUTE),
    ]
    assert store.live_queue_stats("other", 5, now=NOW) == []
    quality = store.live_quality("acme", 5, now=NOW)
    assert quality == [
        QualityStats("carrier-a", 2, pytest.approx(15.0), 0.125, 50.0),
        QualityStats(None, 1, pytest.approx(30.0), 0.5, None),
    ]


def _redelivery_is_idempotent(store: PostgresHotStore) -> None:
    assert store.insert("call", events.calls()) == 0
    store.refresh_rollups(datetime(2024, 5, 1, tzinfo=UTC))
    assert store.live_call_stats("acme", 5, now=NOW).offered == 4
    assert store.conn.execute("select count(*) from calls").fetchone() == (6,)


def _retention_drops_old_chunks(store: PostgresHotStore) -> None:
    dropped = store.drop_expired(now=datetime(2024, 5, 9, 12, tzinfo=UTC))
    assert len(dropped) == 3  # the 2024-05-01 chunk of each raw table
    assert store.conn.execute("select event_id from calls").fetchall() == [("call-000006",)]
    assert store.live_quality("acme", 5, now=NOW) == []
    # Observed on TimescaleDB 2.23.0-dev in PGlite: dropping raw chunks also empties the
    # continuous aggregate's buckets of those days; the next day's bucket stays.
    assert store.live_call_stats("acme", 5, now=NOW).offered == 0
    assert store.live_queue_stats("acme", 5, now=NOW) == []
    next_day = datetime(2024, 5, 2, 10, 0, 30, tzinfo=UTC)
    assert store.live_call_stats("acme", 1, now=next_day).offered == 1
