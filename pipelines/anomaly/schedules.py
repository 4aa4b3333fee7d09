"""The anomaly scoring job and its schedule: every hour at :20, score what the KPI series mart
gained since the last run (a run with nothing new publishes the marts unchanged).

The daily ``refresh_all`` job also runs these assets after dbt, so new data is scored as soon as
the refresh has rebuilt ``kpi_series_60m``.
"""

from __future__ import annotations

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from pipelines.anomaly.assets import remediation_suggestions, score_kpi_anomalies

anomaly_scoring_job = define_asset_job(
    "anomaly_scoring",
    selection=AssetSelection.assets(score_kpi_anomalies, remediation_suggestions),
    description="Score new KPI buckets, publish anomalies and incidents, record suggestions.",
)

anomaly_scoring_schedule = ScheduleDefinition(
    name="anomaly_scoring",
    job=anomaly_scoring_job,
    cron_schedule="20 * * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Hourly at :20: incremental scoring of the newest KPI buckets.",
)

anomaly_jobs = [anomaly_scoring_job]
anomaly_schedules = [anomaly_scoring_schedule]
