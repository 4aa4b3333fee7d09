"""Raw subscription periods (``irisx import subscriptions``) in the lake and in ClickHouse.

Lake layout (under ``Settings.lake_dir``)::

    raw/subscription_periods/_schema.parquet               zero rows: the typed columns
    raw/subscription_periods/<tenant>/<import_id>.parquet  the tenant's current periods

A tenant's CSV is its full current state, so an import replaces the tenant's earlier import:
the new file is written first, then the tenant's other files are removed. The import id is
derived from the tenant and the file's bytes, so importing the same file again rewrites the same
file. ClickHouse (``<db>.subscription_periods``, created by migration 2) gets the rows inserted
and the tenant's older imports deleted; dbt staging keeps each tenant's latest import only, so a
reader between the insert and the delete still sees one import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from ingest.subscriptions import SCHEMA
from warehouse.atomic import write_parquet_atomic
from warehouse.raw_imports import (
    check_import_table,
    initialize_schema_file,
    insert_clickhouse,
    raw_table_dir,
)

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

TABLE = "subscription_periods"


def periods_dir(lake_root: Path) -> Path:
    return raw_table_dir(lake_root, TABLE)


def initialize_periods(lake_root: Path) -> None:
    """Write the zero-row schema file, so the dbt source's glob matches with nothing imported."""
    initialize_schema_file(periods_dir(lake_root), SCHEMA)


def replace_tenant_periods(
    lake_root: Path, tenant_id: str, table: pa.Table, import_id: str
) -> Path:
    """Make ``table`` the tenant's periods in the lake (an empty table leaves none)."""
    _check(table, tenant_id)
    tenant_dir = periods_dir(lake_root) / tenant_id
    written = write_parquet_atomic(
        table.sort_by([("customer_id", "ascending"), ("subscription_id", "ascending")]),
        tenant_dir / f"{import_id}.parquet",
    )
    for older in tenant_dir.glob("*.parquet"):
        if older != written:
            older.unlink()
    return written


def replace_tenant_periods_clickhouse(
    client: Client, database: str, tenant_id: str, table: pa.Table, import_id: str
) -> None:
    """Insert the tenant's periods, then delete its rows of other imports (single server; on a
    cluster run the delete on each shard's local table)."""
    _check(table, tenant_id)
    insert_clickhouse(client, database, TABLE, table)
    client.command(
        f"DELETE FROM {database}.{TABLE} "
        "WHERE tenant_id = {tenant:String} AND import_id != {import_id:String}",
        parameters={"tenant": tenant_id, "import_id": import_id},
    )


def _check(table: pa.Table, tenant_id: str) -> None:
    check_import_table(table, SCHEMA, TABLE, defined_in="ingest.subscriptions", tenant_id=tenant_id)
