"""Exchange rates imported from a CSV: they take precedence over the dbt seed ``fx_rates``.

One row is one dated rate of one currency pair (docs/revenue.md, "Currency")::

    rate_date,currency,quote_currency,rate

From ``rate_date`` on, one unit of ``currency`` is worth ``rate`` units of ``quote_currency``
(until the pair's next rate). **Rates are global reference data, not tenant-scoped**: an amount
in EUR is worth the same in USD whichever tenant bills it, the reporting currency (dbt var
``reporting_currency``) is one for the whole warehouse, and the seed they override is global too;
per-tenant rates would make the same EUR revenue convert differently per tenant and the tenants'
MRR incomparable. So the import takes no ``--tenant`` and is an operator's action.

Imports accumulate (a file of this month's rates does not erase last year's): per
(rate_date, currency, quote_currency) the latest import wins, and an imported rate wins over the
seed's rate of the same key (``int_fx_rates``). The import id is derived from the file's bytes,
so importing the same file again writes the same rows with the same ``imported_at`` (the lake
keeps the first import's time: ``warehouse.fx_rates``) and changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Self

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ingest.contracts.common import CurrencyCode
from ingest.deadletter import DeadLetter
from ingest.readers import Position, PositionUnit

#: The dead-letter ``family`` of rejected rate rows (not an event family).
KIND = "fx_rates"
REQUIRED_COLUMNS = ("rate_date", "currency", "quote_currency", "rate")

#: A rate is positive, decimal(18, 6) like the seed's (0 would silently zero revenue).
Rate = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)]

#: Columns of the raw table (lake Parquet files and ClickHouse ``irisx_raw.fx_rates``).
SCHEMA = pa.schema(
    [
        pa.field("rate_date", pa.date32(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("quote_currency", pa.string(), nullable=False),
        pa.field("rate", pa.decimal128(18, 6), nullable=False),
        # Which import the row came from; staging keeps each key's latest import.
        pa.field("import_id", pa.string(), nullable=False),
        pa.field("imported_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


class FxRate(BaseModel):
    """One CSV row: from ``rate_date`` on, 1 ``currency`` = ``rate`` ``quote_currency``."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    rate_date: date
    currency: CurrencyCode
    quote_currency: CurrencyCode
    rate: Rate

    @model_validator(mode="after")
    def _two_currencies(self) -> Self:
        if self.currency == self.quote_currency:
            raise ValueError(f"currency and quote_currency are both {self.currency}")
        return self


class FxRateFileError(ValueError):
    """The file as a whole cannot be imported (not UTF-8, missing or unknown columns)."""


@dataclass
class FxRateImport:
    """The outcome of reading one rates CSV: accepted rates and dead letters."""

    source: str
    #: Derived from the file's bytes: the same file imports under the same id.
    import_id: str
    imported_at: datetime
    rates: list[FxRate] = field(default_factory=list)
    rejects: list[DeadLetter] = field(default_factory=list)

    def to_table(self) -> pa.Table:
        """The accepted rates as the raw table's Arrow schema."""
        count = len(self.rates)
        return pa.Table.from_pydict(
            {
                "rate_date": [r.rate_date for r in self.rates],
                "currency": [r.currency for r in self.rates],
                "quote_currency": [r.quote_currency for r in self.rates],
                "rate": [r.rate for r in self.rates],
                "import_id": [self.import_id] * count,
                "imported_at": [self.imported_at] * count,
            },
            schema=SCHEMA,
        )


def fx_import_id(data: bytes) -> str:
    """The import id of a file's bytes (the same file, the same id)."""
    return f"fx-rates-{hashlib.sha256(data).hexdigest()[:32]}"


def _reason(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'row'}: {error['msg']}"
        for error in exc.errors()
    )


def read_fx_rates(data: bytes, *, source: str, now: datetime | None = None) -> FxRateImport:
    """Validate a rates CSV (UTF-8, header row). A row is rejected (dead letter with its 1-based
    line) when it fails the row model (bad date or code, rate not > 0 or with more than 6
    decimals, a currency quoted in itself, more cells than the header) or repeats the
    (rate_date, currency, quote_currency) of an earlier row of the file (which one to keep would
    be a guess)."""
    result = FxRateImport(
        source=source, import_id=fx_import_id(data), imported_at=now or datetime.now(UTC)
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FxRateFileError(f"{source}: not UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in REQUIRED_COLUMNS]
    if missing or unknown:
        raise FxRateFileError(
            f"{source}: header must name {', '.join(REQUIRED_COLUMNS)}; missing {missing}, "
            f"unknown {unknown}"
        )
    reader.fieldnames = header
    seen: dict[tuple[date, str, str], int] = {}
    for row in reader:
        line = reader.line_num
        reason = None
        try:
            if None in row:  # DictReader files surplus cells under the key None
                raise ValueError(
                    f"{len(row[None]) + len(header)} cells, the header has {len(header)}"
                )
            rate = FxRate.model_validate(row)
        except ValidationError as exc:
            reason = _reason(exc)
        except ValueError as exc:
            reason = str(exc)
        else:
            key = (rate.rate_date, rate.currency, rate.quote_currency)
            if key in seen:
                reason = (
                    f"{rate.currency}/{rate.quote_currency} on {rate.rate_date}: already on "
                    f"line {seen[key]}"
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
        seen[(rate.rate_date, rate.currency, rate.quote_currency)] = line
        result.rates.append(rate)
    return result
