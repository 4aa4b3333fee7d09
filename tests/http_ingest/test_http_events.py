"""POST /v1/events/{family} and the FreeSWITCH webhook, embedded profile: real app, real key
store, real Parquet lake and dead-letter store."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from config import Settings
from ingest import DeadLetterStore
from serving.app import create_app
from serving.auth import ApiKeyStore
from tests.event_samples import call_record
from warehouse import ParquetLake

FS_INBOUND = (
    Path(__file__).parents[1]
    / "ingest/fixtures/freeswitch/a_6f1c2a9e-3b7d-4e21-9c55-0a8f4b2d7e13.cdr.json"
)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def acme(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {ApiKeyStore(settings.auth_db_path).create('acme')[1]}"}


def _lake_rows(settings: Settings, family: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in ParquetLake(settings.lake_dir).files(family):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def _post(client: TestClient, headers: dict[str, str], body: Any, **extra: str) -> Any:
    return client.post(
        "/v1/events/call",
        content=orjson.dumps(body),
        headers={**headers, "Content-Type": "application/json", **extra},
    )


def test_mixed_batch_keeps_valid_events_and_names_each_reject(
    client: TestClient, acme: dict[str, str], settings: Settings
) -> None:
    no_tenant = call_record(3)
    del no_tenant["tenant_id"]
    body = [
        call_record(0),
        call_record(1),
        call_record(0),  # same event_id again: a duplicate, not a second row
        no_tenant,  # gets the key's tenant
        call_record(4, billsec="lots"),
        call_record(5, tenant_id="globex"),
        "not an object",
    ]
    response = _post(client, acme, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (3, 1, 3)
    reasons = {r["index"]: r["reason"] for r in answer["rejections"]}
    assert set(reasons) == {4, 5, 6}
    assert reasons[4].startswith("billsec")
    assert reasons[5] == "tenant_id: 'globex' is not the API key's tenant 'acme'"
    assert "expected a JSON object" in reasons[6]
    rows = _lake_rows(settings, "call")
    assert sorted(r["event_id"] for r in rows) == ["call-000000", "call-000001", "call-000003"]
    assert {r["tenant_id"] for r in rows} == {"acme"}
    assert DeadLetterStore(settings.deadletter_dir).count() == 3


def test_retried_post_is_idempotent(
    client: TestClient, acme: dict[str, str], settings: Settings
) -> None:
    body = [call_record(i) for i in range(5)]
    first = _post(client, acme, body).json()
    second = _post(client, acme, body).json()
    assert first["batch_id"] == second["batch_id"]
    assert second["accepted"] == 5
    assert len(_lake_rows(settings, "call")) == 5


def test_gzip_ndjson_with_a_truncated_line(
    client: TestClient, acme: dict[str, str], settings: Settings
) -> None:
    lines = [orjson.dumps(call_record(i)) for i in range(3)] + [b'{"event_id": "call-9", "ten']
    response = client.post(
        "/v1/events/call",
        content=gzip.compress(b"\n".join(lines)),
        headers={
            **acme,
            "Content-Type": "application/x-ndjson",
            "Content-Encoding": "gzip",
        },
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (3, 1)
    assert answer["rejections"][0]["index"] == 4
    assert answer["rejections"][0]["unit"] == "line"
    assert "invalid JSON" in answer["rejections"][0]["reason"]
    assert len(_lake_rows(settings, "call")) == 3


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "detail"),
    [
        ("/v1/events/call", b'[{"event_id": "x"', {}, 400, "body: invalid JSON"),
        ("/v1/events/call", b'"text"', {}, 400, "expected a JSON array"),
        ("/v1/events/calls", b"[]", {}, 404, "family: unknown event family 'calls'"),
        ("/v1/events/call", b"[]", {"Content-Type": "text/csv"}, 415, "Content-Type"),
        ("/v1/events/call", b"\x1f\x8bxx", {"Content-Encoding": "gzip"}, 400, "gzip"),
        ("/v1/events/call", b"[" + b"{}," * 10_000 + b"{}]", {}, 413, "10000 events"),
    ],
)
def test_malformed_bodies_are_problems(
    client: TestClient,
    acme: dict[str, str],
    path: str,
    body: bytes,
    headers: dict[str, str],
    status: int,
    detail: str,
) -> None:
    response = client.post(
        path, content=body, headers={**acme, "Content-Type": "application/json", **headers}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


def test_size_limits(client: TestClient, acme: dict[str, str]) -> None:
    too_big = b" " * (10 * 1024 * 1024 + 1)
    response = client.post(
        "/v1/events/call", content=too_big, headers={**acme, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "larger than 10485760 bytes" in response.json()["detail"]
    bomb = gzip.compress(b" " * (50 * 1024 * 1024 + 1), compresslevel=1)
    assert len(bomb) < 10 * 1024 * 1024
    response = client.post(
        "/v1/events/call",
        content=bomb,
        headers={**acme, "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 413
    assert "decompressed" in response.json()["detail"]


def test_no_key_is_401(client: TestClient) -> None:
    response = client.post("/v1/events/call", content=b"[]")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_freeswitch_webhook_maps_the_cdr_and_checks_its_tenant(
    client: TestClient, settings: Settings
) -> None:
    key = ApiKeyStore(settings.auth_db_path).create("acme-support")[1]
    cdr = FS_INBOUND.read_bytes()
    response = client.post(
        "/v1/webhooks/freeswitch",
        content=cdr,
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    (row,) = _lake_rows(settings, "call")
    assert row["call_id"] == "6f1c2a9e-3b7d-4e21-9c55-0a8f4b2d7e13"
    assert row["billsec"] == 147
    other = ApiKeyStore(settings.auth_db_path).create("acme")[1]
    response = client.post("/v1/webhooks/freeswitch", content=cdr, headers={"X-API-Key": other})
    assert response.json()["rejected"] == 1
    assert (
        "'acme-support' is not the API key's tenant 'acme'"
        in (response.json()["rejections"][0]["reason"])
    )
