"""Outbound dialer campaign attempt: one event per dial attempt (or compliance block)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import Field

from ingest.contracts.common import E164, EventBase, Identifier


class DialMode(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"


class DialOutcome(StrEnum):
    ANSWERED = "answered"  # a person answered and was connected to an agent
    ABANDONED = "abandoned"  # a person answered but no agent was free (predictive drop)
    VOICEMAIL = "voicemail"  # answering machine detected
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"  # network failure, invalid number
    BLOCKED_DNC = "blocked_dnc"  # never dialled: number on a do-not-call list
    BLOCKED_CURFEW = "blocked_curfew"  # never dialled: outside permitted local calling hours


BLOCKED_OUTCOMES = frozenset({DialOutcome.BLOCKED_DNC, DialOutcome.BLOCKED_CURFEW})


class CampaignAttempt(EventBase):
    family: ClassVar[str] = "campaign"

    campaign_id: Identifier
    attempt_id: Identifier
    contact_id: Identifier
    to_number: E164
    attempt_number: int = Field(default=1, ge=1, le=100)
    dial_mode: DialMode
    outcome: DialOutcome
    disposition: Identifier | None = Field(
        default=None, description="Agent's wrap-up code (sale, callback, not_interested, ...)"
    )
    right_party_contact: bool = False
    converted: bool = False
    call_id: UUID | None = None
    agent_id: Identifier | None = None
    variant: Identifier | None = Field(default=None, description="A/B test variant")

    @classmethod
    def cross_field_rules(cls, event: Any) -> dict[str, Any]:
        connected = event.outcome == DialOutcome.ANSWERED
        if event.outcome in BLOCKED_OUTCOMES and event.call_id is not None:
            raise ValueError("call_id: a blocked attempt was never dialled")
        if (event.right_party_contact or event.converted) and not connected:
            raise ValueError("right_party_contact: only an answered attempt can reach a person")
        if event.converted and not event.right_party_contact:
            raise ValueError("converted: requires right_party_contact")
        if event.disposition is not None and not connected:
            raise ValueError("disposition: only answered attempts carry an agent disposition")
        return {}
