"""A series on a regular grid: any timestamps and values regularised to their median spacing.

Real series arrive unsorted, with duplicate timestamps, jitter, gaps and missing values. The
detectors work on one regular grid; :func:`regularise` builds it:

1. rows without a timestamp are dropped; rows are sorted by time;
2. values that share a timestamp are averaged (missing values ignored; all missing stays missing);
3. the grid step is the median spacing of the distinct timestamps; spacings of 28 to 31 days are
   taken as calendar months (grid: the first of each month);
4. every observation goes to the nearest grid point from the first timestamp (observations that
   land on the same point are averaged); grid points without an observation are missing (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DAY_SECONDS = 86_400.0
#: Nominal length of a calendar month (365.2425 / 12 days), for month grids.
MONTH_SECONDS = 30.436875 * DAY_SECONDS
#: A grid longer than this many points per observation means gaps dwarf the data.
MAX_GRID_PER_OBSERVATION = 50

FloatArray = npt.NDArray[np.float64]
TimeArray = npt.NDArray[np.datetime64]


@dataclass(frozen=True)
class RegularSeries:
    """Values on a regular time grid (UTC, ``datetime64[ns]``); NaN marks a missing point."""

    timestamps: TimeArray
    values: FloatArray
    #: Nominal grid step in seconds (a calendar month counts ``MONTH_SECONDS``).
    step_seconds: float
    name: str = "value"
    #: Input rows merged into another row with the same timestamp.
    duplicates_merged: int = 0
    #: Distinct timestamps merged into a neighbour's grid point (jitter finer than the step).
    bin_collisions: int = 0

    def __post_init__(self) -> None:
        if len(self.timestamps) != len(self.values):
            raise ValueError("timestamps and values differ in length")

    def __len__(self) -> int:
        return len(self.values)

    @property
    def observed(self) -> npt.NDArray[np.bool_]:
        """True where the grid point has a value."""
        return np.isfinite(self.values)

    @classmethod
    def from_values(
        cls,
        values: npt.ArrayLike,
        *,
        start: str = "2024-01-01",
        step_seconds: float = 3600.0,
        name: str = "value",
    ) -> RegularSeries:
        """A series already on a regular grid (``step_seconds`` apart from ``start``)."""
        array = np.asarray(values, dtype=np.float64)
        step = np.timedelta64(round(step_seconds * 1e9), "ns")
        times = np.datetime64(start, "ns") + step * np.arange(len(array))
        return cls(times, array, float(step_seconds), name)


def _month_grid(times: TimeArray) -> tuple[npt.NDArray[np.int64], TimeArray]:
    months = times.astype("datetime64[M]").astype(np.int64)
    index = months - months[0]
    grid = (np.arange(index[-1] + 1) + months[0]).astype("datetime64[M]").astype("datetime64[ns]")
    return index, grid


def regularise(
    timestamps: npt.ArrayLike, values: npt.ArrayLike, name: str = "value"
) -> RegularSeries:
    """Regularise ``(timestamps, values)`` (UTC ``datetime64`` and floats; NaT rows dropped)."""
    times = np.asarray(timestamps, dtype="datetime64[ns]")
    raw = np.asarray(values, dtype=np.float64)
    if times.shape != raw.shape:
        raise ValueError("timestamps and values differ in length")
    keep = ~np.isnat(times)
    times, raw = times[keep], raw[keep]
    if len(times) == 0:
        raise ValueError("no timestamps")
    distinct, inverse = np.unique(times, return_inverse=True)
    merged = _group_nanmean(inverse, raw, len(distinct))
    duplicates = len(times) - len(distinct)
    if len(distinct) == 1:
        return RegularSeries(distinct, merged, DAY_SECONDS, name, duplicates, 0)
    spacing = np.diff(distinct).astype(np.int64)
    step_ns = float(np.median(spacing))
    if 28 * DAY_SECONDS * 1e9 <= step_ns <= 31 * DAY_SECONDS * 1e9:
        index, grid = _month_grid(distinct)
        step_seconds = MONTH_SECONDS
    else:
        offsets = (distinct - distinct[0]).astype(np.int64)
        index = np.rint(offsets / step_ns).astype(np.int64)
        length = int(index[-1]) + 1
        if length > MAX_GRID_PER_OBSERVATION * len(distinct) + 1000:
            raise ValueError(
                f"gaps too large: {len(distinct)} timestamps would span {length} grid points "
                f"of {step_ns / 1e9:g} s"
            )
        step = np.timedelta64(round(step_ns), "ns")
        grid = distinct[0] + step * np.arange(length)
        step_seconds = step_ns / 1e9
    gridded = _group_nanmean(index, merged, len(grid))
    collisions = len(distinct) - len(np.unique(index))
    return RegularSeries(grid, gridded, step_seconds, name, duplicates, collisions)


def _group_nanmean(groups: npt.NDArray[np.int64], values: FloatArray, size: int) -> FloatArray:
    finite = np.isfinite(values)
    sums = np.bincount(groups[finite], weights=values[finite], minlength=size)
    counts = np.bincount(groups[finite], minlength=size)
    out = np.full(size, np.nan)
    np.divide(sums, counts, out=out, where=counts > 0)
    return out


def fill_missing(values: FloatArray) -> FloatArray:
    """Linear interpolation over missing points; the ends take the nearest value."""
    finite = np.isfinite(values)
    if finite.all():
        return values.astype(np.float64, copy=True)
    if not finite.any():
        raise ValueError("no values")
    positions = np.arange(len(values))
    return np.interp(positions, positions[finite], values[finite])
