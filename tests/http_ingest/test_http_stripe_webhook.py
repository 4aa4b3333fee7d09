"""Stripe webhook events → billing contract, on hand-written events in Stripe's documented shape."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from config import Settings
from ingest.webhooks import WebhookMappingError, minor_to_major, stripe_event_to_billing
from serving.app import create_app
from serving.auth import ApiKeyStore
from warehouse import ParquetLake

CREATED = 1714557600  # 2024-05-01T10:00:00Z


def _subscription_event(kind: str = "customer.subscription.created", **obj: Any) -> dict[str, Any]:
    subscription = {
        "id": "sub_1",
        "object": "subscription",
        "customer": "cus_9",
        "status": "trialing",
        "trial_end": 1715767200,  # 2024-05-15T10:00:00Z
        "discount": {"coupon": {"id": "SPRING", "percent_off": 20.0}},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "quantity": 5,
                    "current_period_start": CREATED,
                    "current_period_end": 1722506400,  # 2024-08-01T10:00:00Z
                    "price": {
                        "id": "price_pro_q",
                        "currency": "usd",
                        "unit_amount": 4900,
                        "recurring": {"interval": "month", "interval_count": 3},
                    },
                }
            ],
        },
        **obj,
    }
    return {"id": "evt_1", "type": kind, "created": CREATED, "data": {"object": subscription}}


def test_subscription_created_maps_price_interval_quantity_discount_and_trial() -> None:
    mapped = stripe_event_to_billing(_subscription_event())
    assert mapped == {
        "event_id": "evt_1",
        "occurred_at": "2024-05-01T10:00:00+00:00",
        "event_type": "subscription_created",
        "customer_id": "cus_9",
        "subscription_id": "sub_1",
        "plan_id": "price_pro_q",
        "interval": "month",
        "interval_count": 3,
        "quantity": 5,
        "amount": "49.00",
        "currency": "USD",
        "discount_percent": 20.0,
        "trial_end": "2024-05-15T10:00:00+00:00",
        "period_start": "2024-05-01T10:00:00+00:00",
        "period_end": "2024-08-01T10:00:00+00:00",
    }


def test_minor_units_follow_the_currency_exponent() -> None:
    assert minor_to_major(4900, "usd") == Decimal("49.00")
    assert minor_to_major(5000, "jpy") == Decimal(5000)
    assert minor_to_major(1234, "kwd") == Decimal("1.234")


def test_invoice_and_refund_events() -> None:
    invoice = {"id": "in_7", "customer": "cus_9", "subscription": "sub_1", "currency": "eur"}
    paid = stripe_event_to_billing(
        {
            "id": "evt_2",
            "type": "invoice.paid",
            "created": CREATED,
            "data": {"object": {**invoice, "amount_paid": 12345, "amount_due": 12345}},
        }
    )
    assert (paid["event_type"], paid["invoice_id"], paid["amount"], paid["currency"]) == (
        "invoice_paid",
        "in_7",
        "123.45",
        "EUR",
    )
    failed = stripe_event_to_billing(
        {
            "id": "evt_3",
            "type": "invoice.payment_failed",
            "created": CREATED,
            "data": {"object": {**invoice, "amount_paid": 0, "amount_due": 990}},
        }
    )
    assert (failed["event_type"], failed["amount"]) == ("invoice_failed", "9.90")
    refund = stripe_event_to_billing(
        {
            "id": "evt_4",
            "type": "charge.refunded",
            "created": CREATED,
            "data": {
                "object": {
                    "id": "ch_1",
                    "customer": "cus_9",
                    "invoice": "in_7",
                    "amount_refunded": 500,
                    "currency": "usd",
                }
            },
        }
    )
    assert (refund["event_type"], refund["invoice_id"], refund["amount"]) == (
        "invoice_refunded",
        "in_7",
        "5.00",
    )


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({**_subscription_event(), "type": "customer.created"}, "type"),
        (_subscription_event(items={"data": []}), "data.object.items"),
        ({**_subscription_event(), "created": "yesterday"}, "created"),
    ],
)
def test_bad_stripe_events_name_the_field(event: dict[str, Any], field: str) -> None:
    with pytest.raises(WebhookMappingError, match=f"^{field}: "):
        stripe_event_to_billing(event)


def test_stripe_webhook_writes_billing_events(settings: Settings) -> None:
    key = {"X-API-Key": ApiKeyStore(settings.auth_db_path).create("acme")[1]}
    deleted = _subscription_event(
        "customer.subscription.deleted", cancellation_details={"reason": "cancellation_requested"}
    )
    deleted["id"] = "evt_9"
    body = orjson.dumps([_subscription_event(), deleted, {"type": "customer.created"}])
    with TestClient(create_app(settings)) as client:
        answer = client.post("/v1/webhooks/stripe", content=body, headers=key).json()
    assert (answer["accepted"], answer["rejected"]) == (2, 1)
    assert answer["rejections"][0]["index"] == 2
    rows = []
    for path in ParquetLake(settings.lake_dir).files("billing"):
        rows.extend(pq.read_table(path).to_pylist())
    by_id = {row["event_id"]: row for row in rows}
    assert Decimal(by_id["evt_1"]["amount"]) == Decimal("49.00")
    assert by_id["evt_9"]["event_type"] == "subscription_cancelled"
    assert by_id["evt_9"]["reason"] == "cancellation_requested"
