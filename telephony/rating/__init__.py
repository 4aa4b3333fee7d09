"""Rating and least-cost routing: rate decks, vectorised call rating, carrier selection.

First layer of the data flow (beside the simulator): imports nothing from ingest, warehouse,
pipelines or serving. See docs/rating.md for the deck format and the rules.
"""

from telephony.rating.deck import (
    DeckIssue,
    DeckRow,
    DeckValidationError,
    RateDeck,
    load_deck_csv,
    parse_deck_rows,
)
from telephony.rating.engine import (
    STATUS_NAMES,
    CallRater,
    DeckSet,
    RateBook,
    Rated,
    RatingStatus,
    day_number,
    start_days,
    status_counts,
)
from telephony.rating.lcr import LCR_STATUS_NAMES, QualityScore, RouteChoice, least_cost_routes
from telephony.rating.prefix import Numbers, PrefixIndex, parse_e164

__all__ = [
    "LCR_STATUS_NAMES",
    "STATUS_NAMES",
    "CallRater",
    "DeckIssue",
    "DeckRow",
    "DeckSet",
    "DeckValidationError",
    "Numbers",
    "PrefixIndex",
    "QualityScore",
    "RateBook",
    "RateDeck",
    "Rated",
    "RatingStatus",
    "RouteChoice",
    "day_number",
    "least_cost_routes",
    "load_deck_csv",
    "parse_deck_rows",
    "parse_e164",
    "start_days",
    "status_counts",
]
