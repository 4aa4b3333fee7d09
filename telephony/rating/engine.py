"""Vectorised rating of call records against rate decks (no per-call Python).

Rules (documented in docs/rating.md):

* A call is rated on the ``to_number`` (outbound: the dialled destination; inbound: the DID that
  was called, against the owner's *inbound* deck when it has one, else ``not_rated``). Internal
  calls are ``not_rated``.
* The deck row is the longest prefix of the number among the rows in effect on the call's start
  date (UTC): for each prefix, the row with the latest ``effective_from`` not after that date.
* ``billsec == 0`` (not answered, or answered for under a second) is ``unanswered`` and costs
  exactly 0: no connection fee, no minimum.
* Answered: billed seconds = ``initial + ceil(max(billsec - initial, 0) / subsequent) *
  subsequent``; charge = ``max(minimum_charge, connection_fee + billed / 60 * rate)``, the
  per-minute part rounded half-up to the micro-unit (all arithmetic in integer micro-units).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telephony.rating.deck import RateDeck, to_micros
from telephony.rating.prefix import Numbers, PrefixIndex, parse_e164
from telephony.simulator.identifiers import codes_to_strings
from telephony.simulator.wire import money

_EPOCH = date(1970, 1, 1)
_MICROS_PER_DAY = 86_400_000_000
#: ``effective_from`` of rows valid since always (before any real call date).
ALWAYS = -(2**31)


class RatingStatus(IntEnum):
    RATED = 0
    UNANSWERED = 1
    NO_ROUTE = 2  # no prefix of the number in the deck (on that date), or an invalid number
    NO_DECK = 3  # the tenant (prices) or carrier (costs) has no deck for this direction
    NOT_RATED = 4  # direction not rated: internal calls, inbound calls without inbound decks


STATUS_NAMES: tuple[str, ...] = tuple(status.name.lower() for status in RatingStatus)


def day_number(day: date | None) -> int:
    """Days since 1970-01-01; ``None`` (since always) sorts before every date."""
    return ALWAYS if day is None else (day - _EPOCH).days


@dataclass(frozen=True)
class RateBook:
    """Several decks compiled into one prefix index: one *unit* per (deck, effective date)."""

    decks: tuple[RateDeck, ...]
    unit_key: np.ndarray  # sorted: deck << 32 | (start day - ALWAYS)
    unit_deck: np.ndarray
    index: PrefixIndex
    rate_micros: np.ndarray  # per index row (rows of every unit, concatenated)
    initial_s: np.ndarray
    subsequent_s: np.ndarray
    minimum_micros: np.ndarray
    connection_micros: np.ndarray
    prefix: tuple[str, ...]

    @classmethod
    def compile(cls, decks: Sequence[RateDeck]) -> RateBook:
        keys: list[int] = []
        unit_decks: list[int] = []
        unit_rows: list[list[int]] = []  # indices into all_rows
        all_rows = [row for deck in decks for row in deck.rows]
        first = 0
        for deck_number, deck in enumerate(decks):
            starts = sorted({day_number(row.effective_from) for row in deck.rows})
            for start in starts:
                # For each prefix: the row with the latest effective date not after ``start``.
                latest: dict[str, tuple[int, int]] = {}
                for offset, row in enumerate(deck.rows):
                    day = day_number(row.effective_from)
                    if day <= start and (row.prefix not in latest or latest[row.prefix][0] < day):
                        latest[row.prefix] = (day, first + offset)
                keys.append(deck_number << 32 | (start - ALWAYS))
                unit_decks.append(deck_number)
                unit_rows.append([position for _, position in latest.values()])
            first += len(deck.rows)
        index = PrefixIndex.build([[all_rows[i].prefix for i in rows] for rows in unit_rows])
        flat = [all_rows[i] for rows in unit_rows for i in rows]

        def column(values: list[int]) -> np.ndarray:
            return np.array(values, dtype=np.int64)

        return cls(
            decks=tuple(decks),
            unit_key=column(keys),
            unit_deck=column(unit_decks),
            index=index,
            rate_micros=column([to_micros(r.rate_per_min) for r in flat]),
            initial_s=column([r.initial_s for r in flat]),
            subsequent_s=column([r.subsequent_s for r in flat]),
            minimum_micros=column([to_micros(r.minimum_charge) for r in flat]),
            connection_micros=column([to_micros(r.connection_fee) for r in flat]),
            prefix=tuple(r.prefix for r in flat),
        )

    def units(self, deck: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The unit (deck version) in effect for each call, -1 where none."""
        deck = np.asarray(deck, dtype=np.int64)
        if len(self.unit_key) == 0:
            return np.full(len(deck), -1, dtype=np.int64)
        key = (np.maximum(deck, 0) << 32) | (np.asarray(day, dtype=np.int64) - ALWAYS)
        unit = np.searchsorted(self.unit_key, key, side="right") - 1
        found = (deck >= 0) & (unit >= 0)
        found &= self.unit_deck[np.maximum(unit, 0)] == deck
        return np.where(found, unit, -1)

    def rate(
        self, deck: np.ndarray, day: np.ndarray, numbers: Numbers, billsec: np.ndarray
    ) -> Rated:
        """Charges of calls: ``deck`` index per call (-1: no deck), ``day`` = days since 1970."""
        billsec = np.asarray(billsec, dtype=np.int64)
        deck = np.asarray(deck, dtype=np.int64)
        status = np.full(len(billsec), RatingStatus.RATED, dtype=np.int8)
        answered = billsec > 0
        status[deck < 0] = RatingStatus.NO_DECK
        status[~answered] = RatingStatus.UNANSWERED
        todo = np.flatnonzero(status == RatingStatus.RATED)
        row = np.full(len(billsec), -1, dtype=np.int64)
        found = self.index.lookup(self.units(deck[todo], day[todo]), _take(numbers, todo))
        row[todo] = found
        status[todo[found < 0]] = RatingStatus.NO_ROUTE
        charge = np.zeros(len(billsec), dtype=np.int64)
        hit = todo[found >= 0]
        charge[hit] = self.charge_micros(found[found >= 0], billsec[hit])
        return Rated(charge_micros=charge, status=status, row=row)

    def charge_micros(self, row: np.ndarray, billsec: np.ndarray) -> np.ndarray:
        """Charge of answered calls (``billsec > 0``) rated on deck rows ``row``."""
        initial, subsequent = self.initial_s[row], self.subsequent_s[row]
        extra = np.maximum(billsec - initial, 0)
        billed = initial + -(-extra // subsequent) * subsequent
        per_minute = (self.rate_micros[row] * billed + 30) // 60  # half-up to the micro-unit
        return np.maximum(self.minimum_micros[row], self.connection_micros[row] + per_minute)


@dataclass(frozen=True)
class Rated:
    charge_micros: np.ndarray  # 0 unless status is RATED (then it may be 0 too: a free row)
    status: np.ndarray  # RatingStatus codes (int8)
    row: np.ndarray  # matched RateBook row, -1 if none

    def charges(self) -> pa.Array:
        """decimal(18, 6): the charge where rated, 0 where unanswered, null otherwise."""
        charged = (self.status == RatingStatus.RATED) | (self.status == RatingStatus.UNANSWERED)
        return money(self.charge_micros, null=~charged)

    def status_names(self) -> pa.Array:
        return codes_to_strings(STATUS_NAMES, self.status)


def _take(numbers: Numbers, rows: np.ndarray) -> Numbers:
    return Numbers(digits=numbers.digits[rows], length=numbers.length[rows])


@dataclass(frozen=True)
class DeckSet:
    """One side's decks by owner (tenant id for prices, carrier id for costs); ``"*"`` is the
    deck of owners without their own."""

    outbound: Mapping[str, RateDeck] = field(default_factory=dict)
    inbound: Mapping[str, RateDeck] = field(default_factory=dict)

    @property
    def currencies(self) -> set[str]:
        return {deck.currency for deck in (*self.outbound.values(), *self.inbound.values())}


@dataclass(frozen=True)
class _CompiledSide:
    book: RateBook
    outbound: dict[str, int]
    inbound: dict[str, int]

    @classmethod
    def compile(cls, decks: DeckSet) -> _CompiledSide:
        ordered: list[RateDeck] = []
        maps: list[dict[str, int]] = []
        for by_owner in (decks.outbound, decks.inbound):
            maps.append({})
            for owner, deck in by_owner.items():
                maps[-1][owner] = len(ordered)
                ordered.append(deck)
        return cls(RateBook.compile(ordered), maps[0], maps[1])

    def deck_per_call(self, owners: pa.Array, direction: np.ndarray) -> np.ndarray:
        """Deck index per call: -1 no deck, -2 direction not rated (checked by the caller)."""
        encoded = pc.dictionary_encode(pc.fill_null(owners, ""))
        labels = encoded.dictionary.to_pylist()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        result = np.full(len(direction), -2, dtype=np.int64)
        for code, mapping in ((_OUTBOUND, self.outbound), (_INBOUND, self.inbound)):
            if code == _INBOUND and not mapping:
                continue  # no inbound decks at all: inbound is not rated on this side
            # Outbound without a deck is a gap to report; inbound without one is simply unrated.
            missing = -1 if code == _OUTBOUND else -2
            per_label = np.array(
                [mapping.get(label, mapping.get("*", missing)) for label in labels],
                dtype=np.int64,
            )
            chosen = direction == code
            result[chosen] = per_label[codes[chosen]] if len(labels) else -1
        return result


_OUTBOUND, _INBOUND, _OTHER = 0, 1, 2
#: Columns of a call table that rating reads.
CALL_COLUMNS: tuple[str, ...] = (
    "tenant_id", "carrier_id", "direction", "to_number", "billsec", "start_at",
)  # fmt: skip


class CallRater:
    """Rates call-record tables: prices from tenants' decks, costs from carriers' decks.

    Every deck must be in one currency (the call record has one ``currency`` column;
    converting currencies is the revenue marts' job, with their dated FX table)."""

    def __init__(self, prices: DeckSet, costs: DeckSet) -> None:
        currencies = prices.currencies | costs.currencies
        if len(currencies) > 1:
            raise ValueError(f"all decks must use one currency, found {', '.join(currencies)}")
        self.currency = currencies.pop() if currencies else "USD"
        self._prices = _CompiledSide.compile(prices)
        self._costs = _CompiledSide.compile(costs)

    def rate_sides(self, calls: pa.Table) -> tuple[Rated, Rated]:
        """``(price, cost)`` of each call; needs the columns :data:`CALL_COLUMNS`."""
        missing = [name for name in CALL_COLUMNS if name not in calls.column_names]
        if missing:
            raise ValueError(f"call records lack the column(s) {', '.join(missing)}")
        direction_labels = calls.column("direction").combine_chunks()
        direction = np.full(len(direction_labels), _OTHER, dtype=np.int8)
        direction[pc.equal(direction_labels, "outbound").to_numpy(zero_copy_only=False)] = _OUTBOUND
        direction[pc.equal(direction_labels, "inbound").to_numpy(zero_copy_only=False)] = _INBOUND
        numbers = parse_e164(calls.column("to_number"))
        billsec = calls.column("billsec").to_numpy().astype(np.int64)
        day = start_days(calls.column("start_at"))
        sides = []
        for side, owners in ((self._prices, "tenant_id"), (self._costs, "carrier_id")):
            deck = side.deck_per_call(calls.column(owners).combine_chunks(), direction)
            rated = side.book.rate(np.maximum(deck, -1), day, numbers, billsec)
            rated.status[deck == -2] = RatingStatus.NOT_RATED
            rated.charge_micros[deck == -2] = 0
            sides.append(rated)
        return sides[0], sides[1]

    def rate_table(self, calls: pa.Table) -> pa.Table:
        """``calls`` with cost, price and currency set and the status columns price_status,
        cost_status and rating_status (the price side's status unless it is ``rated``, then
        the cost side's) appended or replaced."""
        price, cost = self.rate_sides(calls)
        combined = np.where(price.status != RatingStatus.RATED, price.status, cost.status)
        currency = pa.array([self.currency], pa.string()).take(np.zeros(len(calls), np.int64))
        columns = {
            "cost": cost.charges(),
            "price": price.charges(),
            "currency": currency,
            "price_status": price.status_names(),
            "cost_status": cost.status_names(),
            "rating_status": codes_to_strings(STATUS_NAMES, combined),
        }
        for name, values in columns.items():
            position = calls.schema.get_field_index(name)
            if position >= 0:
                nullable = calls.schema.field(position).nullable
                calls = calls.set_column(position, pa.field(name, values.type, nullable), values)
            else:
                calls = calls.append_column(name, values)
        return calls


def start_days(start_at: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """UTC calendar day (days since 1970) of timestamps in microseconds."""
    micros = pc.cast(start_at, pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return np.asarray(micros.to_numpy(), dtype=np.int64) // _MICROS_PER_DAY


def status_counts(status: np.ndarray) -> dict[str, int]:
    """Calls per status name (every status listed, zeros included)."""
    counts = np.bincount(np.asarray(status, dtype=np.int64), minlength=len(STATUS_NAMES))
    return {name: int(count) for name, count in zip(STATUS_NAMES, counts, strict=True)}
