"""Deck CSV loading: values parsed exactly, and errors that name the line and the field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from telephony.rating import DeckValidationError, load_deck_csv

HEADER = "prefix,rate_per_min,increment,minimum_charge,connection_fee,effective_from,currency\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deck.csv"
    path.write_text(text)
    return path


def issues(path: Path) -> list[tuple[int, str]]:
    with pytest.raises(DeckValidationError) as caught:
        load_deck_csv(path)
    assert str(path) in str(caught.value)
    return [(issue.line, issue.field) for issue in caught.value.issues]


def test_a_valid_deck_is_read_exactly(tmp_path: Path) -> None:
    deck = load_deck_csv(
        write(
            tmp_path,
            HEADER + "44,0.0120,30/6,,0.01,,\n+4420,0.015,60,0.05,,2024-03-15,USD\n",
        )
    )
    first, second = deck.rows
    assert (first.prefix, first.rate_per_min, first.increment) == ("44", Decimal("0.012"), (30, 6))
    assert (first.minimum_charge, first.connection_fee) == (0, Decimal("0.01"))
    assert first.effective_from is None
    assert (second.prefix, second.increment, second.minimum_charge) == (
        "4420",
        (60, 60),
        Decimal("0.05"),
    )
    assert second.effective_from == date(2024, 3, 15)
    assert deck.currency == "USD"
    assert deck.name == "deck"


def test_errors_name_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "44,0.012,60/60,,,,\n"  # line 2: fine
        + "33,abc,60/60,,,,\n"  # line 3: not a number
        + "34,0.01,30-6,,,,\n"  # line 4: bad increment
        + "4a,0.01,60/60,,,,\n"  # line 5: not digits
        + "35,0.0000001,60/60,,,,\n"  # line 6: 7 decimals
        + "36,0.01,0/6,,,,\n"  # line 7: zero-second increment
        + "37,0.01,60/60,-1,,,\n"  # line 8: negative minimum
        + "38,0.01,60/60,,,2024-02-30,\n"  # line 9: no such date
        + "39,0.01,60/60,,,,usd\n",  # line 10: currency code not upper case
    )
    assert issues(path) == [
        (3, "rate_per_min"),
        (4, "increment"),
        (5, "prefix"),
        (6, "rate_per_min"),
        (7, "increment"),
        (8, "minimum_charge"),
        (9, "effective_from"),
        (10, "currency"),
    ]


def test_duplicate_prefixes_per_effective_date_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "44,0.01,60/60,,,,\n"
        + "44,0.02,60/60,,,2024-03-01,\n"  # a new version: fine
        + "44,0.03,60/60,,,,\n"  # line 4: same prefix, same (no) date as line 2
        + "44,0.04,60/60,,,2024-03-01,\n",  # line 5: same as line 3
    )
    with pytest.raises(DeckValidationError) as caught:
        load_deck_csv(path)
    assert [(i.line, i.field) for i in caught.value.issues] == [(4, "prefix"), (5, "prefix")]
    assert "first on line 2" in str(caught.value)
    assert "first on line 3" in str(caught.value)


def test_mixed_currencies_and_header_problems(tmp_path: Path) -> None:
    mixed = write(tmp_path, HEADER + "44,0.01,60/60,,,,USD\n33,0.01,60/60,,,,EUR\n")
    assert issues(mixed) == [(3, "currency")]
    (tmp_path / "bad").mkdir()
    no_rate = write(tmp_path / "bad", "prefix,increment,colour\n44,60/60,red\n")
    assert issues(no_rate) == [(1, "rate_per_min"), (1, "colour")]
    empty = write(tmp_path, "prefix,rate_per_min,increment\n")
    assert issues(empty) == [(0, "prefix")]
