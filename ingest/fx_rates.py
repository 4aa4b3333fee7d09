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

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Self

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ingest.contracts.common import CurrencyCode
from ingest.csv_import import CsvFileError, file_import_id, read_csv_rows, rows_table
from ingest.deadletter import DeadLetter

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


class FxRateFileError(CsvFileError):
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
        return rows_table(
            self.rates, SCHEMA, {"import_id": self.import_id, "imported_at": self.imported_at}
        )


def fx_import_id(data: bytes) -> str:
    """The import id of a file's bytes (the same file, the same id)."""
    return file_import_id("fx-rates", data)


def read_fx_rates(data: bytes, *, source: str, now: datetime | None = None) -> FxRateImport:
    """Validate a rates CSV (UTF-8, header row). A row is rejected (dead letter with its 1-based
    line) when it fails the row model (bad date or code, rate not > 0 or with more than 6
    decimals, a currency quoted in itself, more cells than the header) or repeats the
    (rate_date, currency, quote_currency) of an earlier row of the file (which one to keep would
    be a guess)."""
    result = FxRateImport(
        source=source, import_id=fx_import_id(data), imported_at=now or datetime.now(UTC)
    )
    seen: dict[tuple[date, str, str], int] = {}

    def first_of_its_key(line: int, rate: FxRate) -> str | None:
        key = (rate.rate_date, rate.currency, rate.quote_currency)
        if key in seen:
            return (
                f"{rate.currency}/{rate.quote_currency} on {rate.rate_date}: already on "
                f"line {seen[key]}"
            )
        seen[key] = line
        return None

    result.rates, result.rejects = read_csv_rows(
        data,
        source=source,
        row_model=FxRate,
        required=REQUIRED_COLUMNS,
        accept=first_of_its_key,
        kind=KIND,
        batch_id=result.import_id,
        rejected_at=result.imported_at,
        file_error=FxRateFileError,
    )
    return result
