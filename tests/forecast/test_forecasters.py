"""Forecasters on a known synthetic signal (daily × weekly seasonality with Poisson noise), the
interface, special days, regressors, and the metrics by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models_ml.forecast import (
    FORECAST_COLUMNS,
    EtsForecaster,
    IntradayProfile,
    MstlArForecaster,
    SeasonalNaive,
    StaffingTargets,
    WeeklyAverage,
    interval_series,
    mase_scale,
    rolling_origin_backtest,
    smape,
    staffing_error,
)
from models_ml.wfm import required_agents

WEEKLY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3])


def true_rate(index: pd.DatetimeIndex, level: float = 30.0) -> np.ndarray:
    """λ = level × weekday factor × (1 − 0.8·cos(2π·slot/48)): 0.2× at midnight, 1.8× at noon."""
    slot = (index.hour * 2 + index.minute // 30).to_numpy()
    return level * WEEKLY[index.day_of_week] * (1 - 0.8 * np.cos(2 * np.pi * slot / 48))


def synthetic(days: int, seed: int = 3) -> tuple[pd.Series, np.ndarray]:
    index = pd.date_range("2025-03-03", periods=days * 48, freq="30min")  # a Monday
    rate = true_rate(index)
    counts = np.random.default_rng(seed).poisson(rate).astype(float)
    return pd.Series(counts, index=index), rate


@pytest.mark.parametrize(
    "model",
    [WeeklyAverage(), IntradayProfile(), EtsForecaster(), MstlArForecaster()],
    ids=lambda model: type(model).__name__,
)
def test_forecasts_recover_the_seasonal_signal(model: object) -> None:
    """Five weeks of history, forecast the next Monday. The signal peaks at 30 × 1.2 × 1.8 = 64.8
    and bottoms at 30 × 1.2 × 0.2 = 7.2 that day: amplitude 57.6. Poisson noise alone has a mean
    absolute size of about √λ·0.8 ≈ 5 at the peak; a forecast that learned the signal is within a
    few calls of λ on average: MAE against the true rate < 8 % of the amplitude (4.6 calls), and
    it tracks the shape (correlation with λ > 0.97)."""
    series, rate = synthetic(36)
    history, truth = series.iloc[: 35 * 48], rate[35 * 48 :]
    forecast = model.fit(history).predict(48)  # type: ignore[attr-defined]
    assert list(forecast.columns) == list(FORECAST_COLUMNS)
    assert forecast.index[0] == pd.Timestamp("2025-04-07 00:00")
    error = np.abs(forecast["mean"].to_numpy() - truth).mean()
    assert error < 0.08 * 57.6
    assert np.corrcoef(forecast["mean"], truth)[0, 1] > 0.97
    ordered = forecast[["lo95", "lo80", "mean", "hi80", "hi95"]].to_numpy()
    assert np.all(np.diff(ordered, axis=1) >= -1e-9)
    assert (forecast.to_numpy() >= 0).all()


def test_interval_coverage_is_near_nominal_on_the_synthetic_signal() -> None:
    """Seven one-day folds = 336 intervals; binomial sd of an 80 % coverage there is
    √(0.8·0.2/336) = 2.2 points: the profile model's 80 % / 95 % intervals cover within 6 / 4
    points of nominal, and it beats seasonal naive (relative MAE < 0.8)."""
    series, _ = synthetic(49)
    report = rolling_origin_backtest(series, {"intraday_profile": IntradayProfile}, folds=7)
    score = report.score("intraday_profile")
    assert abs(score.coverage80 - 0.80) < 0.06
    assert abs(score.coverage95 - 0.95) < 0.04
    assert score.relative_mae < 0.8


def test_special_days_are_excluded_from_training_and_scaled_in_the_horizon() -> None:
    """A holiday Monday at 10 % of normal volume in the history: excluded, it does not pull the
    Monday level down; a holiday in the horizon at factor 0.5 halves the forecast."""
    series, _ = synthetic(36)
    holiday = date(2025, 3, 31)
    damped = series.copy()
    damped[damped.index.date == holiday] *= 0.1
    history = damped.iloc[: 35 * 48]
    normal = IntradayProfile().fit(series.iloc[: 35 * 48]).predict(48)
    ignoring = IntradayProfile().fit(history).predict(48)
    excluding = IntradayProfile(special_days={holiday: 0.1}).fit(history).predict(48)
    assert excluding["mean"].sum() == pytest.approx(normal["mean"].sum(), rel=0.08)
    assert ignoring["mean"].sum() < 0.85 * normal["mean"].sum()  # 1 of 4 Mondays at 10 %
    next_monday = date(2025, 4, 7)
    halved = IntradayProfile(special_days={next_monday: 0.5}).fit(series.iloc[: 35 * 48])
    assert halved.predict(48)["mean"].to_numpy() == pytest.approx(0.5 * normal["mean"].to_numpy())


def test_seasonal_naive_is_last_week_and_skips_an_excluded_week() -> None:
    series, _ = synthetic(15)
    history = series.iloc[: 14 * 48]
    naive = SeasonalNaive(transform="none").fit(history).predict(48)
    assert naive["mean"].to_numpy() == pytest.approx(history.iloc[7 * 48 : 8 * 48].to_numpy())
    skip = SeasonalNaive(transform="none", special_days={date(2025, 3, 10): 1.0})
    skipped = skip.fit(history).predict(48)  # last Monday (Mar 10) excluded: two weeks back
    assert skipped["mean"].to_numpy() == pytest.approx(history.iloc[:48].to_numpy())


def test_regressors_help_the_model_that_takes_them() -> None:
    """Outbound campaign sends known in advance: each interval with a send adds 0.2 inbound
    calls per 10 messages sent (callbacks). MSTL + AR with the sends as a regressor forecasts
    the campaign day better than without them."""
    series, _ = synthetic(36, seed=5)
    rng = np.random.default_rng(11)
    sends = np.where(rng.random(len(series)) < 0.08, rng.integers(100, 400, len(series)), 0)
    sends[35 * 48 + 18 : 35 * 48 + 22] = 300  # the forecast day has a campaign 09:00–11:00
    extra = rng.poisson(0.02 * sends)
    calls = series + extra
    drivers = pd.DataFrame({"sends": sends.astype(float)}, index=series.index)
    history, actual = calls.iloc[: 35 * 48], calls.iloc[35 * 48 :].to_numpy()
    with_sends = MstlArForecaster(transform="none").fit(history, drivers.iloc[: 35 * 48])
    forecast = with_sends.predict(48, drivers.iloc[35 * 48 :])["mean"].to_numpy()
    without = MstlArForecaster(transform="none").fit(history).predict(48)["mean"].to_numpy()
    assert np.abs(actual - forecast).mean() < np.abs(actual - without).mean()
    with pytest.raises(ValueError, match="does not take regressors"):
        IntradayProfile().fit(history, drivers.iloc[: 35 * 48])


def test_metrics_by_hand() -> None:
    # Season 2: |3 − 1| + |4 − 2| + |3 − 3| = 4 over 3 pairs → 4/3.
    assert mase_scale(np.array([1.0, 2.0, 3.0, 4.0, 3.0]), 2) == pytest.approx(4 / 3)
    # sMAPE: 2·|10 − 5|/15 = 2/3, 0 (both zero), 2·|0 − 1|/1 = 2 → mean 8/9 → 88.9 %.
    assert smape(np.array([10.0, 0.0, 0.0]), np.array([5.0, 0.0, 1.0])) == pytest.approx(800 / 9)


def test_staffing_error_counts_agent_intervals_over_and_under() -> None:
    """Erlang C agents (AHT 180 s, 30 min, 80 % in 20 s): forecast 100 vs actual 60 calls
    staffs too many; 40 vs 100 too few; 70 vs 70 exact."""
    forecast, actual = [100.0, 40.0, 70.0], [60.0, 100.0, 70.0]
    per_call = [int(required_agents(c, 180, 1800, 20, 0.8).agents[0]) for c in (100, 60, 40)]
    over, under = staffing_error(forecast, actual, StaffingTargets(aht_s=180), 30)
    assert over == per_call[0] - per_call[1]
    assert under == per_call[0] - per_call[2]
    assert over > 0
    assert under > 0


def test_interval_series_counts_events_per_local_interval() -> None:
    stamps = pd.Series(
        pd.to_datetime(
            ["2025-01-06T14:05:00Z", "2025-01-06T14:29:59Z", "2025-01-06T15:31:00Z"], utc=True
        )
    )
    counts = interval_series(stamps, 30, timezone="America/New_York")
    # 09:00 local (2 calls), 09:30 (none), 10:00 (none), 10:30 (1)
    assert counts.tolist() == [2.0, 0.0, 0.0, 1.0]
    assert counts.index[0] == pd.Timestamp("2025-01-06 09:00", tz="America/New_York")
