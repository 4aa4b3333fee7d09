"""The landing log: which event days of which family received new raw data, and when.

Stream workers append an entry after each committed write; the Dagster sensor reads the entries
after its cursor and asks for the dbt runs of those daily partitions. It is a folder of small
JSON files (one per write, named so that name order is write order), so that writers in several
processes never contend, readers need no database (chDB allows one process at a time), and a
reader that crashed re-reads from its last cursor.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from warehouse.atomic import write_bytes_atomic


@dataclass(frozen=True)
class LandedDays:
    """What landed after a cursor: event days per family, and the cursor to resume from."""

    days_by_family: dict[str, set[date]] = field(default_factory=dict)
    cursor: str | None = None

    @property
    def days(self) -> set[date]:
        """Every day that got new data, whatever the family."""
        return set().union(*self.days_by_family.values()) if self.days_by_family else set()


class LandingLog:
    """Append-only entries under ``directory``; ``prune`` removes what every reader has seen."""

    suffix = ".json"
    #: Seconds an entry must have existed before a reader consumes it (see ``read_since``).
    settle_s: float = 1.0

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def record(self, family: str, days: Iterable[date], *, rows: int | None = None) -> str | None:
        """Note that ``days`` of ``family`` got new rows; returns the entry's name (its cursor),
        None when there were no days."""
        day_list = sorted({day.isoformat() for day in days})
        if not day_list:
            return None
        # time_ns keeps name order = write order within a host; pid + random break ties.
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}{self.suffix}"
        entry = {"family": family, "days": day_list, "rows": rows}
        write_bytes_atomic(json.dumps(entry).encode(), self.directory / name)
        return name

    def read_since(
        self, cursor: str | None, *, limit: int = 10_000, settle_s: float | None = None
    ) -> LandedDays:
        """Entries whose name sorts after ``cursor`` (all when None), at most ``limit``.

        Entries younger than ``settle_s`` are left for the next read: a writer names its entry
        before the file appears, so a slower writer's entry can show up after a faster one's
        with a smaller name; waiting until every writer of that instant is done means the
        cursor never passes an entry that is still being written."""
        settle = self.settle_s if settle_s is None else settle_s
        settled = f"{time.time_ns() - int(settle * 1e9):020d}"
        names = sorted(
            entry.name
            for entry in self._entries()
            # names are fixed-width: string order is time order
            if (cursor is None or entry.name > cursor) and entry.name < settled
        )[:limit]
        days_by_family: dict[str, set[date]] = {}
        for name in names:
            try:
                entry = json.loads((self.directory / name).read_bytes())
            except FileNotFoundError:  # pruned meanwhile: what it said is already consumed
                continue
            bucket = days_by_family.setdefault(str(entry["family"]), set())
            bucket.update(date.fromisoformat(day) for day in entry["days"])
        return LandedDays(days_by_family, names[-1] if names else cursor)

    def prune(self, up_to: str) -> int:
        """Delete entries up to and including the cursor ``up_to``; returns how many."""
        removed = 0
        for entry in self._entries():
            if entry.name <= up_to:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed

    def _entries(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return [
            path
            for path in self.directory.iterdir()
            if path.name.endswith(self.suffix) and not path.name.startswith(".")
        ]
