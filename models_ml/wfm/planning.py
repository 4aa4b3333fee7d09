"""Forecast planning per tenant and queue: the maths behind the WFM pipeline (pipelines/wfm).

Series come from ``queue_interval_stats`` (15-minute UTC intervals): volume = ``offered`` (0 in an
interval without calls), AHT = ``aht_sec`` of handled calls (missing where none was handled,
filled by the mean of the same interval of the week, then the overall mean: AHT models cannot
skip gaps and a night without calls says nothing about handle time).

* ``history_origin``: where a forecast starts: the midnight (UTC) after the last COMPLETE day of
  actuals. A day whose last interval has not ended yet is today: it feeds the intraday
  re-forecast, not the training data.
* ``choose_model``: the per-series model choice by rolling-origin backtest (one-day horizon,
  ``folds`` daily origins; ``models_ml.forecast.rolling_origin_backtest``): lowest MASE wins.
  With too little history for a backtest (two weeks plus the folds) the fallback model is used
  (``selected_by = "short_history"``): the intraday profile for volume, the weekly average for AHT.
* ``forecast_series``: the chosen model refitted on the whole history, next ``horizon`` intervals.
* ``realised_accuracy``: stored forecasts against what happened (MASE, sMAPE, coverage).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from models_ml.forecast import (
    EtsForecaster,
    Forecaster,
    IntradayProfile,
    ModelScore,
    MstlArForecaster,
    SeasonalNaive,
    StaffingTargets,
    WeeklyAverage,
    mase_scale,
    rolling_origin_backtest,
    smape,
)
from models_ml.forecast.base import FORECAST_COLUMNS, fill_gaps

SeriesKind = Literal["volume", "aht"]
ModelFactory = Callable[[], Forecaster]

INTERVAL_MINUTES = 15  # the grain of queue_interval_stats
PER_DAY = 1440 // INTERVAL_MINUTES
PER_WEEK = 7 * PER_DAY

#: Candidate models per series kind. AHT is positive and multiplicative: log scale.
MODEL_FACTORIES: dict[SeriesKind, dict[str, ModelFactory]] = {
    "volume": {
        "seasonal_naive": SeasonalNaive,
        "weekly_average": WeeklyAverage,
        "intraday_profile": IntradayProfile,
        "ets": EtsForecaster,
        "mstl_ar": MstlArForecaster,
    },
    "aht": {
        "seasonal_naive": lambda: SeasonalNaive(transform="log"),
        "weekly_average": lambda: WeeklyAverage(transform="log"),
        "ets": lambda: EtsForecaster(transform="log"),
    },
}
FALLBACK_MODEL: dict[SeriesKind, str] = {"volume": "intraday_profile", "aht": "weekly_average"}


@dataclass(frozen=True)
class QueueSeries:
    """One queue's regular 15-minute series, ``[start, end)`` (UTC)."""

    volume: pd.Series
    aht: pd.Series | None  # None when no call was ever handled
    mean_aht_s: float | None


def history_origin(last_interval_start: pd.Timestamp) -> pd.Timestamp:
    """The midnight after the last complete day: 23:45 of day D → D+1 00:00; 14:00 → D 00:00."""
    return (last_interval_start + pd.Timedelta(minutes=INTERVAL_MINUTES)).floor("D")


def queue_series(stats: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> QueueSeries:
    """The volume and AHT series of one queue's ``queue_interval_stats`` rows (columns
    ``interval_start``, ``offered``, ``handled``, ``aht_sec``) on the full grid [start, end)."""
    grid = pd.date_range(start, end, freq=f"{INTERVAL_MINUTES}min", inclusive="left")
    rows = stats.set_index("interval_start")
    volume = rows["offered"].astype(np.float64).reindex(grid, fill_value=0.0).rename("volume")
    handled = rows["handled"].astype(np.float64).reindex(grid, fill_value=0.0)
    aht_raw = rows["aht_sec"].astype(np.float64).reindex(grid)
    finite = np.isfinite(aht_raw.to_numpy()) & (handled.to_numpy() > 0)
    if not finite.any():
        return QueueSeries(volume, None, None)
    mean_aht = float(np.average(aht_raw.to_numpy()[finite], weights=handled.to_numpy()[finite]))
    values = np.where(finite, aht_raw.to_numpy(), np.nan)
    filled = fill_gaps(values, PER_WEEK if len(values) > PER_WEEK else PER_DAY)
    return QueueSeries(volume, pd.Series(filled, index=grid, name="aht"), mean_aht)


@dataclass
class ModelChoice:
    """The model chosen for one series and the backtest scores of every candidate."""

    kind: SeriesKind
    model: str
    selected_by: Literal["backtest", "short_history"]
    scores: list[ModelScore] = field(default_factory=list)
    origins: list[pd.Timestamp] = field(default_factory=list)


def factories_for(kind: SeriesKind, names: Sequence[str]) -> dict[str, ModelFactory]:
    known = MODEL_FACTORIES[kind]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ValueError(f"{kind} models: unknown {unknown} (known: {sorted(known)})")
    return {name: known[name] for name in names}


def choose_model(
    series: pd.Series,
    kind: SeriesKind,
    names: Sequence[str],
    *,
    folds: int = 3,
    staffing: StaffingTargets | None = None,
) -> ModelChoice:
    """Backtest the candidates ``names`` (seasonal naive is always scored too) and keep the
    lowest MASE; the fallback model when the history is too short or flat for a backtest."""
    try:
        report = rolling_origin_backtest(
            series,
            factories_for(kind, names),
            folds=folds,
            staffing=staffing,
            interval_minutes=INTERVAL_MINUTES,
        )
    except ValueError:  # under two weeks + folds of history, or a zero MASE scale (flat series)
        return ModelChoice(kind, FALLBACK_MODEL[kind], "short_history")
    scores = sorted(report.scores, key=lambda s: s.model)
    finite = [s for s in scores if np.isfinite(s.mase)]
    if not finite:
        return ModelChoice(kind, FALLBACK_MODEL[kind], "short_history", scores, report.origins)
    best = min(finite, key=lambda s: (s.mase, s.model))
    return ModelChoice(kind, best.model, "backtest", scores, report.origins)


def forecast_series(series: pd.Series, kind: SeriesKind, model: str, horizon: int) -> pd.DataFrame:
    """``model`` fitted on all of ``series``: the next ``horizon`` intervals (FORECAST_COLUMNS)."""
    forecaster = MODEL_FACTORIES[kind][model]()
    return forecaster.fit(series).predict(horizon)


@dataclass(frozen=True)
class RealisedAccuracy:
    intervals: int
    mase: float | None
    smape: float
    mae: float
    coverage80: float
    coverage95: float


def realised_accuracy(
    forecast: pd.DataFrame, actual: pd.Series, history: pd.Series | None = None
) -> RealisedAccuracy | None:
    """Stored forecasts (FORECAST_COLUMNS, indexed by interval start) against ``actual`` on the
    intervals both have (NaN actuals skipped). MASE scales the MAE by the in-sample one-week
    seasonal-naive MAE of ``history`` (actuals before the forecasts); None without a week of it."""
    joined = forecast[list(FORECAST_COLUMNS)].join(actual.rename("actual"), how="inner")
    joined = joined[np.isfinite(joined["actual"].to_numpy(np.float64))]
    if joined.empty:
        return None
    y = joined["actual"].to_numpy(np.float64)
    mean = joined["mean"].to_numpy(np.float64)
    mae = float(np.abs(y - mean).mean())
    mase = None
    if history is not None and len(history) > PER_WEEK:
        try:
            mase = mae / mase_scale(history.to_numpy(np.float64), PER_WEEK)
        except ValueError:
            mase = None
    inside80 = (y >= joined["lo80"].to_numpy()) & (y <= joined["hi80"].to_numpy())
    inside95 = (y >= joined["lo95"].to_numpy()) & (y <= joined["hi95"].to_numpy())
    return RealisedAccuracy(
        intervals=len(y),
        mase=mase,
        smape=smape(y, mean),
        mae=mae,
        coverage80=float(inside80.mean()),
        coverage95=float(inside95.mean()),
    )


def model_names(spec: str | Sequence[str], kind: SeriesKind) -> list[str]:
    """Candidate names from a comma-separated string or a list, checked against the kind."""
    names = [n.strip() for n in spec.split(",")] if isinstance(spec, str) else list(spec)
    names = [n for n in names if n]
    factories_for(kind, names)
    return names


def by_series(frame: pd.DataFrame, keys: Sequence[str]) -> Mapping[tuple[str, ...], pd.DataFrame]:
    """Rows grouped by ``keys`` (a dict; empty for an empty frame)."""
    if frame.empty:
        return {}
    return {
        (key if isinstance(key, tuple) else (key,)): group
        for key, group in frame.groupby(list(keys), sort=True)
    }
