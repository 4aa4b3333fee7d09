"""Anomaly pipeline: incremental scoring of the KPI series, anomalies and incidents marts,
remediation suggestions (docs/anomalies.md, "Pipeline")."""

from pipelines.anomaly.assets import ANOMALY_ASSET_KEYS, anomaly_assets, anomaly_checks
from pipelines.anomaly.schedules import anomaly_jobs, anomaly_schedules

__all__ = [
    "ANOMALY_ASSET_KEYS",
    "anomaly_assets",
    "anomaly_checks",
    "anomaly_jobs",
    "anomaly_schedules",
]
