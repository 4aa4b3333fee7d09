"""The hand-worked live events the serving_live tests share, the answer they make, and the app's
test client with the request clock pinned (NOW) so that every window is exact.

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

The ``server_settings`` and ``client`` fixtures (these events in a hot store) reach every module
of tests/serving_live through its conftest; one that serves other events or the lake defines its
own with ``pinned_client``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from config import Profile, Settings
from ingest.contracts import FAMILIES, models_to_table
from serving.api.deps import get_now
from serving.app import create_app
from tests.event_samples import call_record, rtcp_record
from warehouse.hotstore import PostgresHotStore

NOW = datetime(2024, 5, 1, 10, 5, 30, tzinfo=UTC)
UNKNOWN_CALL_ID = "00000000-0000-4000-8000-999999999999"

#: The window of ``minutes=5`` at NOW, as every live answer states it.
WINDOW_5 = {
    "minutes": 5,
    "window_start": "2024-05-01T10:01:00Z",
    "window_end": "2024-05-01T10:05:30Z",
    "as_of": "2024-05-01T10:05:30Z",
}

#: acme's ``GET /v1/live/calls?minutes=5`` on the events of the module docstring.
LIVE_CALLS_5 = {
    **WINDOW_5,
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


@contextmanager
def pinned_client(settings: Settings) -> Iterator[TestClient]:
    """The app of ``settings`` with its request clock at NOW."""
    app = create_app(settings)
    app.dependency_overrides[get_now] = lambda: NOW
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def server_settings(settings: Settings, plain_dsn: str) -> Settings:
    return settings.model_copy(update={"profile": Profile.SERVER, "postgres_dsn": plain_dsn})


@pytest.fixture
def client(server_settings: Settings) -> Iterator[TestClient]:
    """The server profile over a migrated hot store holding the hand-worked events."""
    with PostgresHotStore(server_settings.postgres_dsn) as store:
        store.migrate()
        for family, table in hand_worked_events().items():
            store.insert(family, table)
        store.refresh_rollups()
    with pinned_client(server_settings) as test_client:
        yield test_client
