"""Which event family a record belongs to.

Resolution order (first that answers wins):

1. the explicit ``family`` option (``irisx ingest --family call``);
2. a ``family`` key in the record (removed before validation: it is routing, not data);
3. the source's file name (``calls.ndjson``, ``2024-05-agent_states.csv.gz``, ``sms-0001.jsonl``);
4. the shape of a FreeSWITCH JSON CDR (``variables`` plus ``callflow``/``channel_data``) → call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ingest.contracts import FAMILIES
from ingest.freeswitch import is_freeswitch_cdr

#: File-name words that name a family.
NAME_ALIASES: dict[str, str] = {
    "call": "call",
    "calls": "call",
    "cdr": "call",
    "cdrs": "call",
    "rtcp": "rtcp",
    "message": "message",
    "messages": "message",
    "sms": "message",
    "email": "message",
    "billing": "billing",
    "campaign": "campaign",
    "campaigns": "campaign",
    "agent": "agent",
    "agents": "agent",
    "agent_states": "agent",
    "transcript": "transcript",
    "transcripts": "transcript",
}

#: The key in a record that names its family.
FAMILY_KEY = "family"

_SEPARATOR = "[-_. ]"
# Longest alias first so that "agent_states" wins over "agent".
_NAME_PATTERN = re.compile(
    rf"(?:^|{_SEPARATOR})("
    + "|".join(re.escape(alias) for alias in sorted(NAME_ALIASES, key=len, reverse=True))
    + rf")(?:$|{_SEPARATOR})"
)
_SUFFIXES = re.compile(r"(\.(ndjson|jsonl|json|csv|parquet))?(\.gz)?$", re.IGNORECASE)


class FamilyError(ValueError):
    """The record's family key names no family; the message says which ones exist."""


def family_from_name(name: str) -> str | None:
    """The family a file name points at (its stem or a ``-``/``_``/``.`` separated word)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = _SUFFIXES.sub("", base).lower()
    if stem in NAME_ALIASES:
        return NAME_ALIASES[stem]
    match = _NAME_PATTERN.search(stem)
    return NAME_ALIASES[match.group(1)] if match else None


def check_family(family: str) -> str:
    """``family`` if it is known, else :class:`FamilyError` listing the known ones."""
    if family not in FAMILIES:
        known = ", ".join(sorted(FAMILIES))
        raise FamilyError(f"family: unknown event family {family!r} (known: {known})")
    return family


def resolve_family(
    record: Mapping[str, Any] | None, *, explicit: str | None, from_name: str | None
) -> str | None:
    """The record's family by the order above, or None when nothing tells.

    ``record`` may be None (an unparsable line): then only the option and the name can tell.
    """
    if explicit is not None:
        return check_family(explicit)
    if record is not None:
        named = record.get(FAMILY_KEY)
        if named is not None:
            return check_family(str(named).strip())
    if from_name is not None:
        return from_name
    if record is not None and is_freeswitch_cdr(record):
        return "call"
    return None
