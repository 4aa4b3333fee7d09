"""DuckDB reads of the lake's recent raw events, for the embedded profile's stand-ins of the hot
store (``warehouse.live.LakeLiveRollups``, ``warehouse.agent_states.LakeAgentStates``).

The hot store keeps ``lookback_days`` days (IRISX_HOT_RETENTION_DAYS), so its stand-ins read only
the lake's month folders from that many days before the window on (the lake is split by month
of ``occurred_at``), plus each family's zero-row schema file: the contract's types even before
any event. In a lake never initialised (no file at all), ``empty_<family>`` names the family's
zero-row table instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from ingest.contracts import family_schema
from warehouse.lake import SCHEMA_FILE, ParquetLake

#: ``empty_<family>``: the family's zero-row table, registered on every read's cursor.
EMPTY_PREFIX = "empty_"


class LakeReadUnavailable(RuntimeError):  # noqa: N818 - like warehouse.marts' errors
    """A recent-events read failed because a file listed for it is gone (a batch rewritten
    meanwhile); a retry is worth it. Each reader raises its own subclass."""


class RecentLakeReader:
    """The recent files of the lake under ``lake_root`` and one in-memory DuckDB (UTC session,
    as the hot store's) that reads them; a read fails with ``unavailable`` when a file listed
    for it is gone (a batch rewritten meanwhile), as the next read lists again."""

    def __init__(
        self,
        lake_root: Path,
        *,
        lookback_days: int,
        families: Iterable[str],
        unavailable: type[LakeReadUnavailable],
    ) -> None:
        if lookback_days < 1:
            raise ValueError(f"lookback_days must be >= 1, got {lookback_days}")
        self.lake = ParquetLake(lake_root)
        self.lookback_days = lookback_days
        self.families = tuple(families)
        self.unavailable = unavailable
        self._database: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()

    def files(self, family: str, since: datetime) -> list[str]:
        """The family's files in the month folders from ``lookback_days`` before ``since`` on,
        its schema file first; empty in a lake never initialised."""
        first_month = f"month={since - timedelta(days=self.lookback_days):%Y-%m}"
        files = [
            str(path)
            for path in self.lake.files(family)
            if path.parent.name >= first_month  # month=YYYY-MM: name order is month order
        ]
        schema_file = self.lake.family_dir(family) / SCHEMA_FILE
        if schema_file.exists():
            files.insert(0, str(schema_file))
        return files

    def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows of one DuckDB statement (``?`` parameters)."""
        connection = self._connect()
        try:
            return connection.execute(sql, params).fetchall()
        except duckdb.IOException as exc:
            # A batch rewritten while listed: its old file is gone. The next read lists again.
            raise self.unavailable(f"lake read failed: {exc}") from exc
        finally:
            connection.close()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._database is None:
                self._database = duckdb.connect(
                    ":memory:", config={"enable_external_file_cache": False}
                )
                # Times in UTC, as the hot store's session (date_trunc and date casts follow it).
                self._database.execute("set global TimeZone = 'UTC'")
            cursor = self._database.cursor()
        for family in self.families:
            cursor.register(f"{EMPTY_PREFIX}{family}", family_schema(family).empty_table())
        return cursor
