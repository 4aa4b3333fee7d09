"""Daily refresh of every asset (ingest what waits, rebuild the models and marts)."""

from __future__ import annotations

from pipelines.jobs import refresh_all_job
from pipelines.scheduling import utc_schedule

daily_refresh_schedule = utc_schedule(
    "daily_refresh",
    refresh_all_job,
    "0 2 * * *",
    "02:00 UTC: ingest pending files, rebuild models and marts, run dbt tests.",
)
