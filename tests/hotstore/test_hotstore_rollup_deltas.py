"""Plain flavour: calls add their rollups by delta in the insert's transaction. The deltas
must give exactly the rows that recomputing the minutes from the raw calls gives (the SQL of
migrations.call_rollup_select / queue_rollup_select), whatever the batches: hand-made edge
cases, simulated traffic in many batches, redeliveries, repeats inside a batch and writers
running at once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import hotstore_events as events
import psycopg
import pyarrow as pa
import pytest

from telephony.simulator import SimulationConfig, simulate
from warehouse.hotstore import PostgresHotStore

EARLY = datetime(2020, 1, 1, tzinfo=UTC)
CALL_ROLLUP = "select * from call_minute_rollup order by tenant_id, minute, direction, queue_id"
QUEUE_ROLLUP = "select * from queue_minute_rollup order by tenant_id, minute, queue_id"


def _rows(dsn: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query).fetchall()


def _recomputed(store: PostgresHotStore, dsn: str) -> tuple[list[tuple[object, ...]], ...]:
    """The rollups as the deltas left them, then as a full recompute of every minute makes
    them."""
    by_delta = (_rows(dsn, CALL_ROLLUP), _rows(dsn, QUEUE_ROLLUP))
    store.refresh_rollups(EARLY)
    return by_delta, (_rows(dsn, CALL_ROLLUP), _rows(dsn, QUEUE_ROLLUP))


def _assert_same_rows(got: list[tuple[object, ...]], want: list[tuple[object, ...]]) -> None:
    """Equal rows; float sums may differ in the last bits (summed in another order)."""
    assert len(got) == len(want)
    for got_row, want_row in zip(got, want, strict=True):
        for got_value, want_value in zip(got_row, want_row, strict=True):
            if isinstance(want_value, float):
                assert got_value == pytest.approx(want_value, rel=1e-12), (got_row, want_row)
            else:
                assert got_value == want_value, (got_row, want_row)


def _edge_calls() -> pa.Table:
    """Every branch of the rollup definitions, in two minutes and two directions."""
    queued = {"queue_id": "q1", "agent_id": "agent-7"}
    return events.table(
        "call",
        [
            events.call_record(11),  # answered, no queue, no agent
            events.call_record(12, agent_id="agent-9", hold_sec=7, wrapup_sec=3),  # agent, no queue
            events.call_record(13, queue_wait_sec=20, **queued),  # exactly 20 s: within
            events.call_record(14, queue_wait_sec=None, **queued),  # no wait recorded
            events.call_record(15, queue_wait_sec=21.5, queue_id="q1"),  # answered, no agent
            events.call_record(
                16, queue_id="q1", queue_wait_sec=44.0, answer_at=None, billsec=0
            ),  # abandoned: the longest wait
            events.call_record(17, queue_id="q2", queue_wait_sec=None, answer_at=None, billsec=0),
            events.call_record(18, direction="outbound", answer_at=None, billsec=0),
            events.call_record(
                19,
                start_at="2024-05-01T10:01:59.999999Z",
                answer_at="2024-05-01T10:02:05Z",
                end_at="2024-05-01T10:02:30Z",
                occurred_at="2024-05-01T10:02:30Z",
                queue_wait_sec=3.25,
                **queued,
            ),
        ],
    )


def test_deltas_match_the_hand_worked_minute(store: PostgresHotStore) -> None:
    store.insert("call", events.calls())  # no refresh: the rollups are exact at commit
    now = datetime(2024, 5, 1, 10, 4, tzinfo=UTC)
    assert store.live_call_stats("acme", minutes=5, now=now) == events.ACME_1000_CALL_STATS
    assert store.live_queue_stats("acme", minutes=5, now=now)[0] == events.ACME_1000_Q1_STATS


def test_deltas_equal_a_recompute_on_edge_cases(store: PostgresHotStore, plain_dsn: str) -> None:
    edge = _edge_calls()
    store.insert("call", edge.slice(0, 4))
    store.insert("call", edge.slice(4))  # adds to minutes the first batch created
    by_delta, recomputed = _recomputed(store, plain_dsn)
    assert by_delta == recomputed
    queue_q1 = [row for row in by_delta[1] if row[2] == "q1" and row[1].minute == 0]
    # q1 at 10:00: calls 13-16 -> offered 4, answered 3, abandoned 1, within 20 s 1 (13),
    # handled 2 (13, 14), handle 25 + 25 s, handled waits 20 + 0, longest wait 44 s (16).
    assert queue_q1 == [
        ("acme", datetime(2024, 5, 1, 10, 0, tzinfo=UTC), "q1", 4, 3, 1, 1, 2, 50, 20.0, 44.0)
    ]


def test_redelivery_and_repeats_in_a_batch_count_once(
    store: PostgresHotStore, plain_dsn: str
) -> None:
    edge = _edge_calls()
    assert store.insert("call", edge.slice(0, 5)) == 5
    # Rows 3-4 are stored already; row 6 comes twice in the same batch.
    again = pa.concat_tables([edge.slice(3), edge.slice(6, 1)])
    assert store.insert("call", again) == 4
    assert store.insert("call", edge) == 0  # the whole batch once more
    by_delta, recomputed = _recomputed(store, plain_dsn)
    assert by_delta == recomputed
    assert sum(row[4] for row in by_delta[0]) == edge.num_rows


def _simulated_calls(days: int = 1) -> pa.Table:
    result = simulate(
        SimulationConfig(
            days=days,
            tenants=2,
            seed=5,
            start=date(2024, 5, 1),
            scale=0.5,
            families=frozenset({"call"}),
        )
    )
    return result.tables["call"]


def test_deltas_equal_a_recompute_on_simulated_traffic(
    store: PostgresHotStore, plain_dsn: str
) -> None:
    calls = _simulated_calls()
    assert calls.num_rows > 1_000
    for offset in range(0, calls.num_rows, 700):  # batches cut across minutes and tenants
        store.insert("call", calls.slice(offset, 700))
    store.insert("call", calls.slice(300, 900))  # a redelivery overlapping two batches
    by_delta, recomputed = _recomputed(store, plain_dsn)
    _assert_same_rows(by_delta[0], recomputed[0])
    _assert_same_rows(by_delta[1], recomputed[1])
    assert sum(row[4] for row in by_delta[0]) == calls.num_rows
    assert any(row[3] is not None for row in by_delta[0])  # queued calls were simulated


def test_concurrent_writers_and_a_recompute_add_up(plain_dsn: str) -> None:
    calls = _simulated_calls()
    with PostgresHotStore(plain_dsn) as first:
        first.migrate()
    halves = [calls.slice(0, calls.num_rows // 2), calls.slice(calls.num_rows // 2)]
    errors: list[BaseException] = []

    def write(part: pa.Table, step: int) -> None:
        try:
            with PostgresHotStore(plain_dsn) as writer:
                # Interleaved small batches of the same minutes from two connections.
                for offset in range(0, part.num_rows, step):
                    writer.insert("call", part.slice(offset, step))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    def recompute() -> None:
        try:
            with PostgresHotStore(plain_dsn) as refresher:
                for _ in range(3):
                    refresher.refresh_rollups(EARLY)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(halves[0], 97)),
        threading.Thread(target=write, args=(halves[1], 89)),
        threading.Thread(target=recompute),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    with PostgresHotStore(plain_dsn) as store:
        by_delta, recomputed = _recomputed(store, plain_dsn)
    _assert_same_rows(by_delta[0], recomputed[0])
    _assert_same_rows(by_delta[1], recomputed[1])
    assert sum(row[4] for row in by_delta[0]) == calls.num_rows


def test_upgrade_to_deltas_recomputes_the_stored_minutes(plain_dsn: str) -> None:
    old_call = events.table(
        "call",
        [
            events.call_record(
                31,
                start_at="2024-05-01T10:01:00Z",
                answer_at=None,
                billsec=0,
                end_at="2024-05-01T10:01:20Z",
                occurred_at="2024-05-01T10:01:20Z",
            )
        ],
    )
    with PostgresHotStore(plain_dsn) as store:
        store.migrate()
        store.insert("call", old_call)
        # Back to the schema before migration 9: no rollup keys, no quality_only flag.
        store.conn.execute("drop index call_minute_rollup_key")
        store.conn.execute("drop index queue_minute_rollup_key")
        store.conn.execute("alter table rollup_dirty_ranges drop column quality_only")
        store.conn.execute("delete from schema_migrations where version = 9")
        # A stale row a refresh before the upgrade would have left (counts the call twice).
        store.conn.execute("insert into call_minute_rollup (select * from call_minute_rollup)")
        assert store.migrate() == [9]
        store.refresh_rollups()  # migration 9 emptied the rollups and queued every call
        store.insert("call", events.calls())  # deltas on top of the recomputed minutes
        stats = store.live_call_stats(
            "acme", minutes=5, now=datetime(2024, 5, 1, 10, 4, tzinfo=UTC)
        )
    # The hand-worked minute plus the unanswered call stored before the upgrade.
    assert stats.offered == events.ACME_1000_CALL_STATS.offered + 1
    assert stats.answered == events.ACME_1000_CALL_STATS.answered


def test_a_refresh_after_deltas_changes_nothing(store: PostgresHotStore, plain_dsn: str) -> None:
    store.insert("call", _edge_calls())
    before = _rows(plain_dsn, CALL_ROLLUP)
    store.refresh_rollups()  # the queued ranges redo the quality rollup only
    assert _rows(plain_dsn, CALL_ROLLUP) == before
    with psycopg.connect(plain_dsn) as conn:
        assert conn.execute("select count(*) from rollup_dirty_ranges").fetchone() == (0,)
    assert before[0][1] + timedelta(minutes=2) > before[-1][1]  # one or two minutes of rows


def test_a_rolled_back_first_insert_does_not_break_the_next(store: PostgresHotStore) -> None:
    # The delta temp tables are made in the insert's transaction; a rollback removes them.
    def insert_then_fail() -> None:
        with store.conn.transaction():
            store.insert("call", events.calls())
            raise RuntimeError("the caller's transaction fails after the insert")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    assert store.insert("call", events.calls()) == 6
    now = datetime(2024, 5, 1, 10, 4, tzinfo=UTC)
    assert store.live_call_stats("acme", minutes=5, now=now) == events.ACME_1000_CALL_STATS
