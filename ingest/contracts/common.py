"""Shared building blocks of every event contract.

Every event carries ``event_id`` (idempotency key), ``tenant_id``, ``occurred_at`` (UTC, timezone
aware) and ``schema_version``. Validation is strict: unknown fields are rejected, numbers must be
E.164, enums are closed, and every error names the offending field (pydantic's ``loc``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

SCHEMA_VERSION: Literal[1] = 1

#: E.164: a plus sign, a non-zero country digit, at most 15 digits in all.
E164 = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\+[1-9][0-9]{6,14}$"),
    Field(description="Phone number in E.164 form, e.g. +14155550123"),
]

Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[\w.:@/-]+$"),
]

TenantId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$"),
    Field(description="Tenant slug: lower-case letters, digits, '_' or '-', at most 63 chars"),
]

CurrencyCode = Annotated[
    str,
    # pydantic checks the pattern before upper-casing, so it must admit lower case for to_upper
    # to matter (Stripe sends "usd"); the stored value is always upper case.
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$"),
    Field(description="ISO 4217 currency code (stored upper case)"),
]

Money = Annotated[Decimal, Field(max_digits=18, decimal_places=6)]
NonNegativeMoney = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]


def to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


#: A timezone-aware timestamp, normalised to UTC. Naive timestamps are rejected.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(to_utc)]


class Codec(StrEnum):
    """Voice codecs we know the E-model values and RTP clock rates of."""

    PCMU = "PCMU"  # G.711 mu-law
    PCMA = "PCMA"  # G.711 A-law
    G722 = "G722"
    G729 = "G729"
    G723 = "G723"
    OPUS = "OPUS"


#: RTP timestamp clock rate per codec (RFC 3551; G.722 uses 8000 by a historic erratum).
CODEC_CLOCK_RATE_HZ: dict[Codec, int] = {
    Codec.PCMU: 8000,
    Codec.PCMA: 8000,
    Codec.G722: 8000,
    Codec.G729: 8000,
    Codec.G723: 8000,
    Codec.OPUS: 48000,
}


class EventBase(BaseModel):
    """Fields every event family carries."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    #: Family name, set by each subclass (not a field).
    family: ClassVar[str]

    event_id: Identifier = Field(description="Idempotency key: the same event_id is one event")
    tenant_id: TenantId
    occurred_at: UtcDatetime = Field(description="When the event happened (UTC)")
    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, description="Contract version")

    @classmethod
    def cross_field_rules(cls, event: Any) -> dict[str, Any]:
        """Check the rules that span several fields; return the values they derive.

        Raises ``ValueError("field: why")`` for a broken rule; returns ``{field: value}`` for
        defaults that depend on other fields (filled only where the field is None). ``event`` is
        read by attribute only, and enum fields may be their plain string values: the same rules
        serve the validated model and the fast edge path (:mod:`ingest.fastpath`).
        """
        return {}

    @model_validator(mode="after")
    def _apply_cross_field_rules(self) -> Self:
        for name, value in type(self).cross_field_rules(self).items():
            object.__setattr__(self, name, value)  # frozen model: derived defaults only
        return self
