"""Calibration: map any detector's score to a tail probability learnt on the fit data.

``TailCalibrator`` (peaks over threshold with an exponential tail, as in SPOT, Siffer et al.
2017): below the fit scores' 90th percentile u the tail probability is empirical,
``(1 + #{fit >= s}) / (n + 1)``; above it the tail is exponential,
``P(S >= s) = zeta * exp(-(s - u) / beta)``, zeta the share of fit scores above u and beta
fitted to the bulk: ``beta = (u - median) / ln 5`` (an exponential through P(S > median) = 1/2
and P(S > u) = 1/10). Real anomalies in the fit data — even the few dozen high scores around a
level shift — sit above u and barely move it; an estimate from the tail itself (mean or median
excess) is inflated by them and hides the next anomaly. When the bulk is degenerate (median
= u: at least half the scores equal, as in a mostly-constant series), beta is the mean excess
if at least 5 scores exceed u, else tiny (a score never seen in the bulk is surprising: one 5
in a run of zeros). The exponential tail is heavier than a
normal one, so the probabilities are conservative for z-like scores (with normal residuals a
robust z of about 8 is needed for p = 1e-5 / 3); it extends past the largest fit score, which
plain ranks cannot.

Combining k detectors: ``p = min(1, k * min_i p_i)`` (Bonferroni on the smallest), valid however
dependent the detectors are (ours share one decomposition, so Fisher's product would overstate).
The calibrated score is the surprise ``-log10 p``.
"""

from __future__ import annotations

import math
from typing import Self

import numpy as np
import numpy.typing as npt

from models_ml.anomaly.series import FloatArray

TAIL_FRACTION = 0.1
#: With a degenerate bulk, fewer scores above u than this are rare: any excess is surprising.
MIN_EXCESS = 5
#: Smallest tail probability reported (keeps -log10 finite).
MIN_PVALUE = 1e-300


class TailCalibrator:
    """Score → tail probability, learnt from fit scores (see module doc)."""

    def __init__(self, tail_fraction: float = TAIL_FRACTION) -> None:
        self.tail_fraction = tail_fraction
        self.sorted_: FloatArray | None = None
        self.threshold_ = 0.0
        self.zeta_ = 1.0
        self.beta_ = 1.0

    def fit(self, scores: npt.ArrayLike) -> Self:
        array = np.asarray(scores, dtype=np.float64)
        array = np.sort(array[np.isfinite(array)])
        if len(array) == 0:
            raise ValueError("no finite scores to calibrate on")
        n = len(array)
        self.sorted_ = array
        self.threshold_ = float(np.quantile(array, 1 - self.tail_fraction))
        median = float(np.quantile(array, 0.5))
        excess = array[array > self.threshold_] - self.threshold_
        self.zeta_ = max(len(excess), 1) / (n + 1)
        # Exponential through the bulk: P(S > median) = 0.5 and P(S > u) = 0.1 give
        # beta = (u - median) / ln 5. Anomalies (even a level shift's few dozen high scores)
        # sit above u and cannot move it much; the tail itself is left out of the estimate.
        beta = (self.threshold_ - median) / math.log(0.5 / self.tail_fraction)
        if beta <= 0 and len(excess) >= MIN_EXCESS:
            # Degenerate bulk (at least half the scores equal u, e.g. a mostly-zero count
            # series): the many higher scores are routine, use their mean excess.
            beta = float(np.mean(excess))
        scale = float(array[-1] - array[0])
        self.beta_ = beta if beta > 0 else max(1e-12, 1e-9 * scale)
        return self

    def pvalue(self, scores: npt.ArrayLike) -> FloatArray:
        """Tail probability of each score (1 for NaN: no evidence)."""
        if self.sorted_ is None:
            raise RuntimeError("TailCalibrator: call fit() first")
        array = np.asarray(scores, dtype=np.float64)
        n = len(self.sorted_)
        safe = np.nan_to_num(array, nan=-np.inf)
        at_least = n - np.searchsorted(self.sorted_, safe, side="left")
        empirical = (1 + at_least) / (n + 1)
        with np.errstate(over="ignore"):
            tail = self.zeta_ * np.exp(-(safe - self.threshold_) / self.beta_)
        p = np.where(safe > self.threshold_, tail, empirical)
        p = np.where(np.isfinite(array), p, 1.0)
        return np.clip(p, MIN_PVALUE, 1.0)


def combine_pvalues(pvalues: FloatArray) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Rows = detectors, columns = points: ``(min(1, k min p), index of the smallest)``."""
    k = pvalues.shape[0]
    best = np.argmin(pvalues, axis=0)
    combined = np.minimum(1.0, k * pvalues[best, np.arange(pvalues.shape[1])])
    return combined, best


def surprise(pvalues: FloatArray) -> FloatArray:
    """Calibrated score: ``-log10 p`` (4 = a one-in-ten-thousand point)."""
    return -np.log10(np.clip(pvalues, MIN_PVALUE, 1.0))
