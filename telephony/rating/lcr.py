"""Least-cost routing: for each destination, the cheapest carrier whose quality meets a floor.

Cost is what a reference call (``reference_seconds`` of talk, default 60) costs on each carrier's
deck in effect on the routing date: increments, connection fees and minimum charges all count,
so a carrier with a cheap rate but a 60/60 increment or a connection fee can lose to a dearer
rate billed per second. Quality is a score per carrier and destination prefix (ASR, MOS or any
"higher is better" figure), matched by longest prefix like the rates; the empty prefix is the
carrier's default. A carrier without a quality score for a destination never qualifies.

Ties on cost go to the higher score, then to the carrier id that sorts first, so the choice is
deterministic. Statuses: ``routed``; ``below_floor`` (some carrier has a route, none meets the
floor); ``no_route`` (no carrier has a rate for the destination).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from telephony.rating.deck import RateDeck
from telephony.rating.engine import RateBook, RatingStatus, day_number
from telephony.rating.prefix import PrefixIndex, parse_e164
from telephony.simulator.identifiers import codes_to_strings

LCR_STATUS_NAMES: tuple[str, ...] = ("routed", "below_floor", "no_route")
_ROUTED, _BELOW_FLOOR, _NO_ROUTE = 0, 1, 2


class QualityScore(BaseModel):
    """A carrier's quality for destinations starting with ``prefix`` ("" = all of them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    carrier_id: str = Field(min_length=1)
    prefix: str = Field(default="", pattern=r"^[0-9]{0,15}$")
    score: float = Field(ge=0)


@dataclass(frozen=True)
class RouteChoice:
    carrier: pa.Array  # chosen carrier id per destination, null when none qualifies
    cost_micros: np.ndarray  # cost of the reference call on the chosen carrier (0 if none)
    score: np.ndarray  # the chosen carrier's score (NaN if none)
    status: pa.Array  # LCR_STATUS_NAMES
    carriers: tuple[str, ...]  # the candidates, in tie-break order
    cost_matrix: np.ndarray  # (destinations, carriers) reference cost, -1 where no rate
    score_matrix: np.ndarray  # (destinations, carriers) score, NaN where unknown


def least_cost_routes(
    cost_decks: Mapping[str, RateDeck],
    quality: Sequence[QualityScore],
    numbers: pa.Array | Sequence[str],
    *,
    on: date,
    floor: float,
    reference_seconds: int = 60,
) -> RouteChoice:
    """Pick a carrier per destination number (vectorised over numbers x carriers)."""
    carriers = tuple(sorted(cost_decks))
    book = RateBook.compile([cost_decks[carrier] for carrier in carriers])
    parsed = parse_e164(numbers)
    count, width = len(parsed.digits), len(carriers)
    # Row-major (destination, carrier) pairs: every destination on every carrier.
    deck = np.tile(np.arange(width, dtype=np.int64), count)
    pair_digits = np.repeat(parsed.digits, width)
    pair_length = np.repeat(parsed.length, width)
    pair_numbers = type(parsed)(digits=pair_digits, length=pair_length)
    day = np.full(count * width, day_number(on), dtype=np.int64)
    rated = book.rate(deck, day, pair_numbers, np.full(count * width, reference_seconds))
    routed = (rated.status == RatingStatus.RATED).reshape(count, width)
    cost = np.where(routed, rated.charge_micros.reshape(count, width), -1)

    by_carrier: dict[str, list[QualityScore]] = {carrier: [] for carrier in carriers}
    for entry in quality:
        if entry.carrier_id in by_carrier:
            by_carrier[entry.carrier_id].append(entry)
    scores = np.array([q.score for c in carriers for q in by_carrier[c]], dtype=np.float64)
    index = PrefixIndex.build([[q.prefix for q in by_carrier[c]] for c in carriers])
    found = index.lookup(deck, pair_numbers)
    score = np.where(found >= 0, scores[np.maximum(found, 0)] if len(scores) else np.nan, np.nan)
    score = score.reshape(count, width)

    eligible = routed & (score >= floor)  # NaN >= floor is False: unknown quality never passes
    masked = np.where(eligible, cost, np.iinfo(np.int64).max)
    cheapest = masked.min(axis=1, initial=np.iinfo(np.int64).max)
    tied = eligible & (masked == cheapest[:, None])
    # argmax takes the first maximum: among equal scores, the carrier id that sorts first.
    best = np.argmax(np.where(tied, score, -np.inf), axis=1) if width else np.zeros(count, int)
    chosen = eligible.any(axis=1)
    status = np.where(chosen, _ROUTED, np.where(routed.any(axis=1), _BELOW_FLOOR, _NO_ROUTE))
    rows = np.arange(count)
    return RouteChoice(
        carrier=codes_to_strings(carriers, np.where(chosen, best, -1)),
        cost_micros=np.where(chosen, cost[rows, best] if width else 0, 0),
        score=np.where(chosen, score[rows, best] if width else np.nan, np.nan),
        status=codes_to_strings(LCR_STATUS_NAMES, status),
        carriers=carriers,
        cost_matrix=cost,
        score_matrix=score,
    )
