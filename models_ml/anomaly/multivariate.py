"""Multivariate detectors over a tenant's KPI vector (pyod IsolationForest and ECOD), with an
explanation per point: which KPI moved, by how much, against its expected value and interval.

Each KPI column is robust-standardised with its fit median and 1.4826 MAD (missing → the
median), so no KPI dominates by its unit. The pyod model is fitted on the standardised fit rows;
a row is anomalous when its decision score exceeds pyod's threshold, the ``1 - contamination``
quantile of the fit rows' scores (default contamination 1%: the detector ranks, it does not
know how many rows are bad). The scores are also calibrated with :class:`TailCalibrator` on
the fit rows (``scores`` = ``-log10`` tail probability) to compare and combine with others;
both pyod scores saturate (an isolation depth, an empirical CDF), so a calibrated multivariate
score rarely exceeds ``log10(n)``. Explanation: the column with the largest
per-dimension robust z ``(value - median) / scale``; expected = the fit median, interval =
median ± ``interval_z`` scale. Frames with strong seasonality should be passed as seasonal
residuals (e.g. each KPI's :func:`decompose` residual) so that "expected" means "for this time".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from pyod.models.ecod import ECOD
from pyod.models.iforest import IForest

from models_ml.anomaly.base import robust_center_scale
from models_ml.anomaly.calibration import TailCalibrator, surprise
from models_ml.anomaly.series import FloatArray

DEFAULT_CONTAMINATION = 0.01


@dataclass(frozen=True)
class Explanation:
    """The dimension that moved most at one point."""

    dimension: str
    value: float
    expected: float
    lower: float
    upper: float
    #: value - expected, in the KPI's unit.
    deviation: float
    #: deviation / robust scale (signed).
    robust_z: float


@dataclass(frozen=True)
class MultivariateResult:
    method: str
    index: pd.Index
    #: Raw pyod decision scores (higher = more anomalous).
    raw_scores: FloatArray
    #: Calibrated: -log10 tail probability.
    scores: FloatArray
    pvalues: FloatArray
    is_anomaly: npt.NDArray[np.bool_]
    explanations: list[Explanation]
    #: Per-dimension robust z of every point (rows × columns).
    robust_z: pd.DataFrame


class PyodDetector:
    """A pyod model over the standardised KPI frame (see module doc)."""

    name = "pyod"

    def __init__(
        self, contamination: float = DEFAULT_CONTAMINATION, interval_z: float = 3.0
    ) -> None:
        self.contamination = contamination
        self.interval_z = interval_z
        self.columns_: list[str] = []
        self.center_: FloatArray = np.zeros(0)
        self.scale_: FloatArray = np.ones(0)
        self.model_: Any = None
        self.calibrator_ = TailCalibrator()

    def _model(self) -> Any:
        raise NotImplementedError

    def _standardise(self, frame: pd.DataFrame) -> FloatArray:
        missing = [c for c in self.columns_ if c not in frame.columns]
        if missing:
            raise ValueError(f"frame lacks the fitted columns {missing}")
        values = frame[self.columns_].to_numpy(dtype=np.float64)
        z = (values - self.center_) / self.scale_
        return np.where(np.isfinite(z), z, 0.0)

    def fit(self, frame: pd.DataFrame) -> Self:
        numeric = frame.select_dtypes("number")
        if numeric.shape[1] == 0 or len(numeric) < 10:
            raise ValueError("need at least one numeric column and 10 rows")
        self.columns_ = [str(c) for c in numeric.columns]
        stats = [robust_center_scale(numeric[c].to_numpy(dtype=np.float64)) for c in numeric]
        self.center_ = np.array([s[0] for s in stats])
        self.scale_ = np.array([s[1] for s in stats])
        standardised = self._standardise(numeric)
        self.model_ = self._model().fit(standardised)
        self.calibrator_ = TailCalibrator().fit(self.model_.decision_function(standardised))
        return self

    def score(self, frame: pd.DataFrame) -> MultivariateResult:
        if self.model_ is None:
            raise RuntimeError(f"{self.name}: call fit() before score()")
        standardised = self._standardise(frame)
        raw = np.asarray(self.model_.decision_function(standardised), dtype=np.float64)
        pvalues = self.calibrator_.pvalue(raw)
        values = frame[self.columns_].to_numpy(dtype=np.float64)
        robust_z = (values - self.center_) / self.scale_
        top = np.argmax(np.abs(np.nan_to_num(robust_z)), axis=1)
        explanations = []
        for row, column in enumerate(top):
            expected = float(self.center_[column])
            band = self.interval_z * float(self.scale_[column])
            value = float(values[row, column])
            explanations.append(
                Explanation(
                    self.columns_[column],
                    value,
                    expected,
                    expected - band,
                    expected + band,
                    value - expected,
                    float(robust_z[row, column]),
                )
            )
        return MultivariateResult(
            self.name,
            frame.index,
            raw,
            surprise(pvalues),
            pvalues,
            raw > float(self.model_.threshold_),
            explanations,
            pd.DataFrame(robust_z, index=frame.index, columns=self.columns_),
        )


class IsolationForestDetector(PyodDetector):
    """pyod ``IForest`` (isolation forest; seeded for repeatable scores)."""

    name = "isolation_forest"

    def __init__(
        self,
        contamination: float = DEFAULT_CONTAMINATION,
        interval_z: float = 3.0,
        n_estimators: int = 200,
        random_state: int = 0,
    ) -> None:
        super().__init__(contamination, interval_z)
        self.n_estimators = n_estimators
        self.random_state = random_state

    def _model(self) -> Any:
        return IForest(
            n_estimators=self.n_estimators,
            contamination=self.contamination,
            random_state=self.random_state,
        )


class EcodDetector(PyodDetector):
    """pyod ``ECOD`` (empirical-CDF outlier detection; no parameters to tune)."""

    name = "ecod"

    def _model(self) -> Any:
        return ECOD(contamination=self.contamination)
