"""The raw subscription_periods table: always present and typed, and replaced per tenant
(``raw_store`` comes from the revenue conftest)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ingest.subscriptions import SCHEMA, read_subscription_periods
from tests.revenue.raw_tables import assert_typed_zero_row_file, column_types
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore
from warehouse.subscription_periods import (
    periods_dir,
    replace_tenant_periods_clickhouse,
)

HEADER = "subscription_id,customer_id,start_date,end_date,monthly_amount\n"


def test_lake_initialize_writes_the_typed_zero_row_file(tmp_path: Path) -> None:
    ParquetLake(tmp_path / "lake").initialize()
    assert_typed_zero_row_file(periods_dir(tmp_path / "lake"), SCHEMA)


def test_clickhouse_import_replaces_only_that_tenants_rows(raw_store: ClickHouseRawStore) -> None:
    columns = column_types(raw_store, "subscription_periods")
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
            raw_store.client, raw_store.database, tenant, result.to_table(), result.import_id
        )
    rows = raw_store.client.query(
        "SELECT tenant_id, subscription_id, monthly_amount "
        "FROM irisx_raw.subscription_periods FINAL ORDER BY tenant_id, subscription_id"
    ).result_rows
    assert [tuple(row) for row in rows] == [
        ("acme", "s1", Decimal("120")),
        ("globex", "g1", Decimal("7")),
    ]
