"""Rating whole call tables: price and cost sides, directions, statuses, and the naive rater."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from rating_support import deck_of

from telephony.rating import STATUS_NAMES, CallRater, DeckSet, status_counts
from telephony.rating.reference import NaiveDeck, rate_naive
from telephony.rating.sample import sample_calls, sample_deck


def calls_table(*rows: tuple[str, str, str, str, int]) -> pa.Table:
    """(tenant_id, carrier_id, direction, to_number, billsec), all on 2024-03-04."""
    start = datetime(2024, 3, 4, 23, 59, tzinfo=UTC)
    return pa.table(
        {
            "tenant_id": [r[0] for r in rows],
            "carrier_id": [r[1] for r in rows],
            "direction": [r[2] for r in rows],
            "to_number": [r[3] for r in rows],
            "billsec": pa.array([r[4] for r in rows], pa.int64()),
            "start_at": pa.array([start] * len(rows), pa.timestamp("us", tz="UTC")),
            "cost": pa.array([None] * len(rows), pa.decimal128(18, 6)),
        }
    )


def test_prices_costs_and_statuses_per_call() -> None:
    retail = deck_of({"prefix": "44", "rate_per_min": "0.05", "increment": "60/60"})
    special = deck_of({"prefix": "44", "rate_per_min": "0.03", "increment": "60/60"})
    did = deck_of({"prefix": "44800", "rate_per_min": "0.02"})
    wholesale = deck_of({"prefix": "44", "rate_per_min": "0.012", "increment": "6/6"})
    rater = CallRater(
        prices=DeckSet(outbound={"*": retail, "big": special}, inbound={"big": did}),
        costs=DeckSet(outbound={"acme": wholesale}),
    )
    rated = rater.rate_table(
        calls_table(
            ("small", "acme", "outbound", "+447700900123", 61),  # 2 min retail; 66 s wholesale
            ("big", "acme", "outbound", "+447700900123", 61),  # the tenant's own price list
            ("big", "acme", "inbound", "+448001234567", 30),  # DID deck; carrier: no inbound
            ("small", "acme", "inbound", "+448001234567", 30),  # no inbound deck for small
            ("small", "acme", "internal", "+447700900123", 30),
            ("small", "acme", "outbound", "+12025550123", 30),  # not in any deck
            ("small", "other", "outbound", "+447700900123", 30),  # carrier without a deck
            ("small", "acme", "outbound", "+447700900123", 0),  # unanswered
        )
    )
    assert rated.column("price").to_pylist() == [
        Decimal("0.1"), Decimal("0.06"), Decimal("0.01"), None, None, None, Decimal("0.05"), 0,
    ]  # fmt: skip
    assert rated.column("cost").to_pylist() == [
        Decimal("0.0132"), Decimal("0.0132"), None, None, None, None, None, 0,
    ]  # fmt: skip
    assert rated.column("price_status").to_pylist() == [
        "rated", "rated", "rated", "not_rated", "not_rated", "no_route", "rated", "unanswered",
    ]  # fmt: skip
    assert rated.column("cost_status").to_pylist() == [
        "rated", "rated", "not_rated", "not_rated", "not_rated", "no_route", "no_deck",
        "unanswered",
    ]  # fmt: skip
    assert rated.column("rating_status").to_pylist() == [
        "rated", "rated", "not_rated", "not_rated", "not_rated", "no_route", "no_deck",
        "unanswered",
    ]  # fmt: skip
    assert rated.column("currency").to_pylist() == ["USD"] * 8
    assert rated.schema.field("cost").type == pa.decimal128(18, 6)  # replaced in place
    assert rated.column_names.index("cost") == 6


def test_status_counts_and_one_currency() -> None:
    assert status_counts(np.array([0, 0, 2, 1], dtype=np.int8)) == {
        "rated": 2, "unanswered": 1, "no_route": 1, "no_deck": 0, "not_rated": 0,
    }  # fmt: skip
    eur = deck_of({"prefix": "44", "rate_per_min": "0.05", "currency": "EUR"})
    usd = deck_of({"prefix": "44", "rate_per_min": "0.01"})
    with pytest.raises(ValueError, match="one currency"):
        CallRater(DeckSet(outbound={"*": eur}), DeckSet(outbound={"*": usd}))


def test_vectorised_equals_naive_on_random_calls() -> None:
    """10,000 random calls against a realistic deck with re-priced rows: status and charge of
    every call equal the per-call Decimal rater's."""
    rng = np.random.default_rng(20240304)
    deck = sample_deck(rng, "prices", prefixes=2000, repriced_from=date(2024, 3, 10))
    calls = sample_calls(rng, 10_000, start=date(2024, 3, 1), days=20, unrouted_share=0.05)
    # Short and long numbers too: prefixes longer than the number, and 15-digit numbers.
    numbers = calls.column("to_number").to_pylist()
    for k in range(0, 10_000, 50):
        numbers[k] = numbers[k][: 2 + k % 6]
    for k in range(25, 10_000, 50):
        numbers[k] = (numbers[k] + "0123456789")[:16]
    calls = calls.set_column(3, "to_number", pa.array(numbers))
    calls = calls.set_column(2, "direction", pa.array(["outbound"] * 10_000))
    price, _ = CallRater(DeckSet(outbound={"*": deck}), DeckSet()).rate_sides(calls)
    fast = list(
        zip([STATUS_NAMES[s] for s in price.status], price.charges().to_pylist(), strict=True)
    )
    days = [start.date() for start in calls.column("start_at").to_pylist()]
    naive = rate_naive(
        NaiveDeck(deck), zip(numbers, days, calls.column("billsec").to_pylist(), strict=True)
    )
    assert fast == naive
    statuses = {status for status, _ in naive}
    assert statuses == {"rated", "unanswered", "no_route"}  # every path was exercised
    assert sum(status == "rated" for status, _ in naive) > 5000
