"""GET /v1/live/calls and /v1/live/quality against a real PostgreSQL hot store (one database per
test), with the request clock pinned so that the window is exact: the hand-worked events and
figures of live_hand_worked (its docstring has the working); ``client`` and ``server_settings``
come from conftest.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from config import Profile, Settings
from serving.app import create_app
from tests.api_support import api_key
from tests.serving_live.live_hand_worked import LIVE_CALLS_5


def test_live_calls_are_the_hand_worked_totals_of_the_window(
    client: TestClient, server_settings: Settings
) -> None:
    response = client.get("/v1/live/calls?minutes=5", headers=api_key(server_settings, "acme"))
    assert response.status_code == 200, response.text
    assert response.json() == LIVE_CALLS_5
    wider = client.get("/v1/live/calls?minutes=6", headers=api_key(server_settings, "acme")).json()
    assert (wider["window_start"], wider["offered"], wider["answered"]) == (
        "2024-05-01T10:00:00Z",
        4,
        3,
    )


def test_live_calls_never_show_another_tenants_rows(
    client: TestClient, server_settings: Settings
) -> None:
    globex = client.get("/v1/live/calls?minutes=5", headers=api_key(server_settings, "globex"))
    assert (globex.json()["offered"], globex.json()["total_billsec"]) == (1, 25)
    nobody = client.get("/v1/live/calls", headers=api_key(server_settings, "initech")).json()
    assert (nobody["offered"], nobody["asr"], nobody["acd_sec"]) == (0, None, None)
    # A tenant in the query string is not a way around the key's tenant.
    response = client.get(
        "/v1/live/calls?minutes=5&tenant_id=globex", headers=api_key(server_settings, "acme")
    )
    assert response.json()["offered"] == 3


def test_live_quality_per_carrier(client: TestClient, server_settings: Settings) -> None:
    response = client.get("/v1/live/quality?minutes=5", headers=api_key(server_settings, "acme"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["window_start"] == "2024-05-01T10:01:00Z"
    assert answer["carriers"] == [
        {
            "carrier_id": "carrier-a",
            "reports": 2,
            "mean_jitter_ms": pytest.approx(15.0),
            "mean_loss_fraction": pytest.approx(0.125),
            "mean_rtt_ms": pytest.approx(50.0),
        },
        {
            "carrier_id": None,
            "reports": 1,
            "mean_jitter_ms": pytest.approx(30.0),
            "mean_loss_fraction": pytest.approx(0.5),
            "mean_rtt_ms": None,
        },
    ]
    # 10:02 is outside the last 3 minutes (buckets 10:03..10:05).
    later = client.get("/v1/live/quality?minutes=3", headers=api_key(server_settings, "acme"))
    assert later.json()["carriers"] == []


@pytest.mark.parametrize("query", ["minutes=0", "minutes=1441", "minutes=x"])
def test_bad_window_is_a_validation_problem(
    client: TestClient, server_settings: Settings, query: str
) -> None:
    response = client.get(f"/v1/live/calls?{query}", headers=api_key(server_settings, "acme"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "minutes"


def test_live_routes_need_a_key(client: TestClient) -> None:
    response = client.get("/v1/live/quality")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_unreachable_or_unmigrated_hot_store_is_503(settings: Settings, plain_dsn: str) -> None:
    unreachable = settings.model_copy(
        update={
            "profile": Profile.SERVER,
            "postgres_dsn": "host=127.0.0.1 port=1 user=postgres dbname=postgres",
        }
    )
    unmigrated = unreachable.model_copy(update={"postgres_dsn": plain_dsn})
    for case in (unreachable, unmigrated):
        with TestClient(create_app(case)) as live:
            response = live.get("/v1/live/calls", headers=api_key(settings, "acme"))
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
        assert response.json()["type"] == "urn:irisx:problem:hot-store-unavailable"
