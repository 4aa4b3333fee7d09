"""A real chDB (in-process ClickHouse) per test, opened through clickhouse-connect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client


@pytest.fixture
def ch_client(tmp_path: Path) -> Iterator[Client]:
    # chDB locks its folder: one client per folder per process, closed before the next test.
    client = clickhouse_connect.get_client(dsn=f"chdb:///{tmp_path / 'chdb'}")
    try:
        yield client
    finally:
        client.close()
