"""What every univariate detector returns, the protocol it follows, and robust statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt

from models_ml.anomaly.series import FloatArray, RegularSeries, TimeArray

#: Normal-consistency factor of the median absolute deviation.
MAD_TO_SIGMA = 1.4826
#: Normal-consistency factor of the mean absolute deviation (sqrt(pi / 2)).
MEAN_AD_TO_SIGMA = 1.2533


@dataclass(frozen=True)
class DetectionResult:
    """Per grid point: score (higher = more anomalous, NaN where unknown), verdict, and the
    expected value with its interval (the band outside which the detector flags a point)."""

    method: str
    timestamps: TimeArray
    values: FloatArray
    scores: FloatArray
    is_anomaly: npt.NDArray[np.bool_]
    expected: FloatArray
    lower: FloatArray
    upper: FloatArray
    #: Ensemble only: combined tail probability per point.
    pvalues: FloatArray | None = None
    #: Ensemble only: the member whose calibrated score decided each point.
    drivers: npt.NDArray[np.str_] | None = None
    #: Seasonal periods (grid steps) the detector used.
    periods: tuple[int, ...] = field(default=())

    def anomaly_indices(self) -> npt.NDArray[np.intp]:
        return np.flatnonzero(self.is_anomaly)


@runtime_checkable
class Detector(Protocol):
    """A univariate detector: learn what normal looks like, then score a series."""

    name: str

    def fit(self, series: RegularSeries) -> Self: ...

    def score(self, series: RegularSeries) -> DetectionResult: ...


def robust_center_scale(values: npt.ArrayLike) -> tuple[float, float]:
    """Median and a robust standard deviation (1.4826 MAD; the mean absolute deviation when
    more than half the values are equal; a tiny positive number for a constant series)."""
    array = np.asarray(values, dtype=np.float64)
    array = array[np.isfinite(array)]
    if len(array) == 0:
        return 0.0, 1.0
    center = float(np.median(array))
    deviation = np.abs(array - center)
    scale = MAD_TO_SIGMA * float(np.median(deviation))
    if scale <= 0:
        scale = MEAN_AD_TO_SIGMA * float(deviation.mean())
    if scale <= 0:
        scale = 1e-9 * max(1.0, abs(center))
    return center, scale
