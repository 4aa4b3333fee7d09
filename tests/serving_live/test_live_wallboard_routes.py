"""GET /v1/live/calls and /v1/live/quality against a real PostgreSQL hot store (one database per
test), with the request clock pinned so that the window is exact.

Tenant acme, hand-worked (NOW = 2024-05-01 10:05:30 UTC, minutes=5 counts buckets 10:01..10:05):
  w1 10:01 queued, waited 12 s, agent answered, billsec 25, hold 10, wrap 5 -> within 20 s,
           handle 40
  w2 10:02 queued, waited 30 s, never answered -> abandoned
  w3 10:03 queued, waited 25 s, agent answered, billsec 25 -> answered late, handle 25
  => offered 3, answered 2, abandoned 1, within 20 s 1, billsec 50, handle 65, ASR 2/3, ACD 25 s.
  w0 10:00 answered, no queue, billsec 25: outside minutes=5, inside minutes=6.
  g1 10:02 is tenant globex: never in acme's answers.
RTCP (PCMU, 8000 Hz) at 10:02: on w1 (carrier-a) jitter 160 and 80 units = 20 and 10 ms, lost
64/256 and 0 = 0.25 and 0, rtt 40 and 60 -> 2 reports, 15 ms, 0.125, 50 ms. On a call not in the
store: jitter 240 = 30 ms, lost 128/256 = 0.5, no rtt -> carrier null, rtt null. globex's report
(jitter 800) must not appear.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from config import Profile, Settings
from ingest.contracts import FAMILIES, models_to_table
from serving.api.deps import get_now
from serving.app import create_app
from tests.api_support import api_key
from tests.event_samples import call_record, rtcp_record
from warehouse.hotstore import PostgresHotStore

NOW = datetime(2024, 5, 1, 10, 5, 30, tzinfo=UTC)
UNKNOWN_CALL_ID = "00000000-0000-4000-8000-999999999999"


def _table(family: str, records: list[dict[str, Any]]) -> pa.Table:
    model = FAMILIES[family]
    return models_to_table([model.model_validate(record) for record in records], model)


def _call(
    index: int, minute: int, *, answered_after_s: int | None, **changes: Any
) -> dict[str, Any]:
    start = f"2024-05-01T10:{minute:02d}:00Z"
    answer = (
        None if answered_after_s is None else f"2024-05-01T10:{minute:02d}:{answered_after_s:02d}Z"
    )
    return call_record(
        index,
        start_at=start,
        answer_at=answer,
        end_at=f"2024-05-01T10:{minute:02d}:59Z",
        occurred_at=f"2024-05-01T10:{minute:02d}:59Z",
        **changes,
    )


def _rtcp(
    index: int, call_id: str, jitter: int, lost: int, rtt: float | None, **changes: Any
) -> dict[str, Any]:
    return rtcp_record(
        index, call_id, jitter, lost, rtt, f"2024-05-01T10:02:{index:02d}Z", **changes
    )


def hand_worked_events() -> dict[str, pa.Table]:
    """The calls and RTCP reports of the module docstring, by family."""
    agent = {"queue_id": "q1", "agent_id": "agent-7"}
    calls = [
        _call(0, 0, answered_after_s=5),
        _call(1, 1, answered_after_s=12, queue_wait_sec=12, hold_sec=10, wrapup_sec=5,
              carrier_id="carrier-a", **agent),
        _call(2, 2, answered_after_s=None, queue_id="q1", queue_wait_sec=30, billsec=0,
              hangup_cause="ORIGINATOR_CANCEL"),
        _call(3, 3, answered_after_s=25, queue_wait_sec=25, **agent),
        _call(4, 2, answered_after_s=5, tenant_id="globex"),
    ]  # fmt: skip
    w1 = calls[1]["call_id"]
    reports = [
        _rtcp(1, w1, 160, 64, 40.0),
        _rtcp(2, w1, 80, 0, 60.0),
        _rtcp(3, UNKNOWN_CALL_ID, 240, 128, None),
        _rtcp(4, calls[4]["call_id"], 800, 0, 10.0, tenant_id="globex"),
    ]
    return {"call": _table("call", calls), "rtcp": _table("rtcp", reports)}


def _load(store: PostgresHotStore) -> None:
    for family, table in hand_worked_events().items():
        store.insert(family, table)
    store.refresh_rollups()


@pytest.fixture
def server_settings(settings: Settings, plain_dsn: str) -> Settings:
    return settings.model_copy(update={"profile": Profile.SERVER, "postgres_dsn": plain_dsn})


@pytest.fixture
def client(server_settings: Settings) -> Iterator[TestClient]:
    with PostgresHotStore(server_settings.postgres_dsn) as store:
        store.migrate()
        _load(store)
    app = create_app(server_settings)
    app.dependency_overrides[get_now] = lambda: NOW
    with TestClient(app) as test_client:
        yield test_client


def test_live_calls_are_the_hand_worked_totals_of_the_window(
    client: TestClient, server_settings: Settings
) -> None:
    response = client.get("/v1/live/calls?minutes=5", headers=api_key(server_settings, "acme"))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "minutes": 5,
        "window_start": "2024-05-01T10:01:00Z",
        "window_end": "2024-05-01T10:05:30Z",
        "as_of": "2024-05-01T10:05:30Z",
        "offered": 3,
        "answered": 2,
        "abandoned": 1,
        "answered_within_20s": 1,
        "total_billsec": 50,
        "total_handle_sec": 65,
        "queued": 3,  # all three calls of the window went through q1
        "handled": 2,  # calls 1 and 3 were answered by an agent
        "service_level_20s": pytest.approx(1 / 3),
        "aht_sec": 32.5,  # (25 + 10 + 5) + 25 over 2 calls
        "asr": pytest.approx(2 / 3),
        "acd_sec": 25.0,
    }
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
