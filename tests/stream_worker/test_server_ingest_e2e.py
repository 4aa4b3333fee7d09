"""HTTP → JetStream → stores in the server profile (real NATS, PostgreSQL, chDB): a store that
is down turns into 503 at the edge while its backlog grows, recovery drains it, and malformed
input is refused whole or event by event without writing or losing anything."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Iterator

import nats
import nats.js.errors
import orjson
import psycopg
import pytest
from fastapi.testclient import TestClient

from config import Profile, Settings
from ingest import DeadLetterStore
from ingest.transport import BatchWorker, JetStreamConfig, decode_batch, stream_name
from serving.app import create_app
from serving.auth import ApiKeyStore
from tests.event_samples import call_record, recent_call_timeline
from tests.stream_support import consumer_backlog
from warehouse.hotstore import PostgresHotStore
from warehouse.sinks import HotStoreSink

BACKLOG_CACHE_S = 1.1  # the publisher caches consumer backlogs for one second


@pytest.fixture
def server(settings: Settings, js_config: JetStreamConfig) -> Iterator[tuple[TestClient, dict]]:
    server_settings = settings.model_copy(
        update={"profile": Profile.SERVER, "max_backlog_batches": 2}
    )
    app = create_app(server_settings)
    app.state.jetstream = js_config
    key = ApiKeyStore(settings.auth_db_path).create("acme")[1]
    with TestClient(app) as client:
        yield client, {"X-API-Key": key, "Content-Type": "application/json"}


def _post(client: TestClient, headers: dict, body: bytes, **extra: str):
    return client.post("/v1/events/call", content=body, headers={**headers, **extra})


def _drain(config: JetStreamConfig, settings: Settings, dsn: str) -> tuple[int, int]:
    sink = HotStoreSink(PostgresHotStore(dsn, connect_timeout_s=2))
    worker = BatchWorker(
        config,
        [sink],
        DeadLetterStore(settings.deadletter_dir),
        durable="irisx-postgres",
        families=["call"],
    )
    stats = asyncio.run(worker.run(once=True, fetch_timeout_s=1.0))
    sink.close()
    return stats.acked, stats.outages


def test_store_down_degrades_ingest_to_503_and_recovery_drains(
    server: tuple[TestClient, dict],
    js_config: JetStreamConfig,
    settings: Settings,
    plain_dsn: str,
) -> None:
    client, headers = server
    recent = recent_call_timeline()  # inside the hot store's retention
    for index in range(3):
        body = orjson.dumps([call_record(index, **recent)])
        assert _post(client, headers, body).status_code == 200
    # The hot store is down (nothing listens on port 9): the worker keeps everything queued.
    acked, outages = _drain(js_config, settings, "host=127.0.0.1 port=9 user=postgres")
    assert (acked, outages) == (0, 1)
    assert consumer_backlog(js_config, "call", "irisx-postgres") == 3
    time.sleep(BACKLOG_CACHE_S)
    refused_body = orjson.dumps([call_record(3, **recent)])
    refused = _post(client, headers, refused_body)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"].isdigit()
    assert refused.headers["content-type"] == "application/problem+json"
    assert "irisx-postgres" in refused.json()["detail"]

    # The store is back: the backlog drains and ingest accepts again.
    assert _drain(js_config, settings, plain_dsn) == (3, 0)
    time.sleep(BACKLOG_CACHE_S)
    assert _post(client, headers, refused_body).status_code == 200  # the client's retry
    assert _drain(js_config, settings, plain_dsn) == (1, 0)
    with psycopg.connect(plain_dsn) as conn:
        assert conn.execute("select count(*) from calls").fetchone() == (4,)


def _stream_contents(config: JetStreamConfig) -> list[list[str]]:
    """event_ids of each message in the call stream ([] when the stream was never created)."""

    async def read() -> list[list[str]]:
        nc = await nats.connect(config.url)
        js = nc.jetstream()
        try:
            info = await js.stream_info(stream_name(config, "call"))
        except nats.js.errors.NotFoundError:
            await nc.close()
            return []
        batches = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(stream_name(config, "call"), seq)
            batches.append(decode_batch(message.data).column("event_id").to_pylist())
        await nc.close()
        return batches

    return asyncio.run(read())


@pytest.mark.parametrize(
    ("path", "body", "extra", "status"),
    [
        ("/v1/events/call", b'[{"event_id": "call-1", "tenant_id": "ac', {}, 400),  # truncated
        ("/v1/events/call", b'"text"', {}, 400),  # not an array or object
        ("/v1/events/calls", orjson.dumps([call_record(1)]), {}, 404),  # unknown family
        ("/v1/events/call", b"[" + b" " * (10 * 1024 * 1024) + b"]", {}, 413),  # > 10 MB
        ("/v1/events/call", b"\x1f\x8b\x08garbage", {"Content-Encoding": "gzip"}, 400),
    ],
)
def test_malformed_requests_are_problems_and_publish_nothing(
    server: tuple[TestClient, dict],
    js_config: JetStreamConfig,
    path: str,
    body: bytes,
    extra: dict[str, str],
    status: int,
) -> None:
    client, headers = server
    response = client.post(path, content=body, headers={**headers, **extra})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert _stream_contents(js_config) == []


def test_bad_events_do_not_cost_the_valid_ones_of_their_batch(
    server: tuple[TestClient, dict], js_config: JetStreamConfig, settings: Settings
) -> None:
    client, headers = server
    lines = [
        orjson.dumps(call_record(1)),
        orjson.dumps(call_record(2, billsec="long")),  # wrong type
        orjson.dumps(call_record(3, tenant_id="globex")),  # another tenant's event
        orjson.dumps(call_record(4, direction="sideways")),  # not in the enum
        b'{"event_id": "call-000005", "tenant_id": "ac',  # truncated line
        orjson.dumps(call_record(6)),
    ]
    response = _post(
        client,
        headers,
        gzip.compress(b"\n".join(lines)),
        **{"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["accepted"], answer["rejected"], answer["transport"]) == (2, 4, "jetstream")
    reasons = {item["index"]: item["reason"] for item in answer["rejections"]}
    assert sorted(reasons) == [2, 3, 4, 5]  # NDJSON positions are 1-based lines
    assert reasons[2].startswith("billsec")
    assert "not the API key's tenant" in reasons[3]
    assert reasons[4].startswith("direction")
    assert "invalid JSON" in reasons[5]
    assert _stream_contents(js_config) == [["call-000001", "call-000006"]]
    assert DeadLetterStore(settings.deadletter_dir).count() == 4  # rejects kept with reasons
