"""Detectors and the ensemble on seeded synthetic series with known injections.

Injections (anomaly_synthetic.py): a spike of +15 sigma, a 3-point dropout to zero and a level
shift of +8 sigma to the end. An injection is "found" by an alerting incident that overlaps it,
give or take one shortest seasonal period (the level-shift evidence spreads over the median
windows around the change). Precision: no alerting incident away from every injection.
"""

from __future__ import annotations

import numpy as np
import pytest
from anomaly_synthetic import NOISE, Synthetic, daily_series, seasonal_series, with_injections

from models_ml.anomaly import (
    DetectionResult,
    Detector,
    Ensemble,
    IqrFences,
    LevelShift,
    RegularSeries,
    RobustSeasonalZ,
    build_incidents,
)


def regular(s: Synthetic) -> RegularSeries:
    return RegularSeries.from_values(s.values, step_seconds=s.step_seconds)


def matches(s: Synthetic, result: DetectionResult, tolerance: int) -> tuple[list[int], int]:
    """(alerting incidents per injection, alerting incidents matching none)."""
    alerts = [
        incident
        for incident in build_incidents(result.timestamps, result.is_anomaly, result.scores)
        if incident.alert
    ]

    def overlaps(incident, injection) -> bool:  # type: ignore[no-untyped-def]
        return (
            incident.start_index <= injection.end + tolerance
            and incident.end_index >= injection.start - tolerance
        )

    per_injection = [sum(overlaps(a, j) for a in alerts) for j in s.injections]
    unmatched = sum(not any(overlaps(a, j) for j in s.injections) for a in alerts)
    return per_injection, unmatched


@pytest.mark.parametrize("seed", range(10))
def test_ensemble_finds_each_hourly_injection_once(seed: int) -> None:
    s = with_injections(seasonal_series(seed), seed)
    result = Ensemble().fit(regular(s)).score(regular(s))
    assert result.periods == (24, 168)
    assert matches(s, result, tolerance=24) == ([1, 1, 1], 0)


@pytest.mark.parametrize("seed", range(5))
def test_ensemble_finds_each_daily_injection_once(seed: int) -> None:
    s = with_injections(daily_series(seed), seed)
    result = Ensemble().fit(regular(s)).score(regular(s))
    assert result.periods == (7,)
    assert matches(s, result, tolerance=7) == ([1, 1, 1], 0)


def test_ensemble_raises_nothing_on_clean_seasonal_series() -> None:
    """Property over seeds: clean seasonal series with Gaussian noise give no anomaly at all
    (30 hourly series of 3 weeks, 10 daily series of a year: 18,760 points)."""
    for seed in range(100, 130):
        s = regular(seasonal_series(seed))
        result = Ensemble().fit(s).score(s)
        assert not result.is_anomaly.any(), (seed, np.flatnonzero(result.is_anomaly))
    for seed in range(200, 210):
        s = regular(daily_series(seed))
        result = Ensemble().fit(s).score(s)
        assert not result.is_anomaly.any(), (seed, np.flatnonzero(result.is_anomaly))


def test_five_minute_series_with_a_spike() -> None:
    s = seasonal_series(11, days=14, per_day=288)
    s.values[2000] += 15 * NOISE
    series = regular(s)
    result = Ensemble().fit(series).score(series)
    assert result.periods == (288, 2016)
    assert list(result.anomaly_indices()) == [2000]


def test_robust_z_explains_the_spike_against_expected_and_interval() -> None:
    s = with_injections(seasonal_series(3), 3)
    spike, dropout = s.injections[0].start, s.injections[1].start
    result = RobustSeasonalZ().fit(regular(s)).score(regular(s))
    assert result.is_anomaly[spike]
    assert result.is_anomaly[dropout : dropout + 3].all()
    # The spike added 15 sigma = 45 to a point with noise of sd 3: the deviation from the
    # expected value is 45 give or take a few sigma, and the value lies above the interval.
    deviation = result.values[spike] - result.expected[spike]
    assert abs(deviation - 15 * NOISE) < 4 * NOISE
    assert result.values[spike] > result.upper[spike] > result.expected[spike]
    assert result.lower[spike] < result.expected[spike]
    assert result.values[dropout] < result.lower[dropout]
    assert isinstance(RobustSeasonalZ(), Detector)


def test_iqr_fences_flag_spike_and_dropout() -> None:
    s = with_injections(seasonal_series(4), 4)
    spike, dropout = s.injections[0].start, s.injections[1].start
    result = IqrFences().fit(regular(s)).score(regular(s))
    assert result.is_anomaly[spike]
    assert result.is_anomaly[dropout : dropout + 3].all()
    assert result.scores[spike] > 3


@pytest.mark.parametrize("seed", range(5))
def test_level_shift_marks_one_change_point(seed: int) -> None:
    s = with_injections(seasonal_series(seed), seed)
    shift = s.injections[2].start
    detector = LevelShift().fit(regular(s))
    result = detector.score(regular(s))
    flagged = result.anomaly_indices()
    assert len(flagged) == 1
    assert abs(int(flagged[0]) - shift) <= 6  # a quarter of the 24-point median window
    # By how much: the score is |median after - median before| / spread; the medians of 24
    # deseasonalised points (sd about 1.25 * 3 / sqrt(24) = 0.77 each) moved by 8 sigma = 24.
    point = int(flagged[0])
    assert abs(result.scores[point] * detector.spread_ - 8 * NOISE) < 2 * NOISE


def test_fit_on_history_score_new_data() -> None:
    history = regular(seasonal_series(20))
    fresh = seasonal_series(21)
    fresh.values[300] -= 15 * NOISE
    detector = Ensemble().fit(history)
    result = detector.score(regular(fresh))
    assert list(result.anomaly_indices()) == [300]


def test_missing_points_are_never_anomalies() -> None:
    s = with_injections(seasonal_series(5), 5)
    values = s.values.copy()
    values[40:60] = np.nan
    series = RegularSeries.from_values(values, step_seconds=3600)
    result = Ensemble().fit(series).score(series)
    assert not result.is_anomaly[40:60].any()
    assert result.is_anomaly[s.injections[0].start]


def test_constant_series_flags_the_one_change() -> None:
    values = np.full(50, 5.0)
    values[30] = 6.0
    series = RegularSeries.from_values(values, step_seconds=60)
    result = RobustSeasonalZ().fit(series).score(series)
    assert list(result.anomaly_indices()) == [30]


def test_score_before_fit_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="fit"):
        RobustSeasonalZ().score(regular(seasonal_series(1)))
