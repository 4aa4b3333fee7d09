"""/healthz, unknown routes and methods: always problem+json for errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def test_healthz_before_anything_is_published(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "marts": [
            {
                "name": "agg_call_kpis_daily",
                "published": False,
                "published_at": None,
                "served": True,
            }
        ],
    }


def test_healthz_lists_published_marts_without_a_key(client: TestClient, published: Path) -> None:
    # A second mart the API does not serve yet is listed too; temp files are not.
    (published.parent / "agg_revenue_monthly.parquet").write_bytes(published.read_bytes())
    (published.parent / ".agg_call_kpis_daily.parquet.0123.tmp").write_bytes(b"half written")

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert [(m["name"], m["published"], m["served"]) for m in body["marts"]] == [
        ("agg_call_kpis_daily", True, True),
        ("agg_revenue_monthly", True, False),
    ]
    published_at = datetime.fromisoformat(body["marts"][0]["published_at"])
    assert abs(published_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_unknown_route_is_404_problem(client: TestClient) -> None:
    response = client.get("/v1/nothing/here", params={"x": "1"})

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no resource at /v1/nothing/here",
        "instance": "/v1/nothing/here",
    }


def test_wrong_method_is_405_problem_with_allow(client: TestClient) -> None:
    response = client.post("/healthz")

    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["allow"] == "GET"
    assert response.json()["title"] == "Method Not Allowed"
    assert response.json()["status"] == 405
