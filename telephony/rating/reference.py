"""The straightforward per-call rater: a dict of prefixes, one call at a time, ``Decimal`` money.

It states the rating rules a second, independent way (no micro-unit integers, no prefix index):
the tests hold the vectorised engine to it on random calls, and the benchmark measures the
engine's speed-up over it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from telephony.rating.deck import DeckRow, RateDeck

MICRO = Decimal("0.000001")
MAX_DIGITS = 15


class NaiveDeck:
    """A deck as ``{prefix: [(effective_from, row), ...]}``, newest version first."""

    def __init__(self, deck: RateDeck) -> None:
        versions: dict[str, list[tuple[date, DeckRow]]] = {}
        for row in deck.rows:
            versions.setdefault(row.prefix, []).append((row.effective_from or date.min, row))
        self.versions = {
            prefix: sorted(rows, key=lambda item: item[0], reverse=True)
            for prefix, rows in versions.items()
        }

    def find(self, number: str, on: date) -> DeckRow | None:
        """The row of the longest prefix of ``number`` (E.164) in effect on ``on``."""
        if not number.startswith("+") or not number[1:].isdigit() or len(number) > 16:
            return None
        digits = number[1:]
        for size in range(min(len(digits), MAX_DIGITS), 0, -1):
            for effective, row in self.versions.get(digits[:size], ()):
                if effective <= on:
                    return row
        return None


def charge(row: DeckRow, billsec: int) -> Decimal:
    """Charge of one answered call (``billsec > 0``) on ``row``."""
    initial, subsequent = row.increment
    billed = initial
    if billsec > initial:
        billed += -(-(billsec - initial) // subsequent) * subsequent
    usage = (row.rate_per_min * billed / 60).quantize(MICRO, rounding=ROUND_HALF_UP)
    return max(row.minimum_charge, row.connection_fee + usage)


def rate_naive(
    deck: NaiveDeck | None, calls: Iterable[tuple[str, date, int]]
) -> list[tuple[str, Decimal | None]]:
    """``(status, charge)`` per ``(to_number, start date, billsec)``: ``unanswered`` -> 0,
    ``no_deck`` / ``no_route`` -> None."""
    out: list[tuple[str, Decimal | None]] = []
    for number, on, billsec in calls:
        if billsec <= 0:
            out.append(("unanswered", Decimal(0)))
        elif deck is None:
            out.append(("no_deck", None))
        elif (row := deck.find(number, on)) is None:
            out.append(("no_route", None))
        else:
            out.append(("rated", charge(row, billsec)))
    return out
