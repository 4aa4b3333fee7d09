"""Call detail record (CDR): one per call leg as the switch reports it at hang-up."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import Field

from ingest.contracts.common import (
    E164,
    Codec,
    CurrencyCode,
    EventBase,
    Identifier,
    NonNegativeMoney,
    UtcDatetime,
)


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class HangupCause(StrEnum):
    """Hang-up causes by their Q.850 / FreeSWITCH names."""

    UNALLOCATED_NUMBER = "UNALLOCATED_NUMBER"
    NO_ROUTE_DESTINATION = "NO_ROUTE_DESTINATION"
    NORMAL_CLEARING = "NORMAL_CLEARING"
    USER_BUSY = "USER_BUSY"
    NO_USER_RESPONSE = "NO_USER_RESPONSE"
    NO_ANSWER = "NO_ANSWER"
    SUBSCRIBER_ABSENT = "SUBSCRIBER_ABSENT"
    CALL_REJECTED = "CALL_REJECTED"
    NUMBER_CHANGED = "NUMBER_CHANGED"
    DESTINATION_OUT_OF_ORDER = "DESTINATION_OUT_OF_ORDER"
    INVALID_NUMBER_FORMAT = "INVALID_NUMBER_FORMAT"
    FACILITY_REJECTED = "FACILITY_REJECTED"
    NORMAL_UNSPECIFIED = "NORMAL_UNSPECIFIED"
    NORMAL_CIRCUIT_CONGESTION = "NORMAL_CIRCUIT_CONGESTION"
    NETWORK_OUT_OF_ORDER = "NETWORK_OUT_OF_ORDER"
    NORMAL_TEMPORARY_FAILURE = "NORMAL_TEMPORARY_FAILURE"
    SWITCH_CONGESTION = "SWITCH_CONGESTION"
    REQUESTED_CHAN_UNAVAIL = "REQUESTED_CHAN_UNAVAIL"
    BEARERCAPABILITY_NOTAVAIL = "BEARERCAPABILITY_NOTAVAIL"
    INCOMPATIBLE_DESTINATION = "INCOMPATIBLE_DESTINATION"
    RECOVERY_ON_TIMER_EXPIRE = "RECOVERY_ON_TIMER_EXPIRE"
    INTERWORKING = "INTERWORKING"
    ORIGINATOR_CANCEL = "ORIGINATOR_CANCEL"
    LOSE_RACE = "LOSE_RACE"
    ALLOTTED_TIMEOUT = "ALLOTTED_TIMEOUT"
    MEDIA_TIMEOUT = "MEDIA_TIMEOUT"


#: Q.850 cause values (FreeSWITCH's hangup-cause table). Causes FreeSWITCH adds beyond Q.850
#: (ORIGINATOR_CANCEL 487 and the like) have no Q.850 value and map to None.
Q850_CODE: dict[HangupCause, int | None] = {
    HangupCause.UNALLOCATED_NUMBER: 1,
    HangupCause.NO_ROUTE_DESTINATION: 3,
    HangupCause.NORMAL_CLEARING: 16,
    HangupCause.USER_BUSY: 17,
    HangupCause.NO_USER_RESPONSE: 18,
    HangupCause.NO_ANSWER: 19,
    HangupCause.SUBSCRIBER_ABSENT: 20,
    HangupCause.CALL_REJECTED: 21,
    HangupCause.NUMBER_CHANGED: 22,
    HangupCause.DESTINATION_OUT_OF_ORDER: 27,
    HangupCause.INVALID_NUMBER_FORMAT: 28,
    HangupCause.FACILITY_REJECTED: 29,
    HangupCause.NORMAL_UNSPECIFIED: 31,
    HangupCause.NORMAL_CIRCUIT_CONGESTION: 34,
    HangupCause.NETWORK_OUT_OF_ORDER: 38,
    HangupCause.NORMAL_TEMPORARY_FAILURE: 41,
    HangupCause.SWITCH_CONGESTION: 42,
    HangupCause.REQUESTED_CHAN_UNAVAIL: 44,
    HangupCause.BEARERCAPABILITY_NOTAVAIL: 58,
    HangupCause.INCOMPATIBLE_DESTINATION: 88,
    HangupCause.RECOVERY_ON_TIMER_EXPIRE: 102,
    HangupCause.INTERWORKING: 127,
    HangupCause.ORIGINATOR_CANCEL: None,
    HangupCause.LOSE_RACE: None,
    HangupCause.ALLOTTED_TIMEOUT: None,
    HangupCause.MEDIA_TIMEOUT: None,
}


class CallRecord(EventBase):
    """A call detail record. ``occurred_at`` is when the record was emitted (normally end_at)."""

    family: ClassVar[str] = "call"

    call_id: UUID
    direction: Direction
    from_number: E164
    to_number: E164
    start_at: UtcDatetime = Field(description="Call set-up started (INVITE sent or received)")
    answer_at: UtcDatetime | None = Field(default=None, description="Answered; null if never")
    end_at: UtcDatetime
    billsec: int = Field(ge=0, description="Billable seconds from answer to end")
    hangup_cause: HangupCause
    q850_code: int | None = Field(default=None, ge=0, le=127)
    sip_code: int | None = Field(default=None, ge=100, le=699)
    customer_id: Identifier | None = Field(default=None, description="Billed sub-account")
    carrier_id: Identifier | None = None
    trunk_id: Identifier | None = None
    route_id: Identifier | None = None
    codec: Codec | None = None
    queue_id: Identifier | None = Field(default=None, description="ACD queue, inbound only")
    agent_id: Identifier | None = None
    campaign_id: Identifier | None = None
    queue_wait_sec: float | None = Field(
        default=None, ge=0, description="Seconds in queue until answered or abandoned"
    )
    hold_sec: int = Field(default=0, ge=0)
    wrapup_sec: int = Field(default=0, ge=0, description="After-call work seconds")
    pdd_ms: int | None = Field(default=None, ge=0, description="Post-dial delay")
    cost: NonNegativeMoney | None = Field(default=None, description="Rated carrier cost")
    price: NonNegativeMoney | None = Field(default=None, description="Rated customer price")
    currency: CurrencyCode = "USD"

    @classmethod
    def cross_field_rules(cls, event: Any) -> dict[str, Any]:
        """The timeline (start ≤ answer ≤ end, billsec within talk time); q850_code from the
        hang-up cause when not given."""
        if event.end_at < event.start_at:
            raise ValueError("end_at: must not be before start_at")
        if event.answer_at is not None:
            if not (event.start_at <= event.answer_at <= event.end_at):
                raise ValueError("answer_at: must lie between start_at and end_at")
            talk = (event.end_at - event.answer_at).total_seconds()
            # billsec is rounded by switches; allow one second either way.
            if event.billsec > talk + 1:
                raise ValueError(
                    f"billsec: {event.billsec}s exceeds answer-to-end time {talk:.0f}s"
                )
        elif event.billsec != 0:
            raise ValueError("billsec: must be 0 when the call was not answered")
        if event.q850_code is None:
            return {"q850_code": Q850_CODE.get(event.hangup_cause)}
        return {}

    @property
    def answered(self) -> bool:
        return self.answer_at is not None

    @property
    def duration_sec(self) -> float:
        return (self.end_at - self.start_at).total_seconds()
