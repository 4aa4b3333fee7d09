"""Phone-number normalisation to E.164 for sources that send national numbers.

Deliberately small: the contracts accept only E.164, and switches often log numbers the way they
were dialled. With a default country code we apply the common dialling conventions:

* ``+...`` is kept as it is (the contract checks it);
* an international prefix becomes ``+``: ``011`` in the North American plan (country code 1),
  ``00`` elsewhere;
* country code 1: ten digits get ``+1``; eleven digits starting with 1 get ``+``;
* other countries: one national trunk prefix ``0`` is dropped and the country code prepended.

Countries that keep a leading 0 in international form (Italy) or have no trunk prefix are not
modelled: send E.164 for those (or add a full numbering-plan library such as ``phonenumbers``).
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s().-]")
#: Shorter digit strings are PBX extensions ("1001"), not public numbers.
MIN_NATIONAL_DIGITS = 7


class NumberFormatError(ValueError):
    """A number that is not E.164 and cannot be normalised."""


def to_e164(value: str, default_country_code: int | None) -> str:
    """``value`` in E.164 form, or :class:`NumberFormatError` with the reason."""
    number = _SEPARATORS.sub("", value)
    if number.startswith("+"):
        return number
    if not number.isdigit():
        raise NumberFormatError(f"{value!r} is not a phone number")
    if len(number) < MIN_NATIONAL_DIGITS:
        raise NumberFormatError(f"{value!r} is an extension, not a phone number")
    if default_country_code is None:
        if number.startswith("00"):
            return "+" + number[2:]
        raise NumberFormatError(
            f"{value!r} is not E.164 (+<country code><number>) and no default country code "
            "was given to normalise national numbers"
        )
    country = str(default_country_code)
    if country == "1":
        if number.startswith("011"):
            return "+" + number[3:]
        if len(number) == 10:
            return "+1" + number
        if len(number) == 11 and number.startswith("1"):
            return "+" + number
        raise NumberFormatError(f"{value!r} is neither E.164 nor a 10-digit North American number")
    if number.startswith("00"):
        return "+" + number[2:]
    national = number[1:] if number.startswith("0") else number
    return f"+{country}{national}"
