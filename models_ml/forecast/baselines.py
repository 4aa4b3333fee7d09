"""Baselines: seasonal naive, weekly average, and the planner's weekday-level × intraday profile.

All three have no parameters to estimate beyond averages, so their past forecast errors are
computed exactly out of sample (each value against what the method would have said before it)
and give the empirical prediction intervals, on the variance-stabilised scale (``base.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from models_ml.forecast.base import (
    FloatArray,
    ForecastArrays,
    Forecaster,
    Transform,
    empirical_bounds,
    forward,
    from_transformed,
)


def _lagged_mean(values: FloatArray, lag: int, count: int, length: int) -> FloatArray:
    """For positions 0 … length−1 past the end of ``values`` extended by itself: the mean of the
    last ``count`` available values at the same position modulo ``lag`` (NaN skipped)."""
    n = len(values)
    out = np.full(length, np.nan)
    for h in range(length):
        picks = []
        position = n + h - lag
        while position >= 0 and len(picks) < count:
            if position < n and np.isfinite(values[position]):
                picks.append(values[position])
            position -= lag
        if picks:
            out[h] = float(np.mean(picks))
    return out


def _rolling_same_slot(values: FloatArray, lag: int, count: int) -> FloatArray:
    """In-sample: at each position, the mean of the values 1 … ``count`` lags before it (NaN
    skipped; NaN if none): what the method would have forecast there."""
    n = len(values)
    stacked = np.full((count, n), np.nan)
    for k in range(1, count + 1):
        if k * lag < n:
            stacked[k - 1, k * lag :] = values[: n - k * lag]
    finite = np.isfinite(stacked)
    counts = finite.sum(axis=0)
    sums = np.where(finite, stacked, 0.0).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


class _SeasonalMean(Forecaster):
    """Forecast = mean of the same interval in the last ``weeks`` weeks (on the stable scale)."""

    weeks = 1

    def _fit(self, values: FloatArray, index: pd.DatetimeIndex, exog: FloatArray | None) -> None:
        z = forward(values, self.transform)
        self._z = z
        fitted = _rolling_same_slot(z, self.per_week, self.weeks)
        self._residuals = z - fitted
        if np.isfinite(self._residuals).sum() < 10:
            raise ValueError(f"{self.name}: needs more than one week of history")

    def _predict(
        self, horizon: int, future: pd.DatetimeIndex, exog: FloatArray | None
    ) -> ForecastArrays:
        center = _lagged_mean(self._z, self.per_week, self.weeks, horizon)
        center = np.where(np.isfinite(center), center, np.nanmean(self._z))
        variance = float(np.nanvar(self._residuals))
        return from_transformed(
            center, empirical_bounds(center, self._residuals), variance, self.transform
        )


class SeasonalNaive(_SeasonalMean):
    """The value one week earlier (the last non-excluded week if that day was special)."""

    name = "seasonal_naive"
    weeks = 1


class WeeklyAverage(_SeasonalMean):
    """The mean of the same interval over the last ``weeks`` weeks (default 4)."""

    name = "weekly_average"

    def __init__(
        self,
        weeks: int = 4,
        *,
        transform: Transform = "sqrt",
        special_days: Mapping[date, float] | None = None,
    ) -> None:
        super().__init__(transform=transform, special_days=special_days)
        if weeks < 1:
            raise ValueError("weeks: must be at least 1")
        self.weeks = weeks


class IntradayProfile(Forecaster):
    """Day total for the weekday × share of the day in each interval (the classic WFM method).

    Level: the mean day total of the last ``weeks`` same weekdays; profile: each interval's share
    of the day, pooled over all complete training days (``pool_profile=True``; one profile per
    weekday otherwise). Pooling estimates each interval's share from every day instead of a few
    same weekdays, which is what makes it steadier than the weekly average when the intraday shape
    is the same across days; if weekends have a different shape, use ``pool_profile=False``.
    """

    name = "intraday_profile"

    def __init__(
        self,
        weeks: int = 4,
        *,
        pool_profile: bool = True,
        transform: Transform = "sqrt",
        special_days: Mapping[date, float] | None = None,
    ) -> None:
        super().__init__(transform=transform, special_days=special_days)
        self.weeks = weeks
        self.pool_profile = pool_profile

    def _grid(self, index: pd.DatetimeIndex) -> tuple[FloatArray, FloatArray, np.ndarray]:
        minutes = index.hour * 60 + index.minute
        slot = np.asarray(minutes // (1440 // self.per_day), np.int64)
        day = np.asarray((index.normalize() - index.normalize()[0]).days, np.int64)
        return slot, day, np.asarray(index.day_of_week, np.int64)

    def _fit(self, values: FloatArray, index: pd.DatetimeIndex, exog: FloatArray | None) -> None:
        slot, day, weekday = self._grid(index)
        days = int(day.max()) + 1
        table = np.full((days, self.per_day), np.nan)
        table[day, slot] = values
        day_weekday = np.full(days, -1)
        day_weekday[day] = weekday
        complete = np.isfinite(table).all(axis=1)
        if not complete.any():
            raise ValueError(f"{self.name}: needs at least one complete day")
        totals = table.sum(axis=1)  # NaN for incomplete or excluded days
        self._levels = {}
        for wd in range(7):
            recent = totals[complete & (day_weekday == wd)][-self.weeks :]
            self._levels[wd] = float(np.mean(recent)) if recent.size else np.nan
        fallback = float(np.nanmean(totals[complete]))
        self._levels = {wd: (v if np.isfinite(v) else fallback) for wd, v in self._levels.items()}
        self._profiles = {}
        for wd in range(7):
            rows = complete if self.pool_profile else complete & (day_weekday == wd)
            if not rows.any():
                rows = complete
            share = table[rows].sum(axis=0)
            self._profiles[wd] = share / max(share.sum(), 1e-12)
        fitted = np.array(
            [self._levels[w] * self._profiles[w][s] for w, s in zip(weekday, slot, strict=True)]
        )
        self._residuals = forward(values, self.transform) - forward(fitted, self.transform)

    def _predict(
        self, horizon: int, future: pd.DatetimeIndex, exog: FloatArray | None
    ) -> ForecastArrays:
        minutes = future.hour * 60 + future.minute
        slot = np.asarray(minutes // (1440 // self.per_day), np.int64)
        weekday = np.asarray(future.day_of_week, np.int64)
        point = np.array(
            [self._levels[w] * self._profiles[w][s] for w, s in zip(weekday, slot, strict=True)]
        )
        center = forward(point, self.transform)
        result = from_transformed(
            center, empirical_bounds(center, self._residuals), 0.0, self.transform
        )
        # The level × share is already an estimate of the mean: keep it as the point forecast.
        return ForecastArrays(point, result.lo80, result.hi80, result.lo95, result.hi95)
