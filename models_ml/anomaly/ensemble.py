"""Ensemble: robust z, IQR fences and level shift combined on calibrated scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np

from models_ml.anomaly.base import DetectionResult, Detector
from models_ml.anomaly.calibration import TailCalibrator, combine_pvalues, surprise
from models_ml.anomaly.seasonality import infer_periods
from models_ml.anomaly.series import RegularSeries
from models_ml.anomaly.univariate import IqrFences, LevelShift, RobustSeasonalZ

#: A point is anomalous when its combined tail probability is below this.
DEFAULT_ALPHA = 1e-5


class Ensemble:
    """Fit every member, calibrate each member's scores on the fit series (TailCalibrator),
    combine per point with Bonferroni on the smallest tail probability. Score = ``-log10 p``;
    anomaly when ``p < alpha``; expected value and interval come from the member that decided
    the point (``drivers``).

    Without ``members`` the defaults (robust z, IQR fences, level shift) share the seasonal
    periods inferred once in ``fit``.
    """

    name = "ensemble"

    def __init__(
        self,
        members: Sequence[Detector] | None = None,
        alpha: float = DEFAULT_ALPHA,
        periods: tuple[int, ...] | None = None,
    ) -> None:
        self.members = list(members) if members is not None else None
        self.alpha = alpha
        self.periods = periods
        self.members_: list[Detector] = []
        self.calibrators_: list[TailCalibrator] = []

    def fit(self, series: RegularSeries) -> Self:
        if self.members is None:
            periods = infer_periods(series) if self.periods is None else self.periods
            self.members_ = [
                RobustSeasonalZ(periods=periods),
                IqrFences(periods=periods),
                LevelShift(periods=periods),
            ]
        else:
            self.members_ = list(self.members)
        self.calibrators_ = []
        for member in self.members_:
            member.fit(series)
            self.calibrators_.append(TailCalibrator().fit(member.score(series).scores))
        return self

    def score(self, series: RegularSeries) -> DetectionResult:
        if not self.members_:
            raise RuntimeError("ensemble: call fit() before score()")
        results = [member.score(series) for member in self.members_]
        pvalues = np.vstack(
            [c.pvalue(r.scores) for c, r in zip(self.calibrators_, results, strict=True)]
        )
        combined, best = combine_pvalues(pvalues)
        columns = np.arange(len(series))
        names = np.array([r.method for r in results])

        def pick(attribute: str) -> np.ndarray:
            stacked = np.vstack([getattr(r, attribute) for r in results])
            return stacked[best, columns]

        return DetectionResult(
            self.name,
            series.timestamps,
            series.values,
            surprise(combined),
            (combined < self.alpha) & series.observed,
            pick("expected"),
            pick("lower"),
            pick("upper"),
            pvalues=combined,
            drivers=names[best],
            periods=results[0].periods,
        )
