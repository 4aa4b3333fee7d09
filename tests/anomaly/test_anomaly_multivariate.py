"""Multivariate pyod detectors over a KPI frame: which KPI moved, by how much."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models_ml.anomaly import EcodDetector, IsolationForestDetector


def kpi_frame(seed: int) -> pd.DataFrame:
    """500 hourly rows of three independent KPIs; row 100: ASR falls from 0.55 to 0.25
    (15 sd of 0.02); row 300: ACD jumps from 180 s to 420 s (16 sd of 15 s)."""
    rng = np.random.default_rng(seed)
    n = 500
    frame = pd.DataFrame(
        {
            "calls": rng.normal(200, 10, n),
            "asr": rng.normal(0.55, 0.02, n),
            "acd_s": rng.normal(180, 15, n),
        },
        index=pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC"),
    )
    frame.iloc[100, frame.columns.get_loc("asr")] = 0.25
    frame.iloc[300, frame.columns.get_loc("acd_s")] = 420.0
    return frame


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("detector_class", [IsolationForestDetector, EcodDetector])
def test_explanations_name_the_kpi_that_moved(seed: int, detector_class: type) -> None:
    frame = kpi_frame(seed)
    result = detector_class().fit(frame).score(frame)
    asr, acd = result.explanations[100], result.explanations[300]
    assert asr.dimension == "asr"
    assert acd.dimension == "acd_s"
    # Expected = the KPI's median (0.55 and 180 up to sampling error); deviation = the move.
    assert asr.expected == pytest.approx(0.55, abs=0.005)
    assert asr.deviation == pytest.approx(0.25 - asr.expected)
    assert asr.robust_z < -10
    assert asr.value < asr.lower < asr.expected < asr.upper
    assert acd.expected == pytest.approx(180, abs=4)
    assert acd.deviation == pytest.approx(240, abs=5)
    assert acd.robust_z > 10
    assert acd.value > acd.upper
    assert list(result.robust_z.columns) == ["calls", "asr", "acd_s"]


@pytest.mark.parametrize("seed", range(3))
def test_isolation_forest_flags_both_injected_rows(seed: int) -> None:
    frame = kpi_frame(seed)
    result = IsolationForestDetector().fit(frame).score(frame)
    assert result.is_anomaly[100]
    assert result.is_anomaly[300]
    # Contamination 1%: five of the 500 fit rows are flagged by construction.
    assert result.is_anomaly.sum() == 5
    assert result.scores[100] > np.median(result.scores)


def test_missing_values_and_missing_columns() -> None:
    frame = kpi_frame(0)
    frame.iloc[5, 0] = np.nan
    detector = EcodDetector().fit(frame)
    assert np.isfinite(detector.score(frame).raw_scores).all()
    with pytest.raises(ValueError, match="lacks"):
        detector.score(frame.drop(columns="asr"))
