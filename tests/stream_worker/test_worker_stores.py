"""The stream worker on its server-profile stores (real NATS, chDB, PostgreSQL): combined
writes, landing log, rollups, store outages and the chDB folder handoff."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, date, datetime

import psycopg
import pytest

from config import Settings
from ingest import DeadLetterStore
from ingest.transport import BatchWorker, JetStreamConfig, publish_batch
from tests.event_samples import agent_record, call_record
from tests.stream_support import consumer_backlog, stream_messages, validated_batch
from warehouse.clickhouse.handoff import chdb_folder_requested
from warehouse.hotstore import PostgresHotStore
from warehouse.landing import LandingLog
from warehouse.sinks import ClickHouseWarehouseSink, HotStoreSink

FETCH_TIMEOUT_S = 1.0


def _publish(config: JetStreamConfig, settings: Settings, batches: list[list[dict]]) -> None:
    async def publish_all() -> None:
        for number, events in enumerate(batches):
            await publish_batch(
                config, validated_batch(events, f"b{number}", settings.deadletter_dir)
            )

    asyncio.run(publish_all())


def _worker(
    config: JetStreamConfig, settings: Settings, sink: object, durable: str, **options: object
) -> BatchWorker:
    return BatchWorker(
        config,
        [sink],  # type: ignore[list-item]
        DeadLetterStore(settings.deadletter_dir),
        durable=durable,
        families=["call"],
        nak_delay_s=0.05,
        **options,  # type: ignore[arg-type]
    )


def test_fetched_batches_are_written_as_one_insert_per_store(
    js_config: JetStreamConfig,
    settings: Settings,
    warehouse_sink: ClickHouseWarehouseSink,
    hot_sink: HotStoreSink,
) -> None:
    # 5 batches of 4 calls; the second day's calls start 2024-05-02 23:59:50 and end after midnight.
    batches = [[call_record(b * 4 + i) for i in range(4)] for b in range(4)]
    batches.append(
        [
            call_record(
                100 + i,
                start_at="2024-05-02T23:59:50Z",
                answer_at="2024-05-02T23:59:55Z",
                end_at="2024-05-03T00:00:20Z",
                occurred_at="2024-05-03T00:00:20Z",
            )
            for i in range(4)
        ]
    )
    _publish(js_config, settings, batches)
    for sink, durable in ((warehouse_sink, "w-ch"), (hot_sink, "w-pg")):
        worker = _worker(js_config, settings, sink, durable, fetch_batch=16)
        stats = asyncio.run(worker.run(once=True, fetch_timeout_s=FETCH_TIMEOUT_S))
        assert (stats.acked, stats.events_acked) == (5, 20)
        assert stats.writes <= 2  # one combined write (two if the first pull got one message)
        assert consumer_backlog(js_config, "call", durable) == 0

    assert warehouse_sink.store.stored_rows("call") == 20
    landed = LandingLog(settings.landing_dir).read_since(None, settle_s=0)
    # start_at days and occurred_at days are both "touched"
    assert landed.days_by_family == {"call": {date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)}}

    store = hot_sink.store
    assert store.conn.execute("select count(*) from calls").fetchone() == (20,)
    # Rollups refreshed by the sink: 16 answered calls started 2024-05-01 10:00.
    stats_10h = store.live_call_stats(
        "acme", minutes=5, now=datetime(2024, 5, 1, 10, 3, tzinfo=UTC)
    )
    assert (stats_10h.offered, stats_10h.answered, stats_10h.billsec) == (16, 16, 16 * 25)


def test_hot_store_keeps_only_its_families(
    js_config: JetStreamConfig, settings: Settings, hot_sink: HotStoreSink
) -> None:
    asyncio.run(
        publish_batch(
            js_config,
            validated_batch(
                [agent_record(i) for i in range(3)], "a", settings.deadletter_dir, family="agent"
            ),
        )
    )
    worker = BatchWorker(
        js_config,
        [hot_sink],
        DeadLetterStore(settings.deadletter_dir),
        durable="w-pg",
        families=["agent", "billing"],
    )
    stats = asyncio.run(worker.run(once=True, fetch_timeout_s=FETCH_TIMEOUT_S))
    assert stats.acked == 1
    assert hot_sink.store.conn.execute("select count(*) from agent_states").fetchone() == (3,)


def test_store_outage_keeps_batches_in_the_stream_then_drains(
    js_config: JetStreamConfig, settings: Settings, plain_dsn: str
) -> None:
    _publish(js_config, settings, [[call_record(b * 10 + i) for i in range(10)] for b in range(3)])
    # Nothing listens on port 9: the store is "down".
    down = HotStoreSink(PostgresHotStore("host=127.0.0.1 port=9 user=postgres connect_timeout=2"))
    stats = asyncio.run(
        _worker(js_config, settings, down, "w-pg", max_deliver=1).run(
            once=True, fetch_timeout_s=FETCH_TIMEOUT_S
        )
    )
    # max_deliver=1 would dead-letter any *data* error at once: an outage must not.
    assert (stats.acked, stats.dead_lettered, stats.outages) == (0, 0, 1)
    assert DeadLetterStore(settings.deadletter_dir).count() == 0
    assert stream_messages(js_config, "call") == 3
    assert consumer_backlog(js_config, "call", "w-pg") == 3

    up = HotStoreSink(PostgresHotStore(plain_dsn))
    time.sleep(0.6)  # the naks asked for a short delay before redelivery
    stats = asyncio.run(
        _worker(js_config, settings, up, "w-pg", max_deliver=1).run(
            once=True, fetch_timeout_s=FETCH_TIMEOUT_S
        )
    )
    assert (stats.acked, stats.events_acked, stats.dead_lettered) == (3, 30, 0)
    assert consumer_backlog(js_config, "call", "w-pg") == 0
    with psycopg.connect(plain_dsn) as conn:
        assert conn.execute("select count(*) from calls").fetchone() == (30,)
    up.close()


def test_bad_batch_in_a_fetch_is_isolated_and_the_rest_is_written(
    js_config: JetStreamConfig, settings: Settings, warehouse_sink: ClickHouseWarehouseSink
) -> None:
    good = [[call_record(b * 3 + i) for i in range(3)] for b in range(3)]
    _publish(js_config, settings, good)

    # A batch whose table is not in the contract schema (a column dropped): the store refuses
    # it, and the combined write falls back to one write per message.
    async def publish_bad() -> None:
        message = validated_batch([call_record(99)], "bad", settings.deadletter_dir)
        broken = message.table.drop_columns(["codec"])
        await publish_batch(js_config, message.__class__("call", "acme", "bad", broken))

    asyncio.run(publish_bad())
    worker = _worker(js_config, settings, warehouse_sink, "w-ch", max_deliver=1, fetch_batch=16)
    stats = asyncio.run(worker.run(once=True, fetch_timeout_s=FETCH_TIMEOUT_S))
    assert (stats.acked, stats.events_acked, stats.dead_lettered) == (3, 9, 1)
    (letter,) = DeadLetterStore(settings.deadletter_dir).read()
    assert "columns differ from the contract" in letter.reason
    assert warehouse_sink.store.stored_rows("call") == 9


def test_worker_lends_the_chdb_folder_to_a_requesting_process(
    settings: Settings, warehouse_sink: ClickHouseWarehouseSink
) -> None:
    warehouse_sink.store  # noqa: B018 - open the folder (holds chDB's lock)
    script = textwrap.dedent(
        f"""
        import time, clickhouse_connect
        for attempt in range(100):
            try:
                client = clickhouse_connect.get_client(dsn={settings.warehouse_dsn!r})
                break
            except Exception:
                time.sleep(0.1)
        else:
            raise SystemExit("never got the folder")
        print(client.command("select count() from irisx_raw.call"))
        client.close()
        """
    )
    stop = threading.Event()

    def worker_loop() -> None:  # what the worker does before each fetch
        while not stop.is_set():
            warehouse_sink.between_batches()
            time.sleep(0.05)

    loop = threading.Thread(target=worker_loop)
    loop.start()
    try:
        with chdb_folder_requested(settings.chdb_dir) as request:
            child = subprocess.Popen(
                [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            request.write_text(str(child.pid))  # the request lives as long as the child
            out, err = child.communicate(timeout=60)
    finally:
        stop.set()
        loop.join(timeout=30)
    assert not loop.is_alive()  # the worker took its folder back once the request was gone
    assert child.returncode == 0, err.decode()[-500:]
    assert out.decode().strip() == "0"
    # The worker has its folder back: a write after the handoff works.
    warehouse_sink.write_batch(
        "call", validated_batch([call_record(1)], "x", settings.deadletter_dir).table, "x"
    )
    assert warehouse_sink.store.stored_rows("call") == 1


@pytest.mark.parametrize("count", [0, 2])
def test_request_of_a_dead_process_is_ignored(settings: Settings, count: int) -> None:
    from warehouse.clickhouse.handoff import FolderYield, live_requests, requests_dir

    folder = requests_dir(settings.chdb_dir)
    folder.mkdir(parents=True)
    for number in range(count):
        (folder / f"dead-{number}").write_text("999999999")  # no such pid
    assert live_requests(settings.chdb_dir) == []
    assert not FolderYield(settings.chdb_dir).should_yield()
    assert list(folder.iterdir()) == []  # stale requests are cleaned up
