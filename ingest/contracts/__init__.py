"""Event contracts (pydantic v2): the shape every event must have to enter IRISX."""

from ingest.contracts.agent import AgentState, AgentStateChange
from ingest.contracts.arrow import arrow_schema, family_schema, models_to_table
from ingest.contracts.billing import BillingEvent, BillingEventType, BillingInterval
from ingest.contracts.call import Q850_CODE, CallRecord, Direction, HangupCause
from ingest.contracts.campaign import CampaignAttempt, DialMode, DialOutcome
from ingest.contracts.common import CODEC_CLOCK_RATE_HZ, SCHEMA_VERSION, Codec, EventBase
from ingest.contracts.message import Channel, MessageEvent, MessageStatus
from ingest.contracts.registry import FAMILIES, model_for
from ingest.contracts.rtcp import Leg, RtcpReport
from ingest.contracts.schema_export import export_json_schemas
from ingest.contracts.transcript import Speaker, TranscriptSegment

__all__ = [
    "CODEC_CLOCK_RATE_HZ",
    "FAMILIES",
    "Q850_CODE",
    "SCHEMA_VERSION",
    "AgentState",
    "AgentStateChange",
    "BillingEvent",
    "BillingEventType",
    "BillingInterval",
    "CallRecord",
    "CampaignAttempt",
    "Channel",
    "Codec",
    "DialMode",
    "DialOutcome",
    "Direction",
    "EventBase",
    "HangupCause",
    "Leg",
    "MessageEvent",
    "MessageStatus",
    "RtcpReport",
    "Speaker",
    "TranscriptSegment",
    "arrow_schema",
    "export_json_schemas",
    "family_schema",
    "model_for",
    "models_to_table",
]
