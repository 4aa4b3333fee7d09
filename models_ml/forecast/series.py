"""Regular interval series from events: call counts and mean handle time per interval."""

from __future__ import annotations

import numpy as np
import pandas as pd


def interval_series(
    timestamps: pd.Series | pd.DatetimeIndex,
    interval_minutes: int = 30,
    *,
    values: pd.Series | None = None,
    timezone: str | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.Series:
    """Events per interval (``values`` None) or the mean of ``values`` per interval, on a full
    grid from the first to the last interval (or ``start``/``end``, end exclusive): intervals
    with no events are 0 for counts and NaN for means. ``timezone`` converts tz-aware stamps to
    the contact center's local time first, so that days and weekdays are local."""
    if 1440 % interval_minutes:
        raise ValueError("interval_minutes: must divide a day")
    stamps = pd.DatetimeIndex(pd.to_datetime(timestamps))
    if timezone is not None:
        stamps = stamps.tz_convert(timezone)
    freq = f"{interval_minutes}min"
    slots = stamps.floor(freq)
    first = pd.Timestamp(start) if start is not None else slots.min()
    last = (
        (pd.Timestamp(end) - pd.Timedelta(minutes=interval_minutes))
        if end is not None
        else (slots.max())
    )
    grid = pd.date_range(first, last, freq=freq)
    if values is None:
        counts = pd.Series(np.ones(len(slots)), index=slots).groupby(level=0).sum()
        return counts.reindex(grid, fill_value=0.0).rename("calls")
    means = pd.Series(np.asarray(values, np.float64), index=slots).groupby(level=0).mean()
    return means.reindex(grid).rename("mean")
