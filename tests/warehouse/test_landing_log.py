"""The landing log: write order, cursors, settling and pruning."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from warehouse.landing import LandingLog


def test_entries_after_the_cursor_by_family(tmp_path: Path) -> None:
    log = LandingLog(tmp_path / "landing")
    first = log.record("call", [date(2024, 5, 2), date(2024, 5, 1), date(2024, 5, 2)], rows=3)
    second = log.record("rtcp", [date(2024, 5, 3)])
    assert log.record("call", []) is None  # nothing landed: no entry
    everything = log.read_since(None, settle_s=0)
    assert everything.days_by_family == {
        "call": {date(2024, 5, 1), date(2024, 5, 2)},
        "rtcp": {date(2024, 5, 3)},
    }
    assert everything.cursor == second
    after_first = log.read_since(first, settle_s=0)
    assert after_first.days_by_family == {"rtcp": {date(2024, 5, 3)}}
    nothing = log.read_since(second, settle_s=0)
    assert (nothing.days, nothing.cursor) == (set(), second)  # the cursor stays put


def test_young_entries_wait_until_they_settle(tmp_path: Path) -> None:
    log = LandingLog(tmp_path / "landing")
    log.record("call", [date(2024, 5, 1)])
    # A writer that named its entry earlier may still be writing: nothing is read yet, and the
    # cursor does not move past it.
    assert log.read_since(None, settle_s=0.5).cursor is None
    time.sleep(0.6)
    assert log.read_since(None, settle_s=0.5).days == {date(2024, 5, 1)}


def test_prune_removes_what_was_read(tmp_path: Path) -> None:
    log = LandingLog(tmp_path / "landing")
    first = log.record("call", [date(2024, 5, 1)])
    log.record("call", [date(2024, 5, 2)])
    assert first is not None
    assert log.prune(first) == 1
    assert log.read_since(None, settle_s=0).days == {date(2024, 5, 2)}
