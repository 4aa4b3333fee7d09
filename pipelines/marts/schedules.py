"""Daily refresh of every asset (ingest what waits, rebuild the models and marts)."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, ScheduleDefinition

from pipelines.jobs import refresh_all_job

daily_refresh_schedule = ScheduleDefinition(
    name="daily_refresh",
    job=refresh_all_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="02:00 UTC: ingest pending files, rebuild models and marts, run dbt tests.",
)
