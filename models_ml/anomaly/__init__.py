"""Anomaly detection on KPI series: univariate detectors on a regular grid, multivariate pyod
detectors over a KPI frame, calibration, an ensemble, and incident merging (docs/anomalies.md).

Pure maths: imports numpy, pandas, scipy, statsmodels and pyod, no framework.
"""

from models_ml.anomaly.base import DetectionResult, Detector, robust_center_scale
from models_ml.anomaly.calibration import TailCalibrator, combine_pvalues, surprise
from models_ml.anomaly.decomposition import Decomposition, decompose
from models_ml.anomaly.ensemble import Ensemble
from models_ml.anomaly.incidents import Incident, IncidentRules, build_incidents
from models_ml.anomaly.multivariate import (
    EcodDetector,
    Explanation,
    IsolationForestDetector,
    MultivariateResult,
)
from models_ml.anomaly.seasonality import calendar_candidates, infer_periods
from models_ml.anomaly.series import RegularSeries, regularise
from models_ml.anomaly.univariate import IqrFences, LevelShift, RobustSeasonalZ

__all__ = [
    "Decomposition",
    "DetectionResult",
    "Detector",
    "EcodDetector",
    "Ensemble",
    "Explanation",
    "Incident",
    "IncidentRules",
    "IqrFences",
    "IsolationForestDetector",
    "LevelShift",
    "MultivariateResult",
    "RegularSeries",
    "RobustSeasonalZ",
    "TailCalibrator",
    "build_incidents",
    "calendar_candidates",
    "combine_pvalues",
    "decompose",
    "infer_periods",
    "regularise",
    "robust_center_scale",
    "surprise",
]
