"""GET /v1/kpis/calls/daily against a real Parquet mart and a real SQLite key store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from config import Settings
from serving.app import create_app
from serving.auth import ApiKeyStore
from tests.serving.kpi_data import bearer

URL = "/v1/kpis/calls/daily"
PROBLEM = "application/problem+json"

pytestmark = pytest.mark.usefixtures("published")


def keys_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(row["call_date"], row["direction"]) for row in body["rows"]]


def test_date_range_is_inclusive_and_rows_are_ordered(client: TestClient, acme_key: str) -> None:
    response = client.get(
        URL, params={"from": "2024-03-01", "to": "2024-03-02"}, headers=bearer(acme_key)
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["tenant_id"] == "acme"
    assert (body["date_from"], body["date_to"], body["direction"]) == (
        "2024-03-01",
        "2024-03-02",
        None,
    )
    # 2024-02-29 and 2024-03-03 lie outside the range; globex's rows belong to another tenant.
    assert keys_of(body) == [
        ("2024-03-01", "inbound"),
        ("2024-03-01", "outbound"),
        ("2024-03-02", "inbound"),
    ]
    inbound = body["rows"][0]
    assert inbound == {
        "call_date": "2024-03-01",
        "direction": "inbound",
        "offered": 10,
        "answered": 8,
        "queued": 10,
        "abandoned": 2,
        "answered_within_20s": 6,
        "total_billsec": 960,
        "asr": 0.8,  # 8 / 10
        "acd_sec": 120.0,  # 960 s / 8 answered
        "aht_sec": 120.0,
        "abandon_rate": 0.2,  # 2 / 10 queued
        "service_level_20s": 0.6,  # 6 / 10 queued
    }
    # A day with no answered call: ratios over answered calls are null, not 0 or NaN.
    assert body["rows"][2]["asr"] == 0.0
    assert body["rows"][2]["acd_sec"] is None
    assert body["rows"][2]["abandon_rate"] == 1.0


def test_single_day_and_leap_day(client: TestClient, acme_key: str) -> None:
    response = client.get(
        URL, params={"from": "2024-02-29", "to": "2024-02-29"}, headers=bearer(acme_key)
    )

    assert response.status_code == 200
    rows = response.json()["rows"]
    assert [(row["call_date"], row["offered"], row["answered"]) for row in rows] == [
        ("2024-02-29", 4, 2)
    ]
    assert rows[0]["asr"] == 0.5


def test_direction_filter(client: TestClient, acme_key: str) -> None:
    params = {"from": "2024-02-01", "to": "2024-03-31", "direction": "outbound"}
    response = client.get(URL, params=params, headers=bearer(acme_key))

    assert response.status_code == 200
    assert response.json()["direction"] == "outbound"
    assert keys_of(response.json()) == [("2024-03-01", "outbound")]
    assert response.json()["rows"][0]["offered"] == 20


def test_range_without_data_is_empty_not_an_error(client: TestClient, acme_key: str) -> None:
    response = client.get(
        URL, params={"from": "2023-01-01", "to": "2023-01-31"}, headers=bearer(acme_key)
    )

    assert response.status_code == 200
    assert response.json()["rows"] == []


def test_x_api_key_header_works_like_bearer(client: TestClient, acme_key: str) -> None:
    params = {"from": "2024-02-01", "to": "2024-03-31"}
    via_header = client.get(URL, params=params, headers={"X-API-Key": acme_key})
    via_bearer = client.get(URL, params=params, headers=bearer(acme_key))

    assert via_header.status_code == 200
    assert via_header.json() == via_bearer.json()
    assert len(via_header.json()["rows"]) == 5
    # The same key in both headers is one key, not two.
    both = client.get(URL, params=params, headers={**bearer(acme_key), "X-API-Key": acme_key})
    assert both.status_code == 200


# ---- default range -------------------------------------------------------------------------


def window(
    client: TestClient, key: str, params: dict[str, str]
) -> tuple[str, str, list[tuple[str, str]]]:
    response = client.get(URL, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    body = response.json()
    return body["date_from"], body["date_to"], keys_of(body)


def test_no_range_answers_the_30_days_up_to_the_tenants_latest_data(
    client: TestClient, acme_key: str, globex_key: str
) -> None:
    # acme's latest day is 2024-03-03; 30 days back, both ends included, starts on 2024-02-03.
    date_from, date_to, rows = window(client, acme_key, {})
    assert (date_from, date_to) == ("2024-02-03", "2024-03-03")
    assert len(rows) == 5
    # globex's latest day is 2024-03-02 (2024 is a leap year: 2024-02-02 is 30 days before).
    date_from, date_to, rows = window(client, globex_key, {})
    assert (date_from, date_to) == ("2024-02-02", "2024-03-02")
    assert rows == [("2024-03-01", "inbound"), ("2024-03-02", "outbound")]


def test_one_open_end_is_a_30_day_window_from_the_other(client: TestClient, acme_key: str) -> None:
    date_from, date_to, rows = window(client, acme_key, {"from": "2024-03-02"})
    assert (date_from, date_to) == ("2024-03-02", "2024-03-31")
    assert rows == [("2024-03-02", "inbound"), ("2024-03-03", "inbound")]

    date_from, date_to, rows = window(client, acme_key, {"to": "2024-03-01"})
    assert (date_from, date_to) == ("2024-02-01", "2024-03-01")  # February 2024 has 29 days
    assert rows == [
        ("2024-02-29", "inbound"),
        ("2024-03-01", "inbound"),
        ("2024-03-01", "outbound"),
    ]


def test_tenant_without_data_gets_an_empty_window_ending_today(
    client: TestClient, key_store: ApiKeyStore
) -> None:
    key = key_store.create("initech")[1]
    before = datetime.now(UTC).date()
    date_from, date_to, rows = window(client, key, {})
    after = datetime.now(UTC).date()

    assert rows == []
    assert date.fromisoformat(date_to) in {before, after}
    assert (date.fromisoformat(date_to) - date.fromisoformat(date_from)).days == 29


# ---- tenant isolation ----------------------------------------------------------------------


def test_each_key_sees_only_its_own_tenant(
    client: TestClient, acme_key: str, globex_key: str
) -> None:
    params = {"from": "2024-01-01", "to": "2024-12-31"}
    acme = client.get(URL, params=params, headers=bearer(acme_key)).json()
    globex = client.get(URL, params=params, headers=bearer(globex_key)).json()

    assert acme["tenant_id"] == "acme"
    assert [row["offered"] for row in acme["rows"]] == [4, 10, 20, 5, 1]
    assert globex["tenant_id"] == "globex"
    assert keys_of(globex) == [("2024-03-01", "inbound"), ("2024-03-02", "outbound")]
    assert [row["offered"] for row in globex["rows"]] == [999, 777]


@pytest.mark.parametrize(
    "extra",
    [
        {"tenant_id": "globex"},
        {"tenant": "globex"},
        {"tenant_id": "globex", "direction": "inbound"},
        {"tenant_id": "' or '1'='1"},
    ],
)
def test_a_tenant_in_the_query_is_rejected_never_obeyed(
    client: TestClient, acme_key: str, extra: dict[str, str]
) -> None:
    params = {"from": "2024-01-01", "to": "2024-12-31", **extra}
    response = client.get(URL, params=params, headers=bearer(acme_key))

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert "rows" not in body
    assert "999" not in response.text
    assert "777" not in response.text
    rejected = {error["field"] for error in body["errors"] if error["type"] == "extra_forbidden"}
    assert rejected == set(extra) - {"direction"}


def test_tenant_headers_do_not_change_the_tenant(client: TestClient, acme_key: str) -> None:
    headers = {**bearer(acme_key), "X-Tenant-Id": "globex", "X-Tenant": "globex"}
    response = client.get(URL, params={"from": "2024-01-01", "to": "2024-12-31"}, headers=headers)

    assert response.status_code == 200
    assert response.json()["tenant_id"] == "acme"
    assert {row["offered"] for row in response.json()["rows"]}.isdisjoint({999, 777})


# ---- authentication failures ---------------------------------------------------------------


def assert_unauthorized(response: httpx.Response, detail_part: str) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["title"] == "Unauthorized"
    assert body["status"] == 401
    assert body["instance"] == URL
    assert detail_part in body["detail"]
    assert "rows" not in body


PARAMS = {"from": "2024-03-01", "to": "2024-03-02"}


def test_missing_key_is_401(client: TestClient) -> None:
    assert_unauthorized(client.get(URL, params=PARAMS), "missing API key")
    # A scheme other than Bearer carries no key either.
    basic = client.get(URL, params=PARAMS, headers={"Authorization": "Basic YWNtZTpzZWNyZXQ="})
    assert_unauthorized(basic, "missing API key")


@pytest.mark.parametrize(
    "presented",
    [
        "not-a-key",
        "irx_0123456789abcdef_" + "A" * 43,  # well formed, never issued
        "",
    ],
)
def test_invalid_key_is_401(client: TestClient, presented: str) -> None:
    response = client.get(URL, params=PARAMS, headers={"X-API-Key": presented})
    expected = "missing API key" if presented == "" else "invalid or revoked API key"
    assert_unauthorized(response, expected)


def test_tampered_secret_is_401(client: TestClient, acme_key: str) -> None:
    last = acme_key[-1]
    tampered = acme_key[:-1] + ("B" if last != "B" else "C")
    assert_unauthorized(
        client.get(URL, params=PARAMS, headers=bearer(tampered)), "invalid or revoked"
    )


def test_revoked_key_is_401(client: TestClient, key_store: ApiKeyStore, acme_key: str) -> None:
    assert client.get(URL, params=PARAMS, headers=bearer(acme_key)).status_code == 200
    key_id = acme_key.split("_")[1]
    assert key_store.revoke(key_id) is True

    assert_unauthorized(client.get(URL, params=PARAMS, headers=bearer(acme_key)), "revoked")


def test_two_different_keys_are_refused(client: TestClient, acme_key: str, globex_key: str) -> None:
    response = client.get(URL, params=PARAMS, headers={**bearer(acme_key), "X-API-Key": globex_key})
    assert_unauthorized(response, "two different API keys")


def test_authentication_comes_before_validation(client: TestClient) -> None:
    # Callers without a key learn nothing about the parameters.
    assert client.get(URL, params={"from": "nonsense"}).status_code == 401


# ---- validation problems -------------------------------------------------------------------


def validation_problem(client: TestClient, key: str, params: dict[str, str]) -> dict[str, Any]:
    response = client.get(URL, params=params, headers=bearer(key))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == "urn:irisx:problem:validation-error"
    assert body["title"] == "Request validation failed"
    assert body["status"] == 422
    assert body["instance"] == URL
    return body


def test_from_after_to_is_422_naming_to(client: TestClient, acme_key: str) -> None:
    body = validation_problem(client, acme_key, {"from": "2024-03-02", "to": "2024-03-01"})

    assert [(e["loc"], e["field"], e["type"]) for e in body["errors"]] == [
        (["query", "to"], "to", "date_range")
    ]
    assert "must be on or after 'from'" in body["errors"][0]["msg"]
    assert "to:" in body["detail"]


def test_malformed_parameters_are_each_named(client: TestClient, acme_key: str) -> None:
    params = {"from": "2024-3-1", "to": "2024-13-01", "direction": "sideways"}
    body = validation_problem(client, acme_key, params)

    by_field = {error["field"]: error for error in body["errors"]}
    assert set(by_field) == {"from", "to", "direction"}
    assert by_field["from"]["loc"] == ["query", "from"]
    assert by_field["from"]["type"] == "date_format"
    assert by_field["to"]["type"].startswith("date")
    assert by_field["direction"]["type"] == "enum"


@pytest.mark.parametrize("value", ["0", "1709251200", "2024-03-01T00:00:00", "20240301"])
def test_only_calendar_dates_are_accepted(client: TestClient, acme_key: str, value: str) -> None:
    # pydantic alone reads "0" as 1970-01-01 and numbers as Unix time: refused here.
    body = validation_problem(client, acme_key, {"from": value, "to": "2024-03-02"})
    assert [error["field"] for error in body["errors"]] == ["from"]


@pytest.mark.parametrize(
    ("params", "field"), [({"from": "9999-12-20"}, "from"), ({"to": "0001-01-05"}, "to")]
)
def test_default_window_past_the_calendar_is_422(
    client: TestClient, acme_key: str, params: dict[str, str], field: str
) -> None:
    body = validation_problem(client, acme_key, params)
    assert [(error["field"], error["type"]) for error in body["errors"]] == [(field, "date_range")]


def test_range_limit_is_366_days_inclusive(client: TestClient, acme_key: str) -> None:
    # 2024 is a leap year: 1 Jan to 31 Dec is exactly 366 days, the most allowed.
    full_year = client.get(
        URL, params={"from": "2024-01-01", "to": "2024-12-31"}, headers=bearer(acme_key)
    )
    assert full_year.status_code == 200

    body = validation_problem(client, acme_key, {"from": "2024-01-01", "to": "2025-01-01"})
    assert body["errors"][0]["field"] == "to"
    assert "367 days" in body["errors"][0]["msg"]


# ---- mart state ----------------------------------------------------------------------------


def test_missing_mart_is_503_problem(client: TestClient, acme_key: str, published: Path) -> None:
    published.unlink()
    response = client.get(URL, params=PARAMS, headers=bearer(acme_key))

    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body == {
        "type": "urn:irisx:problem:mart-not-published",
        "title": "Mart not published",
        "status": 503,
        "detail": "mart 'agg_call_kpis_daily' has not been published yet; run the pipeline",
        "instance": URL,
    }


def test_corrupt_mart_is_500_problem_without_internals(
    settings: Settings, acme_key: str, published: Path
) -> None:

    published.write_bytes(b"PAR1 this is not a parquet file")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.get(URL, params=PARAMS, headers=bearer(acme_key))

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert (body["type"], body["title"], body["status"]) == (
        "about:blank",
        "Internal Server Error",
        500,
    )
    assert str(settings.data_dir) not in response.text
    assert "parquet" not in response.text.lower()
