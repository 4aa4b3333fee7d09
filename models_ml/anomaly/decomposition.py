"""Robust seasonal-trend decomposition: STL for one period, an MSTL loop for several.

Steps (each one fixes a failure seen on synthetic series with spikes, dropouts and level shifts):

1. **Base**: a centred running median, whole longest periods and at least 21 points wide, its
   first and last full window's value held to the ends (half a cycle's median is biased by the
   cycle). It follows a level shift at once and ignores spikes (STL's own LOESS trend bends
   across a step and pushes it into the seasonal part and the residuals).
2. **Pre-clean**: points more than 5 robust standard deviations off a median baseline (base plus
   per-phase medians) are replaced by that baseline; robust STL alone can lock onto the last
   point of a dropout.
3. **Seasonal**: statsmodels ``STL`` for each period seen at least 7 times; with several periods
   the MSTL algorithm (Bandara, Hyndman & Bergmeir 2021) is run here directly (two passes,
   shortest period first, seasonal window ``7 + 4 i``) so that each period gets LOESS jumps of
   a tenth of its length: a weekly period of 5-minute data (2016 steps) then takes under a
   second instead of minutes. A period seen fewer than 7 times (a weekly cycle in 3 weeks of
   data) gets one level per block of the shorter period it is a multiple of (per day of the
   week, :func:`block_profile`): STL's LOESS over 2-6 points per phase fits the noise.
4. **Robust then plain**: the fit is robust first, then twice plain with the points more than
   3.5 robust standard deviations off the previous fit replaced by that fit: robust STL's
   residuals are too peaked for a MAD scale (clean points reached robust z 5-6).

Missing points are interpolated for the fit and stay missing in the residual. Without
seasonality the trend is a centred running median (about n/20 points, 5 to 25) and the seasonal
part zero.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tsa.seasonal import STL

from models_ml.anomaly.series import FloatArray, fill_missing

MSTL_PASSES = 2
BASE_PASSES = 2
#: Decompositions kept for reuse (the ensemble's members decompose the same series).
CACHE_SIZE = 8
_cache: dict[tuple[int, int, bytes, tuple[int, ...]], Decomposition] = {}
MIN_CYCLES = 2
#: A period seen fewer times is not fitted by STL (whose LOESS over each phase's 2-6 points
#: fits the noise and absorbs a dropout) but by block medians (:func:`block_profile`).
FEW_CYCLES = 7
#: Points this many robust standard deviations off the robust fit are replaced by the fit
#: before the final, non-robust fit.
CLEAN_Z = 3.5
#: Clean-and-refit rounds: the second cleans with the plain fit, which a dropout no longer
#: pulls down (the robust fit still sags under it and leaves echoes a cycle away).
CLEAN_PASSES = 2
#: Points this many robust standard deviations off the median baseline are replaced by it
#: before the robust STL pass.
PRE_CLEAN_Z = 5.0
MIN_BASE_WINDOW = 21


@dataclass(frozen=True)
class Decomposition:
    """``values = trend + seasonal + resid``; ``resid`` is NaN where the value is missing."""

    trend: FloatArray
    seasonal: FloatArray
    resid: FloatArray
    periods: tuple[int, ...]

    @property
    def fitted(self) -> FloatArray:
        return self.trend + self.seasonal


def running_median_window(n: int) -> int:
    """Odd window of the non-seasonal trend: about n/20 points, 5 to 25."""
    return int(min(25, max(5, (n // 20) | 1)))


def running_median(values: FloatArray, window: int, *, hold_ends: bool = False) -> FloatArray:
    """Centred running median: shorter windows at the ends, or with ``hold_ends`` the first
    and last full window's median held to the ends (a seasonal base: half a cycle's median
    is biased by the cycle itself)."""
    series = pd.Series(values)
    if hold_ends and len(values) >= window:
        full = series.rolling(window, center=True, min_periods=window).median()
        return full.ffill().bfill().to_numpy(dtype=np.float64)
    return series.rolling(window, center=True, min_periods=1).median().to_numpy(dtype=np.float64)


def block_profile(values: FloatArray, period: int, block: int) -> FloatArray:
    """Seasonal component of a period seen fewer than ``FEW_CYCLES`` times. The phase is cut
    into blocks of ``block`` steps (the shorter seasonal period it is a multiple of: days of
    the week for a weekly period over hourly data); each block's level is the median over
    cycles of the block's mean in that cycle, centred on zero. A block spans a whole shorter
    cycle, so the shorter seasonality averages out of it; one bad cycle (a spike, a dropout)
    is outvoted. Per-phase estimates from 2-6 cycles would fit the noise instead."""
    n = len(values)
    position = np.arange(n)
    frame = pd.DataFrame(
        {"cycle": position // period, "block": (position % period) // block, "value": values}
    )
    means = frame.groupby(["cycle", "block"])["value"].mean()
    levels = means.groupby(level="block").median()
    blocks = frame["block"].to_numpy()
    full = levels.reindex(range(-(-period // block))).fillna(0.0).to_numpy()
    return (full - full.mean())[blocks]


def _center_scale(values: FloatArray) -> tuple[float, float]:
    center = float(np.median(values))
    return center, 1.4826 * float(np.median(np.abs(values - center)))


def base_window(usable: tuple[int, ...]) -> int:
    """Window of the running-median base: whole longest periods, at least ``MIN_BASE_WINDOW``
    points (one week of daily data would be swayed by a 3-day dropout plus the weekend)."""
    longest = max(usable)
    return longest * max(1, math.ceil(MIN_BASE_WINDOW / longest))


def _median_baseline(filled: FloatArray, usable: tuple[int, ...]) -> FloatArray:
    """Running median one longest period wide plus, per period shortest first, the median over
    cycles at each phase (block levels for a period seen fewer than ``FEW_CYCLES`` times)."""
    n = len(filled)
    base = running_median(filled, base_window(usable), hold_ends=True)
    seasonal = np.zeros(n)
    for period in usable:
        rest = filled - base - seasonal
        if n >= FEW_CYCLES * period:
            phase = np.arange(n) % period
            medians = pd.Series(rest).groupby(phase).median().to_numpy()
            seasonal = seasonal + (medians - medians.mean())[phase]
        else:
            block = max((p for p in usable if p < period and period % p == 0), default=1)
            seasonal = seasonal + block_profile(rest, period, block)
    return base + seasonal


def _components(
    filled: FloatArray, usable: tuple[int, ...], *, robust: bool
) -> tuple[FloatArray, FloatArray]:
    """Trend and summed seasonal of a gap-free series with at least one usable period."""
    n = len(filled)
    # A running median one longest period wide first: it follows a level shift at once and
    # ignores spikes, so neither leaks into the seasonal estimate (STL's own trend is a smooth
    # LOESS that bends across a step and would push it into season and residual).
    seasonal = np.zeros(n)
    trend = np.zeros(n)
    for _ in range(BASE_PASSES):
        # The base is taken on the deseasonalised series from the second pass on: near the
        # ends its window is cut in half, and half a week of raw data is biased by the weekend.
        base = running_median(filled - seasonal, base_window(usable), hold_ends=True)
        trend, seasonal = _seasonal_pass(filled - base, usable, robust)
        trend = trend + base
    return trend, seasonal


def _seasonal_pass(
    detrended: FloatArray, usable: tuple[int, ...], robust: bool
) -> tuple[FloatArray, FloatArray]:
    n = len(detrended)
    seasonal = np.zeros(n)
    stl_periods = [p for p in usable if n >= FEW_CYCLES * p]
    for period in usable:
        if period not in stl_periods:
            block = max((p for p in usable if p < period and period % p == 0), default=1)
            seasonal = seasonal + block_profile(detrended - seasonal, period, block)
    if not stl_periods:
        return np.zeros(n), seasonal
    components = np.zeros((len(stl_periods), n))
    trend = np.zeros(n)
    for _ in range(MSTL_PASSES if len(stl_periods) > 1 else 1):
        for i, period in enumerate(stl_periods):
            others = seasonal + components.sum(axis=0) - components[i]
            trend, components[i] = _stl(detrended - others, period, 7 + 4 * i, robust)
    return trend, seasonal + components.sum(axis=0)


def _stl(
    values: FloatArray, period: int, seasonal: int, robust: bool
) -> tuple[FloatArray, FloatArray]:
    jump = max(1, math.ceil(0.1 * period))
    result = STL(
        values,
        period=period,
        seasonal=seasonal,
        robust=robust,
        trend_jump=jump,
        low_pass_jump=jump,
    ).fit()
    return np.asarray(result.trend, dtype=np.float64), np.asarray(result.seasonal, dtype=np.float64)


def usable_periods(n: int, periods: tuple[int, ...]) -> tuple[int, ...]:
    """The periods with at least two full cycles in ``n`` points, shortest first."""
    return tuple(sorted(p for p in set(periods) if p >= 2 and n >= MIN_CYCLES * p))


def decompose(values: FloatArray, periods: tuple[int, ...]) -> Decomposition:
    """Trend, seasonal (summed over periods) and residual of ``values`` (cached: the result's
    arrays are shared, do not modify them)."""
    array = np.ascontiguousarray(values, dtype=np.float64)
    digest = hashlib.blake2b(array.tobytes(), digest_size=16).digest()
    key = (len(array), hash(digest), digest, tuple(periods))
    cached = _cache.get(key)
    if cached is None:
        cached = _decompose(array, tuple(periods))
        if len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = cached
    return cached


def _decompose(values: FloatArray, periods: tuple[int, ...]) -> Decomposition:
    filled = fill_missing(values)
    n = len(filled)
    usable = usable_periods(n, periods)
    if not usable:
        trend = running_median(filled, running_median_window(n))
        seasonal = np.zeros(n)
    else:
        # Robust pass, then replace its outliers by its fit and refit without robustness
        # weights: robust STL's residuals are too peaked (their MAD understates the spread,
        # so clean points reach 5-6 robust z), the plain fit on cleaned data is not.
        # Pre-clean against a median baseline: robust STL can lock onto the last point of a
        # dropout (its robustness weights start from a fit that already followed it).
        baseline = _median_baseline(filled, usable)
        center, scale = _center_scale(filled - baseline)
        far = np.abs(filled - baseline - center) > PRE_CLEAN_Z * scale
        trend, seasonal = _components(np.where(far, baseline + center, filled), usable, robust=True)
        for _ in range(CLEAN_PASSES):
            fitted = trend + seasonal
            center, scale = _center_scale(filled - fitted)
            outlier = np.abs(filled - fitted - center) > CLEAN_Z * scale
            cleaned = np.where(outlier, fitted + center, filled)
            trend, seasonal = _components(cleaned, usable, robust=False)
    resid = np.where(np.isfinite(values), values - trend - seasonal, np.nan)
    return Decomposition(trend, seasonal, resid, usable)
