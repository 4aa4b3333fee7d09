"""Valid sample events of every family, shared by the contract and ingest tests.

Inputs as a producer would send them (JSON types, text); tests change one field at a time.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any


def call_record(index: int, **changes: Any) -> dict[str, Any]:
    """A valid call record (answered, 25 s billable) whose ids follow from ``index``."""
    record: dict[str, Any] = {
        "event_id": f"call-{index:06d}",
        "tenant_id": "acme",
        "occurred_at": "2024-05-01T10:00:30Z",
        "call_id": f"00000000-0000-4000-8000-{index:012d}",
        "direction": "inbound",
        "from_number": "+14155550123",
        "to_number": "+14155550199",
        "start_at": "2024-05-01T10:00:00Z",
        "answer_at": "2024-05-01T10:00:05Z",
        "end_at": "2024-05-01T10:00:30Z",
        "billsec": 25,
        "hangup_cause": "NORMAL_CLEARING",
        "codec": "PCMU",
    }
    record.update(changes)
    return record


def agent_record(index: int, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "event_id": f"agent-{index:06d}",
        "tenant_id": "acme",
        "occurred_at": "2024-05-01T09:00:00Z",
        "agent_id": "agent-7",
        "state": "ready",
    }
    record.update(changes)
    return record


CALL_ID = "8d3e6f2a-1b4c-4d5e-9f60-718293a4b5c6"

#: One valid event of every family (inputs as a producer would send them: JSON types, text).
VALID_EVENTS: dict[str, dict[str, Any]] = {
    "call": call_record(1, cost="0.012500", price="0.020000"),
    "rtcp": {
        "event_id": "rtcp-1",
        "tenant_id": "acme",
        "occurred_at": "2024-05-01T10:00:10Z",
        "call_id": CALL_ID,
        "leg": "a",
        "ssrc": 3735928559,
        "codec": "PCMU",
        "fraction_lost": 5,
        "cumulative_lost": 12,
        "extended_highest_seq": 70000,
        "interarrival_jitter": 160,
        "rtt_ms": 42.5,
    },
    "message": {
        "event_id": "msg-1",
        "tenant_id": "acme",
        "occurred_at": "2024-05-01T10:01:00Z",
        "message_id": "SM0001",
        "channel": "sms",
        "status": "delivered",
        "from_address": "+14155550100",
        "to_address": "+14155550101",
        "provider": "twilio",
        "segments": 2,
        "price": "0.0158",
    },
    "billing": {
        "event_id": "bill-1",
        "tenant_id": "acme",
        "occurred_at": "2024-05-01T00:00:00Z",
        "event_type": "subscription_created",
        "customer_id": "cust-1",
        "subscription_id": "sub-1",
        "plan_id": "pro",
        "interval": "month",
        "amount": "49.00",
        "quantity": 3,
    },
    "campaign": {
        "event_id": "camp-1",
        "tenant_id": "acme",
        "occurred_at": "2024-05-01T15:00:00Z",
        "campaign_id": "spring-promo",
        "attempt_id": "att-1",
        "contact_id": "contact-1",
        "to_number": "+14155550102",
        "dial_mode": "predictive",
        "outcome": "answered",
        "disposition": "sale",
        "right_party_contact": True,
        "converted": True,
        "call_id": CALL_ID,
        "agent_id": "agent-7",
        "variant": "B",
    },
    "agent": agent_record(1, state="not_ready", reason="lunch"),
    "transcript": {
        "event_id": "tr-1",
        "tenant_id": "acme",
        "occurred_at": "2024-05-01T10:00:07Z",
        "call_id": CALL_ID,
        "segment_index": 0,
        "speaker": "agent",
        "start_offset_ms": 0,
        "end_offset_ms": 2300,
        "text": "Thank you for calling Acme.",
        "confidence": 0.93,
    },
}


def recent_call_timeline(minutes_ago: int = 60) -> dict[str, str]:
    """Timestamps of an answered 25 s call that started ``minutes_ago`` (whole minutes) ago:
    for stores that enforce a retention (the hot store drops days older than it keeps)."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes_ago)

    def stamp(moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    return {
        "start_at": stamp(start),
        "answer_at": stamp(start + timedelta(seconds=5)),
        "end_at": stamp(start + timedelta(seconds=30)),
        "occurred_at": stamp(start + timedelta(seconds=30)),
    }


def sample_event(family: str, /, **changes: Any) -> dict[str, Any]:
    """A valid sample of ``family`` with fields changed (``...`` removes one)."""
    record = copy.deepcopy(VALID_EVENTS[family])
    for name, value in changes.items():
        if value is ...:
            record.pop(name, None)
        else:
            record[name] = value
    return record


def rtcp_record(
    index: int,
    call_id: str,
    jitter: int,
    lost: int,
    rtt: float | None,
    occurred_at: str,
    **changes: Any,
) -> dict[str, Any]:
    """A valid RTCP report ``rtcp-<index>`` on ``call_id`` with the quality fields given
    (jitter in RTP units, fraction lost in 1/256)."""
    return {
        **VALID_EVENTS["rtcp"],
        "event_id": f"rtcp-{index}",
        "call_id": call_id,
        "interarrival_jitter": jitter,
        "fraction_lost": lost,
        "rtt_ms": rtt,
        "occurred_at": occurred_at,
        **changes,
    }
