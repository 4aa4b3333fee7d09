"""Vectorised longest-prefix match of E.164 numbers against many prefix sets at once.

Every number is padded to 15 digits (``digits * 10**(15 - length)``); a prefix ``p`` of length
``L`` then covers the interval ``[p * 10**(15-L), (p + 1) * 10**(15-L))``. Prefix intervals nest
(a prefix tree), so they cut the number line into elementary segments, each owned by the deepest
prefix covering it. A lookup is then ONE ``np.searchsorted`` per number, whatever the prefix
lengths, instead of one search per prefix length present in the deck.

Padding loses the number's length: a prefix longer than the number (``4420`` for ``+442``) can
own the padded value. Such rows are rare and are walked up to the parent prefix (the longest
shorter prefix of the same set) until the prefix fits.

Several prefix sets ("units": one per deck and effective date) share one index: unit ``u`` lives
at offset ``u * 10**15`` (up to 9,222 units fit in int64).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_DIGITS = 15
SPAN = 10**MAX_DIGITS
MAX_UNITS = (2**63 - 1) // SPAN - 1
POW10 = 10 ** np.arange(MAX_DIGITS + 1, dtype=np.int64)
_E164 = r"^\+[0-9]{1,15}$"


@dataclass(frozen=True)
class Numbers:
    """E.164 numbers as digits (int64) and digit counts; ``length == -1`` marks an invalid one."""

    digits: np.ndarray
    length: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        return self.length >= 0


def parse_e164(numbers: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> Numbers:
    """Parse ``+<digits>`` strings column-wise; nulls and malformed text become invalid."""
    if not isinstance(numbers, pa.Array | pa.ChunkedArray):
        numbers = pa.array(numbers, type=pa.string())
    if isinstance(numbers, pa.ChunkedArray):
        numbers = numbers.combine_chunks()
    valid = pc.fill_null(pc.match_substring_regex(numbers, _E164), False)
    body = pc.if_else(valid, pc.utf8_slice_codeunits(numbers, 1), "0")
    digits = pc.cast(body, pa.int64()).to_numpy(zero_copy_only=False)
    length = pc.utf8_length(body).to_numpy(zero_copy_only=False).astype(np.int64)
    valid_np = valid.to_numpy(zero_copy_only=False)
    return Numbers(digits=digits, length=np.where(valid_np, length, -1))


def parse_prefix(prefix: str) -> tuple[int, int]:
    """``(value, length)`` of a digit string ("" is the empty prefix: every number)."""
    return (int(prefix) if prefix else 0), len(prefix)


@dataclass(frozen=True)
class PrefixIndex:
    """Prefix sets compiled for vectorised longest-prefix lookups; rows are numbered
    consecutively over the units in the order given."""

    boundaries: np.ndarray  # int64, sorted: unit * SPAN + start of an elementary segment
    owner: np.ndarray  # row owning each segment, -1 where no prefix covers it
    length: np.ndarray  # prefix length of each row
    parent: np.ndarray  # longest shorter prefix of the same unit covering the row, or -1

    @classmethod
    def build(cls, units: Sequence[Sequence[str]]) -> PrefixIndex:
        if len(units) > MAX_UNITS:
            raise ValueError(f"at most {MAX_UNITS} prefix sets fit one index, got {len(units)}")
        boundaries, owners, lengths, parents = [], [], [], []
        base = 0
        for unit, prefixes in enumerate(units):
            parsed = [parse_prefix(p) for p in prefixes]
            if len(set(parsed)) != len(parsed):
                raise ValueError(f"prefix set {unit} has duplicate prefixes")
            value = np.array([v for v, _ in parsed], dtype=np.int64)
            length = np.array([n for _, n in parsed], dtype=np.int64)
            low = value * POW10[MAX_DIGITS - length]
            high = (value + 1) * POW10[MAX_DIGITS - length]
            cuts = np.unique(np.concatenate(([0], low, high)))
            cuts = cuts[cuts < SPAN]  # SPAN is where the next unit begins
            owner = _deepest_covering(cuts, value, length, np.full(len(cuts), MAX_DIGITS + 1))
            parent = _deepest_covering(low, value, length, length)
            boundaries.append(cuts + unit * SPAN)
            owners.append(np.where(owner >= 0, owner + base, -1))
            parents.append(np.where(parent >= 0, parent + base, -1))
            lengths.append(length)
            base += len(parsed)

        def joined(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

        return cls(joined(boundaries), joined(owners), joined(lengths), joined(parents))

    @property
    def rows(self) -> int:
        return len(self.length)

    def lookup(self, unit: np.ndarray, numbers: Numbers) -> np.ndarray:
        """Row of the longest prefix of each number within its unit; -1 if none (or the unit
        is negative, or the number invalid)."""
        unit = np.asarray(unit, dtype=np.int64)
        usable = (unit >= 0) & numbers.valid
        if len(self.boundaries) == 0:
            return np.full(len(unit), -1, dtype=np.int64)
        shift = POW10[MAX_DIGITS - np.where(usable, numbers.length, MAX_DIGITS)]
        key = np.where(usable, unit * SPAN + numbers.digits * shift, 0)
        row = self.owner[np.searchsorted(self.boundaries, key, side="right") - 1]
        row = np.where(usable, row, -1)
        # Rare: a prefix longer than the number itself owns the padded value; use its parents.
        too_long = np.flatnonzero(row >= 0)
        too_long = too_long[self.length[row[too_long]] > numbers.length[too_long]]
        while len(too_long):
            row[too_long] = self.parent[row[too_long]]
            still = row[too_long] >= 0
            too_long = too_long[still]
            too_long = too_long[self.length[row[too_long]] > numbers.length[too_long]]
        return row


def _deepest_covering(
    points: np.ndarray, value: np.ndarray, length: np.ndarray, shorter_than: np.ndarray
) -> np.ndarray:
    """For each padded point, the index of the longest prefix (shorter than ``shorter_than``)
    whose interval contains it, or -1: one sorted search per prefix length present."""
    found = np.full(len(points), -1, dtype=np.int64)
    for size in np.unique(length):  # ascending: longer prefixes overwrite shorter ones
        members = np.flatnonzero(length == size)
        order = np.argsort(value[members])
        sorted_values = value[members][order]
        head = points // POW10[MAX_DIGITS - size]
        position = np.minimum(np.searchsorted(sorted_values, head), len(sorted_values) - 1)
        hit = (sorted_values[position] == head) & (size < shorter_than)
        found[hit] = members[order[position[hit]]]
    return found
