"""GET /v1/wfm/adherence in both profiles: the server's PostgreSQL hot store (real, one database
per test) and the embedded lake (DuckDB over Parquet), same events, same answers.

Hand-worked events (NOW = 2024-05-01 12:00 UTC, so "today" starts 2024-05-01 00:00):

acme agent-1 (queue q1):
  04-30 23:00 logout (off)      -> 00:00-08:00 logged out while off: not counted
  08:00 ready,     open         -> 08:00-10:00 adherent        7200 s
  10:00 not_ready, open         -> 10:00-10:15 OUT (early break) 900 s  (delivered twice)
  10:15 not_ready, break        -> 10:15-10:30 adherent         900 s
  10:30 ready,     open         -> 10:30-11:30 adherent        3600 s
  11:30 on_call,   open         -> 11:30-12:00 adherent        1800 s
  => scheduled 14400 s, adherent 13500 s, adherence 13500 / 14400 = 0.9375; now on_call since
     11:30, scheduled open, in adherence.
acme agent-2 (queue q2):
  04-30 16:00 ready, open; 04-30 23:00 not_ready, open; nothing today
  => the reader returns only the 23:00 event (the last before today); not_ready since 04-30 23:00
     while scheduled open: out of adherence since 04-30 23:00 (before today), scheduled
     00:00-12:00 = 43200 s, adherent 0, adherence 0.0.
acme agent-3: 12:30 ready (after NOW): not in the answer at 12:00.
globex agent-1 (same agent id, other tenant): 09:00 ready, open -> 10800 s of 10800: 1.0. Never
  in acme's answers, and acme's events never in globex's.

Replay at as_of 10:05: agent-1 not_ready since 10:00 while open, out since 10:00, scheduled
7200 + 300 = 7500 s, adherent 7200 s: 0.96; agent-2 scheduled 10:05 = 36300 s, adherence 0.0.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from config import Profile, Settings
from ingest.contracts import FAMILIES, models_to_table
from serving.api.deps import get_now
from serving.app import create_app
from serving.auth import ApiKeyStore
from tests.event_samples import agent_record
from warehouse import ParquetLake
from warehouse.agent_states import HotStoreAgentStates, LakeAgentStates
from warehouse.hotstore import PostgresHotStore

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
DAY_START = datetime(2024, 5, 1, tzinfo=UTC)

_EVENTS = [
    # (index, tenant, agent, occurred_at, state, scheduled_activity, queue)
    (1, "acme", "agent-1", "2024-04-30T23:00:00Z", "logout", "off", None),
    (2, "acme", "agent-1", "2024-05-01T08:00:00Z", "ready", "open", "q1"),
    (3, "acme", "agent-1", "2024-05-01T10:00:00Z", "not_ready", "open", "q1"),
    (4, "acme", "agent-1", "2024-05-01T10:15:00Z", "not_ready", "break", "q1"),
    (5, "acme", "agent-1", "2024-05-01T10:30:00Z", "ready", "open", "q1"),
    (6, "acme", "agent-1", "2024-05-01T11:30:00Z", "on_call", "open", "q1"),
    (7, "acme", "agent-2", "2024-04-30T16:00:00Z", "ready", "open", "q2"),
    (8, "acme", "agent-2", "2024-04-30T23:00:00Z", "not_ready", "open", "q2"),
    (9, "acme", "agent-3", "2024-05-01T12:30:00Z", "ready", "open", "q1"),
    (10, "globex", "agent-1", "2024-05-01T09:00:00Z", "ready", "open", "g1"),
]

AGENT_1 = {
    "agent_id": "agent-1",
    "state": "on_call",
    "state_since": "2024-05-01T11:30:00Z",
    "scheduled_activity": "open",
    "in_adherence": True,
    "out_of_adherence_since": None,
    "adherent_seconds": 13500.0,
    "scheduled_seconds": 14400.0,
    "adherence": 0.9375,
}
AGENT_2 = {
    "agent_id": "agent-2",
    "state": "not_ready",
    "state_since": "2024-04-30T23:00:00Z",
    "scheduled_activity": "open",
    "in_adherence": False,
    "out_of_adherence_since": "2024-04-30T23:00:00Z",
    "adherent_seconds": 0.0,
    "scheduled_seconds": 43200.0,
    "adherence": 0.0,
}


def agent_batches() -> list[pa.Table]:
    """The events of the module docstring in two batches; agent-1's 10:00 event is in both (a
    redelivered batch must count once)."""
    records: list[dict[str, Any]] = [
        agent_record(
            index,
            tenant_id=tenant,
            agent_id=agent,
            occurred_at=occurred_at,
            state=state,
            scheduled_activity=activity,
            queue_id=queue,
        )
        for index, tenant, agent, occurred_at, state, activity, queue in _EVENTS
    ]
    model = FAMILIES["agent"]
    validated = [model.model_validate(record) for record in records]
    return [models_to_table(validated[:4], model), models_to_table(validated[2:], model)]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A fresh data directory per test (this module loads its own events, not the marts of
    tests/api_support's shared ``settings``)."""
    built = Settings(data_dir=tmp_path / "irisx")
    built.ensure_dirs()
    return built


@pytest.fixture(params=["server", "embedded"])
def profile_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Settings whose agent events are loaded into the hot store (server) or the lake."""
    batches = agent_batches()
    if request.param == "server":
        dsn: str = request.getfixturevalue("plain_dsn")
        with PostgresHotStore(dsn) as store:
            store.migrate()
            for batch in batches:
                store.insert("agent", batch)
        return settings.model_copy(update={"profile": Profile.SERVER, "postgres_dsn": dsn})
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    for number, batch in enumerate(batches):
        lake.write_batch("agent", batch, f"agent-{number}")
    return settings


@pytest.fixture
def client(profile_settings: Settings) -> Iterator[TestClient]:
    app = create_app(profile_settings)
    app.dependency_overrides[get_now] = lambda: NOW
    with TestClient(app) as test_client:
        yield test_client


def _key(settings: Settings, tenant: str) -> dict[str, str]:
    return {"X-API-Key": ApiKeyStore(settings.auth_db_path).create(tenant)[1]}


def test_adherence_now_is_the_hand_worked_one(
    client: TestClient, profile_settings: Settings
) -> None:
    response = client.get("/v1/wfm/adherence", headers=_key(profile_settings, "acme"))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "tenant_id": "acme",
        "as_of": "2024-05-01T12:00:00Z",
        "day_start": "2024-05-01T00:00:00Z",
        "agents": [AGENT_1, AGENT_2],
    }


def test_replay_at_an_earlier_as_of(client: TestClient, profile_settings: Settings) -> None:
    response = client.get(
        "/v1/wfm/adherence",
        params={"as_of": "2024-05-01T10:05:00Z"},
        headers=_key(profile_settings, "acme"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == "2024-05-01T10:05:00Z"
    assert body["agents"] == [
        AGENT_1
        | {
            "state": "not_ready",
            "state_since": "2024-05-01T10:00:00Z",
            "in_adherence": False,
            "out_of_adherence_since": "2024-05-01T10:00:00Z",
            "adherent_seconds": 7200.0,
            "scheduled_seconds": 7500.0,  # 08:00-10:05
            "adherence": 0.96,  # 7200 / 7500
        },
        AGENT_2 | {"scheduled_seconds": 36300.0},  # 00:00-10:05
    ]


def test_agent_and_queue_filters(client: TestClient, profile_settings: Settings) -> None:
    headers = _key(profile_settings, "acme")
    by_agent = client.get("/v1/wfm/adherence?agent_id=agent-2", headers=headers)
    assert by_agent.status_code == 200, by_agent.text
    assert by_agent.json()["agents"] == [AGENT_2]
    by_queue = client.get("/v1/wfm/adherence?queue_id=q1", headers=headers)
    assert by_queue.status_code == 200, by_queue.text
    assert by_queue.json()["agents"] == [AGENT_1]
    nobody = client.get("/v1/wfm/adherence?queue_id=q9", headers=headers)
    assert nobody.json()["agents"] == []


def test_another_tenant_never_sees_these_agents(
    client: TestClient, profile_settings: Settings
) -> None:
    response = client.get("/v1/wfm/adherence", headers=_key(profile_settings, "globex"))
    assert response.status_code == 200, response.text
    assert response.json()["agents"] == [
        {
            "agent_id": "agent-1",
            "state": "ready",
            "state_since": "2024-05-01T09:00:00Z",
            "scheduled_activity": "open",
            "in_adherence": True,
            "out_of_adherence_since": None,
            "adherent_seconds": 10800.0,  # 09:00-12:00
            "scheduled_seconds": 10800.0,
            "adherence": 1.0,
        }
    ]


def test_bad_requests_are_problems(client: TestClient, profile_settings: Settings) -> None:
    headers = _key(profile_settings, "acme")
    for query in ("tenant_id=globex", "as_of=2024-05-01T12:00:01Z", "as_of=2024-03-01T00:00:00Z"):
        response = client.get(f"/v1/wfm/adherence?{query}", headers=headers)
        assert response.status_code == 422, (query, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/wfm/adherence").status_code == 401


def test_readers_return_todays_events_and_the_last_one_before(
    profile_settings: Settings,
) -> None:
    """agent-2's 16:00 event is not the last before the day: only its 23:00 one comes back;
    agent-1's redelivered 10:00 event comes back once; agent-3's 12:30 is after ``until``."""
    if profile_settings.profile == Profile.SERVER:
        store = PostgresHotStore(profile_settings.postgres_dsn)
        reader: HotStoreAgentStates | LakeAgentStates = HotStoreAgentStates(store)
    else:
        reader = LakeAgentStates(profile_settings.lake_dir)
    events = reader.agent_state_events("acme", DAY_START, NOW)
    assert [
        (row.agent_id, row.occurred_at.isoformat(), row.state)
        for row in events.itertuples(index=False)
    ] == [
        ("agent-1", "2024-04-30T23:00:00+00:00", "logout"),
        ("agent-1", "2024-05-01T08:00:00+00:00", "ready"),
        ("agent-1", "2024-05-01T10:00:00+00:00", "not_ready"),
        ("agent-1", "2024-05-01T10:15:00+00:00", "not_ready"),
        ("agent-1", "2024-05-01T10:30:00+00:00", "ready"),
        ("agent-1", "2024-05-01T11:30:00+00:00", "on_call"),
        ("agent-2", "2024-04-30T23:00:00+00:00", "not_ready"),
    ]
    only_agent_2 = reader.agent_state_events("acme", DAY_START, NOW, agent_id="agent-2")
    assert list(only_agent_2["event_id"]) == ["agent-000008"]
    if isinstance(reader, HotStoreAgentStates):
        store.close()
