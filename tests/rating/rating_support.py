"""Helpers for the rating tests (imported as ``rating_support``): small decks written row by
row, single calls rated through the engine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

from telephony.rating import DeckRow, RateBook, RateDeck, day_number, parse_e164


def deck_of(*rows: dict[str, object], name: str = "deck") -> RateDeck:
    """A deck from row dicts (``increment`` defaults to 1/1)."""
    return RateDeck.from_rows(
        name, [DeckRow.model_validate({"increment": "1/1", **r}) for r in rows]
    )


def rate_one(
    deck: RateDeck, number: str, billsec: int, on: date = date(2024, 3, 1)
) -> tuple[str, Decimal | None]:
    """``(status, charge)`` of one call rated by the vectorised engine."""
    rated = RateBook.compile([deck]).rate(
        np.zeros(1, dtype=np.int64),
        np.array([day_number(on)]),
        parse_e164([number]),
        np.array([billsec]),
    )
    return rated.status_names()[0].as_py(), rated.charges()[0].as_py()
