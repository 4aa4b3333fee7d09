"""The simulated window and tenants' local clocks.

Inside the simulator every instant is an integer number of microseconds since the window start
(UTC midnight of the first day). Integers keep derived timestamps exact: an agent's wrap-up ends at
exactly ``end_at + wrapup_sec`` and the next call can start at that very microsecond.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np

US_PER_S = 1_000_000
SECONDS_PER_DAY = 86_400
#: Offsets are sampled every quarter hour: every zone's DST change falls on one.
_OFFSET_STEP_S = 900
#: Local clocks also answer for instants this long before/after the window (calls run over).
_MARGIN_DAYS = 3


@dataclass(frozen=True)
class Window:
    """``days`` whole UTC days starting at ``start`` (a date)."""

    start: date
    days: int

    @cached_property
    def start_datetime(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)

    @cached_property
    def start_epoch_us(self) -> int:
        return int(self.start_datetime.timestamp()) * US_PER_S

    @property
    def seconds(self) -> int:
        return self.days * SECONDS_PER_DAY

    @property
    def end_us(self) -> int:
        """End of the window, relative to its start."""
        return self.seconds * US_PER_S

    @property
    def minutes(self) -> int:
        return self.days * 1440

    def iso(self, t_us: int) -> str:
        """ISO 8601 UTC text of an instant given relative to the window start."""
        moment = self.start_datetime + timedelta(microseconds=int(t_us))
        return moment.isoformat().replace("+00:00", "Z")


class LocalClock:
    """Wall-clock time in one IANA time zone, vectorised over window-relative instants."""

    def __init__(self, timezone: str, window: Window) -> None:
        self.timezone = timezone
        self.window = window
        zone = ZoneInfo(timezone)
        first = window.start_datetime - timedelta(days=_MARGIN_DAYS)
        steps = (window.days + 2 * _MARGIN_DAYS) * SECONDS_PER_DAY // _OFFSET_STEP_S
        offsets = np.empty(steps, dtype=np.int64)
        for k in range(steps):
            moment = first + timedelta(seconds=k * _OFFSET_STEP_S)
            offset = moment.astimezone(zone).utcoffset()
            assert offset is not None
            offsets[k] = int(offset.total_seconds())
        self._offsets = offsets
        self._offset_list: list[int] = offsets.tolist()
        self._origin_s = -_MARGIN_DAYS * SECONDS_PER_DAY
        # Local wall time of the window start, as seconds since the local 1970-01-01 midnight.
        self._start_epoch_s = window.start_epoch_us // US_PER_S

    def offset_s(self, t_s: np.ndarray) -> np.ndarray:
        """UTC offset (seconds) in force at window-relative instants ``t_s`` (seconds)."""
        index = ((np.asarray(t_s, dtype=np.float64) - self._origin_s) // _OFFSET_STEP_S).astype(
            np.int64
        )
        return self._offsets[np.clip(index, 0, len(self._offsets) - 1)]

    def local_epoch_s(self, t_s: np.ndarray) -> np.ndarray:
        """Local wall-clock time as seconds since 1970-01-01 00:00 local."""
        t = np.asarray(t_s, dtype=np.float64)
        return self._start_epoch_s + t + self.offset_s(t)

    def hour(self, t_s: np.ndarray) -> np.ndarray:
        """Local hour of day as a float in [0, 24)."""
        return (self.local_epoch_s(t_s) % SECONDS_PER_DAY) / 3600.0

    def hour_at(self, t_s: float) -> float:
        """Scalar ``hour`` for hot loops (no array round trip)."""
        index = min(
            max(int((t_s - self._origin_s) // _OFFSET_STEP_S), 0), len(self._offset_list) - 1
        )
        return ((self._start_epoch_s + t_s + self._offset_list[index]) % SECONDS_PER_DAY) / 3600.0

    def weekday(self, t_s: np.ndarray) -> np.ndarray:
        """Local weekday, Monday = 0 (1970-01-01 was a Thursday)."""
        return ((self.local_epoch_s(t_s) // SECONDS_PER_DAY).astype(np.int64) + 3) % 7

    def local_day(self, t_s: np.ndarray) -> np.ndarray:
        """Local calendar day number (days since 1970-01-01 local)."""
        return (self.local_epoch_s(t_s) // SECONDS_PER_DAY).astype(np.int64)

    def to_window_s(self, local_epoch_s: float) -> float:
        """Window-relative seconds of a local wall-clock time (two fixed-point steps suffice)."""
        naive = local_epoch_s - self._start_epoch_s
        t = naive - float(self.offset_s(np.array([naive]))[0])
        return naive - float(self.offset_s(np.array([t]))[0])

    def local_days(self) -> list[int]:
        """Local day numbers that overlap the window."""
        first = int(self.local_day(np.array([0.0]))[0])
        last = int(self.local_day(np.array([self.window.seconds - 1.0]))[0])
        return list(range(first, last + 1))

    def minute_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Local hour (float, at mid-minute) and weekday of every window minute."""
        mid = np.arange(self.window.minutes, dtype=np.float64) * 60.0 + 30.0
        return self.hour(mid), self.weekday(mid)


def seconds_to_us(seconds: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(seconds, dtype=np.float64) * US_PER_S).astype(np.int64)
