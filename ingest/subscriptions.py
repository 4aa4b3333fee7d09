"""Subscription periods imported from a CSV: the input of the MRR marts (docs/revenue.md).

One row is one period of one subscription at one monthly amount::

    subscription_id,customer_id,start_date,end_date,monthly_amount[,currency]

``end_date`` is exclusive and empty while the subscription is still active; ``currency`` defaults
to USD. The CSV is a tenant's full current state: importing it replaces every period imported
for that tenant before. Not an event family (periods are state, not facts with an
``occurred_at``), so it lives beside the contracts rather than among them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Self

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from ingest.contracts.common import CurrencyCode, Identifier, NonNegativeMoney
from ingest.csv_import import (
    CsvFileError,
    file_import_id,
    read_csv_rows,
    rows_table,
    valid_tenant,
)
from ingest.deadletter import DeadLetter

#: The dead-letter ``family`` of rejected period rows (not an event family).
KIND = "subscription_periods"
REQUIRED_COLUMNS = ("subscription_id", "customer_id", "start_date", "end_date", "monthly_amount")
OPTIONAL_COLUMNS = ("currency",)
DEFAULT_CURRENCY = "USD"

#: Columns of the raw table (lake Parquet files and ClickHouse ``irisx_raw.subscription_periods``).
SCHEMA = pa.schema(
    [
        pa.field("tenant_id", pa.string(), nullable=False),
        pa.field("subscription_id", pa.string(), nullable=False),
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("start_date", pa.date32(), nullable=False),
        pa.field("end_date", pa.date32()),
        pa.field("monthly_amount", pa.decimal128(18, 6), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        # Which import the row came from; staging keeps only each tenant's latest import.
        pa.field("import_id", pa.string(), nullable=False),
        pa.field("imported_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


class SubscriptionPeriod(BaseModel):
    """One CSV row: a subscription billed ``monthly_amount`` per month from ``start_date``
    (inclusive) to ``end_date`` (exclusive; None = still active)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    subscription_id: Identifier
    customer_id: Identifier
    start_date: date
    end_date: date | None = None
    monthly_amount: NonNegativeMoney
    currency: CurrencyCode = DEFAULT_CURRENCY

    @field_validator("end_date", "currency", mode="before")
    @classmethod
    def _empty_is_missing(cls, value: object, info: ValidationInfo) -> object:
        # A CSV cell is never absent, only empty: empty means "not given".
        if isinstance(value, str) and not value.strip():
            return DEFAULT_CURRENCY if info.field_name == "currency" else None
        return value

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.end_date is not None and self.end_date <= self.start_date:
            raise ValueError(
                f"end_date {self.end_date} must be after start_date {self.start_date} "
                "(end_date is exclusive)"
            )
        return self


class SubscriptionFileError(CsvFileError):
    """The file as a whole cannot be imported (no header, missing or unknown columns)."""


@dataclass
class SubscriptionImport:
    """The outcome of reading one tenant's CSV: accepted periods and dead letters."""

    tenant_id: str
    source: str
    #: Derived from the tenant and the file's bytes: the same file imports under the same id.
    import_id: str
    imported_at: datetime
    periods: list[SubscriptionPeriod] = field(default_factory=list)
    rejects: list[DeadLetter] = field(default_factory=list)

    def to_table(self) -> pa.Table:
        """The accepted periods as the raw table's Arrow schema."""
        return rows_table(
            self.periods,
            SCHEMA,
            {
                "tenant_id": self.tenant_id,
                "import_id": self.import_id,
                "imported_at": self.imported_at,
            },
        )


def _overlaps(a: SubscriptionPeriod, b: SubscriptionPeriod) -> bool:
    a_end = a.end_date or date.max
    b_end = b.end_date or date.max
    return a.start_date < b_end and b.start_date < a_end


def read_subscription_periods(
    data: bytes, *, tenant_id: str, source: str, now: datetime | None = None
) -> SubscriptionImport:
    """Validate a periods CSV (UTF-8, header row) for one tenant.

    A row is rejected (dead letter with its 1-based line) when it fails the row model, or when
    its subscription already has an overlapping period or belongs to another customer earlier in
    the file (it would be counted twice). Rows may differ in currency: the MRR models convert
    each period at its currency's dated rate (docs/revenue.md, "Currency").
    """
    tenant = valid_tenant(tenant_id)
    result = SubscriptionImport(
        tenant_id=tenant,
        source=source,
        import_id=file_import_id("subscriptions", data, tenant),
        imported_at=now or datetime.now(UTC),
    )
    by_subscription: dict[str, list[tuple[int, SubscriptionPeriod]]] = {}

    def counted_once(line: int, period: SubscriptionPeriod) -> str | None:
        earlier = by_subscription.setdefault(period.subscription_id, [])
        clash = next((ln for ln, other in earlier if _overlaps(other, period)), None)
        if clash is not None:
            return f"subscription {period.subscription_id}: period overlaps the one on line {clash}"
        owner = next((ln for ln, other in earlier if other.customer_id != period.customer_id), None)
        if owner is not None:
            return (
                f"subscription {period.subscription_id}: customer {period.customer_id} "
                f"differs from line {owner}'s"
            )
        earlier.append((line, period))
        return None

    result.periods, result.rejects = read_csv_rows(
        data,
        source=source,
        row_model=SubscriptionPeriod,
        required=REQUIRED_COLUMNS,
        optional=OPTIONAL_COLUMNS,
        accept=counted_once,
        kind=KIND,
        batch_id=result.import_id,
        rejected_at=result.imported_at,
        file_error=SubscriptionFileError,
    )
    return result
