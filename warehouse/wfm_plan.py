"""Raw interval plans (``irisx wfm plan import``) in the lake and in ClickHouse.

Lake layout (under ``Settings.lake_dir``)::

    raw/wfm_plan_intervals/_schema.parquet               zero rows: the typed columns
    raw/wfm_plan_intervals/<tenant>/<import_id>.parquet  one import's intervals

Imports accumulate (a plan for tomorrow does not erase yesterday's): dbt staging keeps, per
tenant, queue and interval, the row of the latest ``imported_at``. The import id is derived from
the tenant and the file's bytes, so importing the same file again rewrites the same lake file.
ClickHouse (``<db>.wfm_plan_intervals``, created by migration 4) gets the rows inserted; a
ReplacingMergeTree on (tenant, queue, interval, import) keeps one copy of a re-imported file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from ingest.wfm_plan import SCHEMA
from warehouse.atomic import write_parquet_atomic
from warehouse.raw_imports import (
    check_import_table,
    initialize_schema_file,
    insert_clickhouse,
    raw_table_dir,
)

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

TABLE = "wfm_plan_intervals"


def plan_dir(lake_root: Path) -> Path:
    return raw_table_dir(lake_root, TABLE)


def initialize_plan_intervals(lake_root: Path) -> None:
    """Write the zero-row schema file, so the dbt source's glob matches with nothing imported."""
    initialize_schema_file(plan_dir(lake_root), SCHEMA)


def write_plan_intervals(lake_root: Path, tenant_id: str, table: pa.Table, import_id: str) -> Path:
    """Write one import's intervals to the lake (the same import id replaces its file)."""
    check_import_table(table, SCHEMA, TABLE, defined_in="ingest.wfm_plan", tenant_id=tenant_id)
    initialize_plan_intervals(lake_root)
    return write_parquet_atomic(
        table.sort_by([("queue_id", "ascending"), ("interval_start", "ascending")]),
        plan_dir(lake_root) / tenant_id / f"{import_id}.parquet",
    )


def write_plan_intervals_clickhouse(
    client: Client, database: str, tenant_id: str, table: pa.Table
) -> None:
    """Insert one import's intervals into ``<database>.wfm_plan_intervals``."""
    check_import_table(table, SCHEMA, TABLE, defined_in="ingest.wfm_plan", tenant_id=tenant_id)
    insert_clickhouse(client, database, TABLE, table)
