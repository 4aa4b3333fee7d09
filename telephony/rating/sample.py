"""Realistic synthetic decks and call columns, for the benchmark and the property tests.

Decks follow the simulator's destinations (``telephony.simulator.geography``): a row per calling
code, then nested sub-prefixes (mobile ranges and deeper blocks) priced around the country's
wholesale rate, with the common billing increments, some connection fees and minimum charges,
and a share of rows re-priced from a later effective date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pyarrow as pa

from telephony.rating.deck import DeckRow, RateDeck
from telephony.simulator.geography import COUNTRIES
from telephony.simulator.identifiers import codes_to_strings

INCREMENTS: tuple[tuple[int, int], ...] = ((60, 60), (30, 6), (6, 6), (1, 1), (60, 1))
#: Numbers not covered by any deck row: ``no_route`` calls (``+999`` is an unassigned code).
UNROUTED_CODE = "999"


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def sample_deck(
    rng: np.random.Generator,
    name: str,
    *,
    prefixes: int = 3000,
    markup: float = 1.0,
    repriced_share: float = 0.1,
    repriced_from: date | None = None,
) -> RateDeck:
    """About ``prefixes`` rows over the simulator's countries (nested 1 to 8 digits deep)."""
    per_country = max(1, prefixes // len(COUNTRIES))
    chosen: dict[str, float] = {}
    for country in COUNTRIES:
        chosen.setdefault(country.calling_code, country.voice_cost)
        heads = [country.calling_code + head for head in country.mobile_prefixes]
        for head in heads:
            chosen.setdefault(head, country.voice_cost * 1.1)
        depth = rng.integers(1, 4, size=per_country)
        base = rng.integers(0, len(heads), size=per_country)
        for k in range(per_country):
            tail = "".join(str(d) for d in rng.integers(0, 10, size=int(depth[k])))
            prefix = (heads[int(base[k])] + tail)[:15]
            chosen.setdefault(prefix, country.voice_cost * float(rng.uniform(0.8, 1.6)))
    repriced_from = repriced_from or date(2024, 3, 15)
    rows: list[DeckRow] = []
    for prefix, cost in chosen.items():
        initial, subsequent = INCREMENTS[int(rng.integers(0, len(INCREMENTS)))]
        fee = _money(0.01) if rng.random() < 0.1 else Decimal(0)
        minimum = _money(cost * markup * 0.5) if rng.random() < 0.1 else Decimal(0)
        rate = cost * markup
        rows.append(
            DeckRow(
                prefix=prefix,
                rate_per_min=_money(rate),
                increment=(initial, subsequent),
                connection_fee=fee,
                minimum_charge=minimum,
            )
        )
        if rng.random() < repriced_share:
            rows.append(
                rows[-1].model_copy(
                    update={
                        "rate_per_min": _money(rate * float(rng.uniform(0.8, 1.2))),
                        "effective_from": repriced_from,
                    }
                )
            )
    return RateDeck.from_rows(name, rows)


def sample_calls(
    rng: np.random.Generator,
    count: int,
    *,
    tenants: tuple[str, ...] = ("tenant-a",),
    carriers: tuple[str, ...] = ("carrier-a",),
    start: date = date(2024, 3, 1),
    days: int = 30,
    unrouted_share: float = 0.01,
) -> pa.Table:
    """Outbound-heavy call columns (tenant_id, carrier_id, direction, to_number, billsec,
    start_at): about 40 % unanswered, lognormal talk times, numbers in the simulator's
    countries (mobile ranges), a few to an unassigned code."""
    country = rng.integers(0, len(COUNTRIES), size=count)
    codes = np.array([c.calling_code for c in COUNTRIES])[country]
    heads = np.array([rng.choice(c.mobile_prefixes) for c in COUNTRIES])[country]
    unrouted = rng.random(count) < unrouted_share
    codes = np.where(unrouted, UNROUTED_CODE, codes)
    tail = rng.integers(10**7, 10**8, size=count).astype(str)
    numbers = np.char.add(np.char.add(np.char.add("+", codes), heads), tail)
    answered = rng.random(count) >= 0.4
    talk = np.minimum(rng.lognormal(np.log(90), 1.0, size=count), 7200).astype(np.int64) + 1
    billsec = np.where(answered, talk, 0)
    day0 = np.datetime64(start, "us").astype(np.int64)
    offset = rng.integers(0, days * 86_400 * 10**6, size=count)
    direction = np.where(rng.random(count) < 0.9, 0, 1)
    return pa.table(
        {
            "tenant_id": codes_to_strings(tenants, rng.integers(0, len(tenants), size=count)),
            "carrier_id": codes_to_strings(carriers, rng.integers(0, len(carriers), size=count)),
            "direction": codes_to_strings(("outbound", "inbound"), direction),
            "to_number": pa.array(numbers, type=pa.string()),
            "billsec": pa.array(billsec, type=pa.int64()),
            "start_at": pa.array(day0 + offset, type=pa.timestamp("us", tz="UTC")),
        }
    )
