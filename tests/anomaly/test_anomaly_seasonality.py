"""Seasonality inference recovers known periods, and finds none where there is none."""

from __future__ import annotations

import numpy as np
from anomaly_synthetic import daily_series, seasonal_series

from models_ml.anomaly import RegularSeries, infer_periods


def regular(values: np.ndarray, step_seconds: float) -> RegularSeries:
    return RegularSeries.from_values(values, step_seconds=step_seconds)


def test_hourly_daily_cycle() -> None:
    s = seasonal_series(1, days=21, weekly=False)
    assert infer_periods(regular(s.values, 3600)) == (24,)


def test_hourly_daily_and_weekly_cycles() -> None:
    s = seasonal_series(2, days=21)
    assert infer_periods(regular(s.values, 3600)) == (24, 168)


def test_daily_weekly_cycle() -> None:
    s = daily_series(3, weeks=16)
    assert infer_periods(regular(s.values, 86_400)) == (7,)


def test_five_minute_daily_cycle() -> None:
    # 3 days: a weekly period (2016 steps) needs two weeks, so only the daily one.
    s = seasonal_series(4, days=3, per_day=288, weekly=False)
    assert infer_periods(regular(s.values, 300)) == (288,)


def test_five_minute_daily_and_weekly_cycles() -> None:
    s = seasonal_series(5, days=14, per_day=288)
    assert infer_periods(regular(s.values, 300)) == (288, 2016)


def test_gaps_and_missing_values_do_not_hide_the_cycle() -> None:
    s = seasonal_series(6, days=21)
    values = s.values.copy()
    rng = np.random.default_rng(6)
    values[rng.random(len(values)) < 0.2] = np.nan  # a fifth missing at random
    values[200:230] = np.nan  # and a 30-hour outage
    assert infer_periods(regular(values, 3600)) == (24, 168)


def test_non_calendar_step_uses_the_periodogram() -> None:
    # A 7-minute step divides no day; a cycle of 50 steps is found from the data alone.
    rng = np.random.default_rng(7)
    t = np.arange(600)
    values = 10 * np.sin(2 * np.pi * t / 50) + rng.normal(0, 2, len(t))
    assert infer_periods(regular(values, 420)) == (50,)


def test_white_noise_random_walk_and_trend_have_no_seasonality() -> None:
    rng = np.random.default_rng(8)
    noise = rng.normal(0, 1, 24 * 21)
    walk = np.cumsum(rng.normal(0, 1, 24 * 21))
    trend = np.linspace(0, 50, 24 * 21) + rng.normal(0, 1, 24 * 21)
    for values in (noise, walk, trend):
        assert infer_periods(regular(values, 3600)) == ()
        assert infer_periods(regular(values, 420)) == ()


def test_too_short_for_two_cycles() -> None:
    s = seasonal_series(9, days=2, weekly=False)  # 30 points: under two daily cycles
    assert infer_periods(regular(s.values[:30], 3600)) == ()
    assert infer_periods(regular(s.values[:5], 3600)) == ()
