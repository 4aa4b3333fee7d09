"""Fixtures for the server-profile stream worker: its two stores on chDB and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from config import Settings
from warehouse.hotstore import PostgresHotStore
from warehouse.landing import LandingLog
from warehouse.sinks import ClickHouseWarehouseSink, HotStoreSink


@pytest.fixture
def warehouse_sink(settings: Settings) -> Iterator[ClickHouseWarehouseSink]:
    sink = ClickHouseWarehouseSink(
        settings.warehouse_dsn,
        landing=LandingLog(settings.landing_dir),
        chdb_folder=settings.chdb_dir,
    )
    yield sink
    sink.close()


@pytest.fixture
def hot_sink(plain_dsn: str) -> Iterator[HotStoreSink]:
    sink = HotStoreSink(PostgresHotStore(plain_dsn))
    yield sink
    sink.close()
