"""Least-cost routing: the cheapest carrier above the quality floor, deterministic ties."""

from __future__ import annotations

from datetime import date

import numpy as np
from rating_support import deck_of

from telephony.rating import QualityScore, least_cost_routes

ON = date(2024, 3, 4)
UK, FR, US = "+447700900123", "+33612345678", "+12025550123"

# Reference call: 60 s. alpha 0.010/min per second; bravo 0.008 per minute; charlie 0.009 plus a
# 0.002 connection fee on UK mobiles (4477...) = 0.011.
DECKS = {
    "alpha": deck_of(
        {"prefix": "44", "rate_per_min": "0.010"}, {"prefix": "33", "rate_per_min": "0.02"}
    ),
    "bravo": deck_of({"prefix": "44", "rate_per_min": "0.008", "increment": "60/60"}),
    "charlie": deck_of(
        {"prefix": "44", "rate_per_min": "0.009"},
        {"prefix": "4477", "rate_per_min": "0.009", "connection_fee": "0.002"},
    ),
}
QUALITY = [
    QualityScore(carrier_id="alpha", score=0.9),
    QualityScore(carrier_id="bravo", score=0.5),
    QualityScore(carrier_id="bravo", prefix="33", score=0.95),
    QualityScore(carrier_id="charlie", prefix="44", score=0.7),
]


def test_cheapest_carrier_meeting_the_floor() -> None:
    strict = least_cost_routes(DECKS, QUALITY, [UK, "+442079460123"], on=ON, floor=0.6)
    # UK mobile: bravo 0.008 is below the floor; charlie 0.011 (fee); alpha 0.010 wins.
    # UK landline: charlie 0.009 (no fee on 4420) beats alpha 0.010; bravo below the floor.
    assert strict.carrier.to_pylist() == ["alpha", "charlie"]
    assert strict.cost_micros.tolist() == [10_000, 9_000]
    assert strict.score.tolist() == [0.9, 0.7]
    assert strict.status.to_pylist() == ["routed", "routed"]
    assert strict.carriers == ("alpha", "bravo", "charlie")
    assert strict.cost_matrix.tolist() == [[10_000, 8_000, 11_000], [10_000, 8_000, 9_000]]
    lax = least_cost_routes(DECKS, QUALITY, [UK], on=ON, floor=0.4)
    assert lax.carrier.to_pylist() == ["bravo"]
    assert lax.cost_micros.tolist() == [8_000]


def test_none_qualifies_or_no_route_is_reported() -> None:
    chosen = least_cost_routes(DECKS, QUALITY, [UK, FR, US, "bad"], on=ON, floor=0.95)
    # FR: only alpha has a rate (score 0.9 < 0.95); bravo's 0.95 for 33 has no rate behind it.
    assert chosen.status.to_pylist() == ["below_floor", "below_floor", "no_route", "no_route"]
    assert chosen.carrier.to_pylist() == [None, None, None, None]
    assert chosen.cost_micros.tolist() == [0, 0, 0, 0]
    assert np.isnan(chosen.score).all()


def test_unknown_quality_never_qualifies_and_ties_are_deterministic() -> None:
    same = deck_of({"prefix": "44", "rate_per_min": "0.01"})
    decks = {"zulu": same, "yankee": same, "xray": same, "whiskey": same}
    quality = [
        QualityScore(carrier_id="zulu", score=0.8),
        QualityScore(carrier_id="yankee", score=0.8),
        QualityScore(carrier_id="xray", score=0.7),
    ]  # whiskey: no score at all
    chosen = least_cost_routes(decks, quality, [UK, UK], on=ON, floor=0.5)
    # Equal cost: higher score first (yankee, zulu at 0.8), then the id that sorts first.
    assert chosen.carrier.to_pylist() == ["yankee", "yankee"]
    assert chosen.carriers == ("whiskey", "xray", "yankee", "zulu")
    assert np.isnan(chosen.score_matrix[0, 0])
