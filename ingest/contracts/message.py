"""SMS/MMS/WhatsApp/email lifecycle event: one event per status change of one message."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from ingest.contracts.common import (
    CurrencyCode,
    EventBase,
    Identifier,
    NonNegativeMoney,
)

_E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Deliberately simple: one @, no spaces, a dot in the domain. Providers validate the rest.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Channel(StrEnum):
    SMS = "sms"
    MMS = "mms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    BOUNCED = "bounced"
    OPENED = "opened"
    CLICKED = "clicked"
    UNSUBSCRIBED = "unsubscribed"
    COMPLAINED = "complained"


class MessageDirection(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


#: Statuses that only exist for email (engagement and mailbox feedback).
EMAIL_ONLY_STATUSES = frozenset(
    {MessageStatus.BOUNCED, MessageStatus.OPENED, MessageStatus.COMPLAINED}
)


class MessageEvent(EventBase):
    family: ClassVar[str] = "message"

    message_id: Identifier
    channel: Channel
    direction: MessageDirection = MessageDirection.OUTBOUND
    status: MessageStatus
    from_address: str = Field(min_length=1, max_length=320)
    to_address: str = Field(min_length=1, max_length=320)
    provider: Identifier
    customer_id: Identifier | None = None
    campaign_id: Identifier | None = None
    segments: int | None = Field(default=None, ge=1, le=255, description="SMS segments")
    price: NonNegativeMoney | None = None
    currency: CurrencyCode = "USD"
    error_code: str | None = Field(default=None, max_length=64)
    url: str | None = Field(default=None, max_length=2048, description="Clicked link")

    @classmethod
    def cross_field_rules(cls, event: Any) -> dict[str, Any]:
        email = event.channel == Channel.EMAIL
        pattern, kind = (_EMAIL_RE, "an email address") if email else (_E164_RE, "an E.164 number")
        for name in ("from_address", "to_address"):
            if not pattern.match(getattr(event, name)):
                raise ValueError(f"{name}: must be {kind} for channel {event.channel}")
        if not email and event.status in EMAIL_ONLY_STATUSES:
            raise ValueError(f"status: {event.status} applies to email only")
        if email and event.segments is not None:
            raise ValueError("segments: applies to SMS/MMS/WhatsApp only")
        return {}
