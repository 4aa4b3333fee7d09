"""How fast calls are rated (``telephony.rating``), on one core.

Rates 1,000,000 generated call records (about 90 % outbound, 40 % unanswered, 1 % to an
unassigned code) against a tenant price list and three carrier cost decks of ~3,300 prefixes each
(nested 1 to 8 digits deep; 60/60, 30/6, 6/6, 1/1 and 60/1 increments; connection fees, minimum
charges; 10 % of rows re-priced from a later date): from the Arrow columns to the filled
cost/price/status columns. Arrow's thread pool is set to one thread for the measurement (numpy
runs these operations on one thread). The same process then rates a subset with the naive
per-call rater (``telephony.rating.reference``: a dict longest-prefix loop, ``Decimal`` money),
checks both agree on that subset, and reports the speed-up.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bench import BenchResult, best_of
from telephony.rating import STATUS_NAMES, CallRater, DeckSet
from telephony.rating.reference import NaiveDeck, rate_naive
from telephony.rating.sample import sample_calls, sample_deck

CALLS = 1_000_000
BASELINE_CALLS = 50_000
PREFIXES = 4_000
CARRIERS = ("carrier-a", "carrier-b", "carrier-c")
TARGET_PER_S = 500_000
REPEATS = 3


def _naive_prices(calls: pa.Table, deck: NaiveDeck) -> list[tuple[str, Decimal | None]]:
    rows = zip(
        calls.column("to_number").to_pylist(),
        calls.column("start_at").to_pylist(),
        calls.column("billsec").to_pylist(),
        strict=True,
    )
    return rate_naive(deck, ((n, s.astimezone(UTC).date(), b) for n, s, b in rows))


def run() -> BenchResult:
    rng = np.random.default_rng(11)
    prices = sample_deck(rng, "prices", prefixes=PREFIXES, markup=1.4)
    costs = {name: sample_deck(rng, name, prefixes=PREFIXES) for name in CARRIERS}
    calls = sample_calls(rng, CALLS, carriers=CARRIERS)
    threads = pa.cpu_count()
    pa.set_cpu_count(1)
    try:
        compile_s = best_of(1, lambda: CallRater(DeckSet({"*": prices}), DeckSet(costs)))
        rater = CallRater(DeckSet({"*": prices}), DeckSet(costs))
        rater.rate_table(calls.slice(0, 10_000))  # warm up
        rate_s = best_of(REPEATS, lambda: rater.rate_table(calls))
    finally:
        pa.set_cpu_count(threads)

    subset = calls.slice(0, BASELINE_CALLS)
    subset = subset.filter(pc.equal(subset.column("direction"), "outbound"))
    naive_deck = NaiveDeck(prices)
    naive: list[tuple[str, Decimal | None]] = []
    naive_s = best_of(1, lambda: naive.extend(_naive_prices(subset, naive_deck)))
    price, _ = rater.rate_sides(subset)
    names = [STATUS_NAMES[code] for code in price.status]
    fast = list(zip(names, price.charges().to_pylist(), strict=True))
    agree = fast == naive
    assert agree, "vectorised and naive rating disagree"

    statuses = np.unique(rater.rate_table(calls).column("rating_status"), return_counts=True)
    engine_rate = CALLS / rate_s
    naive_rate = len(naive) / naive_s
    rows = [
        ["vectorised (price + cost, 1 core)", f"{CALLS:,}", f"{rate_s:.3f}", f"{engine_rate:,.0f}"],
        ["naive per-call Python (price only)", f"{len(naive):,}", f"{naive_s:.3f}",
         f"{naive_rate:,.0f}"],
    ]  # fmt: skip
    verdict = "met" if engine_rate >= TARGET_PER_S else "NOT met"
    mix = ", ".join(f"{name} {count:,}" for name, count in zip(*statuses, strict=True))
    notes = [
        f"speed-up over the naive baseline: {engine_rate / naive_rate:.0f}x "
        "(the baseline rates one side only; the vectorised rate rates both)",
        f"target >= {TARGET_PER_S:,} CDRs/s per core: {verdict}",
        f"decks: {len(prices.rows):,} price rows, "
        f"{' + '.join(f'{len(deck.rows):,}' for deck in costs.values())} cost rows; "
        f"compiled in {compile_s:.3f} s; vectorised == naive on the subset: {agree}",
        f"statuses: {mix}; best of {REPEATS}; Arrow threads 1.",
    ]
    return BenchResult(
        title="rating_rate: call records rated per second",
        columns=["measure", "calls", "seconds", "calls / s"],
        rows=rows,
        notes=notes,
    )
