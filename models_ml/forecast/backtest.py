"""Rolling-origin backtest, accuracy metrics, model choice, and the staffing error of forecasts.

For each origin (by default the last ``folds`` midnights of the series, one day apart), every
model is fitted on the history before the origin and forecasts the next ``horizon`` intervals
(default one day); forecasts are compared with the actuals:

* MASE: mean absolute error / in-sample MAE of the seasonal-naive forecast with a period of one
  week of intervals, the scale computed on each fold's own training data (Hyndman & Koehler
  2006); reported as the mean over folds. 1 is "as good as last week's value in sample".
* sMAPE: mean of 2·|y − ŷ| / (|y| + |ŷ|) over intervals (0 where both are 0), in percent.
* coverage80/95: share of actuals inside the 80 % / 95 % intervals.
* staffing error: agents per interval from the forecast volume vs from the actual volume, both by
  Erlang C (``models_ml.wfm.required_agents``) with the same AHT and targets; agent-intervals
  over (forecast staffs more) and under (forecast staffs fewer), summed over all folds.
* relative MAE: the model's MAE / the seasonal-naive forecast's MAE on the same folds (out of
  sample), so the "beats seasonal naive" claim is direct.

``select_model`` runs the backtest and returns the model with the lowest MASE, refitted on the
whole history: the per-series model choice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models_ml.forecast.base import Forecaster, steps_per_day
from models_ml.forecast.baselines import SeasonalNaive
from models_ml.wfm.erlang import required_agents

ModelFactory = Callable[[], Forecaster]


def mase_scale(history: np.ndarray, season: int) -> float:
    """In-sample MAE of the seasonal-naive forecast y_t ≈ y_{t−season} (NaN pairs skipped)."""
    if len(history) <= season:
        raise ValueError("MASE: the training data must be longer than one season")
    diffs = np.abs(history[season:] - history[:-season])
    scale = float(np.nanmean(diffs))
    if not np.isfinite(scale) or scale == 0:
        raise ValueError("MASE: the seasonal-naive in-sample error is zero or undefined")
    return scale


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean of 2·|y − ŷ| / (|y| + |ŷ|), in percent; 0 where both are 0."""
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.where(
        denominator > 0,
        2 * np.abs(actual - forecast) / np.where(denominator > 0, denominator, 1),
        0.0,
    )
    return float(100 * ratio.mean())


@dataclass(frozen=True)
class StaffingTargets:
    """What the staffing error is computed with (Erlang C)."""

    aht_s: float
    answer_within_s: float = 20.0
    service_level: float = 0.8
    max_occupancy: float = 1.0


@dataclass
class ModelScore:
    """One model's backtest over all folds."""

    model: str
    mase: float
    smape: float
    mae: float
    relative_mae: float  # vs seasonal naive on the same folds (out of sample)
    coverage80: float
    coverage95: float
    agent_intervals_over: int | None = None
    agent_intervals_under: int | None = None
    folds: int = 0

    def as_dict(self) -> dict[str, float | int | str | None]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}


@dataclass
class BacktestReport:
    scores: list[ModelScore]
    horizon: int
    origins: list[pd.Timestamp]
    forecasts: dict[str, pd.DataFrame] = field(default_factory=dict)  # model → stacked folds

    @property
    def best(self) -> ModelScore:
        return min(self.scores, key=lambda s: s.mase)

    def score(self, model: str) -> ModelScore:
        return next(s for s in self.scores if s.model == model)

    def as_dict(self) -> dict[str, object]:
        return {
            "horizon_intervals": self.horizon,
            "origins": [o.isoformat() for o in self.origins],
            "best_model": self.best.model,
            "models": [s.as_dict() for s in self.scores],
        }


def rolling_origin_backtest(
    series: pd.Series,
    models: Mapping[str, ModelFactory],
    *,
    folds: int = 7,
    horizon: int | None = None,
    regressors: pd.DataFrame | None = None,
    staffing: StaffingTargets | None = None,
    interval_minutes: float | None = None,
) -> BacktestReport:
    """Backtest ``models`` (name → factory of a fresh forecaster) on ``series``; origins are the
    last ``folds`` midnights that leave ``horizon`` intervals after them (default one day)."""
    index = pd.DatetimeIndex(series.index)
    per_day = steps_per_day(index)
    per_week = 7 * per_day
    horizon = horizon or per_day
    minutes = interval_minutes or 1440 / per_day
    midnights = np.flatnonzero((index.hour == 0) & (index.minute == 0))
    usable = [p for p in midnights if p + horizon <= len(index) and p >= 2 * per_week]
    if len(usable) < folds:
        raise ValueError(
            f"backtest: {folds} folds need {folds} midnights after two weeks of history "
            f"and {horizon} intervals before the end; found {len(usable)}"
        )
    origins = usable[-folds:]
    values = series.to_numpy(np.float64)
    if regressors is not None:
        regressors = regressors.reindex(index)
    candidates = dict(models)
    candidates.setdefault(SeasonalNaive.name, SeasonalNaive)
    errors: dict[str, list[pd.DataFrame]] = {name: [] for name in candidates}
    scales: list[float] = []
    for origin in origins:
        train = series.iloc[:origin]
        actual = values[origin : origin + horizon]
        scales.append(mase_scale(values[:origin], per_week))
        for name, factory in candidates.items():
            model = factory()
            if regressors is not None and model.supports_regressors:
                model.fit(train, regressors.iloc[:origin])
                forecast = model.predict(horizon, regressors.iloc[origin : origin + horizon])
            else:
                model.fit(train)
                forecast = model.predict(horizon)
            forecast = forecast.assign(actual=actual, fold=len(scales) - 1)
            errors[name].append(forecast)
    naive_mae = _mae(pd.concat(errors[SeasonalNaive.name]))
    scores = []
    stacked_all = {}
    for name, parts in errors.items():
        stacked = pd.concat(parts)
        stacked_all[name] = stacked
        absolute = np.abs(stacked["actual"] - stacked["mean"])
        fold_mase = [
            float(absolute[stacked["fold"] == k].mean()) / scales[k] for k in range(len(scales))
        ]
        y = stacked["actual"].to_numpy()
        score = ModelScore(
            model=name,
            mase=float(np.mean(fold_mase)),
            smape=smape(y, stacked["mean"].to_numpy()),
            mae=float(absolute.mean()),
            relative_mae=float(absolute.mean()) / naive_mae if naive_mae > 0 else float("nan"),
            coverage80=float(((y >= stacked["lo80"]) & (y <= stacked["hi80"])).mean()),
            coverage95=float(((y >= stacked["lo95"]) & (y <= stacked["hi95"])).mean()),
            folds=len(origins),
        )
        if staffing is not None:
            over, under = staffing_error(stacked["mean"], stacked["actual"], staffing, minutes)
            score.agent_intervals_over, score.agent_intervals_under = over, under
        scores.append(score)
    return BacktestReport(scores, horizon, [index[o] for o in origins], stacked_all)


def _mae(stacked: pd.DataFrame) -> float:
    return float(np.abs(stacked["actual"] - stacked["mean"]).mean())


def staffing_error(
    forecast_calls: Sequence[float] | pd.Series,
    actual_calls: Sequence[float] | pd.Series,
    targets: StaffingTargets,
    interval_minutes: float,
) -> tuple[int, int]:
    """Agent-intervals over and under: Erlang C agents for the forecast volume minus those the
    actual volume needed, positive part summed (over) and negative part summed (under)."""
    interval_s = interval_minutes * 60.0
    args = (targets.aht_s, interval_s, targets.answer_within_s, targets.service_level)
    planned = required_agents(np.asarray(forecast_calls, np.float64), *args, targets.max_occupancy)
    needed = required_agents(np.asarray(actual_calls, np.float64), *args, targets.max_occupancy)
    gap = planned.agents - needed.agents
    return int(np.maximum(gap, 0).sum()), int(np.maximum(-gap, 0).sum())


def select_model(
    series: pd.Series,
    models: Mapping[str, ModelFactory],
    *,
    folds: int = 3,
    regressors: pd.DataFrame | None = None,
) -> tuple[Forecaster, BacktestReport]:
    """The per-series model choice: the lowest backtest MASE, refitted on the whole series."""
    report = rolling_origin_backtest(series, models, folds=folds, regressors=regressors)
    factories = dict(models)
    factories.setdefault(SeasonalNaive.name, SeasonalNaive)
    chosen = factories[report.best.model]()
    if regressors is not None and chosen.supports_regressors:
        chosen.fit(series, regressors.loc[series.index])
    else:
        chosen.fit(series)
    return chosen, report
