"""Event contracts: one valid event per family, and every kind of invalid input, each rejected
with an error that names the offending field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from event_samples import CALL_ID, VALID_EVENTS, sample_event
from pydantic import ValidationError

from ingest.contracts import (
    FAMILIES,
    AgentStateChange,
    CallRecord,
    RtcpReport,
    model_for,
)

VALID: dict[str, dict[str, Any]] = VALID_EVENTS


event = sample_event


def named_fields(error: ValidationError) -> set[str]:
    """The fields an error names: its location, or the ``field:`` prefix of a model check."""
    names = set()
    for item in error.errors():
        if item["loc"]:
            names.add(str(item["loc"][0]))
        else:
            message = item["msg"].removeprefix("Value error, ")
            # "amount and interval: required for ..." names two fields.
            names.update(message.split(":", 1)[0].split(" and "))
    return names


def rejects(family: str, field: str, **changes: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model_for(family).model_validate(event(family, **changes))
    assert field in named_fields(caught.value), caught.value
    assert field in str(caught.value)
    return caught.value


def test_seven_families_are_registered() -> None:
    assert sorted(FAMILIES) == [
        "agent", "billing", "call", "campaign", "message", "rtcp", "transcript"
    ]  # fmt: skip


@pytest.mark.parametrize("family", sorted(VALID))
def test_one_valid_event_per_family(family: str) -> None:
    parsed = model_for(family).model_validate(event(family))
    assert parsed.event_id == VALID[family]["event_id"]
    assert parsed.tenant_id == "acme"
    assert parsed.schema_version == 1
    assert parsed.occurred_at.tzinfo is not None
    assert parsed.occurred_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_call_derived_values() -> None:
    call = CallRecord.model_validate(event("call"))
    assert call.q850_code == 16  # NORMAL_CLEARING, filled from the Q.850 table
    assert call.duration_sec == 30.0
    assert call.answered
    assert call.cost == Decimal("0.0125")


def test_rtcp_jitter_in_milliseconds_uses_the_codec_clock() -> None:
    report = RtcpReport.model_validate(event("rtcp", codec="OPUS", interarrival_jitter=960))
    assert report.clock_rate_hz == 48000  # Opus
    assert report.jitter_ms == 20.0  # 960 timestamp units / 48 kHz
    pcmu = RtcpReport.model_validate(event("rtcp", codec="PCMU", interarrival_jitter=160))
    assert pcmu.jitter_ms == 20.0  # 160 / 8 kHz


def test_non_utc_offset_is_converted_to_utc() -> None:
    call = CallRecord.model_validate(
        event(
            "call",
            start_at="2024-05-01T12:00:00+02:00",
            answer_at="2024-05-01T06:00:05-04:00",
            end_at="2024-05-01T10:00:30Z",
        )
    )
    assert call.start_at == datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    assert call.start_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert call.answer_at == datetime(2024, 5, 1, 10, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize("family", sorted(VALID))
def test_naive_timestamp_is_rejected(family: str) -> None:
    rejects(family, "occurred_at", occurred_at="2024-05-01T10:00:00")


@pytest.mark.parametrize("family", sorted(VALID))
def test_unknown_extra_field_is_rejected(family: str) -> None:
    rejects(family, "colour", colour="blue")


@pytest.mark.parametrize(
    ("family", "field"),
    [
        ("call", "hangup_cause"),
        ("call", "end_at"),
        ("rtcp", "leg"),
        ("message", "provider"),
        ("billing", "customer_id"),
        ("campaign", "to_number"),
        ("agent", "state"),
        ("transcript", "text"),
        ("agent", "event_id"),
    ],
)
def test_missing_required_field(family: str, field: str) -> None:
    rejects(family, field, **{field: ...})


@pytest.mark.parametrize(
    ("family", "field", "value"),
    [
        ("call", "from_number", "4155550123"),  # national, no plus
        ("call", "to_number", "+0123456789"),  # country code cannot start with 0
        ("call", "to_number", "+1415555012345678"),  # more than 15 digits
        ("campaign", "to_number", "555-0102"),
    ],
)
def test_bad_e164_is_rejected(family: str, field: str, value: str) -> None:
    rejects(family, field, **{field: value})


@pytest.mark.parametrize(
    ("family", "field", "value"),
    [
        ("call", "direction", "sideways"),
        ("call", "hangup_cause", "HUNG_UP"),
        ("call", "codec", "SPEEX"),
        ("rtcp", "leg", "c"),
        ("message", "status", "read"),
        ("billing", "event_type", "subscription_paused"),
        ("campaign", "outcome", "hung_up"),
        ("agent", "state", "busy"),
        ("transcript", "speaker", "narrator"),
    ],
)
def test_unknown_enum_value_is_rejected(family: str, field: str, value: str) -> None:
    rejects(family, field, **{field: value})


@pytest.mark.parametrize(
    ("family", "field", "value"),
    [
        ("call", "billsec", -1),
        ("call", "hold_sec", -3),
        ("call", "queue_wait_sec", -0.5),
        ("call", "cost", "-0.01"),
        ("rtcp", "rtt_ms", -1.0),
        ("transcript", "start_offset_ms", -10),
    ],
)
def test_negative_durations_and_amounts_are_rejected(family: str, field: str, value: Any) -> None:
    rejects(family, field, **{field: value})


def test_end_before_start_is_rejected() -> None:
    rejects("call", "end_at", end_at="2024-05-01T09:59:59Z", answer_at=...)


@pytest.mark.parametrize(
    "answer_at", ["2024-05-01T09:59:59Z", "2024-05-01T10:00:31Z"], ids=["before", "after"]
)
def test_answer_outside_start_end_is_rejected(answer_at: str) -> None:
    rejects("call", "answer_at", answer_at=answer_at, billsec=0)


def test_billsec_may_exceed_talk_time_by_one_second_of_rounding_only() -> None:
    # Talk time is 25 s (answer 10:00:05, end 10:00:30).
    assert CallRecord.model_validate(event("call", billsec=26)).billsec == 26
    error = rejects("call", "billsec", billsec=27)
    assert "27s exceeds answer-to-end time 25s" in str(error)


def test_unanswered_call_has_no_billable_seconds() -> None:
    assert CallRecord.model_validate(event("call", answer_at=None, billsec=0)).answered is False
    rejects("call", "billsec", answer_at=None, billsec=3)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "email"}, "from_address"),  # phone numbers on an email
        ({"to_address": "bob@example.com"}, "to_address"),  # an email address on an SMS
        ({"channel": "whatsapp", "from_address": "acme"}, "from_address"),
        ({"status": "opened"}, "status"),  # engagement statuses are email only
        (
            {
                "channel": "email",
                "from_address": "a@acme.example",
                "to_address": "b@example.com",
            },
            "segments",
        ),
    ],
)
def test_message_channel_and_address_must_match(changes: dict[str, Any], field: str) -> None:
    rejects("message", field, **changes)


def test_valid_email_message() -> None:
    model_for("message").model_validate(
        event(
            "message",
            channel="email",
            status="opened",
            from_address="news@acme.example",
            to_address="bob@example.com",
            segments=...,
        )
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": ...}, "amount"),
        ({"interval": ...}, "interval"),
        ({"subscription_id": ...}, "subscription_id"),
        ({"amount": "-5"}, "amount"),
        ({"event_type": "invoice_paid"}, "invoice_id"),
        ({"event_type": "dunning_step", "invoice_id": "inv-1"}, "dunning_step"),
        (
            {"period_start": "2024-05-01T00:00:00Z", "period_end": "2024-04-30T00:00:00Z"},
            "period_end",
        ),
        ({"currency": "dollars"}, "currency"),
        ({"quantity": -1}, "quantity"),
        ({"discount_percent": 120}, "discount_percent"),
    ],
)
def test_billing_shapes(changes: dict[str, Any], field: str) -> None:
    rejects("billing", field, **changes)


def test_valid_billing_shapes() -> None:
    billing = model_for("billing")
    cancelled = billing.model_validate(
        event("billing", event_type="subscription_cancelled", amount=..., interval=...)
    )
    assert cancelled.amount is None  # type: ignore[attr-defined]
    refund = billing.model_validate(
        event(
            "billing",
            event_type="invoice_refunded",
            subscription_id=...,
            invoice_id="inv-9",
            amount="-49.00",
            currency="eur",
        )
    )
    assert refund.currency == "EUR"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"outcome": "blocked_dnc", "disposition": ..., "converted": False,
             "right_party_contact": False},
            "call_id",
        ),
        (
            {"outcome": "blocked_curfew", "disposition": ..., "converted": False,
             "right_party_contact": False},
            "call_id",
        ),
        ({"outcome": "voicemail", "disposition": ..., "converted": False}, "right_party_contact"),
        ({"right_party_contact": False}, "converted"),
        ({"outcome": "no_answer", "converted": False, "right_party_contact": False},
         "disposition"),
        ({"attempt_number": 0}, "attempt_number"),
    ],
)  # fmt: skip
def test_campaign_attempt_rules(changes: dict[str, Any], field: str) -> None:
    rejects("campaign", field, **changes)


def test_blocked_attempt_without_call_is_valid() -> None:
    blocked = model_for("campaign").model_validate(
        event(
            "campaign",
            outcome="blocked_dnc",
            call_id=...,
            disposition=...,
            converted=False,
            right_party_contact=False,
        )
    )
    assert blocked.call_id is None  # type: ignore[attr-defined]


def test_agent_state_rules() -> None:
    rejects("agent", "reason", state="ready")
    rejects("agent", "call_id", state="ready", reason=..., call_id=CALL_ID)
    on_call = AgentStateChange.model_validate(
        event("agent", state="on_call", reason=..., call_id=CALL_ID)
    )
    assert str(on_call.call_id) == CALL_ID


def test_transcript_offsets() -> None:
    rejects("transcript", "end_offset_ms", start_offset_ms=5000, end_offset_ms=4999)
    rejects("transcript", "language", language="english")
    rejects("transcript", "confidence", confidence=1.5)
    same = model_for("transcript").model_validate(
        event("transcript", start_offset_ms=4000, end_offset_ms=4000)
    )
    assert same.end_offset_ms == 4000  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("field", "value"),
    [("tenant_id", "Acme Corp"), ("event_id", ""), ("event_id", "has space"),
     ("schema_version", 2)],
)  # fmt: skip
def test_common_fields(field: str, value: Any) -> None:
    rejects("agent", field, **{field: value})
