"""SMPP delivery receipts (the ``short_message`` text of a ``deliver_sm`` with a receipt flag,
SMPP 3.4 Appendix B) → ``message`` events on channel ``sms``.

The receipt text is ``id:<id> sub:<n> dlvrd:<n> submit date:<YYMMDDhhmm> done date:<YYMMDDhhmm>
stat:<state> err:<code> text:<first chars>``. It carries no addresses, so the webhook payload
also gives the PDU's ``source_addr`` (the handset that received the message) and
``destination_addr`` (the original sender), as SMSCs/gateways forward them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ingest.webhooks.errors import WebhookMappingError

#: Receipt states → the message contract's status (final failures are all ``failed``).
SMPP_STATES = {
    "DELIVRD": "delivered",
    "ACCEPTD": "sent",
    "ENROUTE": "sent",
    "EXPIRED": "failed",
    "DELETED": "failed",
    "UNDELIV": "failed",
    "REJECTD": "failed",
    "UNKNOWN": "failed",
}

_FIELD_RE = re.compile(
    r"(?P<key>id|sub|dlvrd|submit date|done date|stat|err|text):(?P<value>.*?)"
    r"(?=\s+(?:id|sub|dlvrd|submit date|done date|stat|err|text):|$)",
    re.IGNORECASE | re.DOTALL,
)


def parse_delivery_receipt(text: str) -> dict[str, str]:
    """The receipt's fields by lower-case name (``text`` may hold spaces and colons)."""
    fields: dict[str, str] = {}
    for match in _FIELD_RE.finditer(text.strip()):
        key = match["key"].lower()
        fields.setdefault(key, match["value"].strip())
        if key == "text":
            break
    return fields


def _receipt_time(value: str | None, name: str) -> datetime:
    if value is None:
        raise WebhookMappingError(f"{name}: missing from the receipt")
    for pattern in ("%y%m%d%H%M%S", "%y%m%d%H%M"):
        if len(value) == len(datetime(2000, 1, 1).strftime(pattern)):
            try:
                return datetime.strptime(value, pattern).replace(tzinfo=UTC)
            except ValueError:
                break
    raise WebhookMappingError(f"{name}: {value!r} is not YYMMDDhhmm[ss]")


def smpp_dlr_to_message(payload: Mapping[str, Any], *, provider: str = "smpp") -> dict[str, Any]:
    """A message contract input from ``{"short_message", "source_addr", "destination_addr"}``.

    Receipt times carry no zone; they are taken as UTC (SMSCs are configured so by convention).
    """
    text = payload.get("short_message")
    if not isinstance(text, str) or not text.strip():
        raise WebhookMappingError("short_message: missing or not text")
    receipt = parse_delivery_receipt(text)
    message_id = receipt.get("id")
    if not message_id:
        raise WebhookMappingError("short_message: no 'id:' in the delivery receipt")
    state = (receipt.get("stat") or "").upper()
    if state not in SMPP_STATES:
        known = ", ".join(SMPP_STATES)
        raise WebhookMappingError(f"stat: {state or 'missing'!r} is not a receipt state ({known})")
    done = _receipt_time(receipt.get("done date"), "done date")
    recipient, sender = payload.get("source_addr"), payload.get("destination_addr")
    if not recipient:
        raise WebhookMappingError("source_addr: missing (the handset the message went to)")
    if not sender:
        raise WebhookMappingError("destination_addr: missing (the original sender)")
    error = receipt.get("err")
    mapped: dict[str, Any] = {
        "event_id": f"smpp-dlr-{message_id}-{state.lower()}",
        "occurred_at": done.isoformat(),
        "message_id": message_id,
        "channel": "sms",
        "status": SMPP_STATES[state],
        "from_address": str(sender),
        "to_address": str(recipient),
        "provider": str(payload.get("provider") or provider),
    }
    if error and error.strip("0"):
        mapped["error_code"] = error
    if payload.get("tenant_id") is not None:
        mapped["tenant_id"] = payload["tenant_id"]
    return mapped
