"""The rollup refresh redoes only the minutes a batch can change, and still gets late pieces
right: RTCP reports that arrived before their call get its carrier when the call lands."""

from __future__ import annotations

from datetime import UTC, datetime

import hotstore_events as events
import psycopg

from warehouse.hotstore import PostgresHotStore


def _quality(dsn: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "select carrier_id, reports from quality_minute_rollup"
            " where tenant_id = 'acme' order by carrier_id nulls last"
        ).fetchall()


def test_reports_before_their_call_get_its_carrier_later(
    store: PostgresHotStore, plain_dsn: str
) -> None:
    reports = events.rtcp_reports()  # r1, r2 on c2 (carrier-a), r3 on an unknown call
    store.write_batch("rtcp", reports, "r")
    store.refresh_rollups()
    assert _quality(plain_dsn) == [(None, 3)]  # c2 not in the store yet
    calls = events.calls()
    only_c2 = [event_id == "call-000002" for event_id in calls.column("event_id").to_pylist()]
    store.write_batch("call", calls.filter(only_c2), "c")
    store.refresh_rollups()
    assert _quality(plain_dsn) == [("carrier-a", 2), (None, 1)]


def test_minutes_outside_the_batch_are_not_recomputed(
    store: PostgresHotStore, plain_dsn: str
) -> None:
    store.write_batch("call", events.calls(), "c")  # 2024-05-01 10:00 and 2024-05-02 10:00
    store.refresh_rollups()
    with psycopg.connect(plain_dsn, autocommit=True) as conn:
        # A marker in a minute no later batch touches: a refresh "to now" would delete it.
        conn.execute(
            "update call_minute_rollup set offered = 99 where tenant_id = 'acme'"
            " and minute = '2024-05-02 10:00+00'"
        )
    late = events.table(
        "call",
        [
            events.call_record(
                40,
                start_at="2024-05-01T10:00:10Z",
                answer_at="2024-05-01T10:00:15Z",
                end_at="2024-05-01T10:00:40Z",
                occurred_at="2024-05-01T10:00:40Z",
            )
        ],
    )
    store.write_batch("call", late, "late")
    store.refresh_rollups()
    stats = store.live_call_stats("acme", minutes=5, now=datetime(2024, 5, 1, 10, 4, tzinfo=UTC))
    assert (stats.offered, stats.answered) == (5, 4)  # c1-c4 and the late call, counted once
    with psycopg.connect(plain_dsn) as conn:
        (offered,) = conn.execute(
            "select offered from call_minute_rollup where tenant_id = 'acme'"
            " and minute = '2024-05-02 10:00+00'"
        ).fetchone()  # type: ignore[misc]
    assert offered == 99


def test_a_queued_window_survives_a_restart(plain_dsn: str) -> None:
    # A worker inserts and dies before refreshing: the calls' own rollups took their deltas
    # with the rows, the quality rollup's window is queued in the database...
    with PostgresHotStore(plain_dsn) as crashed:
        crashed.migrate()
        crashed.insert("call", events.calls())
        crashed.insert("rtcp", events.rtcp_reports())
    with psycopg.connect(plain_dsn) as conn:
        # events.calls(): four acme calls and one of "other" on May 1, one acme call on May 2.
        assert conn.execute("select sum(offered) from call_minute_rollup").fetchone() == (6,)
        assert conn.execute("select count(*) from quality_minute_rollup").fetchone() == (0,)
        # One range per day of the calls (not the hull of the whole day between them) and the
        # reports' range; all redo the quality rollup only.
        assert conn.execute(
            "select since, until, quality_only from rollup_dirty_ranges order by since, until"
        ).fetchall() == [
            (
                datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
                datetime(2024, 5, 1, 10, 0, 30, tzinfo=UTC),
                True,
            ),
            (
                datetime(2024, 5, 1, 10, 0, 10, tzinfo=UTC),
                datetime(2024, 5, 1, 10, 0, 30, tzinfo=UTC),
                True,
            ),
            (
                datetime(2024, 5, 2, 10, 0, tzinfo=UTC),
                datetime(2024, 5, 2, 10, 0, 30, tzinfo=UTC),
                True,
            ),
        ]
    # ...so the next worker's first refresh rolls those minutes up, and empties the queue.
    with PostgresHotStore(plain_dsn) as restarted:
        restarted.refresh_rollups()
        stats = restarted.live_call_stats(
            "acme", minutes=5, now=datetime(2024, 5, 1, 10, 4, tzinfo=UTC)
        )
        assert (stats.offered, stats.answered, stats.abandoned) == (4, 3, 1)
        restarted.refresh_rollups()  # nothing queued: a no-op
    assert _quality(plain_dsn) == [("carrier-a", 2), (None, 1)]
    with psycopg.connect(plain_dsn) as conn:
        assert conn.execute("select count(*) from rollup_dirty_ranges").fetchone() == (0,)


def _reports_seen(sink: object) -> int:
    from warehouse.sinks import HotStoreSink

    assert isinstance(sink, HotStoreSink)
    now = datetime(2024, 5, 1, 10, 4, tzinfo=UTC)
    return sum(stats.reports for stats in sink.store.live_quality("acme", minutes=5, now=now))


def test_sink_defers_refreshes_within_its_interval_and_flushes(plain_dsn: str) -> None:
    from warehouse.sinks import HotStoreSink

    sink = HotStoreSink(PostgresHotStore(plain_dsn), refresh_every_s=3600)
    reports = events.rtcp_reports()
    sink.write_batch("rtcp", reports.slice(0, 1), "a")  # the first refresh is due at once
    sink.write_batch("rtcp", reports.slice(1), "b")  # within the interval: deferred
    assert _reports_seen(sink) == 1
    # Calls need no refresh for their own rollups: exact as soon as their batch commits.
    sink.write_batch("call", events.calls(), "c")
    now = datetime(2024, 5, 1, 10, 4, tzinfo=UTC)
    assert sink.store.live_call_stats("acme", minutes=5, now=now).offered == 4
    sink.flush()  # idle stream or stopping worker
    assert _reports_seen(sink) == 3
    sink.close()


def test_upgrade_to_rollup_denominators_recomputes_existing_minutes(plain_dsn: str) -> None:
    with PostgresHotStore(plain_dsn) as store:
        store.migrate()
        store.insert("call", events.calls())
        store.refresh_rollups()
        # Back to the schema before migration 5: rollup rows without queued/handled.
        store.conn.execute("alter table call_minute_rollup drop column queued")
        store.conn.execute("alter table call_minute_rollup drop column handled")
        store.conn.execute("delete from schema_migrations where version = 5")
        assert store.migrate() == [5]  # adds the columns and queues every minute with calls
        store.refresh_rollups()
        stats = store.live_call_stats(
            "acme", minutes=5, now=datetime(2024, 5, 1, 10, 4, tzinfo=UTC)
        )
    assert (stats.queued, stats.handled, stats.offered) == (3, 2, 4)


def test_upgrade_to_queue_rollup_fills_it_for_stored_calls(plain_dsn: str) -> None:
    with PostgresHotStore(plain_dsn) as store:
        store.migrate()
        store.insert("call", events.calls())
        store.refresh_rollups()
        # Back to the schema before migration 6: no queue rollup yet, nothing queued.
        store.conn.execute("drop table queue_minute_rollup")
        store.conn.execute("delete from schema_migrations where version = 6")
        assert store.migrate() == [6]  # creates the table and queues every minute with calls
        store.refresh_rollups()
        queues = store.live_queue_stats(
            "acme", minutes=5, now=datetime(2024, 5, 1, 10, 4, tzinfo=UTC)
        )
    assert queues[0] == events.ACME_1000_Q1_STATS


def test_dirty_ranges_merge_rows_closer_than_the_gap() -> None:
    from warehouse.hotstore.store import dirty_ranges

    def at(minute: int, second: int = 0) -> str:
        return f"2024-05-01T{10 + minute // 60:02d}:{minute % 60:02d}:{second:02d}Z"

    records = [
        # 10:00:00-10:00:30 and 10:04:00-10:06:00: 3.5 minutes apart, under the 5-minute gap
        events.call_record(1),
        events.call_record(2, start_at=at(4), answer_at=at(4, 5), end_at=at(6), occurred_at=at(6)),
        # 10:20:00-10:20:30 (an unanswered call: no answer_at), 14 minutes after: a new range
        events.call_record(
            3, start_at=at(20), answer_at=None, billsec=0, end_at=at(20, 30), occurred_at=at(20, 30)
        ),
        # starts before the second range's end and ends after it: extends it, out of order
        events.call_record(
            4, start_at=at(19), answer_at=at(19, 5), end_at=at(25), occurred_at=at(25)
        ),
    ]
    assert dirty_ranges(events.table("call", records), "start_at") == [
        (datetime(2024, 5, 1, 10, 0, tzinfo=UTC), datetime(2024, 5, 1, 10, 6, tzinfo=UTC)),
        (datetime(2024, 5, 1, 10, 19, tzinfo=UTC), datetime(2024, 5, 1, 10, 25, tzinfo=UTC)),
    ]


def test_upgrade_to_queue_ranges_keeps_the_queued_hull(plain_dsn: str) -> None:
    with PostgresHotStore(plain_dsn) as store:
        store.migrate()
        store.insert("call", events.calls())
        # Back to the schema before migration 7: one queued hull, written before the upgrade.
        store.conn.execute("drop table rollup_dirty_ranges")
        store.conn.execute(
            "create table rollup_dirty (id smallint primary key check (id = 1),"
            " since timestamptz not null, until timestamptz not null)"
        )
        store.conn.execute(
            "insert into rollup_dirty values (1, '2024-05-01 09:00+00', '2024-05-02 11:00+00')"
        )
        # Migration 9 adds a column to the table 7 creates: it is redone too (and queues every
        # minute with calls, the calls' own hull).
        store.conn.execute("delete from schema_migrations where version in (7, 9)")
        assert store.migrate() == [7, 9]
        assert (
            datetime(2024, 5, 1, 9, tzinfo=UTC),
            datetime(2024, 5, 2, 11, tzinfo=UTC),
        ) in store.conn.execute("select since, until from rollup_dirty_ranges").fetchall()
        assert store.conn.execute("select to_regclass('rollup_dirty')").fetchone() == (None,)
        store.refresh_rollups()  # the moved hull rolls up both days
        stats = store.live_call_stats(
            "acme", minutes=5, now=datetime(2024, 5, 2, 10, 4, tzinfo=UTC)
        )
    assert stats.offered == 1


def test_sink_stretches_the_interval_to_a_multiple_of_the_last_refresh(plain_dsn: str) -> None:
    import time

    from warehouse.sinks import HotStoreSink

    reports = events.rtcp_reports()
    # No fixed interval: only the cost rule defers. A huge factor defers the second refresh...
    slow = HotStoreSink(PostgresHotStore(plain_dsn), refresh_every_s=0, refresh_cost_factor=1e6)
    slow.write_batch("rtcp", reports.slice(0, 1), "a")
    assert slow.last_refresh_s > 0
    slow.write_batch("rtcp", reports.slice(1, 1), "b")
    assert _reports_seen(slow) == 1
    slow.flush()
    assert _reports_seen(slow) == 2
    slow.close()
    # ...while factor 1 refreshes again once the last refresh's duration has passed.
    quick = HotStoreSink(PostgresHotStore(plain_dsn), refresh_every_s=0, refresh_cost_factor=1)
    quick.write_batch("rtcp", reports.slice(1, 1), "c")  # a redelivery: nothing new
    time.sleep(quick.last_refresh_s * 1.5)
    quick.write_batch("rtcp", reports.slice(2, 1), "d")
    assert _reports_seen(quick) == 3
    quick.close()
