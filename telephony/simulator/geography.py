"""Countries the platform reaches: numbering plans, time zones and wholesale rates.

Rates are plausible 2020s wholesale figures in USD (termination per minute, SMS per message); the
premium entries are the destinations international revenue share fraud (IRSF) favours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from telephony.simulator.identifiers import prefixed_numbers


@dataclass(frozen=True)
class Country:
    key: str  # ISO 3166-1 alpha-2, or a label for non-geographic numbering
    calling_code: str
    nsn_length: int  # digits of the national significant number
    mobile_prefixes: tuple[str, ...]  # leading digits of the numbers we generate
    timezones: tuple[tuple[str, float], ...]  # (IANA zone, share of the population)
    voice_cost: float  # wholesale USD per minute
    sms_cost: float  # wholesale USD per SMS segment
    premium: bool = False


COUNTRIES: tuple[Country, ...] = (
    Country(
        "US",
        "1",
        10,
        ("2", "3", "4", "5", "6", "7", "8", "9"),
        (
            ("America/New_York", 0.47),
            ("America/Chicago", 0.29),
            ("America/Denver", 0.07),
            ("America/Los_Angeles", 0.17),
        ),
        0.0045,
        0.0058,
    ),
    Country(
        "CA",
        "1",
        10,
        ("4", "5", "6", "7", "9"),
        (("America/Toronto", 0.62), ("America/Edmonton", 0.15), ("America/Vancouver", 0.23)),
        0.0060,
        0.0052,
    ),
    Country("GB", "44", 10, ("7",), (("Europe/London", 1.0),), 0.0120, 0.0340),
    Country("DE", "49", 11, ("15", "16", "17"), (("Europe/Berlin", 1.0),), 0.0140, 0.0700),
    Country("FR", "33", 9, ("6", "7"), (("Europe/Paris", 1.0),), 0.0130, 0.0650),
    Country("ES", "34", 9, ("6", "7"), (("Europe/Madrid", 1.0),), 0.0110, 0.0640),
    Country("IT", "39", 10, ("3",), (("Europe/Rome", 1.0),), 0.0120, 0.0680),
    Country("NL", "31", 9, ("6",), (("Europe/Amsterdam", 1.0),), 0.0140, 0.0750),
    Country("IE", "353", 9, ("8",), (("Europe/Dublin", 1.0),), 0.0150, 0.0600),
    Country("PL", "48", 9, ("5", "6", "7", "8"), (("Europe/Warsaw", 1.0),), 0.0120, 0.0280),
    Country("MX", "52", 10, ("55", "33", "81"), (("America/Mexico_City", 1.0),), 0.0180, 0.0260),
    Country(
        "BR",
        "55",
        11,
        ("119", "219", "319", "419", "519", "619"),
        (("America/Sao_Paulo", 1.0),),
        0.0250,
        0.0240,
    ),
    Country("IN", "91", 10, ("6", "7", "8", "9"), (("Asia/Kolkata", 1.0),), 0.0150, 0.0045),
    Country("PH", "63", 10, ("9",), (("Asia/Manila", 1.0),), 0.0900, 0.0180),
    Country(
        "AU",
        "61",
        9,
        ("4",),
        (("Australia/Sydney", 0.6), ("Australia/Brisbane", 0.2), ("Australia/Perth", 0.2)),
        0.0200,
        0.0420,
    ),
    Country("SG", "65", 8, ("8", "9"), (("Asia/Singapore", 1.0),), 0.0100, 0.0380),
    Country("JP", "81", 10, ("70", "80", "90"), (("Asia/Tokyo", 1.0),), 0.0450, 0.0700),
    Country("ZA", "27", 9, ("6", "7", "8"), (("Africa/Johannesburg", 1.0),), 0.0300, 0.0190),
    Country("NG", "234", 10, ("70", "80", "81", "90"), (("Africa/Lagos", 1.0),), 0.1100, 0.0450),
    # Premium-rate and high-cost destinations (IRSF targets).
    Country("CU", "53", 8, ("5",), (("America/Havana", 1.0),), 0.8500, 0.0900, premium=True),
    Country("SL", "232", 8, ("7", "3"), (("Africa/Freetown", 1.0),), 0.5500, 0.0800, True),
    Country("SO", "252", 8, ("6", "9"), (("Africa/Mogadishu", 1.0),), 0.7500, 0.0800, True),
    Country("LV-PRS", "371", 8, ("90",), (("Europe/Riga", 1.0),), 0.9500, 0.0500, True),
    Country("PG", "675", 8, ("7",), (("Pacific/Port_Moresby", 1.0),), 0.6500, 0.0800, True),
    Country("SAT-881", "881", 9, ("6",), (("UTC", 1.0),), 4.5000, 0.5000, True),
    Country("INT-882", "882", 10, ("16",), (("UTC", 1.0),), 1.8000, 0.3000, True),
)

COUNTRY_INDEX: dict[str, int] = {country.key: index for index, country in enumerate(COUNTRIES)}
PREMIUM_INDICES: tuple[int, ...] = tuple(i for i, c in enumerate(COUNTRIES) if c.premium)
#: Where ordinary international traffic goes, and how much of it (relative weights).
# fmt: off
INTERNATIONAL_WEIGHTS: dict[str, float] = {
    "US": 14, "CA": 5, "GB": 9, "DE": 7, "FR": 6, "ES": 5, "IT": 4, "NL": 3, "IE": 2, "PL": 3,
    "MX": 8, "BR": 5, "IN": 9, "PH": 5, "AU": 3, "SG": 2, "JP": 2, "ZA": 2, "NG": 3,
}
# fmt: on


def national_numbers(rng: np.random.Generator, country: Country, count: int) -> np.ndarray:
    """Random national significant numbers (as integers) that follow the country's prefixes."""
    prefixes = country.mobile_prefixes
    choice = rng.integers(0, len(prefixes), size=count)
    head = np.array([int(p) for p in prefixes], dtype=np.int64)[choice]
    tail_digits = np.array([country.nsn_length - len(p) for p in prefixes], dtype=np.int64)[choice]
    scale = 10**tail_digits
    return head * scale + rng.integers(0, scale)


def e164(country: Country, nsn: np.ndarray) -> pa.StringArray:
    return prefixed_numbers("+" + country.calling_code, nsn, country.nsn_length)


def random_e164(rng: np.random.Generator, country_codes: np.ndarray) -> pa.Array:
    """One random number per row, in the country given by each row's index into COUNTRIES."""
    country_codes = np.asarray(country_codes, dtype=np.int64)
    order = np.argsort(country_codes, kind="stable")
    pieces: list[pa.Array] = []
    for code in np.unique(country_codes):
        count = int(np.count_nonzero(country_codes == code))
        country = COUNTRIES[int(code)]
        pieces.append(e164(country, national_numbers(rng, country, count)))
    if not pieces:
        return pa.array([], type=pa.string())
    grouped = pa.concat_arrays(pieces)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return grouped.take(pa.array(inverse))


def timezone_choices(country: Country, rng: np.random.Generator, count: int) -> np.ndarray:
    """Index into ``country.timezones`` for each of ``count`` people."""
    shares = np.array([share for _, share in country.timezones])
    return rng.choice(len(shares), size=count, p=shares / shares.sum())
