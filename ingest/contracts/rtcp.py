"""RTCP receiver-report quality sample for one leg of a call (RFC 3550, XR per RFC 3611)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import Field

from ingest.contracts.common import CODEC_CLOCK_RATE_HZ, Codec, EventBase


class Leg(StrEnum):
    """Which side of the call reported: a = caller side, b = callee side."""

    A = "a"
    B = "b"


class RtcpReport(EventBase):
    """One RTCP report block. Fields keep the packet's own units; staging converts them."""

    family: ClassVar[str] = "rtcp"

    call_id: UUID
    leg: Leg
    ssrc: int = Field(ge=0, le=2**32 - 1)
    codec: Codec
    clock_rate_hz: int | None = Field(
        default=None, gt=0, description="RTP clock rate; defaults to the codec's"
    )
    fraction_lost: int = Field(ge=0, le=255, description="Loss since last report, /256")
    cumulative_lost: int = Field(
        ge=-(2**23), le=2**23 - 1, description="24-bit signed; negative with duplicates"
    )
    extended_highest_seq: int = Field(ge=0, le=2**32 - 1)
    interarrival_jitter: int = Field(ge=0, le=2**32 - 1, description="RTP timestamp units")
    rtt_ms: float | None = Field(default=None, ge=0, description="From LSR/DLSR")
    xr_burst_density: int | None = Field(default=None, ge=0, le=255)
    xr_gap_density: int | None = Field(default=None, ge=0, le=255)
    xr_burst_duration_ms: int | None = Field(default=None, ge=0, le=65535)
    xr_gap_duration_ms: int | None = Field(default=None, ge=0, le=65535)
    xr_end_system_delay_ms: int | None = Field(default=None, ge=0, le=65535)
    xr_r_factor: int | None = Field(default=None, ge=0, le=127, description="127 = unavailable")
    xr_mos_lq: float | None = Field(default=None, ge=1, le=5)
    xr_mos_cq: float | None = Field(default=None, ge=1, le=5)

    @classmethod
    def cross_field_rules(cls, event: Any) -> dict[str, Any]:
        if event.clock_rate_hz is None:
            return {"clock_rate_hz": CODEC_CLOCK_RATE_HZ[event.codec]}
        return {}

    @property
    def jitter_ms(self) -> float:
        """Interarrival jitter in milliseconds (timestamp units ÷ clock rate)."""
        assert self.clock_rate_hz is not None
        return self.interarrival_jitter * 1000.0 / self.clock_rate_hz
