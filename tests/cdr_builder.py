"""A builder of hand-made CDRs for the dbt tests (both targets): every field the voice marts read
follows from a few arguments, so each test's arithmetic stays readable."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ingest.contracts import CallRecord, Codec, Direction, HangupCause, Leg, RtcpReport

CALL_NAMESPACE = uuid.UUID("6f1c1d2e-0000-4000-8000-000000000000")


def call_id(name: str) -> uuid.UUID:
    return uuid.uuid5(CALL_NAMESPACE, name)


def at(day: date, hhmmss: str) -> datetime:
    hour, minute, second = (int(part) for part in hhmmss.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def cdr(
    name: str,
    tenant_id: str,
    direction: Direction,
    start_at: datetime,
    *,
    billsec: int = 0,
    answered: bool = True,
    wait: float | None = None,
    agent: str | None = None,
    hold: int = 0,
    wrapup: int = 0,
    price: str | None = None,
    event_id: str | None = None,
    emitted_after: timedelta = timedelta(seconds=1),
) -> CallRecord:
    """A CDR of call ``name``; a queued call (``wait`` given) waits that long in queue
    ``q-support`` before it is answered or abandoned."""
    ring = timedelta(seconds=wait if wait is not None else 4)
    answer_at = start_at + ring if answered else None
    end_at = (answer_at + timedelta(seconds=billsec)) if answer_at else start_at + ring
    return CallRecord(
        event_id=event_id or f"{tenant_id}-{name}",
        tenant_id=tenant_id,
        occurred_at=end_at + emitted_after,
        call_id=call_id(name),
        direction=direction,
        from_number="+14155550100",
        to_number="+14155550199",
        start_at=start_at,
        answer_at=answer_at,
        end_at=end_at,
        billsec=billsec,
        hangup_cause=HangupCause.NORMAL_CLEARING if answered else HangupCause.ORIGINATOR_CANCEL,
        queue_id="q-support" if wait is not None else None,
        agent_id=agent,
        queue_wait_sec=wait,
        hold_sec=hold,
        wrapup_sec=wrapup,
        codec=Codec.PCMU,
        price=Decimal(price) if price is not None else None,
    )


def rtcp_report(
    event_id: str,
    codec: Codec,
    *,
    day: date,
    jitter: int,
    fraction_lost: int,
    r_factor: int | None,
    call: str = "a1",
) -> RtcpReport:
    """An RTCP report of acme's call ``call`` at 09:01 on ``day`` (leg A)."""
    return RtcpReport(
        event_id=event_id,
        tenant_id="acme",
        occurred_at=at(day, "09:01:00"),
        call_id=call_id(call),
        leg=Leg.A,
        ssrc=1234,
        codec=codec,
        fraction_lost=fraction_lost,
        cumulative_lost=3,
        extended_highest_seq=5000,
        interarrival_jitter=jitter,
        xr_r_factor=r_factor,
    )
