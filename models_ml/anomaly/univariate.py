"""Univariate detectors on a regular series: robust z on seasonal residuals, IQR fences on the
same residuals, and a level-shift (two-window median) test.

Each ``fit`` infers the seasonal periods (unless given), decomposes the fit series and learns the
residual scale; ``score`` decomposes the scored series with the fitted periods and applies the
fitted scale. Scoring the fit series itself is the usual in-sample use.
"""

from __future__ import annotations

import math
from typing import Self

import numpy as np
import pandas as pd

from models_ml.anomaly.base import MEAN_AD_TO_SIGMA, DetectionResult, robust_center_scale
from models_ml.anomaly.decomposition import decompose
from models_ml.anomaly.seasonality import infer_periods
from models_ml.anomaly.series import FloatArray, RegularSeries


def _not_fitted(name: str) -> RuntimeError:
    return RuntimeError(f"{name}: call fit() before score()")


class RobustSeasonalZ:
    """|residual - median| / (1.4826 MAD) of the STL/MSTL residuals; anomaly at ``threshold``."""

    name = "robust_z"

    def __init__(self, threshold: float = 4.0, periods: tuple[int, ...] | None = None) -> None:
        self.threshold = threshold
        self.periods = periods
        self.periods_: tuple[int, ...] | None = None
        self.center_ = 0.0
        self.scale_ = 1.0

    def fit(self, series: RegularSeries) -> Self:
        periods = infer_periods(series) if self.periods is None else self.periods
        decomposition = decompose(series.values, periods)
        self.periods_ = decomposition.periods
        self.center_, self.scale_ = robust_center_scale(decomposition.resid)
        return self

    def score(self, series: RegularSeries) -> DetectionResult:
        if self.periods_ is None:
            raise _not_fitted(self.name)
        decomposition = decompose(series.values, self.periods_)
        scores = np.abs(decomposition.resid - self.center_) / self.scale_
        expected = decomposition.fitted + self.center_
        band = self.threshold * self.scale_
        return DetectionResult(
            self.name,
            series.timestamps,
            series.values,
            scores,
            np.nan_to_num(scores) >= self.threshold,
            expected,
            expected - band,
            expected + band,
            periods=decomposition.periods,
        )


class IqrFences:
    """Tukey fences on the seasonal residuals: Q1 - k IQR and Q3 + k IQR of the fit residuals.
    Score: distance beyond the box (Q1..Q3) in IQRs, 0 inside; anomaly beyond a fence (> k).
    ``k = 3`` is Tukey's "far out"."""

    name = "iqr"

    def __init__(self, k: float = 3.0, periods: tuple[int, ...] | None = None) -> None:
        self.k = k
        self.periods = periods
        self.periods_: tuple[int, ...] | None = None
        self.q1_ = self.median_ = self.q3_ = 0.0
        self.iqr_ = 1.0

    def fit(self, series: RegularSeries) -> Self:
        periods = infer_periods(series) if self.periods is None else self.periods
        decomposition = decompose(series.values, periods)
        self.periods_ = decomposition.periods
        resid = decomposition.resid[np.isfinite(decomposition.resid)]
        self.q1_, self.median_, self.q3_ = (float(q) for q in np.quantile(resid, [0.25, 0.5, 0.75]))
        self.iqr_ = self.q3_ - self.q1_
        if self.iqr_ <= 0:  # more than half the residuals equal: a normal-equivalent IQR
            self.iqr_ = 1.349 * robust_center_scale(resid)[1]
        return self

    def score(self, series: RegularSeries) -> DetectionResult:
        if self.periods_ is None:
            raise _not_fitted(self.name)
        decomposition = decompose(series.values, self.periods_)
        resid = decomposition.resid
        beyond = np.maximum(np.maximum(self.q1_ - resid, resid - self.q3_), 0.0)
        scores = np.where(np.isfinite(resid), beyond / self.iqr_, np.nan)
        fitted = decomposition.fitted
        return DetectionResult(
            self.name,
            series.timestamps,
            series.values,
            scores,
            np.nan_to_num(scores) > self.k,
            fitted + self.median_,
            fitted + self.q1_ - self.k * self.iqr_,
            fitted + self.q3_ + self.k * self.iqr_,
            periods=decomposition.periods,
        )


class LevelShift:
    """Two-window median test on the deseasonalised series ``y = value - seasonal``.

    At each point t: ``d = median(y[t : t+w]) - median(y[t-w : t])``; score
    ``z = |d| / spread`` with spread the robust standard deviation (1.4826 MAD) of d over the fit
    series — a few shifts barely move a MAD, and it absorbs whatever structure the
    decomposition left — but never below the white-noise value ``1.2533 sigma sqrt(2 / w)``
    (sigma = 1.4826 MAD of y's first differences / sqrt(2); the median of w normal points has
    standard deviation about 1.2533 sigma / sqrt(w)). Each run of points with
    ``z >= threshold`` is one shift: its anomaly is the run's peak (the first point of the new
    level). Expected = seasonal + the median before. The window is the shortest seasonal period,
    else n/10, clamped to 5..n/4.
    """

    name = "level_shift"

    def __init__(
        self,
        threshold: float = 5.0,
        window: int | None = None,
        periods: tuple[int, ...] | None = None,
    ) -> None:
        self.threshold = threshold
        self.window = window
        self.periods = periods
        self.periods_: tuple[int, ...] | None = None
        self.window_ = 5
        self.spread_ = 1.0

    def fit(self, series: RegularSeries) -> Self:
        periods = infer_periods(series) if self.periods is None else self.periods
        decomposition = decompose(series.values, periods)
        self.periods_ = decomposition.periods
        n = len(series)
        window = self.window or (min(self.periods_) if self.periods_ else n // 10)
        self.window_ = int(max(5, min(window, max(5, n // 4))))
        deseasonalised = series.values - decomposition.seasonal
        finite = deseasonalised[np.isfinite(deseasonalised)]
        sigma = robust_center_scale(np.diff(finite))[1] / math.sqrt(2)
        theoretical = MEAN_AD_TO_SIGMA * sigma * math.sqrt(2 / self.window_)
        differences = self._differences(series.values, decomposition.seasonal)[0]
        self.spread_ = max(robust_center_scale(differences)[1], theoretical)
        return self

    def _differences(
        self, values: FloatArray, seasonal: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """``(median after - median before, median before)`` at each point."""
        y = pd.Series(values - seasonal)
        w = self.window_
        least = max(2, w // 2)
        before = y.rolling(w, min_periods=least).median().shift(1).to_numpy(dtype=np.float64)
        after = y[::-1].rolling(w, min_periods=least).median()[::-1].to_numpy(dtype=np.float64)
        return after - before, before

    def score(self, series: RegularSeries) -> DetectionResult:
        if self.periods_ is None:
            raise _not_fitted(self.name)
        decomposition = decompose(series.values, self.periods_)
        differences, before = self._differences(series.values, decomposition.seasonal)
        scores = np.abs(differences) / self.spread_
        is_anomaly = _run_peaks(scores, self.threshold, np.isfinite(series.values))
        level = np.where(np.isfinite(before), before, series.values - decomposition.seasonal)
        expected = decomposition.seasonal + level
        band = self.threshold * self.spread_
        return DetectionResult(
            self.name,
            series.timestamps,
            series.values,
            scores,
            is_anomaly,
            expected,
            expected - band,
            expected + band,
            periods=decomposition.periods,
        )


def _run_peaks(scores: FloatArray, threshold: float, observed: np.ndarray) -> np.ndarray:
    """True at the highest observed point of each run of ``scores >= threshold``."""
    above = np.nan_to_num(scores) >= threshold
    flags = np.zeros(len(scores), dtype=bool)
    start = None
    for i in range(len(scores) + 1):
        if i < len(scores) and above[i]:
            if start is None:
                start = i
            continue
        if start is not None:
            run = np.arange(start, i)
            candidates = run[observed[run]]
            if len(candidates):
                flags[candidates[np.argmax(scores[candidates])]] = True
            start = None
    return flags
