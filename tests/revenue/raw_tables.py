"""The imported raw tables (subscription periods, exchange rates) as the lake and ClickHouse hold
them: the ``raw_store`` fixture (a chDB of the test's own with the raw tables migrated; the
revenue conftest provides it) and checks of their zero-row lake file and ClickHouse columns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import clickhouse_connect
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from warehouse.clickhouse import ClickHouseRawStore


@pytest.fixture
def raw_store(tmp_path: Path) -> Iterator[ClickHouseRawStore]:
    # chDB locks its folder: one client per folder per process, closed after the test.
    client = clickhouse_connect.get_client(interface="chdb", path=str(tmp_path / "chdb"))
    try:
        store = ClickHouseRawStore(client, "irisx_raw")
        store.migrate()
        yield store
    finally:
        client.close()


def column_types(store: ClickHouseRawStore, table: str) -> list[tuple[str, str]]:
    """(name, ClickHouse type) of each column of ``table``, in table order."""
    rows = store.client.query(
        "SELECT name, type FROM system.columns WHERE database = {db:String} "
        "AND table = {table:String} ORDER BY position",
        parameters={"db": store.database, "table": table},
    ).result_rows
    return [(str(name), str(type_)) for name, type_ in rows]


def assert_typed_zero_row_file(folder: Path, schema: pa.Schema) -> None:
    """``folder`` holds the zero-row ``_schema.parquet`` of exactly ``schema``."""
    schema_file = folder / "_schema.parquet"
    assert pq.read_metadata(schema_file).num_rows == 0
    assert pq.read_schema(schema_file).equals(schema)
