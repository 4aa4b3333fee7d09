"""WebSocket /v1/live/wallboard against a real PostgreSQL hot store: frames carry the same
hand-worked totals as the GET endpoints (data and working in live_hand_worked), keep
coming every interval, stay inside the key's tenant, and the connection is refused (closed with a
4xxx code) without a valid key. ``client`` and ``server_settings`` come from conftest. The
embedded profile's wallboard (from the lake) is tested in test_live_rollups_lake.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from config import Profile, Settings
from serving.app import create_app
from serving.auth import ApiKeyStore
from tests.serving_live.live_hand_worked import LIVE_CALLS_5

URL = "/v1/live/wallboard?minutes=5&interval_s=0.05"


def _key(settings: Settings, tenant: str) -> str:
    return ApiKeyStore(settings.auth_db_path).create(tenant)[1]


def test_frames_carry_the_hand_worked_window_and_keep_coming(
    client: TestClient, server_settings: Settings
) -> None:
    headers = {"X-API-Key": _key(server_settings, "acme")}
    with client.websocket_connect(URL, headers=headers) as socket:
        first = socket.receive_json()
        second = socket.receive_json()
    assert (first["type"], first["sequence"], second["sequence"]) == ("wallboard", 1, 2)
    assert first["calls"] == LIVE_CALLS_5
    carriers = first["quality"]["carriers"]
    assert [(c["carrier_id"], c["reports"]) for c in carriers] == [("carrier-a", 2), (None, 1)]
    assert carriers[0]["mean_jitter_ms"] == pytest.approx(15.0)
    # Same clock, same data: the frames agree with the GET endpoint, field for field.
    rest = client.get("/v1/live/calls?minutes=5", headers=headers).json()
    assert second["calls"] == rest


def test_a_browser_authenticates_with_a_first_message_and_sees_only_its_tenant(
    client: TestClient, server_settings: Settings
) -> None:
    with client.websocket_connect(URL) as socket:
        socket.send_json({"api_key": _key(server_settings, "globex")})
        frame = socket.receive_json()
    assert (frame["calls"]["offered"], frame["calls"]["total_billsec"]) == (1, 25)
    assert frame["quality"]["carriers"][0]["mean_jitter_ms"] == pytest.approx(100.0)


@pytest.mark.parametrize("message", [{"api_key": "irx_nope_nope"}, {"key": "x"}, "not json"])
def test_no_valid_key_closes_with_4401(client: TestClient, message: object) -> None:
    with client.websocket_connect(URL) as socket:
        if isinstance(message, dict):
            socket.send_json(message)
        else:
            socket.send_text(str(message))
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4401


def test_an_unmigrated_hot_store_is_pushed_as_a_problem_frame(
    settings: Settings, plain_dsn: str
) -> None:
    server = settings.model_copy(update={"profile": Profile.SERVER, "postgres_dsn": plain_dsn})
    with TestClient(create_app(server)) as live:
        headers = {"X-API-Key": _key(settings, "acme")}
        with live.websocket_connect(URL, headers=headers) as socket:
            first, second = socket.receive_json(), socket.receive_json()
    assert (first["type"], second["type"]) == ("problem", "problem")
    assert first["problem"]["status"] == 503
    assert first["problem"]["type"] == "urn:irisx:problem:hot-store-unavailable"
