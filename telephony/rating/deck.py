"""Rate decks: per-destination-prefix rates, billing increments, minimum charges, connection fees.

A deck is either a tenant's price list (what the provider charges its customer) or a carrier's
cost deck (what the carrier charges the provider); both have the same shape. CSV columns:

``prefix, rate_per_min, increment[, minimum_charge, connection_fee, effective_from, currency,
description]``

* ``prefix``: leading digits of the E.164 number without ``+`` (1 to 15 digits; a leading ``+``
  is tolerated and dropped);
* ``rate_per_min``: money per minute, at most 6 decimals (money is exact in micro-units);
* ``increment``: ``initial/subsequent`` seconds, e.g. ``60/60``, ``30/6``, ``6/6``, ``1/1``;
* ``minimum_charge``, ``connection_fee``: money per answered call (empty = 0);
* ``effective_from``: ``YYYY-MM-DD`` from which the row applies (empty = since always);
* ``currency``: ISO 4217 code (empty = ``USD``); one currency per deck.

A prefix may appear once per effective date. Errors name the CSV line and the field.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

MICROS_PER_UNIT = 1_000_000
REQUIRED_COLUMNS: tuple[str, ...] = ("prefix", "rate_per_min", "increment")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "minimum_charge",
    "connection_fee",
    "effective_from",
    "currency",
    "description",
)
#: Upper bounds that keep micro-unit arithmetic far inside int64 (rate x seconds).
MAX_RATE_PER_MIN = Decimal(10_000)
MAX_INCREMENT_S = 3600


def _parse_increment(value: Any) -> Any:
    """``"30/6"`` -> ``(30, 6)``; a single number ``"60"`` means ``60/60``."""
    if isinstance(value, str):
        parts = value.strip().split("/")
        if len(parts) == 1:
            parts = parts * 2
        if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
            raise ValueError(f"must be 'initial/subsequent' seconds such as 30/6, got {value!r}")
        return (int(parts[0]), int(parts[1]))
    return value


def _strip_plus(value: Any) -> Any:
    return value.strip().removeprefix("+") if isinstance(value, str) else value


Seconds = Annotated[int, Field(ge=1, le=MAX_INCREMENT_S)]
Money = Annotated[Decimal, Field(ge=0, le=MAX_RATE_PER_MIN, decimal_places=6)]


class DeckRow(BaseModel):
    """One row of a rate deck."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    prefix: Annotated[str, BeforeValidator(_strip_plus), Field(pattern=r"^[0-9]{1,15}$")]
    rate_per_min: Money
    increment: Annotated[tuple[Seconds, Seconds], BeforeValidator(_parse_increment)]
    minimum_charge: Money = Decimal(0)
    connection_fee: Money = Decimal(0)
    effective_from: date | None = None
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    description: str | None = None

    @property
    def initial_s(self) -> int:
        return self.increment[0]

    @property
    def subsequent_s(self) -> int:
        return self.increment[1]


def to_micros(amount: Decimal) -> int:
    """Exact integer micro-units of a money amount with at most 6 decimals."""
    micros = amount * MICROS_PER_UNIT
    if micros != micros.to_integral_value():
        raise ValueError(f"{amount} has more than 6 decimals")
    return int(micros)


@dataclass(frozen=True)
class DeckIssue:
    line: int  # 1-based CSV line (the header is line 1); 0 when rows did not come from a file
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, field {self.field}: {self.message}"


class DeckValidationError(ValueError):
    """A deck that cannot be used; ``issues`` name each bad line and field."""

    def __init__(self, source: str, issues: Sequence[DeckIssue]) -> None:
        self.source = source
        self.issues = tuple(issues)
        shown = "; ".join(str(issue) for issue in self.issues[:20])
        more = f" (and {len(self.issues) - 20} more)" if len(self.issues) > 20 else ""
        super().__init__(f"{source}: {shown}{more}")


@dataclass(frozen=True)
class RateDeck:
    """A validated deck: unique (prefix, effective_from), one currency."""

    name: str
    rows: tuple[DeckRow, ...]
    currency: str

    @classmethod
    def from_rows(
        cls, name: str, rows: Iterable[DeckRow], lines: Sequence[int] | None = None
    ) -> RateDeck:
        """Check a deck's rows together; ``lines`` (CSV line of each row) make errors precise."""
        rows = tuple(rows)
        line_of = list(lines) if lines is not None else [0] * len(rows)
        issues: list[DeckIssue] = []
        seen: dict[tuple[str, date | None], int] = {}
        for row, line in zip(rows, line_of, strict=True):
            key = (row.prefix, row.effective_from)
            if key in seen:
                when = row.effective_from or "always"
                issues.append(
                    DeckIssue(
                        line,
                        "prefix",
                        f"duplicate prefix {row.prefix} effective from {when} "
                        f"(first on line {seen[key]})",
                    )
                )
            else:
                seen[key] = line
        currencies = sorted({row.currency for row in rows})
        if len(currencies) > 1:
            first = rows[0].currency
            line = next(ln for r, ln in zip(rows, line_of, strict=True) if r.currency != first)
            issues.append(
                DeckIssue(line, "currency", f"one currency per deck, found {', '.join(currencies)}")
            )
        if not rows:
            issues.append(DeckIssue(0, "prefix", "the deck has no rows"))
        if issues:
            raise DeckValidationError(name, issues)
        return cls(name=name, rows=rows, currency=currencies[0])


def parse_deck_rows(name: str, records: Iterable[tuple[int, dict[str, str | None]]]) -> RateDeck:
    """A deck from ``(line, {column: text})`` records (empty text = use the default)."""
    rows: list[DeckRow] = []
    lines: list[int] = []
    issues: list[DeckIssue] = []
    for line, record in records:
        values = {key: value for key, value in record.items() if value not in (None, "")}
        try:
            rows.append(DeckRow.model_validate(values))
            lines.append(line)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                field = str(item["loc"][0]) if item["loc"] else "row"
                issues.append(DeckIssue(line, field, item["msg"]))
    if issues:
        raise DeckValidationError(name, issues)
    return RateDeck.from_rows(name, rows, lines)


def load_deck_csv(path: Path, name: str | None = None) -> RateDeck:
    """Read and validate a deck CSV (see the module docstring for the columns)."""
    source = str(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [column.strip() for column in reader.fieldnames or []]
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        header_issues = [DeckIssue(1, column, "required column missing") for column in missing]
        header_issues += [DeckIssue(1, column, "unknown column") for column in unknown]
        if header_issues:
            raise DeckValidationError(source, header_issues)
        reader.fieldnames = header

        def records() -> Iterable[tuple[int, dict[str, str | None]]]:
            for record in reader:
                extra = record.pop(None, None)  # type: ignore[call-overload]
                if extra:
                    raise DeckValidationError(
                        source, [DeckIssue(reader.line_num, "row", "more cells than columns")]
                    )
                yield reader.line_num, record

        try:
            return parse_deck_rows(name or path.stem, records())
        except DeckValidationError as error:
            raise DeckValidationError(source, error.issues) from None
