"""The seven event families and their contract models."""

from __future__ import annotations

from ingest.contracts.agent import AgentStateChange
from ingest.contracts.billing import BillingEvent
from ingest.contracts.call import CallRecord
from ingest.contracts.campaign import CampaignAttempt
from ingest.contracts.common import EventBase
from ingest.contracts.message import MessageEvent
from ingest.contracts.rtcp import RtcpReport
from ingest.contracts.transcript import TranscriptSegment

FAMILIES: dict[str, type[EventBase]] = {
    model.family: model
    for model in (
        CallRecord,
        RtcpReport,
        MessageEvent,
        BillingEvent,
        CampaignAttempt,
        AgentStateChange,
        TranscriptSegment,
    )
}


def model_for(family: str) -> type[EventBase]:
    """The contract model of ``family``; raises ``KeyError`` naming the known families."""
    try:
        return FAMILIES[family]
    except KeyError:
        known = ", ".join(sorted(FAMILIES))
        raise KeyError(f"unknown event family {family!r} (known: {known})") from None
