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
* ``MstlArimaForecaster`` (``mstl_arima``): the same MSTL, then an ARIMA(p, d, q) (default
  (2, 0, 1)) by exact MLE (statsmodels ``ARIMA``) on the adjusted rest, fitted once per series.
  An option, not the pipeline default: on 6 weeks of 30-minute data the ARIMA fit alone takes
  a few times the whole AR(2) path (docs/wfm.md, "MSTL + ARIMA"); select it per series with
  ``irisx wfm backtest --models ...,mstl_arima``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from datetime import date
from typing import Any

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

        adjusted = self._seasonally_adjusted(values)
        self._ar = AutoReg(adjusted, lags=self.lags, trend="c", exog=exog).fit()
        self._n = len(adjusted)

    def _seasonally_adjusted(self, values: FloatArray) -> FloatArray:
        """MSTL on the transformed history: keeps the last daily and weekly cycles to carry
        forward and returns the seasonally adjusted rest (trend + remainder)."""
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
        return np.asarray(z - seasonal.sum(axis=1), np.float64)

    def _with_seasons(
        self, adjusted: FloatArray, variance: FloatArray, horizon: int
    ) -> ForecastArrays:
        """The adjusted forecast plus the carried-forward cycles, back on the original scale."""
        steps = np.arange(horizon)
        center = (
            adjusted
            + self._daily_cycle[steps % self.per_day]
            + self._weekly_cycle[steps % self.per_week]
        )
        se = np.sqrt(variance)
        return from_transformed(center, normal_bounds(center, se), variance, self.transform)

    def _predict(
        self, horizon: int, future: pd.DatetimeIndex, exog: FloatArray | None
    ) -> ForecastArrays:
        if (exog is None) != (self._ar.model.exog is None):
            raise ValueError(
                f"{self.name}: pass regressors to predict exactly when fitted with them"
            )
        prediction = self._ar.get_prediction(self._n, self._n + horizon - 1, exog_oos=exog)
        adjusted = np.asarray(prediction.predicted_mean, np.float64)
        return self._with_seasons(
            adjusted, np.asarray(prediction.var_pred_mean, np.float64), horizon
        )


class MstlArimaForecaster(MstlArForecaster):
    """MSTL as ``MstlArForecaster``, then an ARIMA(p, d, q) with a constant (statsmodels
    ``ARIMA``, exact MLE through the state-space form, fitted once per series) on the seasonally
    adjusted rest, regressors as ARIMA exogenous variables. The MA terms capture short-lived
    shocks an AR(2) can only approximate; the price is fit time (docs/wfm.md: measured)."""

    name = "mstl_arima"

    def __init__(
        self,
        order: tuple[int, int, int] = (2, 0, 1),
        *,
        iterate: int = 1,
        seasonal_windows: tuple[int, int] = (51, 51),
        transform: Transform = "sqrt",
        special_days: Mapping[date, float] | None = None,
    ) -> None:
        super().__init__(
            order[0],
            iterate=iterate,
            seasonal_windows=seasonal_windows,
            transform=transform,
            special_days=special_days,
        )
        self.order = order

    def _fit(self, values: FloatArray, index: pd.DatetimeIndex, exog: FloatArray | None) -> None:
        from statsmodels.tsa.arima.model import ARIMA

        adjusted = self._seasonally_adjusted(values)
        # ARIMA's constant only exists without differencing; with d > 0 the drift is "t".
        trend = "c" if self.order[1] == 0 else "t"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optimiser convergence chatter
            self._arima = ARIMA(adjusted, exog=exog, order=self.order, trend=trend).fit()
        self._fitted_with_exog = exog is not None

    @property
    def remainder_fit(self) -> Any:
        """The fitted statsmodels ``ARIMAResults`` of the adjusted series (params, resid)."""
        return self._arima

    def _predict(
        self, horizon: int, future: pd.DatetimeIndex, exog: FloatArray | None
    ) -> ForecastArrays:
        if (exog is None) == self._fitted_with_exog:
            raise ValueError(
                f"{self.name}: pass regressors to predict exactly when fitted with them"
            )
        prediction = self._arima.get_forecast(horizon, exog=exog)
        adjusted = np.asarray(prediction.predicted_mean, np.float64)
        return self._with_seasons(
            adjusted, np.asarray(prediction.var_pred_mean, np.float64), horizon
        )
