"""JetStream transport against the real NATS server on 127.0.0.1:4222: publish dedupe, full
stream, the server-profile HTTP path, and the worker's ack / redelivery / dead-letter rules.
Every test uses its own stream prefix and subject root and deletes its streams afterwards."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import duckdb
import nats
import nats.js.errors
import orjson
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from config import Profile, Settings
from ingest import DeadLetterStore
from ingest.transport import (
    BatchMessage,
    BatchWorker,
    JetStreamConfig,
    TransportUnavailableError,
    publish_batch,
)
from serving.app import create_app
from serving.auth import ApiKeyStore
from tests.event_samples import call_record
from tests.stream_support import stream_messages, validated_batch
from warehouse import ParquetLake

# A worker run with ``once`` stops at its first empty fetch; a short timeout made a loaded
# machine (parallel test workers) end the run before the first message arrived.
FETCH_TIMEOUT_S = 1.0


def _stream_msgs(config: JetStreamConfig, family: str) -> int:
    return stream_messages(config, family)


def _batch(settings: Settings, events: list[dict[str, object]], batch_id: str) -> BatchMessage:
    return validated_batch(events, batch_id, settings.deadletter_dir)


class FlakySink:
    """Raises on its first ``failures`` writes, then writes to the real lake."""

    def __init__(self, lake: ParquetLake, failures: int) -> None:
        self.lake = lake
        self.failures = failures
        self.calls = 0

    def write_batch(self, family: str, table: pa.Table, batch_id: str) -> list[Path]:
        self.calls += 1
        if self.calls <= self.failures:
            raise OSError("disk unavailable")
        return self.lake.write_batch(family, table, batch_id)


def _worker(
    config: JetStreamConfig, settings: Settings, sink: object, max_deliver: int = 3
) -> BatchWorker:
    return BatchWorker(
        config,
        [sink],  # type: ignore[list-item]
        DeadLetterStore(settings.deadletter_dir),
        families=["call"],
        max_deliver=max_deliver,
        nak_delay_s=0.05,
    )


def test_same_batch_published_twice_is_stored_once(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    message = _batch(settings, [call_record(i) for i in range(4)], "batch-a")
    first = asyncio.run(publish_batch(js_config, message))
    second = asyncio.run(publish_batch(js_config, message))
    assert (first.duplicate, second.duplicate) == (False, True)
    assert second.seq == first.seq
    assert _stream_msgs(js_config, "call") == 1


def test_full_stream_refuses_new_batches(js_config: JetStreamConfig, settings: Settings) -> None:
    config = JetStreamConfig(
        stream_prefix=js_config.stream_prefix,
        subject_root=js_config.subject_root,
        max_bytes=js_config.max_bytes,
        max_msgs=1,
    )
    asyncio.run(publish_batch(config, _batch(settings, [call_record(1)], "b1")))
    with pytest.raises(TransportUnavailableError, match="not stored"):
        asyncio.run(publish_batch(config, _batch(settings, [call_record(2)], "b2")))
    assert _stream_msgs(config, "call") == 1


def test_nats_down_is_transport_unavailable(settings: Settings) -> None:
    config = JetStreamConfig(url="nats://127.0.0.1:1", connect_timeout_s=0.5)
    with pytest.raises(TransportUnavailableError, match="cannot reach NATS"):
        asyncio.run(publish_batch(config, _batch(settings, [call_record(1)], "b1")))


def _server_client(settings: Settings, config: JetStreamConfig) -> tuple[TestClient, str]:
    server = settings.model_copy(update={"profile": Profile.SERVER})
    app = create_app(server)
    app.state.jetstream = config
    return TestClient(app), ApiKeyStore(settings.auth_db_path).create("acme")[1]


def test_server_profile_publishes_then_worker_writes_the_lake(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    client, key = _server_client(settings, js_config)
    body = orjson.dumps([call_record(i) for i in range(3)] + [call_record(9, billsec=-1)])
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    with client:
        answer = client.post("/v1/events/call", content=body, headers=headers).json()
        retry = client.post("/v1/events/call", content=body, headers=headers).json()
    assert (answer["accepted"], answer["rejected"], answer["transport"]) == (3, 1, "jetstream")
    assert (retry["duplicate_batch"], answer["duplicate_batch"]) == (True, False)
    lake = ParquetLake(settings.lake_dir)
    assert lake.files("call") == []  # the API published; it did not write
    assert _stream_msgs(js_config, "call") == 1
    stats = asyncio.run(
        _worker(js_config, settings, lake).run(once=True, fetch_timeout_s=FETCH_TIMEOUT_S)
    )
    assert stats.acked == 1
    assert lake.row_count("call") == 3


def test_server_profile_answers_503_when_the_stream_is_full(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    config = JetStreamConfig(
        stream_prefix=js_config.stream_prefix,
        subject_root=js_config.subject_root,
        max_bytes=js_config.max_bytes,
        max_msgs=1,
    )
    client, key = _server_client(settings, config)
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    with client:
        ok = client.post("/v1/events/call", content=orjson.dumps([call_record(1)]), headers=headers)
        full = client.post(
            "/v1/events/call", content=orjson.dumps([call_record(2)]), headers=headers
        )
    assert ok.status_code == 200
    assert full.status_code == 503
    assert full.headers["Retry-After"] == "5"
    assert full.headers["content-type"] == "application/problem+json"
    assert "retry later" in full.json()["detail"]


def test_sink_failure_redelivers_and_nothing_is_lost(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    asyncio.run(publish_batch(js_config, _batch(settings, [call_record(i) for i in range(5)], "b")))
    lake = ParquetLake(settings.lake_dir)
    sink = FlakySink(lake, failures=2)
    stats = asyncio.run(
        _worker(js_config, settings, sink).run(once=True, fetch_timeout_s=FETCH_TIMEOUT_S)
    )
    assert (sink.calls, stats.redelivery_requested, stats.acked) == (3, 2, 1)
    assert lake.row_count("call") == 5
    assert DeadLetterStore(settings.deadletter_dir).count() == 0


def test_poison_batch_goes_to_dead_letters_after_max_deliver(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    asyncio.run(publish_batch(js_config, _batch(settings, [call_record(1)], "poison")))
    sink = FlakySink(ParquetLake(settings.lake_dir), failures=99)
    worker = _worker(js_config, settings, sink, max_deliver=2)
    stats = asyncio.run(worker.run(once=True, fetch_timeout_s=FETCH_TIMEOUT_S))
    assert (sink.calls, stats.dead_lettered, stats.acked) == (2, 1, 0)
    (letter,) = DeadLetterStore(settings.deadletter_dir).read()
    assert "OSError: disk unavailable (after 2 deliveries)" in letter.reason
    assert Path(letter.raw["kept_as"]).stat().st_size > 0  # the batch itself is kept


def test_replayed_events_count_once_downstream(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    events = [call_record(i) for i in range(7)]
    for replay in range(3):  # three different batches (e.g. a producer replay) of the same events
        asyncio.run(publish_batch(js_config, _batch(settings, events, f"replay-{replay}")))
    lake = ParquetLake(settings.lake_dir)
    asyncio.run(_worker(js_config, settings, lake).run(once=True, fetch_timeout_s=FETCH_TIMEOUT_S))
    glob = str(settings.lake_dir / "raw/call/month=*/*.parquet")
    with duckdb.connect() as con:
        counted = con.execute(
            f"select count(*), count(distinct event_id) from read_parquet('{glob}')"
        ).fetchone()
    assert counted == (21, 7)


def test_worker_command_drains_the_stream_into_the_lake(
    js_config: JetStreamConfig, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer
    from typer.testing import CliRunner

    from irisx.commands import worker

    asyncio.run(publish_batch(js_config, _batch(settings, [call_record(i) for i in range(2)], "c")))
    monkeypatch.setattr("config.get_settings", lambda: settings)
    app = typer.Typer()
    worker.register(app)
    app.command("noop")(lambda: None)  # two commands, so the name "worker" is required
    result = CliRunner().invoke(
        app,
        [
            "worker",
            "--once",
            "--max-bytes",
            str(js_config.max_bytes),
            "--fetch-timeout",
            str(FETCH_TIMEOUT_S),
            "--stream-prefix",
            js_config.stream_prefix,
            "--subject-root",
            js_config.subject_root,
        ],
    )
    assert result.exit_code == 0, repr(result.exception)
    assert "acked 1 batches" in result.output
    assert ParquetLake(settings.lake_dir).row_count("call") == 2


def test_undecodable_message_is_dead_lettered_at_once(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    async def publish_garbage() -> None:
        nc = await nats.connect(js_config.url)
        js = nc.jetstream()
        # The worker's first run below creates the stream; do it here so the publish lands.
        from ingest.transport import ensure_streams

        await ensure_streams(js, js_config, ("call",))
        await js.publish(
            f"{js_config.subject_root}.acme.call",
            b"not arrow",
            headers={"Irisx-Batch-Id": "../escape"},
        )
        await nc.close()

    asyncio.run(publish_garbage())
    sink = FlakySink(ParquetLake(settings.lake_dir), failures=0)
    stats = asyncio.run(
        _worker(js_config, settings, sink).run(once=True, fetch_timeout_s=FETCH_TIMEOUT_S)
    )
    assert (sink.calls, stats.dead_lettered) == (0, 1)
    (letter,) = DeadLetterStore(settings.deadletter_dir).read()
    assert letter.reason.startswith("undecodable batch: ")
    assert letter.batch_id == "seq1-deliveries1"  # the unsafe header id is not used as a name
    assert _stream_msgs(js_config, "call") == 1  # terminated, not deleted: still auditable


class ThreadRecordingSink:
    """Writes to the real lake and notes the thread of each call."""

    def __init__(self, lake: ParquetLake) -> None:
        self.lake = lake
        self.threads: list[int] = []

    def write_batch(self, family: str, table: pa.Table, batch_id: str) -> list[Path]:
        self.threads.append(threading.get_ident())
        return self.lake.write_batch(family, table, batch_id)


def test_each_worker_runs_its_sink_calls_on_one_thread_of_its_own(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    # As in ``irisx worker``: two consumers (one per store) in one process, writing at once.
    for number in range(6):
        events = [call_record(10 * number + i) for i in range(3)]
        asyncio.run(publish_batch(js_config, _batch(settings, events, f"t{number}")))
    sinks = [ThreadRecordingSink(ParquetLake(settings.data_dir / f"lake-{n}")) for n in (1, 2)]
    workers = [
        BatchWorker(
            js_config,
            [sink],  # type: ignore[list-item]
            DeadLetterStore(settings.deadletter_dir),
            durable=f"threads-{n}",
            families=["call"],
            fetch_batch=1,  # a write per message: six writes each
        )
        for n, sink in enumerate(sinks)
    ]

    async def both() -> list[object]:
        return await asyncio.gather(
            *(worker.run(once=True, fetch_timeout_s=FETCH_TIMEOUT_S) for worker in workers)
        )

    asyncio.run(both())
    for sink in sinks:
        assert sink.lake.row_count("call") == 18
        assert len(sink.threads) == 6
        assert len(set(sink.threads)) == 1  # the same thread every time...
    # ...a different one per worker, never the event loop's.
    assert sinks[0].threads[0] != sinks[1].threads[0]
    assert threading.get_ident() not in sinks[0].threads + sinks[1].threads
