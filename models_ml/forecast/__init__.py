"""Interval forecasts of call volume and AHT: baselines, statsmodels models, an optional LSTM,
prediction intervals, special days, regressors and the rolling-origin backtest (docs/wfm.md)."""

from models_ml.forecast.backtest import (
    BacktestReport,
    ModelScore,
    StaffingTargets,
    mase_scale,
    rolling_origin_backtest,
    select_model,
    smape,
    staffing_error,
)
from models_ml.forecast.base import FORECAST_COLUMNS, Forecaster
from models_ml.forecast.baselines import IntradayProfile, SeasonalNaive, WeeklyAverage
from models_ml.forecast.lstm import LstmForecaster
from models_ml.forecast.series import interval_series
from models_ml.forecast.statistical import EtsForecaster, MstlArForecaster, MstlArimaForecaster

__all__ = [
    "FORECAST_COLUMNS",
    "BacktestReport",
    "EtsForecaster",
    "Forecaster",
    "IntradayProfile",
    "LstmForecaster",
    "ModelScore",
    "MstlArForecaster",
    "MstlArimaForecaster",
    "SeasonalNaive",
    "StaffingTargets",
    "WeeklyAverage",
    "interval_series",
    "mase_scale",
    "rolling_origin_backtest",
    "select_model",
    "smape",
    "staffing_error",
]
