"""Hand-worked charges: increments, connection fees, minimums, rounding, prefixes, dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rating_support import deck_of, rate_one

UK = "+442079460123"


@pytest.mark.parametrize(
    ("increment", "billsec", "billed_s"),
    [
        ("60/60", 61, 120),  # 60 + one more full minute
        ("60/60", 60, 60),
        ("60/60", 1, 60),
        ("30/6", 61, 66),  # 30 + ceil(31 / 6) * 6 = 30 + 36
        ("30/6", 5, 30),  # the first increment is charged in full
        ("30/6", 30, 30),
        ("6/6", 7, 12),
        ("6/6", 6, 6),
        ("1/1", 61, 61),
        ("60/1", 61, 61),
        ("60/1", 59, 60),
    ],
)
def test_billing_increments(increment: str, billsec: int, billed_s: int) -> None:
    # 0.6 per minute = 0.01 per billed second: the charge shows the billed seconds directly.
    deck = deck_of({"prefix": "44", "rate_per_min": "0.6", "increment": increment})
    assert rate_one(deck, UK, billsec) == ("rated", Decimal(billed_s) / 100)


def test_rate_per_minute_on_billed_seconds() -> None:
    deck = deck_of({"prefix": "44", "rate_per_min": "0.012", "increment": "30/6"})
    # 61 s at 30/6 -> 66 s billed -> 0.012 * 66 / 60 = 0.0132
    assert rate_one(deck, UK, 61) == ("rated", Decimal("0.0132"))


def test_connection_fee_is_added_and_minimum_charge_is_a_floor() -> None:
    fee = deck_of(
        {"prefix": "44", "rate_per_min": "0.012", "increment": "60/60", "connection_fee": "0.01"}
    )
    assert rate_one(fee, UK, 30) == ("rated", Decimal("0.022"))  # 0.01 + one minute at 0.012
    minimum = deck_of({"prefix": "44", "rate_per_min": "0.012", "minimum_charge": "0.05"})
    assert rate_one(minimum, UK, 10) == ("rated", Decimal("0.05"))  # usage 0.002 < 0.05
    assert rate_one(minimum, UK, 600) == ("rated", Decimal("0.12"))  # usage 0.12 > 0.05
    both = deck_of(
        {"prefix": "44", "rate_per_min": "0.06", "minimum_charge": "0.05", "connection_fee": "0.03"}
    )
    assert rate_one(both, UK, 10) == ("rated", Decimal("0.05"))  # 0.03 + 0.01 = 0.04 < 0.05
    assert rate_one(both, UK, 30) == ("rated", Decimal("0.06"))  # 0.03 + 0.03


def test_unanswered_calls_cost_nothing_not_even_fees() -> None:
    deck = deck_of(
        {"prefix": "44", "rate_per_min": "1", "minimum_charge": "0.5", "connection_fee": "0.2"}
    )
    assert rate_one(deck, UK, 0) == ("unanswered", Decimal(0))


@pytest.mark.parametrize(
    ("rate", "billsec", "expected"),
    [
        ("0.01", 7, "0.001167"),  # 0.0011666... rounds up
        ("0.000001", 30, "0.000001"),  # exactly 0.0000005: half rounds up
        ("0.000001", 29, "0.000000"),  # 0.000000483 rounds down
        ("0.000003", 10, "0.000001"),  # exactly 0.0000005
        ("0.123457", 1, "0.002058"),  # 0.00205761666...
        ("9999.999999", 7200, "1199999.999880"),  # large amounts stay exact
    ],
)
def test_rounding_half_up_to_six_decimals(rate: str, billsec: int, expected: str) -> None:
    status, charge = rate_one(deck_of({"prefix": "44", "rate_per_min": rate}), UK, billsec)
    assert status == "rated"
    assert charge == Decimal(expected)
    assert charge is not None
    assert charge.as_tuple().exponent == -6  # decimal(18, 6)


def test_longest_prefix_wins() -> None:
    deck = deck_of(
        {"prefix": "4", "rate_per_min": "0.1"},
        {"prefix": "44", "rate_per_min": "0.2"},
        {"prefix": "4420", "rate_per_min": "0.3"},
        {"prefix": "44207946", "rate_per_min": "0.4"},
    )
    cases = {
        "+442079460123": "0.4",
        "+442071234567": "0.3",
        "+447700900123": "0.2",
        "+4930123456": "0.1",
        "+4420": "0.3",  # the number is the prefix itself
    }
    for number, rate in cases.items():
        assert rate_one(deck, number, 60) == ("rated", Decimal(rate)), number


def test_prefix_longer_than_the_number_does_not_match() -> None:
    # +442 pads like +4420...; the 4-digit prefix must not claim a 3-digit number.
    deck = deck_of({"prefix": "44", "rate_per_min": "0.2"}, {"prefix": "4420", "rate_per_min": "1"})
    assert rate_one(deck, "+442", 60) == ("rated", Decimal("0.2"))
    assert rate_one(deck_of({"prefix": "4420", "rate_per_min": "1"}), "+442", 60) == (
        "no_route",
        None,
    )


def test_no_route_and_invalid_numbers() -> None:
    deck = deck_of({"prefix": "44", "rate_per_min": "0.2"})
    assert rate_one(deck, "+12025550123", 60) == ("no_route", None)
    assert rate_one(deck, "442079460123", 60) == ("no_route", None)  # no leading +
    assert rate_one(deck, "+44abc", 60) == ("no_route", None)


def test_effective_dated_rows_are_picked_by_the_call_date() -> None:
    deck = deck_of(
        {"prefix": "44", "rate_per_min": "0.2"},
        {"prefix": "44", "rate_per_min": "0.3", "effective_from": "2024-03-15"},
        {"prefix": "4420", "rate_per_min": "0.5", "effective_from": "2024-04-01"},
    )
    assert rate_one(deck, UK, 60, on=date(2024, 3, 14)) == ("rated", Decimal("0.2"))
    assert rate_one(deck, UK, 60, on=date(2024, 3, 15)) == ("rated", Decimal("0.3"))
    # 4420 is not in effect yet: the longest prefix in effect is 44 (its newer price).
    assert rate_one(deck, UK, 60, on=date(2024, 3, 31)) == ("rated", Decimal("0.3"))
    assert rate_one(deck, UK, 60, on=date(2024, 4, 1)) == ("rated", Decimal("0.5"))


def test_calls_before_a_deck_takes_effect_have_no_route() -> None:
    deck = deck_of({"prefix": "44", "rate_per_min": "0.2", "effective_from": "2024-03-15"})
    assert rate_one(deck, UK, 60, on=date(2024, 3, 14)) == ("no_route", None)
    assert rate_one(deck, UK, 60, on=date(2024, 3, 15)) == ("rated", Decimal("0.2"))
