"""How the project's schedules are declared: UTC cron, running by default (a deployment pauses
one in the UI rather than having to remember to start it)."""

from __future__ import annotations

from typing import Any

from dagster import DefaultScheduleStatus, ScheduleDefinition


def utc_schedule(
    name: str,
    job: Any,  # a JobDefinition or an asset job from define_asset_job
    cron_schedule: str,
    description: str,
) -> ScheduleDefinition:
    """A schedule running ``job`` at ``cron_schedule`` (UTC), on from the start."""
    return ScheduleDefinition(
        name=name,
        job=job,
        cron_schedule=cron_schedule,
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description=description,
    )
