"""The API's shared JetStream publisher: one connection for many requests, fast 503 while NATS is
away and reconnection after it, and backpressure on consumer lag. Real NATS: the shared server at
127.0.0.1:4222 (own stream names per test) and, for stop/restart, a private nats-server."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from pathlib import Path

import nats
import orjson
import pytest
from fastapi.testclient import TestClient

from config import Profile, Settings
from ingest.transport import JetStreamConfig, JetStreamPublisher, ensure_streams, stream_name
from serving.app import create_app
from serving.auth import ApiKeyStore
from tests.event_samples import call_record
from tests.stream_support import stream_messages

CACHE_S = 1.0  # the publisher's default backlog cache


def _server_app(
    settings: Settings, config: JetStreamConfig, max_backlog_batches: int = 2_000
) -> tuple[TestClient, dict[str, str]]:
    server = settings.model_copy(
        update={"profile": Profile.SERVER, "max_backlog_batches": max_backlog_batches}
    )
    app = create_app(server)
    app.state.jetstream = config
    key = ApiKeyStore(settings.auth_db_path).create("acme")[1]
    return TestClient(app), {"X-API-Key": key, "Content-Type": "application/json"}


def _publisher(client: TestClient) -> JetStreamPublisher:
    publisher = client.app.state.publisher  # type: ignore[attr-defined]
    assert isinstance(publisher, JetStreamPublisher)
    return publisher


def _post(client: TestClient, headers: dict[str, str], index: int) -> int:
    body = orjson.dumps([call_record(index)])
    return client.post("/v1/events/call", content=body, headers=headers).status_code


def test_fifty_requests_share_one_connection(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    client, headers = _server_app(settings, js_config)
    with client:
        statuses = [_post(client, headers, index) for index in range(50)]
        stats = _publisher(client).stats
        assert (stats.connects, stats.published) == (1, 50)
        # The stream was looked up once, and the consumer list at most once per second.
        assert stats.backlog_checks < 50
    assert statuses == [200] * 50
    assert stream_messages(js_config, "call") == 50
    assert client.app.state.publisher is None  # type: ignore[attr-defined]  # closed on shutdown


def test_unreachable_nats_is_a_fast_503(settings: Settings) -> None:
    config = JetStreamConfig(url="nats://127.0.0.1:1", connect_timeout_s=0.5)
    client, headers = _server_app(settings, config)
    with client:
        started = time.monotonic()
        first = client.post(
            "/v1/events/call", content=orjson.dumps([call_record(1)]), headers=headers
        )
        second_status = _post(client, headers, 2)
        elapsed = time.monotonic() - started
        # The second request did not try again: the failure of a moment ago answered it.
        assert _publisher(client).stats.connect_failures == 1
    assert (first.status_code, second_status) == (503, 503)
    assert elapsed < 3.0
    assert first.headers["Retry-After"] == "5"
    assert first.headers["content-type"] == "application/problem+json"
    problem = first.json()
    assert problem["type"] == "urn:irisx:problem:ingest-unavailable"
    assert "cannot reach NATS at nats://127.0.0.1:1" in problem["detail"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_nats(port: int, store: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    process.kill()
    pytest.fail("private nats-server did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def private_nats(tmp_path: Path) -> tuple[int, Path]:
    """A free port and a store folder for a nats-server this test starts and stops itself."""
    if shutil.which("nats-server") is None:
        pytest.skip("nats-server is not installed")
    return _free_port(), tmp_path / "jetstream"


def test_nats_restart_503_then_reconnects(
    private_nats: tuple[int, Path], settings: Settings
) -> None:
    port, store = private_nats
    config = JetStreamConfig(
        url=f"nats://127.0.0.1:{port}", connect_timeout_s=0.5, max_bytes=16 * 1024**2
    )
    client, headers = _server_app(settings, config)
    server = _start_nats(port, store)
    try:
        with client:
            assert _post(client, headers, 1) == 200
            _stop(server)
            started = time.monotonic()
            down = [_post(client, headers, 2) for _ in range(3)]
            assert time.monotonic() - started < 5.0
            assert down == [503, 503, 503]
            server = _start_nats(port, store)
            time.sleep(1.1)  # past the publisher's reconnect pause
            assert _post(client, headers, 2) == 200
            stats = _publisher(client).stats
            assert (stats.connects, stats.published) == (2, 2)
        assert stream_messages(config, "call") == 2  # the file store kept the first batch
    finally:
        _stop(server)


async def _drain(config: JetStreamConfig, durable: str, count: int) -> None:
    nc = await nats.connect(config.url)
    subscription = await nc.jetstream().pull_subscribe(
        f"{config.subject_root}.*.call", durable=durable, stream=stream_name(config, "call")
    )
    for message in await subscription.fetch(count, timeout=5):
        await message.ack_sync()
    await nc.close()


async def _create_consumers(config: JetStreamConfig, *durables: str) -> None:
    nc = await nats.connect(config.url)
    js = nc.jetstream()
    await ensure_streams(js, config, ("call",))
    for durable in durables:
        await js.pull_subscribe(
            f"{config.subject_root}.*.call", durable=durable, stream=stream_name(config, "call")
        )
    await nc.close()


def test_lagging_consumer_gets_503_naming_it_until_it_catches_up(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    asyncio.run(_create_consumers(js_config, "irisx-clickhouse", "irisx-postgres"))
    client, headers = _server_app(settings, js_config, max_backlog_batches=2)
    stream = stream_name(js_config, "call")
    with client:
        assert [_post(client, headers, index) for index in range(3)] == [200, 200, 200]
        asyncio.run(_drain(js_config, "irisx-clickhouse", 3))  # caught up; postgres is 3 behind
        time.sleep(CACHE_S + 0.1)
        refused = client.post(
            "/v1/events/call", content=orjson.dumps([call_record(3)]), headers=headers
        )
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        problem = refused.json()
        assert problem["type"] == "urn:irisx:problem:ingest-backpressure"
        assert problem["detail"] == (
            "events not accepted, retry later: consumer 'irisx-postgres' of stream"
            f" {stream} is 3 batches behind (limit 2)"
        )
        assert stream_messages(js_config, "call") == 3  # nothing was published
        asyncio.run(_drain(js_config, "irisx-postgres", 3))
        time.sleep(CACHE_S + 0.1)
        assert _post(client, headers, 3) == 200
        assert _publisher(client).stats.refused_backlog == 1
    assert stream_messages(js_config, "call") == 4


def test_zero_limit_turns_the_backlog_check_off(
    js_config: JetStreamConfig, settings: Settings
) -> None:
    asyncio.run(_create_consumers(js_config, "irisx-postgres"))
    client, headers = _server_app(settings, js_config, max_backlog_batches=0)
    with client:
        assert [_post(client, headers, index) for index in range(3)] == [200, 200, 200]
        assert _publisher(client).stats.backlog_checks == 0
