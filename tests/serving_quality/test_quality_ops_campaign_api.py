"""/v1/quality/calls/{id}, /v1/quality/agents, /v1/ops/queues, /v1/ops/agents and
/v1/campaigns/{id}/funnel over the hand-made marts of tests/serving_quality/marts.py, published
both ways (Parquet for the embedded profile, chDB tables for the server profile): the same request
gets the same answer from either.

Hand-worked windows (the default window ends at the tenant's latest row, not at the clock):
- quality/agents: acme's latest call_date is 2024-05-03; 31 days back to 2024-04-03 (included).
- ops/agents: acme's latest activity_date is 2024-05-02 -> 2024-04-02..2024-05-02.
- ops/queues: acme's latest interval starts 2024-05-02 23:45 UTC; 96 intervals (one day) back to
  2024-05-02 00:00. A day given as ``to`` ends with its 23:45 interval; a date-time is floored to
  the interval holding it (09:07 -> 09:00; 09:07+02:00 -> 07:00 UTC).
- campaign funnel: acme's camp-1 latest day 2024-05-02; 90 days = 2024-02-03..2024-05-02
  (2024-05-02 is day 123 of the leap year 2024, 123 - 89 = day 34 = 2024-02-03), so the
  2024-01-15 row is outside the default window. May 1 predictive: 2 abandoned / 40 live
  connects = 5 % > 3 % -> exceeds the rule; May 2: 1 / 50 = 2 % -> does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from config import Settings
from serving.app import create_app
from tests.api_support import api_key, publish_both_ways
from tests.serving_quality.marts import ACME_CALL, GLOBEX_CALL, NO_SUCH_CALL, hand_marts


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_both_ways(tmp_path_factory, "quality_api", hand_marts())


def _ok(client: TestClient, path: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _problem(client: TestClient, path: str, headers: dict[str, str], status: int) -> Any:
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


# -- /v1/quality/calls/{call_id} -----------------------------------------------------------------


def test_call_quality_is_the_callers_call(client: TestClient, acme: dict[str, str]) -> None:
    assert _ok(client, f"/v1/quality/calls/{ACME_CALL}", acme) == {
        "tenant_id": "acme",
        "call_id": ACME_CALL,
        "codec": "PCMU",
        "reports": 12,
        "legs": 2,
        "mos": 4.1234,
        "r_factor": 80.5,
        "is_poor": False,
        "worst_leg": "b",
        "worst_leg_mos": 3.9,
        "min_report_mos": 3.2,
        "loss_pct": 2.5,
        "jitter_ms": 12.25,
        "rtt_ms": 48.5,
        "one_way_delay_ms": 60.0,
        "dominant_impairment": "loss",
        "leg_figures": [_leg("a", 0.5, 92.7, "none"), _leg("b", 12.7, 80.5, "loss")],
    }


def _leg(leg: str, loss_impairment: float, r_factor: float, dominant: str) -> dict[str, Any]:
    """The legs of marts.leg_row: R = 93.2 - Idd 0 - Ie 0 - loss impairment (93.2 - 0.5 = 92.7,
    93.2 - 12.7 = 80.5); under 5 R points the dominant impairment is none."""
    return {
        "leg": leg, "codec": "PCMU", "reports": 6, "seconds": 30.0, "mos": 4.0,
        "r_factor": r_factor, "min_report_mos": 3.2, "loss_pct": 2.5, "jitter_ms": 12.25,
        "rtt_ms": None, "network_delay_ms": 0.0, "jitter_buffer_ms": 24.5,
        "one_way_delay_ms": 44.5, "idd": 0.0, "ie": 0.0, "loss_impairment": loss_impairment,
        "dominant_impairment": dominant,
    }  # fmt: skip


def test_another_tenants_call_is_as_unknown_as_a_call_that_does_not_exist(
    client: TestClient, acme: dict[str, str], globex: dict[str, str]
) -> None:
    theirs = _problem(client, f"/v1/quality/calls/{GLOBEX_CALL}", acme, 404)
    nobodys = _problem(client, f"/v1/quality/calls/{NO_SUCH_CALL}", acme, 404)
    # Same problem, only the id in the text and the path differ.
    for problem, call in ((theirs, GLOBEX_CALL), (nobodys, NO_SUCH_CALL)):
        assert problem == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": f"no call quality for call {call}",
            "instance": f"/v1/quality/calls/{call}",
        }
    mine = _ok(client, f"/v1/quality/calls/{GLOBEX_CALL}", globex)
    assert (mine["is_poor"], [leg["loss_impairment"] for leg in mine["leg_figures"]]) == (
        True,
        [40.0],
    )


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/quality/calls/not-a-uuid", "call_id"),
        (f"/v1/quality/calls/{ACME_CALL}?tenant_id=globex", "tenant_id"),
    ],
)
def test_call_quality_bad_requests(
    client: TestClient, acme: dict[str, str], path: str, field: str
) -> None:
    assert _problem(client, path, acme, 422)["errors"][0]["field"] == field


# -- /v1/quality/agents --------------------------------------------------------------------------


def test_agent_quality_default_window_and_filters(client: TestClient, acme: dict[str, str]) -> None:
    body = _ok(client, "/v1/quality/agents", acme)
    assert (body["tenant_id"], body["date_from"], body["date_to"]) == (
        "acme",
        "2024-04-03",
        "2024-05-03",
    )
    assert [(r["call_date"], r["agent_id"], r["calls"], r["poor_share"]) for r in body["rows"]] == [
        ("2024-05-01", "agent-7", 4, 0.25),
        ("2024-05-02", "agent-7", 5, 0.2),
        ("2024-05-02", "agent-9", 2, 0.5),
        ("2024-05-03", "agent-7", 10, 0.1),
    ]  # globex's agent-7 (99 calls on 2024-05-02) never appears
    assert body["rows"][0]["rtt_ms_p50"] is None
    one = _ok(client, "/v1/quality/agents?from=2024-05-02&to=2024-05-02&agent_id=agent-7", acme)
    assert [(r["call_date"], r["calls"]) for r in one["rows"]] == [("2024-05-02", 5)]


# -- /v1/ops/queues ------------------------------------------------------------------------------


def _intervals(body: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(r["interval_start"], r["queue_id"], r["offered"]) for r in body["rows"]]


def test_queue_default_window_is_the_day_of_intervals_up_to_the_latest(
    client: TestClient, acme: dict[str, str]
) -> None:
    body = _ok(client, "/v1/ops/queues", acme)
    assert (body["interval_from"], body["interval_to"]) == (
        "2024-05-02T00:00:00Z",
        "2024-05-02T23:45:00Z",
    )
    assert _intervals(body) == [
        ("2024-05-02T00:00:00Z", "q2", 2),
        ("2024-05-02T23:45:00Z", "q1", 8),
    ]  # globex's q1 at 09:00 with 99 calls is not acme's
    first = body["rows"][1]
    # 8 offered, 7 answered within 20 s, 1 abandoned.
    assert (first["service_level_20s"], first["abandon_rate"]) == (7 / 8, 1 / 8)


@pytest.mark.parametrize(
    ("query", "bounds", "rows"),
    [
        (
            "from=2024-05-01&to=2024-05-01",
            ("2024-05-01T00:00:00Z", "2024-05-01T23:45:00Z"),
            [("2024-05-01T09:00:00Z", "q1", 4), ("2024-05-01T09:15:00Z", "q1", 5)],
        ),
        (
            "from=2024-05-01T09:07:00Z&to=2024-05-01T09:14:59Z",
            ("2024-05-01T09:00:00Z", "2024-05-01T09:00:00Z"),
            [("2024-05-01T09:00:00Z", "q1", 4)],
        ),
        (
            # 09:07 at +02:00 is 07:07 UTC; 'to' defaults to 95 intervals later (06:45 next day).
            "from=2024-05-01T09:07:00%2B02:00",
            ("2024-05-01T07:00:00Z", "2024-05-02T06:45:00Z"),
            [
                ("2024-05-01T09:00:00Z", "q1", 4),
                ("2024-05-01T09:15:00Z", "q1", 5),
                ("2024-05-02T00:00:00Z", "q2", 2),
            ],
        ),
        (
            "from=2024-05-01&to=2024-05-02&queue_id=q2",
            ("2024-05-01T00:00:00Z", "2024-05-02T23:45:00Z"),
            [("2024-05-02T00:00:00Z", "q2", 2)],
        ),
        (
            "from=2024-04-01&to=2024-05-01",  # 31 days: the longest range allowed
            ("2024-04-01T00:00:00Z", "2024-05-01T23:45:00Z"),
            [("2024-05-01T09:00:00Z", "q1", 4), ("2024-05-01T09:15:00Z", "q1", 5)],
        ),
    ],
)
def test_queue_ranges_take_days_or_instants(
    client: TestClient,
    acme: dict[str, str],
    query: str,
    bounds: tuple[str, str],
    rows: list[tuple[str, str, int]],
) -> None:
    body = _ok(client, f"/v1/ops/queues?{query}", acme)
    assert (body["interval_from"], body["interval_to"]) == bounds
    assert _intervals(body) == rows


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/ops/queues?from=2024-03-31&to=2024-05-01", "to"),  # 32 days
        ("/v1/ops/queues?from=2024-05-02&to=2024-05-01", "to"),
        ("/v1/ops/queues?from=May-1", "from"),
        ("/v1/ops/queues?tenant_id=globex", "tenant_id"),
        ("/v1/ops/agents?from=2023-01-01&to=2024-05-01", "to"),  # 487 days
        ("/v1/ops/agents?from=2024-13-01", "from"),
        ("/v1/ops/agents?agent_id=a%20b", "agent_id"),
        ("/v1/quality/agents?to=2024-05-01&from=2024-05-02", "to"),
        ("/v1/campaigns/camp-1/funnel?dial_mode=robocall", "dial_mode"),
        ("/v1/campaigns/camp-1/funnel?tenant_id=globex", "tenant_id"),
    ],
)
def test_bad_ranges_and_parameters_are_validation_problems(
    client: TestClient, acme: dict[str, str], path: str, field: str
) -> None:
    assert _problem(client, path, acme, 422)["errors"][0]["field"] == field


# -- /v1/ops/agents ------------------------------------------------------------------------------


def test_agent_performance_default_window_and_agent_filter(
    client: TestClient, acme: dict[str, str], globex: dict[str, str]
) -> None:
    body = _ok(client, "/v1/ops/agents", acme)
    assert (body["date_from"], body["date_to"]) == ("2024-04-02", "2024-05-02")
    assert [(r["activity_date"], r["agent_id"], r["handled"]) for r in body["rows"]] == [
        ("2024-04-30", "agent-7", 3),
        ("2024-05-01", "agent-7", 6),
        ("2024-05-02", "agent-7", 2),
        ("2024-05-02", "agent-9", 0),
    ]
    # 6 calls x (100 + 20 + 30) s / 6 = 150 s; agent-9 handled none: no AHT.
    assert (body["rows"][1]["aht_sec"], body["rows"][3]["aht_sec"]) == (150.0, None)
    nine = _ok(client, "/v1/ops/agents?agent_id=agent-9&from=2024-05-01", acme)
    assert [r["activity_date"] for r in nine["rows"]] == ["2024-05-02"]
    theirs = _ok(client, "/v1/ops/agents?from=2024-05-01&to=2024-05-01", globex)
    assert [(r["agent_id"], r["handled"]) for r in theirs["rows"]] == [("agent-7", 99)]


# -- /v1/campaigns/{campaign_id}/funnel ----------------------------------------------------------


def test_campaign_funnel_default_window_ends_at_the_campaigns_latest_day(
    client: TestClient, acme: dict[str, str]
) -> None:
    body = _ok(client, "/v1/campaigns/camp-1/funnel", acme)
    assert (body["tenant_id"], body["campaign_id"]) == ("acme", "camp-1")
    assert (body["date_from"], body["date_to"]) == ("2024-02-03", "2024-05-02")
    columns = ["attempt_date", "dial_mode", "abandoned", "live_connects"]
    columns += ["abandonment_rate_30d", "exceeds_3pct_rule"]
    got = [tuple(r[name] for name in columns) for r in body["rows"]]
    assert got == [
        ("2024-05-01", "predictive", 2, 40, 0.05, True),
        ("2024-05-01", "preview", 0, 30, 0.0, False),
        ("2024-05-02", "predictive", 1, 50, 0.02, False),
    ]  # globex's camp-1 (9 abandoned of 10 on 2024-05-01) is not acme's
    january = _ok(client, "/v1/campaigns/camp-1/funnel?from=2024-01-01&to=2024-01-31", acme)
    assert [(r["attempt_date"], r["live_connects"]) for r in january["rows"]] == [
        ("2024-01-15", 50)
    ]
    preview = _ok(client, "/v1/campaigns/camp-1/funnel?dial_mode=preview", acme)
    assert [r["attempt_date"] for r in preview["rows"]] == ["2024-05-01"]


def test_a_campaign_the_caller_does_not_run_is_404(
    client: TestClient, acme: dict[str, str], globex: dict[str, str]
) -> None:
    theirs = _problem(client, "/v1/campaigns/camp-2/funnel", acme, 404)
    assert theirs["detail"] == "no attempts of campaign 'camp-2'"
    assert _problem(client, "/v1/campaigns/camp-9/funnel", acme, 404)["status"] == 404
    assert [r["dial_mode"] for r in _ok(client, "/v1/campaigns/camp-2/funnel", globex)["rows"]] == [
        "progressive"
    ]


# -- keys and publication ------------------------------------------------------------------------

PATHS = [
    f"/v1/quality/calls/{ACME_CALL}",
    "/v1/quality/agents",
    "/v1/ops/queues",
    "/v1/ops/agents",
    "/v1/campaigns/camp-1/funnel",
]


@pytest.mark.parametrize("path", PATHS)
def test_every_endpoint_needs_a_key(client: TestClient, path: str) -> None:
    assert _problem(client, path, {}, 401)["status"] == 401


@pytest.mark.parametrize("path", PATHS)
def test_an_unpublished_mart_is_503(tmp_path: Path, path: str) -> None:
    empty = Settings(data_dir=tmp_path / "irisx")
    empty.ensure_dirs()
    with TestClient(create_app(empty)) as fresh:
        key = api_key(empty, "acme")
        problem = _problem(fresh, path, key, 503)
    assert problem["type"] == "urn:irisx:problem:mart-not-published"
