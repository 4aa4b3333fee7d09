"""The raw subscription_periods table: always present and typed, and replaced per tenant."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import clickhouse_connect
import pyarrow.parquet as pq

from ingest.subscriptions import SCHEMA, read_subscription_periods
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore
from warehouse.subscription_periods import (
    periods_dir,
    replace_tenant_periods_clickhouse,
)

HEADER = "subscription_id,customer_id,start_date,end_date,monthly_amount\n"


def test_lake_initialize_writes_the_typed_zero_row_file(tmp_path: Path) -> None:
    ParquetLake(tmp_path / "lake").initialize()
    schema_file = periods_dir(tmp_path / "lake") / "_schema.parquet"
    assert pq.read_metadata(schema_file).num_rows == 0
    assert pq.read_schema(schema_file).equals(SCHEMA)


def test_clickhouse_import_replaces_only_that_tenants_rows(tmp_path: Path) -> None:
    client = clickhouse_connect.get_client(interface="chdb", path=str(tmp_path / "chdb"))
    try:
        store = ClickHouseRawStore(client, "irisx_raw")
        store.migrate()
        columns = client.query(
            "SELECT name, type FROM system.columns WHERE database = 'irisx_raw' "
            "AND table = 'subscription_periods' ORDER BY position"
        ).result_rows
        assert [name for name, _ in columns] == SCHEMA.names
        assert dict(columns)["end_date"] == "Nullable(Date32)"
        assert dict(columns)["monthly_amount"] == "Decimal(18, 6)"

        imports = [
            ("acme", HEADER + "s1,c1,2024-01-01,,100\ns2,c2,2024-01-01,,5\n"),
            ("globex", HEADER + "g1,g1,2024-01-01,,7\n"),
            ("acme", HEADER + "s1,c1,2024-01-01,,100\ns2,c2,2024-01-01,,5\n"),  # same file
            ("acme", HEADER + "s1,c1,2024-01-01,,120\n"),  # the new state of acme
        ]
        for tenant, text in imports:
            result = read_subscription_periods(text.encode(), tenant_id=tenant, source="p.csv")
            replace_tenant_periods_clickhouse(
                client, store.database, tenant, result.to_table(), result.import_id
            )
        rows = client.query(
            "SELECT tenant_id, subscription_id, monthly_amount "
            "FROM irisx_raw.subscription_periods FINAL ORDER BY tenant_id, subscription_id"
        ).result_rows
        assert [tuple(row) for row in rows] == [
            ("acme", "s1", Decimal("120")),
            ("globex", "g1", Decimal("7")),
        ]
    finally:
        client.close()
