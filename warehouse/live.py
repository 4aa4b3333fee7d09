"""Per-minute live rollups behind the wallboards, wherever the profile keeps recent events.

``LiveRollups`` is the interface ``/v1/live/*`` reads through; two implementations:

- server profile: :class:`warehouse.hotstore.PostgresHotStore`, whose minute rollup tables the
  stream worker refreshes after each batch;
- embedded profile: :class:`LakeLiveRollups`, which computes the same minute rollups on the fly
  with DuckDB from the Parquet lake's raw ``call`` and ``rtcp`` events.

Both run the same SQL: the rollup statements of the hot store (``CALL_ROLLUP_OF_WINDOW``,
``QUEUE_ROLLUP_OF_WINDOW``, ``QUALITY_ROLLUP_OF_WINDOW``, over tables named ``calls`` and
``rtcp_reports``) and the same window reads over them (``LIVE_CALL_STATS_SELECT``,
``live_queue_stats_select``, ``LIVE_QUALITY_SELECT``). Here ``calls`` and
``rtcp_reports`` are CTEs over the lake files, deduplicated on the hot store's keys
(event_id and time column: a batch delivered twice counts once, as ``on conflict do nothing``
makes it there), so the same events give the same numbers on both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from warehouse.hotstore.schema import HOT_TABLES
from warehouse.hotstore.store import (
    CALL_ROLLUP_OF_WINDOW,
    LIVE_CALL_STATS_SELECT,
    LIVE_QUALITY_SELECT,
    QUALITY_ROLLUP_OF_WINDOW,
    QUEUE_ROLLUP_OF_WINDOW,
    CallStats,
    QualityStats,
    QueueStats,
    call_stats_from_row,
    live_queue_stats_select,
    live_window,
    quality_stats_from_rows,
    queue_stats_from_rows,
)
from warehouse.recent_lake import EMPTY_PREFIX, LakeReadUnavailable, RecentLakeReader


class LiveRollups(Protocol):
    """Wallboard reads over the minute buckets in (now - minutes, now] of one tenant."""

    def live_call_stats(
        self, tenant_id: str, minutes: int, now: datetime | None = None
    ) -> CallStats: ...

    def live_quality(
        self, tenant_id: str, minutes: int, now: datetime | None = None
    ) -> list[QualityStats]: ...

    def live_queue_stats(
        self,
        tenant_id: str,
        minutes: int,
        now: datetime | None = None,
        queue_id: str | None = None,
    ) -> list[QueueStats]: ...


class LiveRollupsUnavailable(LakeReadUnavailable):
    """The recent events could not be read now (e.g. a lake file replaced mid-read); a retry
    is worth it."""


def _duckdb_sql(postgres_sql: str) -> str:
    """The shared statements use psycopg's positional ``%s``; DuckDB's is ``?``."""
    return postgres_sql.replace("%s", "?")


class LakeLiveRollups:
    """The hot store's minute rollups, computed by DuckDB from the lake's recent raw events.

    Only the lake's month folders from ``lookback_days`` before the window on are read (the lake
    is split by month of ``occurred_at``): the hot store keeps that many days
    (IRISX_HOT_RETENTION_DAYS), so a report's call is looked up about as far back on both. Row
    groups outside the window are skipped by the Parquet statistics (files are sorted by tenant
    and time).
    """

    def __init__(self, lake_root: Path, *, lookback_days: int = 7) -> None:
        self.reader = RecentLakeReader(
            lake_root,
            lookback_days=lookback_days,
            families=HOT_TABLES,
            unavailable=LiveRollupsUnavailable,
        )

    def live_call_stats(
        self, tenant_id: str, minutes: int, now: datetime | None = None
    ) -> CallStats:
        """Call totals of ``tenant_id`` over the minute buckets in (now - minutes, now]."""
        window = live_window(minutes, now)
        first, end = _bucket_bounds(window)
        calls, calls_params = self._events("call", tenant_id, first)
        sql = (
            f"with calls as ({calls}), call_minute_rollup as ({CALL_ROLLUP_OF_WINDOW})"
            f" {LIVE_CALL_STATS_SELECT}"
        )
        rows = self._run(sql, [*calls_params, first, end, tenant_id, *window])
        return call_stats_from_row(rows[0])

    def live_quality(
        self, tenant_id: str, minutes: int, now: datetime | None = None
    ) -> list[QualityStats]:
        """RTCP quality of ``tenant_id`` per carrier over the minute buckets in
        (now - minutes, now], carriers in name order (unknown last)."""
        window = live_window(minutes, now)
        first, end = _bucket_bounds(window)
        calls, calls_params = self._events("call", tenant_id, first)
        reports, reports_params = self._events("rtcp", tenant_id, first)
        sql = (
            f"with calls as ({calls}), rtcp_reports as ({reports}),"
            f" quality_minute_rollup as ({QUALITY_ROLLUP_OF_WINDOW}) {LIVE_QUALITY_SELECT}"
        )
        params = [*calls_params, *reports_params, first, end, tenant_id, *window]
        return quality_stats_from_rows(self._run(sql, params))

    def live_queue_stats(
        self,
        tenant_id: str,
        minutes: int,
        now: datetime | None = None,
        queue_id: str | None = None,
    ) -> list[QueueStats]:
        """Per-queue call totals of ``tenant_id`` over the minute buckets in (now - minutes,
        now]: for each queue (in id order, or only ``queue_id``) its window total, then its
        minutes with calls in time order."""
        window = live_window(minutes, now)
        first, end = _bucket_bounds(window)
        calls, calls_params = self._events("call", tenant_id, first)
        read = live_queue_stats_select(one_queue=queue_id is not None)
        sql = f"with calls as ({calls}), queue_minute_rollup as ({QUEUE_ROLLUP_OF_WINDOW}) {read}"
        params = [*calls_params, first, end, tenant_id, *window]
        return queue_stats_from_rows(
            self._run(sql, params if queue_id is None else [*params, queue_id])
        )

    def _events(self, family: str, tenant_id: str, first_minute: datetime) -> tuple[str, list[Any]]:
        """A select of one family's events of one tenant, one row per hot-store key, and its
        parameters. Files: the month folders' from ``lookback_days`` before the window on, and
        the zero-row schema file (the contract's types, even with no events yet)."""
        files = self.reader.files(family, first_minute)
        time_column = HOT_TABLES[family].time_column
        # A lake never initialised (no file at all): the contract's empty table, same columns.
        source = (
            "read_parquet(%s, union_by_name = true, hive_partitioning = false)"
            if files
            else f"{EMPTY_PREFIX}{family}"
        )
        sql = (
            f"select * from {source} where tenant_id = %s"
            f" qualify row_number() over (partition by event_id, {time_column}) = 1"
        )
        return sql, [files, tenant_id] if files else [tenant_id]

    def _run(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return self.reader.fetch(_duckdb_sql(sql), params)


def _bucket_bounds(window: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    """[first minute, exclusive end) of the events whose minute buckets the window reads: from
    the minute holding its (exclusive) start to the end of the minute holding ``now``."""
    start, now = window
    first = start.astimezone(UTC).replace(second=0, microsecond=0)
    return first, now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
