"""Anomaly assets (group ``anomalies``): score new KPI buckets, publish the ``anomalies`` and
``incidents`` marts, record remediation suggestions; checks on detector errors and the marts.

Lineage: kpi_series_60m (dbt) → anomalies + incidents (one multi-asset: one detection run feeds
both) → remediation_suggestions (SQLite store, pending approval; never executed).

Detection is ``models_ml.anomaly.kpi.detect_kpi_anomalies``; incremental scoring and merging are
``pipelines.anomaly.build``; publishing is ``warehouse.python_marts.publish_mart`` (Parquet by
atomic replace on the embedded profile, ClickHouse ``irisx.<mart>`` on the server profile).
"""

# No ``from __future__ import annotations``: Dagster reads the run config class from the
# annotation of the asset function at decoration time.
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial

import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Config,
    MaterializeResult,
    asset,
    asset_check,
    multi_asset,
)

from config import Settings
from pipelines.anomaly.build import (
    ANOMALY_KEY,
    KpiDetectionLike,
    ScoringRules,
    ScoringState,
    score_increment,
)
from pipelines.anomaly.remediation import rule_context, suggest
from pipelines.resources import WarehouseResource
from warehouse.marts import MartNotPublished
from warehouse.python_marts import publish_mart, read_mart
from warehouse.remediation import RemediationStore, remediation_db_path

ANOMALY_GROUP = "anomalies"
ANOMALIES = "anomalies"
INCIDENTS = "incidents"
REMEDIATION_SUGGESTIONS = "remediation_suggestions"
NO_DETECTOR_ERRORS = "no_detector_errors"
#: The KPI series mart scored: hourly buckets, the grain the detection was evaluated at
#: (docs/benchmarks.md, anomaly_eval: its goals are met there, not at 15 minutes).
KPI_SERIES = "kpi_series_60m"
GRAIN_MINUTES = 60


class AnomalyScoringConfig(Config):
    """Run config of the scoring asset (defaults: pipelines.anomaly.build.ScoringRules)."""

    method: str = "ensemble"
    history_days: int = 14
    max_backfill_days: int = 35
    close_after_buckets: int = 3
    cooldown_buckets: int = 6

    def rules(self) -> ScoringRules:
        return ScoringRules(
            grain_minutes=GRAIN_MINUTES,
            method=self.method,
            history_days=self.history_days,
            max_backfill_days=self.max_backfill_days,
            close_after_buckets=self.close_after_buckets,
            cooldown_buckets=self.cooldown_buckets,
        )


def _detect(rows: pd.DataFrame, *, grain_minutes: int, method: str) -> KpiDetectionLike:
    from models_ml.anomaly.kpi import detect_kpi_anomalies

    return detect_kpi_anomalies(rows, grain_minutes=grain_minutes, method=method)


def _mart_or_empty(settings: Settings, mart: str) -> pd.DataFrame:
    try:
        return read_mart(settings, mart).to_pandas()
    except MartNotPublished:
        return pd.DataFrame()


def _now() -> datetime:
    return datetime.now(UTC)


@multi_asset(
    specs=[
        AssetSpec(
            ANOMALIES,
            group_name=ANOMALY_GROUP,
            deps=[KPI_SERIES],
            description="Anomalous KPI buckets: per tenant, series (dimension, value, KPI, grain) "
            "and bucket the value, expected value and interval, calibrated score, detectors "
            "that fired, explanation and drill-down. Scored incrementally (docs/anomalies.md).",
        ),
        AssetSpec(
            INCIDENTS,
            group_name=ANOMALY_GROUP,
            deps=[KPI_SERIES],
            description="Incidents: consecutive anomalous buckets of a series merged, with start, "
            "end, severity, peak score, open/closed status and whether it raised an alert "
            "(cooldown). incident_id is stable across runs.",
        ),
    ],
    check_specs=[
        AssetCheckSpec(
            NO_DETECTOR_ERRORS,
            asset=ANOMALIES,
            description="Every series was scored: a detector error on a series is recorded "
            "(and the series retried next run) instead of failing the asset; this check fails.",
        )
    ],
)
def score_kpi_anomalies(
    context: AssetExecutionContext, config: AnomalyScoringConfig, warehouse: WarehouseResource
) -> Iterator[MaterializeResult | AssetCheckResult]:
    settings = warehouse.settings()
    rules = config.rules()
    kpi_rows = read_mart(settings, KPI_SERIES).to_pandas()
    state = ScoringState.load(settings.data_dir, rules.grain_minutes)
    run = score_increment(
        kpi_rows,
        _mart_or_empty(settings, ANOMALIES),
        _mart_or_empty(settings, INCIDENTS),
        state,
        partial(_detect, grain_minutes=rules.grain_minutes, method=rules.method),
        rules,
        _now(),
    )
    anomalies_at = publish_mart(settings, ANOMALIES, run.anomalies)
    incidents_at = publish_mart(settings, INCIDENTS, run.incidents)
    # State last: a crash before this point rescores the same buckets, which upserts in place.
    run.state.save(settings.data_dir)
    context.log.info(
        f"scored {run.buckets_scored} new buckets of {run.series_scored} series: "
        f"{run.new_anomalies} new anomalies, {len(run.errors)} series errors"
    )
    yield MaterializeResult(
        asset_key=ANOMALIES,
        metadata={
            "published": anomalies_at,
            "rows": run.anomalies.num_rows,
            "new_anomalies": run.new_anomalies,
            "series_scored": run.series_scored,
            "buckets_scored": run.buckets_scored,
        },
    )
    open_incidents = sum(
        1 for status in run.incidents.column("status").to_pylist() if status == "open"
    )
    yield MaterializeResult(
        asset_key=INCIDENTS,
        metadata={
            "published": incidents_at,
            "rows": run.incidents.num_rows,
            "open": open_incidents,
        },
    )
    errors = run.errors
    yield AssetCheckResult(
        asset_key=ANOMALIES,
        check_name=NO_DETECTOR_ERRORS,
        passed=errors.empty,
        metadata={
            "series_with_errors": len(errors),
            "first_errors": "\n".join(
                f"{r.tenant_id}|{r.dimension}|{r.dimension_value}|{r.kpi}: {r.error}"
                for r in errors.head(10).itertuples()
            ),
        },
    )


@asset(
    name=REMEDIATION_SUGGESTIONS,
    group_name=ANOMALY_GROUP,
    deps=[INCIDENTS, KPI_SERIES],
    description="Remediation suggestions for alerting incidents (route away from a carrier, "
    "fail SMS over, suspend outbound international, add queue staffing), recorded pending in "
    "<data_dir>/remediation.sqlite3 for approval (`irisx anomalies suggestions`). Never executed.",
)
def remediation_suggestions(warehouse: WarehouseResource) -> MaterializeResult:
    settings = warehouse.settings()
    incidents = _mart_or_empty(settings, INCIDENTS)
    kpi_rows = _mart_or_empty(settings, KPI_SERIES)
    suggestions = suggest(incidents, rule_context(kpi_rows), _now())
    store = RemediationStore(remediation_db_path(settings.data_dir))
    recorded = store.record(suggestions)
    return MaterializeResult(
        metadata={
            "store": str(store.path),
            "suggestions": len(suggestions),
            "new": recorded,
        }
    )


def _duplicates(frame: pd.DataFrame, key: list[str]) -> int:
    return 0 if frame.empty else int(frame.duplicated(subset=key).sum())


@asset_check(
    asset=ANOMALIES,
    description="One row per series and bucket (the upsert key) and one per anomaly_id.",
)
def anomaly_keys_unique(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    frame = _mart_or_empty(warehouse.settings(), ANOMALIES)
    by_key = _duplicates(frame, ANOMALY_KEY)
    by_id = _duplicates(frame, ["anomaly_id"])
    return AssetCheckResult(
        passed=by_key == 0 and by_id == 0,
        metadata={"duplicate_keys": by_key, "duplicate_ids": by_id, "rows": len(frame)},
    )


@asset_check(
    asset=INCIDENTS,
    description="incident_id unique; start <= end; status open/closed; severity known.",
)
def incidents_are_consistent(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    frame = _mart_or_empty(warehouse.settings(), INCIDENTS)
    duplicates = _duplicates(frame, ["incident_id"])
    reversed_spans = 0 if frame.empty else int((frame["start"] > frame["end"]).sum())
    bad_status = 0 if frame.empty else int((~frame["status"].isin(["open", "closed"])).sum())
    return AssetCheckResult(
        passed=duplicates == 0 and reversed_spans == 0 and bad_status == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "duplicate_ids": duplicates,
            "start_after_end": reversed_spans,
            "unknown_status": bad_status,
            "rows": len(frame),
        },
    )


anomaly_assets = [score_kpi_anomalies, remediation_suggestions]
anomaly_checks = [anomaly_keys_unique, incidents_are_consistent]
ANOMALY_ASSET_KEYS = [
    AssetKey([ANOMALIES]),
    AssetKey([INCIDENTS]),
    AssetKey([REMEDIATION_SUGGESTIONS]),
]
