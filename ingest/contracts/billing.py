"""Billing events: subscription lifecycle, invoices, credits and dunning of a tenant's customers."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from ingest.contracts.common import (
    CurrencyCode,
    EventBase,
    Identifier,
    Money,
    NonNegativeMoney,
    UtcDatetime,
)


class BillingEventType(StrEnum):
    SUBSCRIPTION_CREATED = "subscription_created"
    SUBSCRIPTION_CHANGED = "subscription_changed"
    SUBSCRIPTION_CANCELLED = "subscription_cancelled"
    SUBSCRIPTION_REACTIVATED = "subscription_reactivated"
    INVOICE_ISSUED = "invoice_issued"
    INVOICE_PAID = "invoice_paid"
    INVOICE_FAILED = "invoice_failed"
    INVOICE_REFUNDED = "invoice_refunded"
    CREDIT_GRANTED = "credit_granted"
    CREDIT_USED = "credit_used"
    CREDIT_EXPIRED = "credit_expired"
    DUNNING_STEP = "dunning_step"


class BillingInterval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


SUBSCRIPTION_EVENTS = frozenset(
    {
        BillingEventType.SUBSCRIPTION_CREATED,
        BillingEventType.SUBSCRIPTION_CHANGED,
        BillingEventType.SUBSCRIPTION_CANCELLED,
        BillingEventType.SUBSCRIPTION_REACTIVATED,
    }
)
INVOICE_EVENTS = frozenset(
    {
        BillingEventType.INVOICE_ISSUED,
        BillingEventType.INVOICE_PAID,
        BillingEventType.INVOICE_FAILED,
        BillingEventType.INVOICE_REFUNDED,
        BillingEventType.DUNNING_STEP,
    }
)


class BillingEvent(EventBase):
    """One billing event. Amounts are in major units of ``currency``, before tax.

    For subscription events ``amount`` is the recurring price per ``interval_count`` x
    ``interval`` for one unit; MRR = amount x quantity after discounts, normalised to a month.
    ``included_usage_amount`` is the plan's usage allowance per month in ``currency`` (usage
    revenue above it is overage); None when the plan states none.
    """

    family: ClassVar[str] = "billing"

    event_type: BillingEventType
    customer_id: Identifier
    subscription_id: Identifier | None = None
    plan_id: Identifier | None = None
    interval: BillingInterval | None = None
    interval_count: int = Field(default=1, ge=1, le=365)
    quantity: int = Field(default=1, ge=0)
    amount: Money | None = None
    currency: CurrencyCode = "USD"
    discount_percent: float | None = Field(default=None, ge=0, le=100)
    discount_amount: NonNegativeMoney | None = None
    trial_end: UtcDatetime | None = None
    period_start: UtcDatetime | None = None
    period_end: UtcDatetime | None = None
    invoice_id: Identifier | None = None
    dunning_step: int | None = Field(default=None, ge=1, le=20)
    reason: str | None = Field(default=None, max_length=256)
    # Added after schema_version 1 shipped: optional, so older producers stay valid (raw-table
    # migration 3 adds the ClickHouse column).
    included_usage_amount: NonNegativeMoney | None = None

    @classmethod
    def cross_field_rules(cls, event: Any) -> dict[str, Any]:
        kind = event.event_type  # f-strings below give a StrEnum's value, as for a plain str
        if kind in SUBSCRIPTION_EVENTS:
            if event.subscription_id is None:
                raise ValueError(f"subscription_id: required for {kind}")
            if kind != BillingEventType.SUBSCRIPTION_CANCELLED:
                if event.amount is None or event.interval is None:
                    raise ValueError(f"amount and interval: required for {kind}")
                if event.amount < 0:
                    raise ValueError("amount: a recurring price cannot be negative")
        if kind in INVOICE_EVENTS and event.invoice_id is None:
            raise ValueError(f"invoice_id: required for {kind}")
        if kind == BillingEventType.DUNNING_STEP and event.dunning_step is None:
            raise ValueError("dunning_step: required for dunning_step events")
        if (
            event.period_start is not None
            and event.period_end is not None
            and event.period_end < event.period_start
        ):
            raise ValueError("period_end: must not be before period_start")
        return {}
