"""Subscription periods imported from a CSV: the input of the MRR marts (docs/revenue.md).

One row is one period of one subscription at one monthly amount::

    subscription_id,customer_id,start_date,end_date,monthly_amount[,currency]

``end_date`` is exclusive and empty while the subscription is still active; ``currency`` defaults
to USD. The CSV is a tenant's full current state: importing it replaces every period imported
for that tenant before. Not an event family (periods are state, not facts with an
``occurred_at``), so it lives beside the contracts rather than among them.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Self

import pyarrow as pa
from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ingest.contracts.common import CurrencyCode, Identifier, NonNegativeMoney, TenantId
from ingest.deadletter import DeadLetter
from ingest.readers import Position, PositionUnit

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


class _Tenant(BaseModel):
    tenant_id: TenantId


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


class SubscriptionFileError(ValueError):
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
        count = len(self.periods)
        return pa.Table.from_pydict(
            {
                "tenant_id": [self.tenant_id] * count,
                "subscription_id": [p.subscription_id for p in self.periods],
                "customer_id": [p.customer_id for p in self.periods],
                "start_date": [p.start_date for p in self.periods],
                "end_date": [p.end_date for p in self.periods],
                "monthly_amount": [p.monthly_amount for p in self.periods],
                "currency": [p.currency for p in self.periods],
                "import_id": [self.import_id] * count,
                "imported_at": [self.imported_at] * count,
            },
            schema=SCHEMA,
        )


def _reason(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'row'}: {error['msg']}"
        for error in exc.errors()
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
    tenant = _Tenant(tenant_id=tenant_id).tenant_id
    digest = hashlib.sha256(tenant.encode() + b"\0" + data).hexdigest()[:32]
    result = SubscriptionImport(
        tenant_id=tenant,
        source=source,
        import_id=f"subscriptions-{tenant}-{digest}",
        imported_at=now or datetime.now(UTC),
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubscriptionFileError(f"{source}: not UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        raise SubscriptionFileError(
            f"{source}: header must name {', '.join(REQUIRED_COLUMNS)} (and optionally "
            f"currency); missing {missing}, unknown {unknown}"
        )
    reader.fieldnames = header
    by_subscription: dict[str, list[tuple[int, SubscriptionPeriod]]] = {}
    for row in reader:
        line = reader.line_num
        reason = None
        try:
            if None in row:  # DictReader files surplus cells under the key None
                raise ValueError(
                    f"{len(row[None]) + len(header)} cells, the header has {len(header)}"
                )
            period = SubscriptionPeriod.model_validate(row)
        except ValidationError as exc:
            reason = _reason(exc)
        except ValueError as exc:
            reason = str(exc)
        else:
            earlier = by_subscription.get(period.subscription_id, [])
            clash = next((ln for ln, other in earlier if _overlaps(other, period)), None)
            owner = next(
                (ln for ln, other in earlier if other.customer_id != period.customer_id), None
            )
            if clash is not None:
                reason = (
                    f"subscription {period.subscription_id}: period overlaps the one on line "
                    f"{clash}"
                )
            elif owner is not None:
                reason = (
                    f"subscription {period.subscription_id}: customer {period.customer_id} "
                    f"differs from line {owner}'s"
                )
        if reason is not None:
            result.rejects.append(
                DeadLetter(
                    batch_id=result.import_id,
                    position=Position(source, PositionUnit.LINE, line),
                    family=KIND,
                    reason=reason,
                    raw=dict(row),
                    rejected_at=result.imported_at,
                )
            )
            continue
        by_subscription.setdefault(period.subscription_id, []).append((line, period))
        result.periods.append(period)
    return result
