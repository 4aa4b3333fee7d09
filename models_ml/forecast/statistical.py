"""statsmodels forecasters: ETS with a seasonal period, and MSTL (daily + weekly) + AR.

Both fit on the variance-stabilised scale with excluded (special) days filled by the mean of the
same interval in other weeks, and give their own (Gaussian) prediction intervals on that scale.

* ``EtsForecaster``: ETS(A, N, A) (additive error and season, no trend: one-day horizons do not
  need one) with ``season`` intervals per season (default one week), heuristic initial states so
  that only the smoothing parameters are optimised (fitting stays well under a second).
* ``MstlArForecaster``: MSTL with periods one day and one week splits seasonal components off;
  the seasonally adjusted rest (trend + remainder) gets an AR(p) with a constant, fitted by OLS
  (statsmodels ``AutoReg``; an ARIMA(p, 0, 0): the MLE ARIMA of ``SARIMAX`` took seconds per fit
  here for no better one-day forecasts), with optional regressors (known drivers such as
  scheduled outbound campaigns or message sends per interval) in the AR regression. Seasonal
  components are carried forward from their last cycle. Seasonal smoothing windows default to 51
  cycles (near-periodic components): with a few weeks of history, STL's default short windows let
  the weekly component absorb noise, which is then carried forward as if it were signal.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from models_ml.forecast.base import (
    FloatArray,
    ForecastArrays,
    Forecaster,
    Transform,
    fill_gaps,
    forward,
    from_transformed,
    normal_bounds,
)


class EtsForecaster(Forecaster):
    name = "ets"

    def __init__(
        self,
        season: int | None = None,
        *,
        transform: Transform = "sqrt",
        special_days: Mapping[date, float] | None = None,
    ) -> None:
        super().__init__(transform=transform, special_days=special_days)
        self.season = season

    def _fit(self, values: FloatArray, index: pd.DatetimeIndex, exog: FloatArray | None) -> None:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        period = self.season or self.per_week
        z = fill_gaps(forward(values, self.transform), period)
        if len(z) < 2 * period:
            raise ValueError(f"{self.name}: needs two seasons ({2 * period} intervals) of history")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter from the optimiser
            model = ETSModel(
                pd.Series(z),
                error="add",
                trend=None,
                seasonal="add",
                seasonal_periods=period,
                initialization_method="heuristic",
            )
            self._result = model.fit(disp=False)
        self._n = len(z)

    def _predict(
        self, horizon: int, future: pd.DatetimeIndex, exog: FloatArray | None
    ) -> ForecastArrays:
        frame = self._result.get_prediction(self._n, self._n + horizon - 1).summary_frame()
        center = frame["mean"].to_numpy(np.float64)
        # Var of an h-step ETS(A,N,A) forecast, from the 95 % half-width the model reports.
        se = (frame["pi_upper"].to_numpy(np.float64) - center) / 1.959963984540054
        return from_transformed(center, normal_bounds(center, se), se**2, self.transform)


class MstlArForecaster(Forecaster):
    name = "mstl_ar"
    supports_regressors = True

    def __init__(
        self,
        lags: int = 2,
        *,
        iterate: int = 1,
        seasonal_windows: tuple[int, int] = (51, 51),
        transform: Transform = "sqrt",
        special_days: Mapping[date, float] | None = None,
    ) -> None:
        super().__init__(transform=transform, special_days=special_days)
        self.lags = lags
        self.iterate = iterate
        self.seasonal_windows = seasonal_windows

    def _fit(self, values: FloatArray, index: pd.DatetimeIndex, exog: FloatArray | None) -> None:
        from statsmodels.tsa.ar_model import AutoReg
        from statsmodels.tsa.seasonal import MSTL

        z = fill_gaps(forward(values, self.transform), self.per_week)
        if len(z) < 2 * self.per_week:
            raise ValueError(f"{self.name}: needs two weeks of history")
        decomposition = MSTL(
            z,
            periods=(self.per_day, self.per_week),
            windows=self.seasonal_windows,
            iterate=self.iterate,
        ).fit()
        seasonal = np.asarray(decomposition.seasonal, np.float64).reshape(len(z), -1)
        self._daily_cycle = seasonal[-self.per_day :, 0]
        self._weekly_cycle = seasonal[-self.per_week :, 1]
        adjusted = z - seasonal.sum(axis=1)
        self._ar = AutoReg(adjusted, lags=self.lags, trend="c", exog=exog).fit()
        self._n = len(z)

    def _predict(
        self, horizon: int, future: pd.DatetimeIndex, exog: FloatArray | None
    ) -> ForecastArrays:
        if (exog is None) != (self._ar.model.exog is None):
            raise ValueError(
                f"{self.name}: pass regressors to predict exactly when fitted with them"
            )
        prediction = self._ar.get_prediction(self._n, self._n + horizon - 1, exog_oos=exog)
        adjusted = np.asarray(prediction.predicted_mean, np.float64)
        se = np.sqrt(np.asarray(prediction.var_pred_mean, np.float64))
        steps = np.arange(horizon)
        center = (
            adjusted
            + self._daily_cycle[steps % self.per_day]
            + self._weekly_cycle[steps % self.per_week]
        )
        return from_transformed(center, normal_bounds(center, se), se**2, self.transform)
