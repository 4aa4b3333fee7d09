"""Reliability of the server-profile path against the real NATS, chDB and PostgreSQL: replays
count once in every mart input, and a worker killed with SIGKILL loses and duplicates nothing."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import clickhouse_connect
import nats.js.errors
import psycopg
import pyarrow as pa
import pytest

from config import Settings
from ingest import DeadLetterStore
from ingest.transport import BatchMessage, BatchWorker, JetStreamConfig, publish_batch
from pipelines.dbt_cli import run_dbt
from tests.event_samples import call_record, recent_call_timeline
from tests.stream_support import consumer_backlog, validated_batch
from warehouse.hotstore import PostgresHotStore
from warehouse.landing import LandingLog
from warehouse.sinks import ClickHouseWarehouseSink, HotStoreSink

DURABLES = ("irisx-clickhouse", "irisx-postgres")


def _calls(count: int, settings: Settings) -> pa.Table:
    """``count`` answered calls of the last hour: inside the hot store's retention, which the
    worker enforces (a worker dropping 2024's partitions at start-up is right, not a loss)."""
    timeline = recent_call_timeline()
    return validated_batch(
        [call_record(index, **timeline) for index in range(count)], "all", settings.deadletter_dir
    ).table


def _publish_slices(config: JetStreamConfig, table: pa.Table, size: int, tag: str) -> int:
    """Publish ``table`` in messages of ``size`` rows; returns how many the stream stored."""

    async def publish_all() -> int:
        stored = 0
        for offset in range(0, table.num_rows, size):
            message = BatchMessage("call", "acme", f"{tag}-{offset}", table.slice(offset, size))
            ack = await publish_batch(config, message)
            stored += not ack.duplicate
        return stored

    return asyncio.run(publish_all())


def _warehouse_counts(settings: Settings) -> tuple[int, int, int]:
    """(rows as stored, rows in a FINAL read, distinct event ids) of the raw call table."""
    client = clickhouse_connect.get_client(dsn=settings.warehouse_dsn)
    try:
        return (
            int(client.command("select count() from irisx_raw.call")),  # type: ignore[arg-type]
            int(client.command("select count() from irisx_raw.call final")),  # type: ignore[arg-type]
            int(client.command("select uniqExact(event_id) from irisx_raw.call")),  # type: ignore[arg-type]
        )
    finally:
        client.close()


def test_three_replays_of_100k_events_count_once_in_every_mart_input(
    js_config: JetStreamConfig, settings: Settings, plain_dsn: str
) -> None:
    events = _calls(100_000, settings)
    # The producer sends everything twice in the same batches (a retried publish: the stream's
    # Nats-Msg-Id dedupe stores each once), then a third time cut differently (new batch ids:
    # only per-event dedupe downstream can catch it).
    assert _publish_slices(js_config, events, 1_000, "first") == 100
    assert _publish_slices(js_config, events, 1_000, "first") == 0
    assert _publish_slices(js_config, events, 2_500, "third") == 40

    warehouse = ClickHouseWarehouseSink(
        settings.warehouse_dsn, landing=LandingLog(settings.landing_dir)
    )
    hot = HotStoreSink(PostgresHotStore(plain_dsn))
    for sink, durable in ((warehouse, "r-ch"), (hot, "r-pg")):
        worker = BatchWorker(
            js_config,
            [sink],
            DeadLetterStore(settings.deadletter_dir),
            durable=durable,
            families=["call"],
            fetch_batch=16,
        )
        stats = asyncio.run(worker.run(once=True, fetch_timeout_s=2.0))
        assert (stats.acked, stats.events_acked, stats.dead_lettered) == (140, 200_000, 0)
        sink.close()  # type: ignore[attr-defined]

    with psycopg.connect(plain_dsn) as conn:
        assert conn.execute("select count(*), count(distinct event_id) from calls").fetchone() == (
            100_000,
            100_000,
        )
        # The rollup the wallboard reads counts each call once too.
        assert conn.execute("select sum(offered) from call_minute_rollup").fetchone() == (100_000,)
    stored, final, distinct = _warehouse_counts(settings)
    assert stored >= 100_000  # duplicates may wait for a merge in the raw table...
    assert (final, distinct) == (100_000, 100_000)  # ...but never reach a reader

    # The mart input on the ClickHouse target: the staging model dedupes on event_id.
    result = run_dbt(
        ["run", "--target", "clickhouse", "--select", "stg_irisx__calls"],
        settings,
        target_path=settings.data_dir / "dbt-target",
    )
    assert result.returncode == 0, result.stdout[-2000:]
    client = clickhouse_connect.get_client(dsn=settings.warehouse_dsn)
    try:
        assert client.command("select count() from irisx.stg_irisx__calls") == 100_000
    finally:
        client.close()


def _worker_process(
    settings: Settings, config: JetStreamConfig, dsn: str, *, once: bool, one_per_pull: bool = True
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        IRISX_PROFILE="server",
        IRISX_DATA_DIR=str(settings.data_dir),
        IRISX_POSTGRES_DSN=dsn,
        IRISX_NATS_URL=config.url,
    )
    command = [
        str(Path(sys.executable).parent / "irisx"),
        "worker",
        "--stream-prefix",
        config.stream_prefix,
        "--subject-root",
        config.subject_root,
        "--max-bytes",
        str(config.max_bytes),
        "--fetch-timeout",
        "2",
        "--ack-wait",
        "2",  # batches the killed worker held come back quickly
    ]
    if one_per_pull:  # every batch acked on its own: kills land between many acks
        command += ["--fetch-batch", "1", "--warehouse-fetch-batch", "1"]
    if once:
        command.append("--once")
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _backlog_or_none(config: JetStreamConfig) -> int | None:
    """Batches the hot store's consumer has not acked (None before the worker created it)."""
    try:
        return consumer_backlog(config, "call", "irisx-postgres")
    except nats.js.errors.NotFoundError:
        return None


def test_sigkill_during_20_batches_loses_and_duplicates_nothing(
    js_config: JetStreamConfig, settings: Settings, plain_dsn: str
) -> None:
    seed = random.randrange(1_000_000)
    chooser = random.Random(seed)
    events = _calls(40_000, settings)
    assert _publish_slices(js_config, events, 2_000, "crash") == 20

    mid_stream_kills = kills = 0
    # Three kills, more while none has landed mid-stream (a slow start under load can put a
    # kill before the first ack); the short random delay keeps kills inside the 20 batches.
    while kills < 3 or (not mid_stream_kills and kills < 6):
        worker = _worker_process(settings, js_config, plain_dsn, once=False)
        # Kill at a random point once this run has made progress (or a while after start).
        before = _backlog_or_none(js_config)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _backlog_or_none(js_config) == before:
            time.sleep(0.05)
        time.sleep(chooser.uniform(0.0, 0.2))
        backlog = _backlog_or_none(js_config)
        if worker.poll() is not None:  # a bug: show why it stopped
            output = worker.stdout.read().decode() if worker.stdout else ""
            pytest.fail(f"seed {seed}: the worker exited on its own:\n{output[-4000:]}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        kills += 1
        mid_stream_kills += backlog is not None and 0 < backlog < 20
    assert mid_stream_kills >= 1, f"seed {seed}: no kill landed while batches were in flight"

    final_run = _worker_process(settings, js_config, plain_dsn, once=False)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and any(
        consumer_backlog(js_config, "call", durable) for durable in DURABLES
    ):
        time.sleep(0.2)
    final_run.send_signal(signal.SIGTERM)  # a graceful stop: what a service manager sends
    output, _ = final_run.communicate(timeout=60)
    assert final_run.returncode == 0, f"seed {seed}: {output.decode()[-2000:]}"

    for durable in DURABLES:
        assert consumer_backlog(js_config, "call", durable) == 0, f"seed {seed}"
    with psycopg.connect(plain_dsn) as conn:
        assert conn.execute("select count(*), count(distinct event_id) from calls").fetchone() == (
            40_000,
            40_000,
        ), f"seed {seed}"
    assert _warehouse_counts(settings)[1:] == (40_000, 40_000), f"seed {seed}"
    assert DeadLetterStore(settings.deadletter_dir).count() == 0


def test_worker_cli_pulls_more_per_insert_for_the_warehouse_than_the_hot_store(
    js_config: JetStreamConfig, settings: Settings, plain_dsn: str
) -> None:
    assert _publish_slices(js_config, _calls(2_000, settings), 50, "pulls") == 40
    worker = _worker_process(settings, js_config, plain_dsn, once=True, one_per_pull=False)
    output, _ = worker.communicate(timeout=120)
    text = output.decode()
    assert worker.returncode == 0, text[-2000:]
    writes = {
        store: int(match)
        for store, match in re.findall(
            r"^(\w+): acked 40 batches \(2000 events in (\d+) writes\)", text, re.M
        )
    }
    # Defaults: the hot store takes at most 16 batches a pull (3 writes at least), ClickHouse
    # up to 64 (the 40 waiting batches in one write, two if its first pull got only some).
    assert set(writes) == {"clickhouse", "postgres"}, text[-2000:]
    assert writes["postgres"] >= 3
    assert writes["clickhouse"] <= 2


@pytest.mark.parametrize("store", ["clickhouse", "postgres"])
def test_worker_cli_stores_follow_the_profile(store: str, settings: Settings) -> None:
    from irisx.commands.worker import Store, build_sink, default_stores
    from warehouse.sinks import ClickHouseWarehouseSink as WarehouseSink

    server = Settings(data_dir=settings.data_dir, profile="server")  # type: ignore[arg-type]
    assert default_stores(server) == [Store.CLICKHOUSE, Store.POSTGRES]
    assert default_stores(settings) == [Store.LAKE]
    sink = build_sink(Store(store), server)
    expected = WarehouseSink if store == "clickhouse" else HotStoreSink
    assert isinstance(sink, expected)
