"""SMPP delivery receipts and SendGrid events: hand-written payloads in the documented formats,
mapped by the pure functions and posted to the webhooks (real app, lake, dead letters)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from config import Settings
from ingest.webhooks import (
    WebhookMappingError,
    parse_delivery_receipt,
    sendgrid_event_to_message,
    smpp_dlr_to_message,
)
from serving.app import create_app
from serving.auth import ApiKeyStore
from warehouse import ParquetLake

DLR_TEXT = (
    "id:0123456789 sub:001 dlvrd:001 submit date:2405011000 done date:2405011002 "
    "stat:DELIVRD err:000 text:Your code: 42 is"
)
DLR = {
    "short_message": DLR_TEXT,
    "source_addr": "+447700900123",
    "destination_addr": "+15005550006",
}


def _sendgrid(event: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": "ana@example.com",
        "timestamp": 1714557600,  # 2024-05-01T10:00:00Z
        "event": event,
        "sg_event_id": f"sg-{event}-1",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "irisx_from": "news@acme.example",
        **extra,
    }


def test_receipt_text_is_split_into_its_fields() -> None:
    fields = parse_delivery_receipt(DLR_TEXT)
    assert fields["id"] == "0123456789"
    assert fields["submit date"] == "2405011000"
    assert fields["done date"] == "2405011002"
    assert (fields["stat"], fields["err"]) == ("DELIVRD", "000")
    assert fields["text"] == "Your code: 42 is"


def test_delivered_receipt_maps_to_a_delivered_sms() -> None:
    mapped = smpp_dlr_to_message(DLR, provider="smsc-eu")
    assert mapped == {
        "event_id": "smpp-dlr-0123456789-delivrd",
        "occurred_at": "2024-05-01T10:02:00+00:00",
        "message_id": "0123456789",
        "channel": "sms",
        "status": "delivered",
        "from_address": "+15005550006",
        "to_address": "+447700900123",
        "provider": "smsc-eu",
    }


def test_undeliverable_receipt_keeps_its_error_code() -> None:
    failed = dict(DLR, short_message=DLR_TEXT.replace("DELIVRD err:000", "UNDELIV err:0B1"))
    mapped = smpp_dlr_to_message(failed)
    assert (mapped["status"], mapped["error_code"]) == ("failed", "0B1")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**DLR, "short_message": DLR_TEXT.replace("DELIVRD", "GONE")}, "stat"),
        ({**DLR, "short_message": DLR_TEXT.replace("2405011002", "24-05-01")}, "done date"),
        ({k: v for k, v in DLR.items() if k != "source_addr"}, "source_addr"),
        ({**DLR, "short_message": ""}, "short_message"),
    ],
)
def test_bad_receipts_name_the_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(WebhookMappingError, match=f"^{field}: "):
        smpp_dlr_to_message(payload)


@pytest.mark.parametrize(
    ("event", "status"),
    [
        ("processed", "queued"),
        ("delivered", "delivered"),
        ("bounce", "bounced"),
        ("dropped", "failed"),
        ("open", "opened"),
        ("click", "clicked"),
        ("unsubscribe", "unsubscribed"),
        ("spamreport", "complained"),
    ],
)
def test_sendgrid_events_map_to_statuses(event: str, status: str) -> None:
    mapped = sendgrid_event_to_message(_sendgrid(event))
    assert mapped["status"] == status
    assert mapped["message_id"] == "14c5d75ce93"
    assert mapped["occurred_at"] == "2024-05-01T10:00:00+00:00"
    assert (mapped["channel"], mapped["to_address"]) == ("email", "ana@example.com")


def test_sendgrid_bounce_and_click_details() -> None:
    bounce = sendgrid_event_to_message(_sendgrid("bounce", status="5.1.1", type="bounce"))
    assert bounce["error_code"] == "5.1.1"
    click = sendgrid_event_to_message(_sendgrid("click", url="https://acme.example/x"))
    assert click["url"] == "https://acme.example/x"
    with pytest.raises(WebhookMappingError, match=r"^event: 'deferred'"):
        sendgrid_event_to_message(_sendgrid("deferred"))
    no_sender = _sendgrid("open")
    del no_sender["irisx_from"]
    with pytest.raises(WebhookMappingError, match=r"^irisx_from: "):
        sendgrid_event_to_message(no_sender)
    assert sendgrid_event_to_message(no_sender, default_from="a@b.example")["from_address"] == (
        "a@b.example"
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _messages(settings: Settings) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in ParquetLake(settings.lake_dir).files("message"):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def test_webhooks_write_messages_and_reject_with_reasons(
    client: TestClient, settings: Settings
) -> None:
    key = {"X-API-Key": ApiKeyStore(settings.auth_db_path).create("acme")[1]}
    events = [_sendgrid("delivered"), _sendgrid("open"), _sendgrid("deferred")]
    answer = client.post("/v1/webhooks/sendgrid", content=orjson.dumps(events), headers=key).json()
    assert (answer["accepted"], answer["rejected"]) == (2, 1)
    assert answer["rejections"][0]["index"] == 2
    assert answer["rejections"][0]["reason"].startswith("event: 'deferred'")
    answer = client.post("/v1/webhooks/smpp-dlr", content=orjson.dumps(DLR), headers=key).json()
    assert answer["accepted"] == 1
    rows = _messages(settings)
    assert sorted((r["channel"], r["status"]) for r in rows) == [
        ("email", "delivered"),
        ("email", "opened"),
        ("sms", "delivered"),
    ]
    assert {r["tenant_id"] for r in rows} == {"acme"}
