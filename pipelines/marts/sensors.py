"""Server profile: newly landed raw data → daily_marts runs for the days it touched.

The stream worker notes in the landing log (``warehouse.landing.LandingLog``) which event days
(UTC date of ``occurred_at``) of which family each committed write touched. Each tick reads the
entries after the sensor's cursor and requests one ``daily_marts`` run per range of consecutive
days (one dbt invocation per range). A call's mart day is the UTC date of its ``start_at``, which
precedes its CDR's ``occurred_at``: a call that crosses midnight, or a CDR emitted after midnight,
lands on the next day, so each landed day also requests the ``LOOKBACK_DAYS`` before it.

Runs materialize only the daily models (a dbt build of a few days: seconds) once this Dagster
instance has seen the views (staging, intermediate) materialized; until then they are built in the
same run, so a fresh deployment needs no manual step.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Final

from dagster import (
    AssetKey,
    DagsterInstance,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines.marts.daily import (
    DAILY_FAMILIES,
    daily_marts_job,
    daily_partitions,
    irisx_dbt_daily,
    irisx_dbt_views,
)
from pipelines.resources import IrisxResource
from warehouse.landing import LandingLog

#: Days before each landed day that are rebuilt too (calls that started before midnight).
LOOKBACK_DAYS: Final = 1

#: Landing entries are deleted once read and older than this, so that a sensor whose cursor is
#: reset (or a person investigating a run) can still replay recent ones.
PRUNE_AFTER: Final = timedelta(hours=24)

#: Dagster's run tags for a partition range run (what a single-run backfill sets).
RANGE_START_TAG: Final = "dagster/asset_partition_range_start"
RANGE_END_TAG: Final = "dagster/asset_partition_range_end"


def day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted runs of consecutive days as (first, last), both inclusive."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def partition_days(landed: Iterable[date], valid_keys: set[str]) -> set[date]:
    """The partitions to rebuild for the landed days: each with its lookback, kept only where a
    partition exists (not before the partitions' start, not after today)."""
    wanted = {day - timedelta(days=back) for day in landed for back in range(LOOKBACK_DAYS + 1)}
    return {day for day in wanted if day.isoformat() in valid_keys}


def assets_to_run(instance: DagsterInstance) -> list[AssetKey]:
    """The daily models, plus the views while any of them was never materialized here."""
    views = sorted(irisx_dbt_views.keys)
    latest = instance.get_latest_materialization_events(views)
    daily = sorted(irisx_dbt_daily.keys)
    return daily if all(latest.get(key) for key in views) else views + daily


def run_request(first: date, last: date, cursor: str, assets: list[AssetKey]) -> RunRequest:
    """One run for the days first..last; the run key names the landing cursor, so a tick that is
    evaluated again never starts the same run twice."""
    span = first.isoformat() if first == last else f"{first.isoformat()}...{last.isoformat()}"
    tags = {"irisx/trigger": "landed_data"}
    if first == last:
        return RunRequest(
            run_key=f"{cursor}:{span}",
            partition_key=first.isoformat(),
            asset_selection=assets,
            tags=tags,
        )
    return RunRequest(
        run_key=f"{cursor}:{span}",
        asset_selection=assets,
        tags=tags | {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()},
    )


def prune_cursor(previous_cursor: str, now_ns: int) -> str:
    """Entries up to the returned name may go: already read by a committed tick (its cursor is
    ``previous_cursor``) and older than ``PRUNE_AFTER`` (entry names start with a fixed-width
    ``time_ns``, so a name compares below the bare cutoff time exactly when it is older)."""
    cutoff = f"{now_ns - int(PRUNE_AFTER.total_seconds() * 1e9):020d}"
    return min(previous_cursor, cutoff)


@sensor(
    job=daily_marts_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Rebuild the daily marts for the days that newly landed raw data touched.",
)
def landed_data_sensor(
    context: SensorEvaluationContext, irisx: IrisxResource
) -> SensorResult | SkipReason:
    log = LandingLog(irisx.settings().landing_dir)
    if context.cursor:
        log.prune(prune_cursor(context.cursor, time.time_ns()))
    landed = log.read_since(context.cursor)
    if landed.cursor is None or landed.cursor == context.cursor:
        return SkipReason("no new landing entries")
    landed_days = set().union(
        *(days for family, days in landed.days_by_family.items() if family in DAILY_FAMILIES)
    )
    valid_keys = set(daily_partitions.get_partition_keys())
    days = partition_days(landed_days, valid_keys)
    ignored = {day for day in landed_days if day.isoformat() not in valid_keys}
    if ignored:
        context.log.warning(
            f"landed days outside the daily partitions, left to a full dbt build: {sorted(ignored)}"
        )
    assets = assets_to_run(context.instance) if days else []
    # The cursor moves with the requests in one SensorResult: Dagster stores both or neither.
    return SensorResult(
        run_requests=[
            run_request(first, last, landed.cursor, assets) for first, last in day_ranges(days)
        ],
        cursor=landed.cursor,
    )
