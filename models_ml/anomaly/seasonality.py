"""Seasonality inference: which periods (in grid steps) a regular series repeats with.

The rule (documented in docs/anomalies.md):

1. **Calendar candidates** from the grid step: a sub-daily step that divides a day into ``d``
   steps gives ``d`` (daily) and ``7d`` (weekly) — 24 and 168 for hourly data, 288 and 2016 for
   5-minute data (a day must hold a whole number of steps, give or take 0.05); a daily step
   (within 1%) gives 7 and 365; weekly 52; monthly 12; quarterly 4 (within 5%).
2. A candidate needs at least ``MIN_CYCLES`` full cycles in the series.
3. Candidates are tested shortest first. The series (gaps interpolated) is detrended with a
   centred running median one period wide (a level shift or a spike does not smear into it) and
   clipped at 4 robust standard deviations (a dropout must not dominate the correlation); a
   candidate is **accepted** when the autocorrelation of that at lag ``p`` is at least
   ``ACF_THRESHOLD`` (0.3). An accepted period's mean profile is removed before the next
   candidate is tested, so a weekly period must show beyond the daily one (lag 168 always
   repeats a daily cycle). At most two periods.
4. When no calendar candidate is accepted (or the step is not a calendar one), the highest
   periodogram peak with a period of 4 to n/2 steps is the candidate (refined to the best
   autocorrelation among p-1, p, p+1); it is accepted when its autocorrelation is at least
   ``ACF_THRESHOLD`` and exceeds that at half the period by ``ACF_THRESHOLD`` too (a real cycle
   is out of phase at half its period; a trend or a slow wander is not), with at least 3 cycles
   and 30 observed points (a dozen noisy points or two cycles of a trend show spurious peaks).
5. Too short a series, or none accepted: no seasonality (an empty tuple).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import periodogram

from models_ml.anomaly.series import DAY_SECONDS, FloatArray, RegularSeries, fill_missing

ACF_THRESHOLD = 0.3
MIN_CYCLES = 2
MIN_FALLBACK_PERIOD = 4
#: A period found by the periodogram alone needs this many cycles and observed points.
FALLBACK_MIN_CYCLES = 3
FALLBACK_MIN_POINTS = 30
#: Relative tolerance when matching a grid step to a calendar unit.
CALENDAR_TOLERANCE = 0.01
#: A sub-daily step is a calendar one when a day holds a whole number of steps, give or take.
STEPS_PER_DAY_TOLERANCE = 0.05


def calendar_candidates(step_seconds: float) -> tuple[int, ...]:
    """Candidate periods (grid steps) implied by the grid step alone."""
    if step_seconds <= 0:
        return ()
    per_day = DAY_SECONDS / step_seconds
    if per_day >= 2 and abs(per_day - round(per_day)) <= STEPS_PER_DAY_TOLERANCE:
        daily = round(per_day)
        return (daily, 7 * daily)
    days = step_seconds / DAY_SECONDS
    for length, periods in ((1, (7, 365)), (7, (52,)), (30.436875, (12,)), (91.310625, (4,))):
        tolerance = 0.05 if length > 7 else CALENDAR_TOLERANCE
        if abs(days - length) <= tolerance * length:
            return periods
    return ()


#: Detrended values are clipped at this many robust standard deviations before correlating.
WINSOR_Z = 4.0


def _detrend(values: FloatArray, period: int) -> FloatArray:
    """Minus a centred running median one period wide (robust to spikes and level shifts),
    clipped at ``WINSOR_Z`` robust standard deviations (a dropout must not dominate the
    correlation)."""
    trend = (
        pd.Series(values)
        .rolling(period, center=True, min_periods=period // 2 + 1)
        .median()
        .to_numpy(dtype=np.float64)
    )
    detrended = values - trend
    finite = detrended[np.isfinite(detrended)]
    if len(finite) == 0:
        return detrended
    center = float(np.median(finite))
    scale = 1.4826 * float(np.median(np.abs(finite - center)))
    if scale > 0:
        detrended = np.clip(detrended, center - WINSOR_Z * scale, center + WINSOR_Z * scale)
    return detrended


def autocorrelation(values: FloatArray, lag: int) -> float:
    """Pearson correlation of the series with itself ``lag`` steps later (NaN pairs skipped)."""
    if lag <= 0 or lag >= len(values):
        return float("nan")
    head, tail = values[:-lag], values[lag:]
    pair = np.isfinite(head) & np.isfinite(tail)
    if pair.sum() < 3:
        return float("nan")
    head, tail = head[pair], tail[pair]
    if head.std() == 0 or tail.std() == 0:
        return float("nan")
    return float(np.corrcoef(head, tail)[0, 1])


def seasonal_strength(values: FloatArray, period: int) -> float:
    """Autocorrelation at ``period`` of the series detrended by a moving average that long."""
    return autocorrelation(_detrend(values, period), period)


def phase_profile(values: FloatArray, period: int) -> FloatArray:
    """Mean of the (detrended) series at each phase of ``period``, centred on zero, repeated
    over the series' length."""
    detrended = _detrend(values, period)
    phase = np.arange(len(values)) % period
    finite = np.isfinite(detrended)
    sums = np.bincount(phase[finite], weights=detrended[finite], minlength=period)
    counts = np.bincount(phase[finite], minlength=period)
    profile = np.divide(sums, counts, out=np.zeros(period), where=counts > 0)
    return (profile - profile.mean())[phase]


def _strong(value: float) -> bool:
    return bool(np.isfinite(value) and value >= ACF_THRESHOLD)


def periodogram_candidate(values: FloatArray) -> int | None:
    """The period (grid steps) of the highest periodogram peak between 4 and n/2 steps."""
    n = len(values)
    if n < 2 * MIN_FALLBACK_PERIOD:
        return None
    frequencies, power = periodogram(values, detrend="linear")
    with np.errstate(divide="ignore"):
        periods = np.where(frequencies > 0, 1.0 / np.maximum(frequencies, 1e-300), np.inf)
    allowed = (periods >= MIN_FALLBACK_PERIOD) & (periods <= n / MIN_CYCLES)
    if not allowed.any() or not np.any(power[allowed] > 0):
        return None
    best = int(np.rint(periods[allowed][np.argmax(power[allowed])]))
    choices = [p for p in (best - 1, best, best + 1) if MIN_FALLBACK_PERIOD <= p <= n // MIN_CYCLES]
    strengths = [seasonal_strength(values, p) for p in choices]
    finite = [(s, p) for s, p in zip(strengths, choices, strict=True) if np.isfinite(s)]
    return max(finite)[1] if finite else None


def infer_periods(series: RegularSeries, max_periods: int = 2) -> tuple[int, ...]:
    """Seasonal periods of ``series`` in grid steps, shortest first (see the module rule)."""
    observed = int(series.observed.sum())
    if observed < 2 * MIN_FALLBACK_PERIOD:
        return ()
    values = fill_missing(series.values)
    n = len(values)
    accepted: list[int] = []
    remaining = values
    for period in calendar_candidates(series.step_seconds):
        if len(accepted) >= max_periods or n < MIN_CYCLES * period:
            continue
        if _strong(seasonal_strength(remaining, period)):
            accepted.append(period)
            remaining = remaining - phase_profile(remaining, period)
    if accepted:
        return tuple(accepted)
    candidate = periodogram_candidate(values)
    if candidate is None:
        return ()
    strength = seasonal_strength(values, candidate)
    half = seasonal_strength(values, candidate // 2) if candidate // 2 >= 2 else float("nan")
    contrast = strength - (half if np.isfinite(half) else 0.0)
    enough = n >= FALLBACK_MIN_CYCLES * candidate and observed >= FALLBACK_MIN_POINTS
    if enough and _strong(strength) and contrast >= ACF_THRESHOLD:
        return (candidate,)
    return ()
