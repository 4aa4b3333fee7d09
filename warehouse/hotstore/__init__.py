"""PostgreSQL hot store: the last N days of calls, RTCP reports and agent states, plus the
per-minute rollups (calls, queues, RTCP quality) live wallboards read. Plain PostgreSQL (daily
range partitions, rollup tables refreshed by ``refresh_rollups``) or TimescaleDB (hypertables,
continuous aggregates, policies), chosen by detecting the extension."""

from warehouse.hotstore.schema import HOT_TABLES, HotTable
from warehouse.hotstore.store import CallStats, PostgresHotStore, QualityStats, QueueStats

__all__ = ["HOT_TABLES", "CallStats", "HotTable", "PostgresHotStore", "QualityStats", "QueueStats"]
