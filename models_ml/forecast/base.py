"""The common forecaster interface: ``fit(history) -> self``, ``predict(horizon) -> frame``.

A history is a pandas Series of non-negative values (call volume or AHT) on a regular
DatetimeIndex at 15- or 30-minute grain (any whole number of minutes dividing a day), with no
missing timestamps (``series.interval_series`` builds one from events). Local time is the
caller's choice: pass a tz-aware index in the queue's time zone so that days and weekdays are
the contact center's.

``predict`` returns a DataFrame indexed by the next ``horizon`` timestamps with columns ``mean``,
``lo80``, ``hi80``, ``lo95``, ``hi95`` (central prediction intervals, clipped at 0).

Special days (``special_days``: date → expected volume relative to a normal same weekday, e.g.
0.2 for a public holiday, 1.5 for a sale): their intervals are EXCLUDED from training (treated as
missing, so they neither pull the weekday pattern nor the level), and a special day inside the
horizon is forecast as a normal same weekday scaled by its factor (mean and interval bounds).

Variance: counts are close to Poisson, their spread grows with the level. Models work on a
variance-stabilised scale (``transform="sqrt"``, the default; ``"log"`` for AHT-like positive
series, ``"none"`` to switch it off) where residuals are about homoscedastic, so one residual
distribution gives intervals that are narrow at night and wide at the peak.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
Transform = Literal["sqrt", "log", "none"]
FORECAST_COLUMNS = ("mean", "lo80", "hi80", "lo95", "hi95")
#: Standard normal quantiles of the 80 % and 95 % central intervals.
_Z = {0.8: 1.2815515655446004, 0.95: 1.959963984540054}


@dataclass(frozen=True)
class ForecastArrays:
    """A forecast on the original scale, one value per horizon step."""

    mean: FloatArray
    lo80: FloatArray
    hi80: FloatArray
    lo95: FloatArray
    hi95: FloatArray

    def scaled(self, factor: FloatArray) -> ForecastArrays:
        return ForecastArrays(*(getattr(self, c) * factor for c in FORECAST_COLUMNS))


def forward(values: FloatArray, transform: Transform) -> FloatArray:
    """To the variance-stabilised scale."""
    if transform == "sqrt":
        return np.sqrt(np.maximum(values, 0.0))
    if transform == "log":
        return np.log1p(np.maximum(values, 0.0))
    return np.asarray(values, np.float64)


def backward(values: FloatArray, transform: Transform) -> FloatArray:
    if transform == "sqrt":
        return np.maximum(values, 0.0) ** 2
    if transform == "log":
        return np.expm1(values)
    return np.asarray(values, np.float64)


def from_transformed(
    center: FloatArray,
    bounds: Mapping[float, tuple[FloatArray, FloatArray]],
    variance: FloatArray | float,
    transform: Transform,
) -> ForecastArrays:
    """Back to the original scale. Bounds map through the (monotone) inverse; the mean gets the
    second-order correction (E[Z²] = center² + Var Z for sqrt, exp(σ²/2) for log)."""
    var = np.broadcast_to(np.asarray(variance, np.float64), center.shape)
    if transform == "sqrt":
        mean = np.maximum(center, 0.0) ** 2 + var
    elif transform == "log":
        mean = np.expm1(center + var / 2.0)
    else:
        mean = center.copy()
    lo80, hi80 = (backward(b, transform) for b in bounds[0.8])
    lo95, hi95 = (backward(b, transform) for b in bounds[0.95])
    clip = [np.maximum(v, 0.0) for v in (mean, lo80, hi80, lo95, hi95)]
    return ForecastArrays(*clip)


def empirical_bounds(
    center: FloatArray, residuals: FloatArray
) -> dict[float, tuple[FloatArray, FloatArray]]:
    """Central intervals from the empirical quantiles of past forecast errors (same scale)."""
    r = residuals[np.isfinite(residuals)]
    if r.size < 10:
        raise ValueError("too few residuals for empirical prediction intervals")
    q10, q90, q025, q975 = np.quantile(r, [0.1, 0.9, 0.025, 0.975])
    return {0.8: (center + q10, center + q90), 0.95: (center + q025, center + q975)}


def normal_bounds(
    center: FloatArray, standard_error: FloatArray
) -> dict[float, tuple[FloatArray, FloatArray]]:
    return {
        level: (center - z * standard_error, center + z * standard_error) for level, z in _Z.items()
    }


def steps_per_day(index: pd.DatetimeIndex) -> int:
    """Intervals per day of a regular index (15 min → 96, 30 min → 48)."""
    if len(index) < 2:
        raise ValueError("history: needs at least two timestamps")
    step = index[1:] - index[:-1]
    if (step != step[0]).any():
        raise ValueError("history: timestamps must be regular with no gaps (see interval_series)")
    minutes = step[0] / pd.Timedelta(minutes=1)
    if minutes <= 0 or 1440 % minutes:
        raise ValueError(f"history: a step of {minutes} min does not divide a day")
    return int(1440 // minutes)


class Forecaster(ABC):
    """Base class: validation, special days and the frame; subclasses implement ``_fit`` and
    ``_predict`` on plain arrays (history values with NaN on excluded days)."""

    name: ClassVar[str]
    supports_regressors: ClassVar[bool] = False

    def __init__(
        self,
        *,
        transform: Transform = "sqrt",
        special_days: Mapping[date, float] | None = None,
    ) -> None:
        self.transform: Transform = transform
        self.special_days = dict(special_days or {})
        self._index: pd.DatetimeIndex | None = None
        self.per_day = 0

    @property
    def per_week(self) -> int:
        return 7 * self.per_day

    def fit(self, history: pd.Series, regressors: pd.DataFrame | None = None) -> Self:
        index = pd.DatetimeIndex(history.index)
        self.per_day = steps_per_day(index)
        values = history.to_numpy(np.float64, na_value=np.nan).copy()
        if np.any(values[np.isfinite(values)] < 0):
            raise ValueError("history: values must not be negative")
        values[self._special_mask(index)] = np.nan  # excluded from training
        if np.isfinite(values).sum() < 2 * self.per_day:
            raise ValueError("history: needs at least two days of usable values")
        exog = self._regressor_matrix(regressors, index)
        self._index = index
        self._fit(values, index, exog)
        return self

    def predict(self, horizon: int, regressors: pd.DataFrame | None = None) -> pd.DataFrame:
        if self._index is None:
            raise RuntimeError("fit first")
        if horizon < 1:
            raise ValueError("horizon: must be at least 1")
        step = self._index[1] - self._index[0]
        future = pd.date_range(self._index[-1] + step, periods=horizon, freq=step)
        exog = self._regressor_matrix(regressors, future)
        result = self._predict(horizon, future, exog)
        factor = np.ones(horizon)
        dates = future.date
        for day, scale in self.special_days.items():
            factor[dates == day] = scale
        result = result.scaled(factor)
        return pd.DataFrame({c: getattr(result, c) for c in FORECAST_COLUMNS}, index=future)

    def _special_mask(self, index: pd.DatetimeIndex) -> npt.NDArray[np.bool_]:
        if not self.special_days:
            return np.zeros(len(index), bool)
        return np.isin(index.date, np.array(list(self.special_days), dtype=object))

    def _regressor_matrix(
        self, regressors: pd.DataFrame | None, index: pd.DatetimeIndex
    ) -> FloatArray | None:
        if regressors is None:
            return None
        if not self.supports_regressors:
            raise ValueError(f"{self.name}: does not take regressors")
        frame = regressors.reindex(index)
        if frame.isna().any().any():
            raise ValueError("regressors: must cover every timestamp of the history/horizon")
        return frame.to_numpy(np.float64)

    @abstractmethod
    def _fit(self, values: FloatArray, index: pd.DatetimeIndex, exog: FloatArray | None) -> None:
        """Fit on ``values`` (NaN where excluded)."""

    @abstractmethod
    def _predict(
        self, horizon: int, future: pd.DatetimeIndex, exog: FloatArray | None
    ) -> ForecastArrays:
        """The next ``horizon`` steps on the original scale (before special-day scaling)."""


def fill_gaps(values: FloatArray, season: int) -> FloatArray:
    """Missing values replaced by the mean of the same slot in the other seasons (then by the
    overall mean): for models that cannot skip missing values (ETS, MSTL, LSTM)."""
    out = values.copy()
    missing = ~np.isfinite(out)
    if not missing.any():
        return out
    slots = np.arange(len(out)) % season
    sums = np.bincount(slots[~missing], out[~missing], minlength=season)
    counts = np.bincount(slots[~missing], minlength=season)
    with np.errstate(invalid="ignore", divide="ignore"):
        slot_mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nanmean(out))
    out[missing] = slot_mean[slots[missing]]
    return out
