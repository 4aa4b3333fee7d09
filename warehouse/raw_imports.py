"""What the raw tables of imported reference data share (``subscription_periods``,
``fx_rates``, ``wfm_plan_intervals``): the lake folder's zero-row schema file, the checks on an
import's table, and the ClickHouse insert. Each table's module keeps its own layout and rules
(replace a tenant's state, or accumulate imports)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.atomic import write_parquet_atomic

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

SCHEMA_FILE = "_schema.parquet"


def raw_table_dir(lake_root: Path, table_name: str) -> Path:
    return lake_root / "raw" / table_name


def initialize_schema_file(table_dir: Path, schema: pa.Schema) -> None:
    """Write the zero-row schema file, so the dbt source's glob matches with nothing imported."""
    path = table_dir / SCHEMA_FILE
    if path.exists() and pq.read_schema(path).equals(schema):
        return
    write_parquet_atomic(schema.empty_table(), path)


def check_import_table(
    table: pa.Table,
    schema: pa.Schema,
    table_name: str,
    *,
    defined_in: str,
    tenant_id: str | None = None,
) -> None:
    """``ValueError`` unless ``table`` has exactly ``schema``'s columns (``defined_in``: the
    ingest module defining the schema) and, with ``tenant_id``, only that tenant's rows."""
    if table.schema != schema:
        raise ValueError(f"{table_name}: columns differ from {defined_in}.SCHEMA")
    if tenant_id is None:
        return
    tenants = set(table.column("tenant_id").unique().to_pylist())
    if tenants - {tenant_id}:
        raise ValueError(f"{table_name}: rows of tenants {sorted(tenants)}, expected {tenant_id!r}")


def insert_clickhouse(client: Client, database: str, table_name: str, table: pa.Table) -> None:
    """Insert ``table``'s rows (if any) into ``<database>.<table_name>``."""
    from warehouse.clickhouse.schema import check_database_name

    check_database_name(database)
    if table.num_rows:
        client.insert_arrow(table_name, table, database=database)
