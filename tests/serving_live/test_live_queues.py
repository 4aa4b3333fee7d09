"""GET /v1/live/queues and the wallboard frames' ``queues`` in both profiles: server (a real
PostgreSQL hot store, rollups refreshed) and embedded (the lake, each batch delivered twice).

Tenant acme, hand-worked (NOW = 2024-05-01 10:05:30 UTC, minutes=5 counts buckets 10:01..10:05):
  q1 s1 10:01 waited 12 s, agent answered, billsec 30, hold 10, wrap 5 -> within 20 s, handle 45
     s2 10:01 waited 45 s, never answered                              -> abandoned
     s3 10:03 waited 20 s, agent answered, billsec 35, wrap 20          -> within 20 s (<= 20),
                                                                          handle 55
     s4 10:04 waited 8 s, answered without an agent (IVR)              -> within 20 s, not handled
     => offered 4, answered 3, abandoned 1, within 20 s 3, handled 2, handle 45 + 55 = 100 s,
        handled waits 12 + 20 = 32 s, longest wait 45 s; service level 3/4, abandon rate 1/4,
        ASA 32 / 2 = 16 s, AHT 100 / 2 = 50 s.
     minutes: 10:01 offered 2, answered 1, abandoned 1, within 1, handled 1, handle 45, waits 12,
              longest 45 -> SL 1/2, abandon 1/2, ASA 12, AHT 45;
              10:03 one call: SL 1, ASA 20, AHT 55, longest 20;
              10:04 one call, not handled: SL 1, ASA and AHT null, longest 8.
  q2 p1 10:02 waited 90 s, never answered                              -> abandoned
     p2 10:05 waited 5.5 s, agent answered, billsec 20                 -> within 20 s, handle 20
     => offered 2, answered 1, abandoned 1, within 20 s 1, handled 1, handle 20, waits 5.5,
        longest 90; SL 1/2, abandon 1/2, ASA 5.5, AHT 20.
     p0 10:00 waited 3 s, agent answered: outside minutes=5, inside minutes=6 (q2 offered 3).
  n1 10:02 answered, no queue: in no queue. g1 10:02 q1 is tenant globex: never in acme's answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from config import Profile, Settings
from ingest.contracts import FAMILIES, models_to_table
from tests.api_support import api_key
from tests.event_samples import call_record
from tests.serving_live.live_hand_worked import WINDOW_5, pinned_client
from warehouse import ParquetLake
from warehouse.hotstore import PostgresHotStore


def _call(
    index: int,
    start: str,
    *,
    wait: float | None,
    answer: str | None,
    end: str,
    billsec: int = 0,
    **changes: Any,
) -> dict[str, Any]:
    """A call of 2024-05-01 (times as HH:MM:SS)."""
    return call_record(
        index,
        start_at=f"2024-05-01T{start}Z",
        answer_at=None if answer is None else f"2024-05-01T{answer}Z",
        end_at=f"2024-05-01T{end}Z",
        occurred_at=f"2024-05-01T{end}Z",
        billsec=billsec,
        queue_wait_sec=wait,
        hangup_cause="NORMAL_CLEARING" if answer else "ORIGINATOR_CANCEL",
        **changes,
    )


def queue_events() -> pa.Table:
    """The calls of the module docstring."""
    q1 = {"queue_id": "q1", "agent_id": "agent-7"}
    q2 = {"queue_id": "q2", "agent_id": "agent-9"}
    records = [
        _call(1, "10:01:00", wait=12, answer="10:01:12", end="10:01:50", billsec=30,
              hold_sec=10, wrapup_sec=5, **q1),
        _call(2, "10:01:30", wait=45, answer=None, end="10:02:15", queue_id="q1"),
        _call(3, "10:03:00", wait=20, answer="10:03:20", end="10:03:58", billsec=35,
              wrapup_sec=20, **q1),
        _call(4, "10:04:10", wait=8, answer="10:04:18", end="10:04:40", billsec=20, queue_id="q1"),
        _call(5, "10:02:00", wait=90, answer=None, end="10:03:30", queue_id="q2"),
        _call(6, "10:05:00", wait=5.5, answer="10:05:06", end="10:05:27", billsec=20, **q2),
        _call(7, "10:00:00", wait=3, answer="10:00:03", end="10:00:40", billsec=30, **q2),
        _call(8, "10:02:00", wait=None, answer="10:02:02", end="10:02:30", billsec=25),
        _call(9, "10:02:00", wait=4, answer="10:02:04", end="10:02:30", billsec=25,
              tenant_id="globex", queue_id="q1"),
    ]  # fmt: skip
    model = FAMILIES["call"]
    return models_to_table([model.model_validate(record) for record in records], model)


def _figures(
    offered: int,
    answered: int,
    abandoned: int,
    within_20s: int,
    handled: int,
    handle_sec: int,
    waits: float,
    longest: float | None,
) -> dict[str, Any]:
    """An expected body: the counts of the docstring and the ratios they make."""
    return {
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "answered_within_20s": within_20s,
        "handled": handled,
        "total_handle_sec": handle_sec,
        "total_handled_wait_sec": waits,
        "longest_wait_sec": longest,
        "service_level_20s": within_20s / offered,
        "abandon_rate": abandoned / offered,
        "asa_sec": waits / handled if handled else None,
        "aht_sec": handle_sec / handled if handled else None,
    }


def _minute(minute: str, **figures: Any) -> dict[str, Any]:
    return {"minute": f"2024-05-01T{minute}:00Z", **figures}


Q1 = {
    "queue_id": "q1",
    **_figures(4, 3, 1, 3, 2, 100, 32.0, 45.0),
    "per_minute": [
        _minute("10:01", **_figures(2, 1, 1, 1, 1, 45, 12.0, 45.0)),
        _minute("10:03", **_figures(1, 1, 0, 1, 1, 55, 20.0, 20.0)),
        _minute("10:04", **_figures(1, 1, 0, 1, 0, 0, 0.0, 8.0)),
    ],
}
Q2 = {
    "queue_id": "q2",
    **_figures(2, 1, 1, 1, 1, 20, 5.5, 90.0),
    "per_minute": [
        _minute("10:02", **_figures(1, 0, 1, 0, 0, 0, 0.0, 90.0)),
        _minute("10:05", **_figures(1, 1, 0, 1, 1, 20, 5.5, 5.5)),
    ],
}


@pytest.fixture(params=["server", "embedded"])
def app_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Settings of the profile, with the queue events stored where it reads them."""
    if request.param == "embedded":
        lake = ParquetLake(settings.lake_dir)
        lake.initialize()
        lake.write_batch("call", queue_events(), "queues")
        lake.write_batch("call", queue_events(), "queues-again")  # delivered twice: counted once
        return settings
    dsn: str = request.getfixturevalue("plain_dsn")
    with PostgresHotStore(dsn) as store:
        store.migrate()
        store.insert("call", queue_events())
        store.insert("call", queue_events())  # re-delivered: on conflict, counted once
        store.refresh_rollups()
    return settings.model_copy(update={"profile": Profile.SERVER, "postgres_dsn": dsn})


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with pinned_client(app_settings) as test_client:
        yield test_client


def test_live_queues_are_the_hand_worked_figures(
    client: TestClient, app_settings: Settings
) -> None:
    response = client.get("/v1/live/queues?minutes=5", headers=api_key(app_settings, "acme"))
    assert response.status_code == 200, response.text
    assert response.json() == {**WINDOW_5, "queues": [Q1, Q2]}


def test_one_queue_and_a_wider_window(client: TestClient, app_settings: Settings) -> None:
    headers = api_key(app_settings, "acme")
    only_q2 = client.get("/v1/live/queues?minutes=5&queue_id=q2", headers=headers).json()
    assert only_q2["queues"] == [Q2]
    unknown = client.get("/v1/live/queues?minutes=5&queue_id=q9", headers=headers).json()
    assert unknown["queues"] == []
    # minutes=6 adds the 10:00 bucket: p0 (waited 3 s, handled, billsec 30) joins q2.
    wider = client.get("/v1/live/queues?minutes=6&queue_id=q2", headers=headers).json()
    (q2,) = wider["queues"]
    assert (q2["offered"], q2["handled"], q2["total_handled_wait_sec"]) == (3, 2, 8.5)
    assert (q2["asa_sec"], q2["aht_sec"]) == (4.25, 25.0)  # (5.5 + 3) / 2, (20 + 30) / 2
    assert q2["per_minute"][0]["minute"] == "2024-05-01T10:00:00Z"
    # 10:05 holds only p2; the last minute counts only bucket 10:05.
    last = client.get("/v1/live/queues?minutes=1", headers=headers).json()
    assert [(q["queue_id"], q["offered"]) for q in last["queues"]] == [("q2", 1)]


def test_live_queues_never_show_another_tenants_rows(
    client: TestClient, app_settings: Settings
) -> None:
    globex = client.get("/v1/live/queues?minutes=5", headers=api_key(app_settings, "globex")).json()
    assert [(q["queue_id"], q["offered"], q["asa_sec"]) for q in globex["queues"]] == [
        ("q1", 1, None)  # g1 was answered without an agent: not handled
    ]
    nobody = client.get("/v1/live/queues", headers=api_key(app_settings, "initech")).json()
    assert nobody["queues"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("minutes=0", "minutes"),
        ("minutes=1441", "minutes"),
        ("queue_id=", "queue_id"),
        ("queue_id=a%20b", "queue_id"),
        ("tenant_id=globex", "tenant_id"),
    ],
)
def test_bad_parameters_are_validation_problems(
    client: TestClient, app_settings: Settings, query: str, field: str
) -> None:
    response = client.get(f"/v1/live/queues?{query}", headers=api_key(app_settings, "acme"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


def test_live_queues_need_a_key(client: TestClient) -> None:
    response = client.get("/v1/live/queues")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_wallboard_frames_carry_the_queues(client: TestClient, app_settings: Settings) -> None:
    headers = api_key(app_settings, "acme")
    with client.websocket_connect(
        "/v1/live/wallboard?minutes=5&interval_s=0.05", headers=headers
    ) as socket:
        frame = socket.receive_json()
    assert frame["type"] == "wallboard"
    assert frame["queues"] == [Q1, Q2]
    # Same clock, same data: the frame's calls agree with the queues (q1 + q2 + the unqueued n1).
    assert (frame["calls"]["offered"], frame["calls"]["queued"]) == (7, 6)
