"""How well anomaly detection finds the simulator's labelled incidents (issue 6's evaluation).

Simulates ``days`` × 5 tenants (calls, RTCP, messages, billing), ingests them into the Parquet
lake and runs ``dbt run --select +kpi_series_<grain>m`` on the duckdb target: the KPI series come
from the marts' own SQL, not from a second definition. The mart rows go to
``models_ml.anomaly.kpi.detect_kpi_anomalies`` once per method: ``count`` (the count-aware
test of each bucket's numerator/denominator against the seasonal expectation, platform-wide
series for carriers and providers, attribution to tenants, per-tenant dedupe), each residual
detector alone on the value series (``robust_z``, ``iqr``, ``level_shift``: same series, same
incident merging and dedupe) and the ``ensemble`` (count-aware, extended by residual flags the
count test corroborates); each incident it returns is one prediction. The pyod detectors
(isolation forest, ECOD) run over each tenant's vector of tenant-level KPIs, their flags merged
by ``build_incidents`` (gap tolerance 2, cooldown 6).

Matching (``affects``): a labelled incident is *detected* when an alert on a series it affects
overlaps its window; an alert that overlaps no affected label is a false positive. Affected
series: carrier outage -- call KPIs of that carrier (every tenant) and tenant-level call KPIs;
quality degradation -- MOS of that carrier and tenant-level MOS; traffic spike and toll fraud --
the tenant's call KPIs and spend (tenant, carrier and queue dimensions); SMS delivery drop --
SMS delivery rate of that provider, of the sms channel and of tenants. Time to detect = grain
buckets from the bucket holding the label's start to the first matching alert's first bucket.

Nothing is tuned on the labels: detectors fit on the whole series (in-sample, unsupervised, as
``irisx anomalies detect`` does) with their documented defaults; the labels are read only to
score the alerts.

``python -m bench anomaly_eval`` (``IRISX_BENCH_ANOMALY_DAYS``/``_GRAIN``/``_TENANTS``/``_SEED``)
or ``python -m bench.anomaly_eval --days 60 --grain 60`` (the grain the anomaly pipeline scores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from bench import BenchResult
from config import Settings
from ingest import DeadLetterStore, ingest_paths
from models_ml.anomaly import (
    DetectionResult,
    EcodDetector,
    IncidentRules,
    IqrFences,
    IsolationForestDetector,
    LevelShift,
    RegularSeries,
    RobustSeasonalZ,
    TailCalibrator,
    build_incidents,
    combine_pvalues,
    infer_periods,
    surprise,
)
from models_ml.anomaly.ensemble import DEFAULT_ALPHA
from models_ml.anomaly.kpi import detect_kpi_anomalies
from pipelines.dbt_cli import run_dbt
from warehouse import ParquetLake

FAMILIES = frozenset({"call", "rtcp", "message", "billing"})
START = date(2025, 1, 6)  # a Monday
UNIVARIATE = ("robust_z", "iqr", "level_shift")
MULTIVARIATE = ("isolation_forest", "ecod")
#: Rows of the table: ``detect_kpi_anomalies`` per method (count-aware test, each residual
#: detector, the ensemble), then the pyod detectors over tenant KPI vectors.
KPI_METHODS = ("count", *UNIVARIATE, "ensemble")
DETECTORS = (*KPI_METHODS, *MULTIVARIATE)
CALL_KPIS = frozenset({"call_volume", "asr", "acd_sec", "cost", "mos", "abandon_rate"})
#: Fewer observed points than this: the series is not scored (regularise needs 10).
MIN_OBSERVED = 30
RULES = IncidentRules(gap_tolerance=2, cooldown=6)
#: Goals of issue 6.
GOALS = {"recall": 0.9, "precision": 0.8, "median_delay": 2.0}


@dataclass(frozen=True)
class SeriesKey:
    tenant_id: str
    dimension: str
    dimension_value: str
    kpi: str  # "*" for a multivariate detector over the tenant's KPI vector


@dataclass(frozen=True)
class Label:
    incident_id: str
    kind: str
    start: np.datetime64
    end: np.datetime64
    tenant_id: str | None
    carrier_id: str | None
    provider: str | None


@dataclass(frozen=True)
class Alert:
    detector: str
    key: SeriesKey
    start: np.datetime64  # first anomalous bucket's start
    end: np.datetime64  # last anomalous bucket's start
    score: float


@dataclass
class DetectorScore:
    detector: str
    labels: int
    detected: int
    alerts: int
    true_alerts: int
    delays: list[float]
    seconds: float
    detected_by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return self.detected / self.labels if self.labels else float("nan")

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else float("nan")

    @property
    def median_delay(self) -> float:
        return statistics.median(self.delays) if self.delays else float("nan")


@dataclass
class Evaluation:
    days: int
    tenants: int
    grain_minutes: int
    labels: list[Label]
    series: int
    scores: dict[str, DetectorScore]
    alerts: list[Alert]
    stage_seconds: dict[str, float]


# --- KPI series from the marts ------------------------------------------------------------------


def build_kpi_series(
    root: Path, days: int, tenants: int, grain: int, seed: int
) -> tuple[pd.DataFrame, list[Label], dict[str, float]]:
    """Simulate, ingest, ``dbt run`` the KPI mart of ``grain``; its rows and the labels."""
    from telephony.simulator import SimulationConfig, simulate, write_result

    seconds: dict[str, float] = {}
    began = time.perf_counter()
    config = SimulationConfig(days=days, tenants=tenants, seed=seed, start=START, families=FAMILIES)
    result = simulate(config)
    write_result(result, root / "sim", fmt="parquet")
    seconds["simulate"] = time.perf_counter() - began
    settings = Settings(data_dir=root / "irisx")
    settings.ensure_dirs()
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    began = time.perf_counter()
    report = ingest_paths([root / "sim"], lake, DeadLetterStore(settings.deadletter_dir / "lake"))
    assert report.ok, "simulated files must ingest"
    seconds["ingest"] = time.perf_counter() - began
    began = time.perf_counter()
    mart = f"kpi_series_{grain}m"
    completed = run_dbt(
        ["run", "--target", "duckdb", "--select", f"+{mart}"],
        settings,
        target_path=root / "target",
    )
    if completed.returncode != 0:
        raise RuntimeError(f"dbt run failed:\n{completed.stdout[-4000:]}")
    seconds["dbt"] = time.perf_counter() - began
    with duckdb.connect() as con:
        frame = con.execute(
            "select tenant_id, bucket_start, grain_minutes, dimension, dimension_value, kpi, "
            "aggregation, cast(numerator as double) as numerator, denominator, value, "
            "epoch_us(bucket_start) as bucket_us "
            f"from read_parquet('{settings.marts_dir / mart}.parquet')"
        ).df()
    labels = [
        Label(
            row["incident_id"],
            row["kind"],
            _instant(row["start"]),
            _instant(row["end"]),
            row["tenant_id"],
            row["carrier_id"],
            row["provider"],
        )
        for row in result.ground_truth
    ]
    return frame, labels, seconds


def _instant(iso: str) -> np.datetime64:
    return np.datetime64(iso.rstrip("Z"), "ns")


def regular_series(frame: pd.DataFrame, days: int, grain: int) -> dict[SeriesKey, RegularSeries]:
    """Every series on the window's grid: 'sum' KPIs 0 where the mart has no row, ratios NaN."""
    step_us = grain * 60 * 1_000_000
    start_us = int(np.datetime64(START.isoformat(), "us").astype(np.int64))
    points = days * 1440 // grain
    grid = np.datetime64(START.isoformat(), "ns") + np.arange(points) * np.timedelta64(
        grain * 60, "s"
    )
    series: dict[SeriesKey, RegularSeries] = {}
    keys = ["tenant_id", "dimension", "dimension_value", "kpi", "aggregation"]
    for (tenant, dimension, value, kpi, aggregation), rows in frame.groupby(keys, sort=True):
        index = ((rows["bucket_us"].to_numpy() - start_us) // step_us).astype(np.int64)
        inside = (index >= 0) & (index < points)
        values = np.full(points, 0.0 if aggregation == "sum" else np.nan)
        values[index[inside]] = rows["value"].to_numpy(dtype=np.float64)[inside]
        if np.isfinite(values).sum() < MIN_OBSERVED:
            continue
        key = SeriesKey(str(tenant), str(dimension), str(value), str(kpi))
        series[key] = RegularSeries(grid, values, grain * 60.0, name=kpi)
    return series


# --- detection ----------------------------------------------------------------------------------


def detect_series(
    series: RegularSeries,
) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    """Per detector: (is_anomaly, calibrated surprise, seconds) on one series.

    The ensemble is ``models_ml.anomaly.Ensemble``'s rule on the members' results computed once
    (fit and in-sample score on the same series): each member's scores calibrated by a
    TailCalibrator fitted on them, Bonferroni on the smallest tail probability, anomaly when
    p < 1e-5. Re-running the members inside ``Ensemble`` would give the same verdicts at twice
    the cost (tests/anomaly/test_anomaly_eval_bench.py checks they agree).
    """
    periods = infer_periods(series)
    members = {
        "robust_z": RobustSeasonalZ(periods=periods),
        "iqr": IqrFences(periods=periods),
        "level_shift": LevelShift(periods=periods),
    }
    answer: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
    results: list[DetectionResult] = []
    pvalues: list[np.ndarray] = []
    for name, detector in members.items():
        began = time.perf_counter()
        result = detector.fit(series).score(series)
        pvalue = TailCalibrator().fit(result.scores).pvalue(result.scores)
        answer[name] = (result.is_anomaly, surprise(pvalue), time.perf_counter() - began)
        results.append(result)
        pvalues.append(pvalue)
    began = time.perf_counter()
    combined, _ = combine_pvalues(np.vstack(pvalues))
    flagged = (combined < DEFAULT_ALPHA) & series.observed
    combine_s = time.perf_counter() - began
    member_s = sum(answer[name][2] for name in members)
    answer["ensemble"] = (flagged, surprise(combined), member_s + combine_s)
    return answer


def tenant_frames(series: dict[SeriesKey, RegularSeries]) -> dict[str, pd.DataFrame]:
    """Each tenant's tenant-level KPIs as columns of one frame (the multivariate input)."""
    frames: dict[str, dict[str, np.ndarray]] = {}
    index: dict[str, np.ndarray] = {}
    for key, one in series.items():
        if key.dimension == "tenant":
            frames.setdefault(key.tenant_id, {})[key.kpi] = one.values
            index[key.tenant_id] = one.timestamps
    return {
        tenant: pd.DataFrame(columns, index=pd.DatetimeIndex(index[tenant]))
        for tenant, columns in frames.items()
    }


def _alerts(
    detector: str,
    key: SeriesKey,
    timestamps: np.ndarray,
    flagged: np.ndarray,
    calibrated: np.ndarray,
) -> list[Alert]:
    incidents = build_incidents(timestamps, flagged, calibrated, RULES)
    return [
        Alert(detector, key, incident.start, incident.end, incident.score)
        for incident in incidents
        if incident.alert
    ]


def kpi_alerts(frame: pd.DataFrame, grain: int, method: str) -> tuple[list[Alert], int]:
    """``detect_kpi_anomalies``'s incidents as alerts (one per incident), and its errors."""
    found = detect_kpi_anomalies(frame, grain_minutes=grain, method=method)
    step = pd.Timedelta(minutes=grain)
    alerts = [
        Alert(
            method,
            SeriesKey(row.tenant_id, row.dimension, row.dimension_value, row.kpi),
            pd.Timestamp(row.start).tz_convert(None).to_datetime64(),
            (pd.Timestamp(row.end).tz_convert(None) - step).to_datetime64(),
            float(row.peak_score),
        )
        for row in found.incidents.itertuples()
    ]
    return alerts, len(found.errors)


def detect_all(
    series: dict[SeriesKey, RegularSeries],
    frame: pd.DataFrame,
    grain: int,
    methods: tuple[str, ...] = KPI_METHODS,
) -> tuple[list[Alert], dict[str, float]]:
    alerts: list[Alert] = []
    seconds = dict.fromkeys((*methods, *MULTIVARIATE), 0.0)
    for method in methods:
        began = time.perf_counter()
        found, _errors = kpi_alerts(frame, grain, method)
        seconds[method] = time.perf_counter() - began
        alerts += found
    for tenant, tenant_frame in tenant_frames(series).items():
        key = SeriesKey(tenant, "tenant", "all", "*")
        timestamps = tenant_frame.index.to_numpy(dtype="datetime64[ns]")
        for model in (IsolationForestDetector(), EcodDetector()):
            began = time.perf_counter()
            result = model.fit(tenant_frame).score(tenant_frame)
            seconds[model.name] += time.perf_counter() - began
            alerts += _alerts(model.name, key, timestamps, result.is_anomaly, result.scores)
    return alerts, seconds


# --- matching -----------------------------------------------------------------------------------


def affects(label: Label, key: SeriesKey) -> bool:
    """Whether ``label`` is expected to move the series ``key`` (module doc, "Matching")."""
    any_kpi = key.kpi == "*"
    if label.kind == "carrier_outage":
        on_series = key.dimension == "tenant" or (
            key.dimension == "carrier" and key.dimension_value == label.carrier_id
        )
        return on_series and (any_kpi or key.kpi in CALL_KPIS)
    if label.kind == "quality_degradation":
        on_series = key.dimension == "tenant" or (
            key.dimension == "carrier" and key.dimension_value == label.carrier_id
        )
        return on_series and (any_kpi or key.kpi == "mos")
    if label.kind in ("traffic_spike", "toll_fraud_burst"):
        return (
            key.tenant_id == label.tenant_id
            and key.dimension in ("tenant", "carrier", "queue")
            and (any_kpi or key.kpi in CALL_KPIS or key.kpi == "spend")
        )
    if label.kind == "sms_delivery_drop":
        on_series = (
            key.dimension == "tenant"
            or (key.dimension == "provider" and key.dimension_value == label.provider)
            or (key.dimension == "channel" and key.dimension_value == "sms")
        )
        return on_series and (any_kpi or key.kpi == "sms_delivery_rate")
    raise ValueError(f"unknown incident kind {label.kind!r}")


def overlaps(label: Label, alert: Alert, grain: int) -> bool:
    """The alert's buckets [start, end + grain) meet the label's window [start, end)."""
    step = np.timedelta64(grain * 60, "s")
    return bool(alert.start < label.end and alert.end + step > label.start)


def delay_buckets(label: Label, alert: Alert, grain: int) -> float:
    """Buckets from the one holding the label's start to the alert's first (0 if earlier)."""
    step_ns = grain * 60 * 1_000_000_000
    label_bucket = label.start.astype("datetime64[ns]").astype(np.int64) // step_ns
    alert_bucket = alert.start.astype("datetime64[ns]").astype(np.int64) // step_ns
    return float(max(0, alert_bucket - label_bucket))


def score_detector(
    detector: str,
    labels: list[Label],
    alerts: Iterable[Alert],
    grain: int,
    seconds: float,
) -> DetectorScore:
    mine = [alert for alert in alerts if alert.detector == detector]
    matches = [
        [alert for alert in mine if affects(label, alert.key) and overlaps(label, alert, grain)]
        for label in labels
    ]
    true_alerts = {id(alert) for found in matches for alert in found}
    delays = [
        min(delay_buckets(label, alert, grain) for alert in found)
        for label, found in zip(labels, matches, strict=True)
        if found
    ]
    by_kind: dict[str, tuple[int, int]] = {}
    for label, found in zip(labels, matches, strict=True):
        hit, total = by_kind.get(label.kind, (0, 0))
        by_kind[label.kind] = (hit + bool(found), total + 1)
    return DetectorScore(
        detector,
        len(labels),
        sum(1 for found in matches if found),
        len(mine),
        len(true_alerts),
        delays,
        seconds,
        by_kind,
    )


def evaluate(
    days: int,
    tenants: int = 5,
    grain: int = 15,
    seed: int = 7,
    root: Path | None = None,
    methods: tuple[str, ...] = KPI_METHODS,
) -> Evaluation:
    """The whole evaluation in a temporary folder (or ``root``); ``methods``: which
    ``detect_kpi_anomalies`` methods get a row (the pyod rows always)."""
    with tempfile.TemporaryDirectory(prefix="irisx-bench-anomaly-") as tmp:
        frame, labels, stages = build_kpi_series(root or Path(tmp), days, tenants, grain, seed)
    began = time.perf_counter()
    series = regular_series(frame, days, grain)
    stages["series"] = time.perf_counter() - began
    began = time.perf_counter()
    alerts, seconds = detect_all(series, frame, grain, methods)
    stages["detect"] = time.perf_counter() - began
    scores = {
        detector: score_detector(detector, labels, alerts, grain, seconds[detector])
        for detector in (*methods, *MULTIVARIATE)
    }
    return Evaluation(days, tenants, grain, labels, len(series), scores, alerts, stages)


# --- report -------------------------------------------------------------------------------------


def _fmt(value: float, digits: int = 2) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def result_of(evaluation: Evaluation) -> BenchResult:
    rows = [
        [
            name,
            f"{score.detected}/{score.labels}",
            _fmt(score.recall),
            f"{score.true_alerts}/{score.alerts}",
            _fmt(score.precision),
            _fmt(score.median_delay, 1),
            f"{score.seconds:.1f}",
        ]
        for name, score in evaluation.scores.items()
    ]
    ensemble = evaluation.scores["ensemble"]
    kinds = ", ".join(
        f"{kind} {hit}/{total}" for kind, (hit, total) in sorted(ensemble.detected_by_kind.items())
    )
    stages = ", ".join(
        f"{name} {seconds:.0f} s" for name, seconds in evaluation.stage_seconds.items()
    )
    notes = [
        f"{evaluation.tenants} tenants × {evaluation.days} days from {START.isoformat()}, "
        f"{evaluation.grain_minutes}-minute kpi_series mart, {evaluation.series} series, "
        f"{len(evaluation.labels)} labelled incidents",
        f"ensemble detected by kind: {kinds}",
        "goals (issue 6): recall ≥ 0.9, precision ≥ 0.8, median detection ≤ 2 grain intervals",
        f"stages: {stages}",
        "rows count..ensemble: detect_kpi_anomalies(method=...) on the mart rows (platform "
        "series, attribution and per-tenant dedupe included); runtime = that call; the "
        "ensemble's includes the count test and the three residual detectors",
    ]
    return BenchResult(
        title="Anomaly detection against the simulator's labelled incidents",
        columns=[
            "detector",
            "detected",
            "recall",
            "true alerts",
            "precision",
            "median delay (buckets)",
            "runtime s",
        ],
        rows=rows,
        notes=notes,
    )


def run() -> BenchResult:
    days = int(os.environ.get("IRISX_BENCH_ANOMALY_DAYS", 60))
    grain = int(os.environ.get("IRISX_BENCH_ANOMALY_GRAIN", 60))
    tenants = int(os.environ.get("IRISX_BENCH_ANOMALY_TENANTS", 5))
    seed = int(os.environ.get("IRISX_BENCH_ANOMALY_SEED", 7))
    return result_of(evaluate(days, tenants, grain, seed))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.anomaly_eval")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--grain", type=int, choices=(5, 15, 60), default=60)
    parser.add_argument("--tenants", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    from rich.console import Console

    from bench.__main__ import render

    render(result_of(evaluate(args.days, args.tenants, args.grain, args.seed)), Console())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
