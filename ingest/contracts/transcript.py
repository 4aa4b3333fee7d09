"""One segment of a call transcript (speaker turn with offsets from call answer)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import Field

from ingest.contracts.common import EventBase


class Speaker(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"
    BOT = "bot"


class TranscriptSegment(EventBase):
    family: ClassVar[str] = "transcript"

    call_id: UUID
    segment_index: int = Field(ge=0)
    speaker: Speaker
    start_offset_ms: int = Field(ge=0)
    end_offset_ms: int = Field(ge=0)
    text: str = Field(min_length=1, max_length=10_000)
    language: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    confidence: float | None = Field(default=None, ge=0, le=1)

    @classmethod
    def cross_field_rules(cls, event: Any) -> dict[str, Any]:
        if event.end_offset_ms < event.start_offset_ms:
            raise ValueError("end_offset_ms: must not be before start_offset_ms")
        return {}
