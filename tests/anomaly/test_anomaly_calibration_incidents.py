"""Calibration and incident rules, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models_ml.anomaly import IncidentRules, TailCalibrator, build_incidents, combine_pvalues
from models_ml.anomaly.calibration import surprise
from models_ml.anomaly.incidents import severity_of


def test_tail_calibrator_by_hand() -> None:
    """Fit scores 1..10 (n = 10): median 5.5; u = 90th percentile = 9 + 0.1 * (10 - 9) = 9.1;
    beta = (9.1 - 5.5) / ln 5 = 2.23682; one score above u, zeta = 1 / 11.
    p(5)  = (1 + #{>= 5} = 6) / 11 = 7/11 (empirical);
    p(9.1) = (1 + 1) / 11 = 2/11;
    p(12) = (1/11) exp(-(12 - 9.1) / 2.23682) = 0.0909091 * exp(-1.29649)
          = 0.0909091 * 0.273490 = 0.0248627."""
    calibrator = TailCalibrator().fit(np.arange(1.0, 11.0))
    assert calibrator.threshold_ == pytest.approx(9.1)
    assert calibrator.beta_ == pytest.approx(3.6 / math.log(5))
    p = calibrator.pvalue([5.0, 9.1, 12.0, np.nan, 0.0])
    assert p[0] == pytest.approx(7 / 11)
    assert p[1] == pytest.approx(2 / 11)
    assert p[2] == pytest.approx(0.0248627, rel=1e-5)
    assert p[3] == 1.0  # missing: no evidence
    assert p[4] == 1.0  # below every fit score: (1 + 10) / 11


def test_tail_probability_is_monotone_and_unbounded_below() -> None:
    rng = np.random.default_rng(0)
    calibrator = TailCalibrator().fit(np.abs(rng.normal(size=1000)))
    grid = np.linspace(0, 50, 501)
    p = calibrator.pvalue(grid)
    assert np.all(np.diff(p) <= 0)
    assert p[-1] < 1e-20  # far past the largest fit score, unlike ranks (>= 1/1001)


def test_combine_is_bonferroni_on_the_smallest() -> None:
    # Columns: min 0.002 (detector 1) * 3 = 0.006; min 0.4 (detector 2) * 3 = 1.2 -> 1.
    combined, best = combine_pvalues(np.array([[0.01, 0.5], [0.002, 0.9], [0.3, 0.4]]))
    np.testing.assert_allclose(combined, [0.006, 1.0])
    assert list(best) == [1, 2]
    assert surprise(np.array([1e-5]))[0] == pytest.approx(5.0)


def grid(n: int) -> np.ndarray:
    return np.datetime64("2024-01-01T00", "ns") + np.timedelta64(1, "h") * np.arange(n)


def flags(n: int, points: list[int]) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[points] = True
    return out


def test_merging_gap_tolerance_and_cooldown() -> None:
    """Flagged 2, 3, 5 (one normal point inside: gap <= 2) -> incident A = 2..5; 10 (four
    normal points after 5) -> B; 20, 21 -> C. Cooldown 6: B starts 5 after A ends -> no new
    alert (minor after major); C starts 10 after B ends -> alerts."""
    n = 30
    scores = np.zeros(n)
    scores[[2, 3, 5]] = [6.0, 9.0, 5.5]  # peak 9 at 03:00: major
    scores[10] = 6.0  # minor
    scores[[20, 21]] = [5.0, 16.0]  # critical
    incidents = build_incidents(grid(n), flags(n, [2, 3, 5, 10, 20, 21]), scores, IncidentRules())
    summary = [
        (i.start_index, i.end_index, i.peak_index, i.points, i.severity, i.alert) for i in incidents
    ]
    assert summary == [
        (2, 5, 3, 3, "major", True),
        (10, 10, 10, 1, "minor", False),
        (20, 21, 21, 2, "critical", True),
    ]
    assert incidents[0].start == np.datetime64("2024-01-01T02", "ns")
    assert incidents[0].end == np.datetime64("2024-01-01T05", "ns")
    assert incidents[0].score == 9.0


def test_escalation_inside_cooldown_alerts_again() -> None:
    n = 20
    scores = np.zeros(n)
    scores[2] = 6.0  # minor, alerts
    scores[6] = 9.0  # major, 4 steps later: inside cooldown but more severe -> alerts
    scores[9] = 8.5  # major again, inside cooldown, not more severe -> silent
    incidents = build_incidents(grid(n), flags(n, [2, 6, 9]), scores, IncidentRules(0, 6))
    assert [i.alert for i in incidents] == [True, True, False]


def test_no_flags_no_incidents_and_bad_rules() -> None:
    assert build_incidents(grid(5), np.zeros(5, dtype=bool), np.zeros(5)) == []
    with pytest.raises(ValueError, match=">= 0"):
        IncidentRules(gap_tolerance=-1)


@pytest.mark.parametrize(
    ("score", "severity"),
    [(5.0, "minor"), (7.99, "minor"), (8.0, "major"), (14.9, "major"), (15.0, "critical")],
)
def test_severity_levels(score: float, severity: str) -> None:
    assert severity_of(score) == severity


def test_degenerate_bulk() -> None:
    # 400 zeros and one 320: median = u = 0, one score above u -> tiny beta, p(320) ~ 0.
    rare = TailCalibrator().fit(np.r_[np.zeros(400), 320.0])
    assert rare.pvalue([320.0])[0] < 1e-100
    # 460 zeros and 40 sixes: the 90th percentile (position 0.9 * 499 = 449.1) is 0 = median;
    # 40 scores above u -> beta = mean excess 6, zeta = 40 / 501, p(6) = zeta / e.
    routine = TailCalibrator().fit(np.r_[np.zeros(460), np.full(40, 6.0)])
    assert routine.threshold_ == 0.0
    assert routine.beta_ == pytest.approx(6.0)
    assert routine.pvalue([6.0])[0] == pytest.approx(40 / 501 / math.e)
