"""Stripe webhook events → ``billing`` events (the event's ``id`` is the ``event_id``).

Mapped: ``customer.subscription.created/updated/deleted``, ``invoice.paid``,
``invoice.payment_failed`` and ``charge.refunded``. Stripe amounts are integers in the currency's
minor unit (cents); the billing contract holds major units, so they are divided by 10^exponent
(0 for zero-decimal currencies such as JPY, 3 for BHD/JOD/KWD/OMR/TND, else 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ingest.webhooks.errors import WebhookMappingError

STRIPE_EVENT_TYPES = {
    "customer.subscription.created": "subscription_created",
    "customer.subscription.updated": "subscription_changed",
    "customer.subscription.deleted": "subscription_cancelled",
    "invoice.paid": "invoice_paid",
    "invoice.payment_failed": "invoice_failed",
    "charge.refunded": "invoice_refunded",
}

# Stripe's documented zero- and three-decimal currencies.
_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def minor_to_major(amount: int, currency: str) -> Decimal:
    code = currency.upper()
    exponent = 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2
    return Decimal(amount).scaleb(-exponent)


def _time(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise WebhookMappingError(f"{name}: {value!r} is not a Unix timestamp")
    return datetime.fromtimestamp(value, UTC).isoformat()


def _id(value: Any) -> Any:
    """Stripe references are ids, or whole objects when the webhook expanded them."""
    return value.get("id") if isinstance(value, Mapping) else value


def _amount(obj: Mapping[str, Any], key: str, currency: str) -> str:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise WebhookMappingError(f"data.object.{key}: {value!r} is not an amount in minor units")
    return str(minor_to_major(value, currency))


def _subscription(obj: Mapping[str, Any]) -> dict[str, Any]:
    items = (obj.get("items") or {}).get("data") or []
    if len(items) != 1:
        raise WebhookMappingError(
            f"data.object.items: {len(items)} items; only single-price subscriptions are mapped"
        )
    item = items[0]
    price = item.get("price") or item.get("plan") or {}
    recurring = price.get("recurring") or {
        "interval": price.get("interval"),
        "interval_count": price.get("interval_count"),
    }
    currency = str(price.get("currency") or obj.get("currency") or "")
    unit_amount = price.get("unit_amount", price.get("amount"))
    if not isinstance(unit_amount, int):
        raise WebhookMappingError(
            f"data.object.items.data.0.price.unit_amount: {unit_amount!r} is not minor units"
        )
    mapped: dict[str, Any] = {
        "subscription_id": obj.get("id"),
        "plan_id": price.get("id"),
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count") or 1,
        "quantity": item.get("quantity", obj.get("quantity", 1)),
        "amount": str(minor_to_major(unit_amount, currency)),
        "currency": currency.upper(),
        "trial_end": _time(obj.get("trial_end"), "data.object.trial_end"),
        "period_start": _time(
            item.get("current_period_start", obj.get("current_period_start")),
            "data.object.current_period_start",
        ),
        "period_end": _time(
            item.get("current_period_end", obj.get("current_period_end")),
            "data.object.current_period_end",
        ),
    }
    coupon = (obj.get("discount") or {}).get("coupon") or {}
    if coupon.get("percent_off") is not None:
        mapped["discount_percent"] = float(coupon["percent_off"])
    if coupon.get("amount_off") is not None:
        mapped["discount_amount"] = str(
            minor_to_major(int(coupon["amount_off"]), str(coupon.get("currency") or currency))
        )
    return mapped


def stripe_event_to_billing(event: Mapping[str, Any]) -> dict[str, Any]:
    kind = event.get("type")
    if kind not in STRIPE_EVENT_TYPES:
        known = ", ".join(STRIPE_EVENT_TYPES)
        raise WebhookMappingError(f"type: {kind!r} is not a mapped Stripe event ({known})")
    if not event.get("id"):
        raise WebhookMappingError("id: missing (the Stripe event id)")
    obj = (event.get("data") or {}).get("object")
    if not isinstance(obj, Mapping):
        raise WebhookMappingError("data.object: missing")
    mapped: dict[str, Any] = {
        "event_id": event["id"],
        "occurred_at": _time(event.get("created"), "created"),
        "event_type": STRIPE_EVENT_TYPES[kind],
        "customer_id": _id(obj.get("customer")),
    }
    if kind.startswith("customer.subscription."):
        mapped |= _subscription(obj)
        if kind.endswith(".deleted"):
            details = obj.get("cancellation_details") or {}
            mapped["reason"] = details.get("reason") or obj.get("status")
    elif kind.startswith("invoice."):
        currency = str(obj.get("currency") or "")
        key = "amount_paid" if kind == "invoice.paid" else "amount_due"
        mapped |= {
            "invoice_id": obj.get("id"),
            "subscription_id": _id(obj.get("subscription")),
            "amount": _amount(obj, key, currency),
            "currency": currency.upper(),
            "period_start": _time(obj.get("period_start"), "data.object.period_start"),
            "period_end": _time(obj.get("period_end"), "data.object.period_end"),
        }
    else:  # charge.refunded: the refund belongs to the charge's invoice when it has one
        currency = str(obj.get("currency") or "")
        mapped |= {
            "invoice_id": _id(obj.get("invoice")) or obj.get("id"),
            "amount": _amount(obj, "amount_refunded", currency),
            "currency": currency.upper(),
        }
    if event.get("tenant_id") is not None:
        mapped["tenant_id"] = event["tenant_id"]
    return {key: value for key, value in mapped.items() if value is not None}
