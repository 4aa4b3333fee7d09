"""SendGrid Event Webhook (a JSON array of events) → ``message`` events on channel ``email``.

SendGrid's events carry the recipient (``email``) but not the sender, so the sender comes from a
custom arg ``irisx_from`` set when sending (custom args are echoed as top-level keys), else from
the webhook's configured default sender.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ingest.webhooks.errors import WebhookMappingError

SENDGRID_EVENTS = {
    "processed": "queued",
    "delivered": "delivered",
    "bounce": "bounced",
    "dropped": "failed",
    "open": "opened",
    "click": "clicked",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
    "spamreport": "complained",
}


def sendgrid_event_to_message(
    event: Mapping[str, Any], *, default_from: str | None = None
) -> dict[str, Any]:
    kind = event.get("event")
    if kind not in SENDGRID_EVENTS:
        known = ", ".join(SENDGRID_EVENTS)
        raise WebhookMappingError(f"event: {kind!r} is not a mapped SendGrid event ({known})")
    event_id = event.get("sg_event_id")
    if not event_id:
        raise WebhookMappingError("sg_event_id: missing")
    message_id = event.get("sg_message_id")
    if not isinstance(message_id, str) or not message_id:
        raise WebhookMappingError("sg_message_id: missing")
    timestamp = event.get("timestamp")
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        raise WebhookMappingError(f"timestamp: {timestamp!r} is not a Unix time in seconds")
    sender = event.get("irisx_from") or default_from
    if not sender:
        raise WebhookMappingError("irisx_from: no sender (custom arg or webhook default)")
    mapped: dict[str, Any] = {
        "event_id": str(event_id),
        "occurred_at": datetime.fromtimestamp(timestamp, UTC).isoformat(),
        # sg_message_id is the X-Message-Id plus ".filter..." routing suffixes.
        "message_id": message_id.split(".", 1)[0],
        "channel": "email",
        "status": SENDGRID_EVENTS[kind],
        "from_address": str(sender),
        "to_address": str(event.get("email") or ""),
        "provider": "sendgrid",
    }
    if kind in ("bounce", "dropped") and event.get("status"):
        mapped["error_code"] = str(event["status"])
    if kind == "click" and event.get("url"):
        mapped["url"] = str(event["url"])
    for key in ("tenant_id", "campaign_id", "customer_id"):
        value = event.get(f"irisx_{key}") if key != "tenant_id" else event.get("tenant_id")
        if value is not None:
            mapped[key] = value
    return mapped
