"""Incremental scoring and merging (pipelines/anomaly/build.py) with a scripted detector.

The detector here is a script of verdicts (which buckets are anomalous is the job of
models_ml.anomaly.kpi, tested there and end to end in test_anomaly_pipeline.py); what is
checked is what the pipeline does with them: which rows it hands over, which verdicts it keeps,
the upsert keys, the incident merge across runs, status, cooldown and the drill-down.

Grain 15 minutes; two series of acme's ASR: the tenant's and carrier c-1's, from
2025-03-03 00:00 UTC. Rules: close after 3 buckets, cooldown 6 buckets, history 14 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import pytest

from pipelines.anomaly.build import ScoringRules, ScoringState, score_increment

DAY = "2025-03-03"
RULES = ScoringRules(grain_minutes=15, close_after_buckets=3, cooldown_buckets=6)
SERIES = [("tenant", "all"), ("carrier", "c-1")]


def ts(hhmm: str) -> pd.Timestamp:
    return pd.Timestamp(f"{DAY}T{hhmm}:00", tz="UTC")


def kpi_rows(first: str, last: str) -> pd.DataFrame:
    """ASR 0.6 (3 answered of 5) in every bucket from ``first`` to ``last`` of both series."""
    buckets = pd.date_range(ts(first), ts(last), freq="15min")
    return pd.DataFrame(
        [
            {
                "tenant_id": "acme",
                "bucket_start": bucket,
                "grain_minutes": 15,
                "dimension": dimension,
                "dimension_value": value,
                "kpi": "asr",
                "aggregation": "ratio",
                "numerator": 3.0,
                "denominator": 5,
                "value": 0.6,
            }
            for bucket in buckets
            for dimension, value in SERIES
        ]
    )


def anomaly(dimension: str, value: str, at: str, observed: float, score: float) -> dict:
    return {
        "tenant_id": "acme",
        "dimension": dimension,
        "dimension_value": value,
        "kpi": "asr",
        "bucket_start": ts(at),
        "value": observed,
        "expected": 0.6,
        "lower": 0.4,
        "upper": 0.8,
        "score": score,
        "methods": "robust_z,level_shift",
        "explanation": f"{dimension} {value} asr {observed} vs 0.6",
    }


def incident(incident_id: str, start: str, end: str, peak: float, severity: str) -> dict:
    return {
        "incident_id": incident_id,
        "tenant_id": "acme",
        "dimension": "carrier",
        "dimension_value": "c-1",
        "kpi": "asr",
        "start": ts(start),
        "end": ts(end),
        "severity": severity,
        "peak_score": peak,
        "explanation": f"c-1 asr down, peak {peak}",
    }


@dataclass(frozen=True)
class Detection:
    anomalies: pd.DataFrame
    incidents: pd.DataFrame
    errors: pd.DataFrame


@dataclass
class ScriptedDetector:
    """Returns the next scripted detection and keeps the rows it was given."""

    script: list[Detection]
    calls: list[pd.DataFrame] = field(default_factory=list)

    def __call__(self, rows: pd.DataFrame) -> Detection:
        self.calls.append(rows)
        return self.script[len(self.calls) - 1]


NO_ERRORS = pd.DataFrame(columns=["tenant_id", "dimension", "dimension_value", "kpi", "error"])


def detection(anomalies: list[dict], incidents: list[dict], errors=NO_ERRORS) -> Detection:
    return Detection(pd.DataFrame(anomalies), pd.DataFrame(incidents), errors)


def now(hhmm: str) -> datetime:
    return ts(hhmm).to_pydatetime().astimezone(UTC)


@pytest.fixture
def runs() -> dict:
    """Four runs: 00:00-01:45 (anomaly at 01:30), the same again, +02:00-02:45 (the incident
    goes on to 02:15), +03:00-03:45 (a new blip at 03:30, in cooldown)."""
    detector = ScriptedDetector(
        [
            detection(
                [
                    anomaly("carrier", "c-1", "01:30", 0.0, 0.99),
                    anomaly("tenant", "all", "01:30", 0.3, 0.97),
                ],
                [incident("inc-a", "01:30", "01:30", 0.99, "warning")],
            ),
            # Run 3: the re-fit moves the incident's start to 01:45 (a new id "inc-b"): it is
            # the same incident, still open; 01:30's verdict is old and stays as published.
            detection(
                [
                    anomaly("carrier", "c-1", "01:30", 0.1, 0.95),
                    anomaly("carrier", "c-1", "02:00", 0.0, 0.999),
                    anomaly("carrier", "c-1", "02:15", 0.2, 0.98),
                ],
                [incident("inc-b", "01:45", "02:15", 0.999, "critical")],
            ),
            detection(
                [anomaly("carrier", "c-1", "03:30", 0.2, 0.98)],
                [incident("inc-c", "03:30", "03:30", 0.98, "warning")],
            ),
        ]
    )
    state = ScoringState(15)
    marts = (pd.DataFrame(), pd.DataFrame())
    results = []
    for rows, at in (
        (kpi_rows("00:00", "01:45"), "02:00"),
        (kpi_rows("00:00", "01:45"), "02:00"),
        (kpi_rows("00:00", "02:45"), "03:00"),
        (kpi_rows("00:00", "03:45"), "04:00"),
    ):
        run = score_increment(rows, *marts, state, detector, RULES, now(at))
        state = run.state
        marts = (run.anomalies.to_pandas(), run.incidents.to_pandas())
        results.append(run)
    return {"detector": detector, "results": results}


def test_first_run_scores_everything_and_explains_the_tenant_by_the_carrier(runs: dict) -> None:
    first = runs["results"][0]
    assert runs["detector"].calls[0]["bucket_start"].nunique() == 8  # 00:00 .. 01:45
    assert first.series_scored == 2
    assert first.buckets_scored == 16
    anomalies = first.anomalies.to_pandas().set_index("dimension")
    assert list(anomalies["bucket_start"]) == [ts("01:30"), ts("01:30")]
    # deviation = value - expected: 0.0 - 0.6 and 0.3 - 0.6
    assert anomalies.loc["carrier", "deviation"] == pytest.approx(-0.6)
    assert anomalies.loc["tenant", "deviation"] == pytest.approx(-0.3)
    assert set(anomalies["direction"]) == {"down"}
    assert anomalies.loc["tenant", "drill_down"] == "carrier=c-1: 0 vs expected 0.6 [0.4, 0.8]"
    assert pd.isna(anomalies.loc["carrier", "drill_down"])
    assert anomalies.loc["carrier", "detectors"] == "robust_z,level_shift"
    (row,) = first.incidents.to_pylist()
    # Scored through 01:45, end 01:30: 1 bucket past the end < 3 -> open.
    assert (row["incident_id"], row["status"], row["alert"]) == ("inc-a", "open", True)
    assert row["direction"] == "down"


def test_a_rerun_over_the_same_data_changes_nothing(runs: dict) -> None:
    first, second = runs["results"][:2]
    assert len(runs["detector"].calls) == 3  # run 2 had nothing new: the detector never ran
    assert second.series_scored == 0
    assert second.new_anomalies == 0
    assert second.anomalies.equals(first.anomalies)
    assert second.incidents.equals(first.incidents)


def test_new_buckets_extend_the_open_incident_under_its_first_id(runs: dict) -> None:
    third = runs["results"][2]
    rows = runs["detector"].calls[1]
    # The re-fit sees 14 days of history before the first unscored bucket: all of 00:00..02:45.
    assert rows["bucket_start"].min() == ts("00:00")
    assert rows["bucket_start"].max() == ts("02:45")
    assert third.buckets_scored == 2 * 4  # 02:00 .. 02:45, two series
    carrier = third.anomalies.to_pandas().query("dimension == 'carrier'")
    assert list(carrier["bucket_start"]) == [ts("01:30"), ts("02:00"), ts("02:15")]
    # 01:30 was scored in run 1: its published verdict (value 0.0) stands, not the re-fit's 0.1.
    assert carrier["value"].tolist() == [0.0, 0.0, 0.2]
    (row,) = third.incidents.to_pylist()
    assert row["incident_id"] == "inc-a"
    assert (row["start"], row["end"]) == (ts("01:30"), ts("02:15"))
    assert (row["severity"], row["peak_score"]) == ("critical", 0.999)
    # Scored through 02:45, end 02:15: 2 buckets < 3 -> still open.
    assert row["status"] == "open"
    assert row["explanation"] == "c-1 asr down, peak 0.999"


def test_a_blip_in_cooldown_is_a_new_incident_without_an_alert(runs: dict) -> None:
    fourth = runs["results"][3]
    rows = {row["incident_id"]: row for row in fourth.incidents.to_pylist()}
    assert set(rows) == {"inc-a", "inc-c"}
    # inc-a: scored through 03:45, end 02:15: 6 buckets >= 3 -> closed.
    assert rows["inc-a"]["status"] == "closed"
    # inc-c starts 03:30, 5 buckets after inc-a's end (<= cooldown 6), not more severe than
    # critical: no new alert. Scored through 03:45: 1 bucket after its end -> open.
    assert (rows["inc-c"]["alert"], rows["inc-c"]["status"]) == (False, "open")
    assert rows["inc-a"]["first_seen"] == ts("02:00")
    assert rows["inc-a"]["last_seen"] == ts("03:00")


def test_rescoring_without_state_replaces_rows_in_place(runs: dict) -> None:
    """State lost: run 3's detection again over the published marts of run 4 -> no duplicate
    keys; the incident matched by id keeps its first_seen."""
    fourth = runs["results"][3]
    detector = ScriptedDetector([runs["detector"].script[1]])
    again = score_increment(
        kpi_rows("00:00", "02:45"),
        fourth.anomalies.to_pandas(),
        fourth.incidents.to_pandas(),
        ScoringState(15),
        detector,
        RULES,
        now("03:00"),
    )
    anomalies = again.anomalies.to_pandas()
    assert len(anomalies) == 5  # 01:30 x2, 02:00, 02:15, 03:30: the same keys as before
    assert not anomalies.duplicated(["dimension", "bucket_start"]).any()
    assert sorted(again.incidents.column("incident_id").to_pylist()) == ["inc-a", "inc-c"]


def test_a_series_whose_detector_failed_is_retried_next_run() -> None:
    errors = pd.DataFrame(
        [{"tenant_id": "acme", "dimension": "tenant", "dimension_value": "all", "kpi": "asr",
          "error": "ValueError: constant series"}]
    )  # fmt: skip
    detector = ScriptedDetector([detection([], [], errors)])
    run = score_increment(
        kpi_rows("00:00", "01:45"),
        pd.DataFrame(),
        pd.DataFrame(),
        ScoringState(15),
        detector,
        RULES,
        now("02:00"),
    )
    assert len(run.errors) == 1
    assert run.state.scored_through == {"acme|carrier|c-1|asr": ts("01:45")}


def test_incomplete_buckets_wait(runs: dict) -> None:
    """At 01:50 the 01:45 bucket is not over: the first run scores 00:00 .. 01:30."""
    detector = ScriptedDetector([detection([], [])])
    run = score_increment(
        kpi_rows("00:00", "01:45"),
        pd.DataFrame(),
        pd.DataFrame(),
        ScoringState(15),
        detector,
        RULES,
        now("01:50"),
    )
    assert detector.calls[0]["bucket_start"].max() == ts("01:30")
    assert set(run.state.scored_through.values()) == {ts("01:30")}


def test_only_series_with_new_buckets_go_to_the_detector() -> None:
    """The tenant series is scored through 01:45 already, the carrier's never: only the
    carrier's 8 rows are handed over, and only its watermark moves."""
    detector = ScriptedDetector([detection([], [])])
    state = ScoringState(15, {"acme|tenant|all|asr": ts("01:45")})
    run = score_increment(
        kpi_rows("00:00", "01:45"), pd.DataFrame(), pd.DataFrame(), state, detector, RULES,
        now("02:00"),
    )  # fmt: skip
    assert set(detector.calls[0]["dimension"]) == {"carrier"}
    assert len(detector.calls[0]) == 8
    assert run.buckets_scored == 8
    assert run.state.scored_through == {
        "acme|tenant|all|asr": ts("01:45"),
        "acme|carrier|c-1|asr": ts("01:45"),
    }


def test_state_round_trips(tmp_path) -> None:
    state = ScoringState(15, {"acme|tenant|all|asr": ts("01:45")})
    path = state.save(tmp_path)
    assert path == tmp_path / "anomaly" / "scoring_state_15m.json"
    assert ScoringState.load(tmp_path, 15).scored_through == state.scored_through
    assert ScoringState.load(tmp_path, 60).scored_through == {}


def test_incident_direction_is_the_sign_of_the_summed_deviation_not_the_peak() -> None:
    from pipelines.anomaly.build import _incident_direction

    # An outage attributed from the platform: 20:00 and 21:00 without an answered call, then the
    # hour it ended, above expected and scored highest (the platform's peak bucket).
    anomalies = pd.DataFrame(
        {
            "bucket_start": [ts("20:00"), ts("21:00"), ts("22:00")],
            "value": [0.0, 0.0, 1.0],
            "expected": [0.60, 0.79, 0.77],
            "score": [0.547, 0.509, 0.549],
        }
    )
    keys = pd.Series(["k", "k", "k"])
    incident = {"start": ts("20:00"), "end": ts("22:00")}
    # -0.60 - 0.79 + 0.23 = -1.16
    assert _incident_direction(incident, anomalies, "k", keys) == "down"
    # deviations cancelling out (-0.5 + 0.5): the strongest bucket decides (+0.5: up)
    balanced = anomalies.iloc[:2].assign(value=[0.1, 1.1], expected=[0.6, 0.6], score=[0.2, 0.9])
    assert _incident_direction(incident, balanced, "k", keys.iloc[:2]) == "up"
    # another series' anomalies are not this incident's
    assert _incident_direction(incident, anomalies, "other", keys) is None
