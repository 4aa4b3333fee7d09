"""bench/anomaly_eval.py: the matching rules worked by hand, the shared-members ensemble equal to
``Ensemble``, and a smoke run of the whole evaluation on a small simulation."""

from __future__ import annotations

import numpy as np
import pytest
from anomaly_synthetic import seasonal_series, with_injections

from bench.anomaly_eval import (
    DETECTORS,
    Alert,
    Label,
    SeriesKey,
    affects,
    delay_buckets,
    detect_series,
    evaluate,
    overlaps,
    score_detector,
)
from models_ml.anomaly import Ensemble, RegularSeries


def _t(hhmm: str) -> np.datetime64:
    return np.datetime64(f"2025-01-07T{hhmm}:00", "ns")


OUTAGE = Label("inc-1", "carrier_outage", _t("10:20"), _t("11:50"), None, "voxlink", None)
SPIKE = Label("inc-2", "traffic_spike", _t("14:05"), _t("15:00"), "acme", None, None)
DROP = Label("inc-3", "sms_delivery_drop", _t("09:00"), _t("12:00"), None, None, "smsgate")


def test_affected_series() -> None:
    # an outage moves its carrier's call KPIs in every tenant and tenants' call KPIs
    assert affects(OUTAGE, SeriesKey("acme", "carrier", "voxlink", "asr"))
    assert affects(OUTAGE, SeriesKey("globex", "tenant", "all", "call_volume"))
    assert not affects(OUTAGE, SeriesKey("acme", "carrier", "bluewave", "asr"))
    assert not affects(OUTAGE, SeriesKey("acme", "tenant", "all", "sms_delivery_rate"))
    # a tenant's spike: only that tenant
    assert affects(SPIKE, SeriesKey("acme", "queue", "acme-support", "abandon_rate"))
    assert not affects(SPIKE, SeriesKey("globex", "tenant", "all", "call_volume"))
    # a provider's delivery drop: its delivery rate, the sms channel's and tenants'
    assert affects(DROP, SeriesKey("globex", "provider", "smsgate", "sms_delivery_rate"))
    assert affects(DROP, SeriesKey("globex", "channel", "sms", "sms_delivery_rate"))
    assert not affects(DROP, SeriesKey("globex", "provider", "textly", "sms_delivery_rate"))
    assert not affects(DROP, SeriesKey("globex", "provider", "smsgate", "message_volume"))
    # a multivariate alert ("*") on a tenant stands for every tenant-level KPI
    assert affects(SPIKE, SeriesKey("acme", "tenant", "all", "*"))


def test_overlap_and_delay_in_buckets() -> None:
    key = SeriesKey("acme", "carrier", "voxlink", "asr")
    # 15-minute buckets: the outage starts in the 10:15 bucket
    first = Alert("ensemble", key, _t("10:45"), _t("11:15"), 9.0)  # 10:45 - 10:15 = 2 buckets
    assert overlaps(OUTAGE, first, 15)
    assert delay_buckets(OUTAGE, first, 15) == 2.0
    # the bucket 11:45 covers 11:45-12:00, inside the window that ends at 11:50
    late = Alert("ensemble", key, _t("11:45"), _t("11:45"), 9.0)
    assert overlaps(OUTAGE, late, 15)
    after = Alert("ensemble", key, _t("12:00"), _t("12:30"), 9.0)
    assert not overlaps(OUTAGE, after, 15)
    before = Alert("ensemble", key, _t("09:30"), _t("10:15"), 9.0)  # began before: delay 0
    assert overlaps(OUTAGE, before, 15)
    assert delay_buckets(OUTAGE, before, 15) == 0.0


def test_scores_of_a_detector() -> None:
    voxlink = SeriesKey("acme", "carrier", "voxlink", "asr")
    alerts = [
        Alert("ensemble", voxlink, _t("10:30"), _t("11:00"), 9.0),  # outage, delay 1 bucket
        Alert("ensemble", SeriesKey("globex", "carrier", "voxlink", "asr"), _t("10:15"),
              _t("10:30"), 9.0),  # the same outage in another tenant: delay 0, true too
        Alert("ensemble", SeriesKey("acme", "tenant", "all", "call_volume"), _t("14:15"),
              _t("14:30"), 9.0),  # the spike, delay 1 (14:00 bucket -> 14:15)
        Alert("ensemble", voxlink, _t("20:00"), _t("20:00"), 9.0),  # nothing then: false
        Alert("iqr", voxlink, _t("10:30"), _t("11:00"), 9.0),  # another detector's
    ]  # fmt: skip
    score = score_detector("ensemble", [OUTAGE, SPIKE, DROP], alerts, 15, 1.0)
    # detected 2 of 3 (no alert for the drop); 3 of 4 alerts true; delays [0, 1] -> median 0.5
    assert (score.detected, score.labels, score.true_alerts, score.alerts) == (2, 3, 3, 4)
    assert score.recall == pytest.approx(2 / 3)
    assert score.precision == 0.75
    assert score.median_delay == 0.5
    assert score.detected_by_kind["sms_delivery_drop"] == (0, 1)


def test_shared_members_give_the_ensembles_verdicts() -> None:
    synthetic = with_injections(seasonal_series(3), 3)
    series = RegularSeries.from_values(synthetic.values, step_seconds=synthetic.step_seconds)
    flagged = detect_series(series)["ensemble"][0]
    expected = Ensemble().fit(series).score(series)
    assert np.array_equal(flagged, expected.is_anomaly)
    assert flagged.any()


def test_smoke_run_on_a_small_simulation() -> None:
    # count and ensemble only: the residual detectors alone would double the run time
    evaluation = evaluate(days=7, tenants=5, grain=60, seed=7, methods=("count", "ensemble"))
    assert set(evaluation.scores) == {"count", "ensemble", "isolation_forest", "ecod"}
    assert set(DETECTORS) >= set(evaluation.scores)
    # every kind is injected at least once (telephony/simulator/incidents.py)
    assert {label.kind for label in evaluation.labels} == {
        "carrier_outage",
        "quality_degradation",
        "traffic_spike",
        "toll_fraud_burst",
        "sms_delivery_drop",
    }
    assert evaluation.series > 100  # 5 tenants × (tenant, 4 carriers, queues, channels, ...)
    for score in evaluation.scores.values():
        assert score.labels == len(evaluation.labels)
        assert 0 <= score.detected <= score.labels
        assert 0 <= score.true_alerts <= score.alerts
        assert len(score.delays) == score.detected
        assert all(delay >= 0 for delay in score.delays)
        assert score.seconds >= 0
    ensemble = evaluation.scores["ensemble"]
    assert ensemble.detected >= 1
    # A carrier outage (every call on the carrier fails for 1-3 hours) is the incident
    # operators most need to hear about: at least one must be found, by the count test alone
    # and by the ensemble.
    for method in ("count", "ensemble"):
        found, total = evaluation.scores[method].detected_by_kind["carrier_outage"]
        assert total >= 1
        assert found >= 1, f"{method}: no carrier outage found of {total}"
