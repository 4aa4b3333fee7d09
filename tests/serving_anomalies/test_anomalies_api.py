"""/v1/anomalies and /v1/incidents over hand-made marts published by the pipeline's own publisher
(``warehouse.python_marts.publish_mart``): Parquet (embedded profile) and chDB tables
``irisx.anomalies`` / ``irisx.incidents`` (server profile), same answers from both.

acme: an outage of carrier c-1 on 2025-03-06 (ASR 0 at 20:00, the tenant's ASR 0.4 with the
carrier in its drill-down; incident 20:00-21:45, closed), a queue abandonment on 03-05 10:00
and an open spend incident from 03-06 23:45 to 03-07 00:15. globex: one anomaly and one
incident that acme's key must never see.
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
from pipelines.anomaly.build import ANOMALIES_SCHEMA, INCIDENTS_SCHEMA
from serving.app import create_app
from serving.auth import ApiKeyStore
from warehouse.python_marts import publish_mart


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


SEEN = t("2025-03-07T01:00:00")


def anomaly(tenant: str, dimension: str, member: str, kpi: str, at: str, **numbers: Any) -> dict:
    observed, expected = numbers["value"], numbers["expected"]
    return {
        "anomaly_id": f"{tenant}-{member}-{kpi}-{at}",
        "tenant_id": tenant,
        "dimension": dimension,
        "dimension_value": member,
        "kpi": kpi,
        "grain_minutes": 15,
        "bucket_start": t(at),
        "lower": numbers.get("lower", 0.0),
        "upper": numbers.get("upper", 1.0),
        "deviation": observed - expected,
        "direction": "up" if observed > expected else "down",
        "method": "ensemble",
        "detectors": "count",
        "explanation": f"{kpi} on {dimension} {member}",
        "drill_down": numbers.get("drill_down"),
        "scored_at": SEEN,
        **{k: v for k, v in numbers.items() if k in ("value", "expected", "score")},
    }


def incident(tenant: str, iid: str, dimension: str, value: str, kpi: str, start: str, end: str,
             severity: str, status: str) -> dict:  # fmt: skip
    return {
        "incident_id": iid,
        "tenant_id": tenant,
        "dimension": dimension,
        "dimension_value": value,
        "kpi": kpi,
        "grain_minutes": 15,
        "start": t(start),
        "end": t(end),
        "severity": severity,
        "peak_score": 0.999,
        "direction": "down",
        "status": status,
        "alert": True,
        "explanation": f"{kpi} on {dimension} {value}",
        "first_seen": SEEN,
        "last_seen": SEEN,
    }


DRILL = "carrier=c-1: 0 vs expected 0.6 [0.3, 0.9]"
ANOMALIES = [
    anomaly("globex", "carrier", "c-1", "asr", "2025-03-06T20:00:00", value=0.0, expected=0.6,
            score=0.999),
    anomaly("acme", "tenant", "all", "asr", "2025-03-06T20:00:00", value=0.4, expected=0.6,
            lower=0.5, upper=0.7, score=0.97, drill_down=DRILL),
    anomaly("acme", "carrier", "c-1", "asr", "2025-03-06T20:00:00", value=0.0, expected=0.6,
            lower=0.3, upper=0.9, score=0.999),
    anomaly("acme", "queue", "q-1", "abandon_rate", "2025-03-05T10:00:00", value=0.5,
            expected=0.1, score=0.995),
]  # fmt: skip
INCIDENTS = [
    incident("acme", "i-outage", "carrier", "c-1", "asr", "2025-03-06T20:00:00",
             "2025-03-06T21:45:00", "critical", "closed"),
    incident("globex", "g-outage", "carrier", "c-1", "asr", "2025-03-06T20:00:00",
             "2025-03-06T21:45:00", "critical", "closed"),
    incident("acme", "i-queue", "queue", "q-1", "abandon_rate", "2025-03-05T10:00:00",
             "2025-03-05T10:00:00", "warning", "closed"),
    incident("acme", "i-spend", "tenant", "all", "spend", "2025-03-06T23:45:00",
             "2025-03-07T00:15:00", "warning", "open"),
]  # fmt: skip


@pytest.fixture(scope="module", params=[Profile.EMBEDDED, Profile.SERVER])
def settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    built = Settings(
        data_dir=tmp_path_factory.mktemp("anomalies_api") / "irisx", profile=request.param
    )
    built.ensure_dirs()
    publish_mart(built, "anomalies", pa.Table.from_pylist(ANOMALIES, schema=ANOMALIES_SCHEMA))
    publish_mart(built, "incidents", pa.Table.from_pylist(INCIDENTS, schema=INCIDENTS_SCHEMA))
    return built


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _key(settings: Settings, tenant: str) -> dict[str, str]:
    return {"X-API-Key": ApiKeyStore(settings.auth_db_path).create(tenant)[1]}


def _get(client: TestClient, settings: Settings, path: str, tenant: str = "acme") -> dict:
    response = client.get(path, headers=_key(settings, tenant))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _series(body: dict) -> list[tuple[str, str, str]]:
    return [(r["dimension"], r["dimension_value"], r["kpi"]) for r in body["rows"]]


def test_anomalies_of_a_day_by_bucket_then_series(client: TestClient, settings: Settings) -> None:
    body = _get(client, settings, "/v1/anomalies?from=2025-03-06&to=2025-03-06")
    assert (body["tenant_id"], body["interval_from"], body["interval_to"]) == (
        "acme", "2025-03-06T00:00:00Z", "2025-03-06T23:45:00Z",
    )  # fmt: skip
    assert _series(body) == [("carrier", "c-1", "asr"), ("tenant", "all", "asr")]
    carrier, tenant = body["rows"]
    assert (carrier["value"], carrier["expected"], carrier["lower"], carrier["upper"]) == (
        0.0, 0.6, 0.3, 0.9,
    )  # fmt: skip
    assert (carrier["deviation"], carrier["direction"]) == (-0.6, "down")
    assert carrier["bucket_start"] == "2025-03-06T20:00:00Z"
    assert carrier["drill_down"] is None
    assert tenant["drill_down"] == DRILL


def test_anomaly_filters_and_default_window(client: TestClient, settings: Settings) -> None:
    # No range: the week (672 intervals) up to acme's latest bucket, 03-06 20:00:
    # from = 20:00 - 671 x 15 min = 2025-02-27 20:15.
    body = _get(client, settings, "/v1/anomalies")
    assert (body["interval_from"], body["interval_to"]) == (
        "2025-02-27T20:15:00Z", "2025-03-06T20:00:00Z",
    )  # fmt: skip
    assert len(body["rows"]) == 3
    assert _series(_get(client, settings, "/v1/anomalies?kpi=abandon_rate")) == [
        ("queue", "q-1", "abandon_rate")
    ]
    assert _series(_get(client, settings, "/v1/anomalies?dimension=carrier")) == [
        ("carrier", "c-1", "asr")
    ]
    # min_score 0.99 keeps 0.995 and 0.999, not the tenant's 0.97.
    assert _series(_get(client, settings, "/v1/anomalies?min_score=0.99")) == [
        ("queue", "q-1", "abandon_rate"), ("carrier", "c-1", "asr"),
    ]  # fmt: skip


def test_incidents_overlapping_the_range(client: TestClient, settings: Settings) -> None:
    # 21:00 .. 23:59 (to 23:45): the outage ends 21:45 >= 21:00, the spend incident starts
    # 23:45 <= 23:45; the queue incident of 03-05 is outside.
    path = "/v1/incidents?from=2025-03-06T21:00:00Z&to=2025-03-06T23:59:00Z"
    body = _get(client, settings, path)
    assert [r["incident_id"] for r in body["rows"]] == ["i-outage", "i-spend"]
    outage = body["rows"][0]
    assert (outage["start"], outage["end"], outage["status"], outage["alert"]) == (
        "2025-03-06T20:00:00Z", "2025-03-06T21:45:00Z", "closed", True,
    )  # fmt: skip
    assert [r["incident_id"] for r in _get(client, settings, path + "&status=open")["rows"]] == [
        "i-spend"
    ]
    assert [
        r["incident_id"] for r in _get(client, settings, path + "&severity=critical")["rows"]
    ] == ["i-outage"]
    # Default window: the week up to acme's latest incident end (03-07 00:15): all three.
    assert len(_get(client, settings, "/v1/incidents")["rows"]) == 3


@pytest.mark.parametrize("path", ["/v1/anomalies", "/v1/incidents"])
def test_another_tenants_key_never_sees_these_rows(
    client: TestClient, settings: Settings, path: str
) -> None:
    body = _get(client, settings, f"{path}?from=2025-03-01&to=2025-03-07", tenant="globex")
    assert body["tenant_id"] == "globex"
    assert len(body["rows"]) == 1
    assert body["rows"][0]["dimension_value"] == "c-1"
    assert _get(client, settings, path, tenant="initech")["rows"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("anomalies?tenant_id=globex", "tenant_id"),
        ("anomalies?min_score=2", "min_score"),
        ("anomalies?kpi=revenue", "kpi"),
        ("anomalies?from=2025-03-06&to=2025-03-05", "to"),
        ("anomalies?from=2024-01-01&to=2025-03-05", "to"),
        ("incidents?status=pending", "status"),
        ("incidents?severity=minor", "severity"),
        ("incidents?tenant_id=globex", "tenant_id"),
    ],
)
def test_bad_queries_are_validation_problems(
    client: TestClient, settings: Settings, query: str, field: str
) -> None:
    response = client.get(f"/v1/{query}", headers=_key(settings, "acme"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


def test_unpublished_marts_are_503_and_keys_are_required(tmp_path: Path) -> None:
    empty = Settings(data_dir=tmp_path / "irisx")
    empty.ensure_dirs()
    headers = {"X-API-Key": ApiKeyStore(empty.auth_db_path).create("acme")[1]}
    with TestClient(create_app(empty)) as fresh:
        for path in ("/v1/anomalies", "/v1/incidents"):
            assert fresh.get(path).status_code == 401
            response = fresh.get(f"{path}?from=2025-03-06&to=2025-03-06", headers=headers)
            assert response.status_code == 503, response.text
            assert response.json()["type"] == "urn:irisx:problem:mart-not-published"
