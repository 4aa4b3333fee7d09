"""Raw exchange rates (``irisx import fx-rates``) in the lake and in ClickHouse.

Lake layout (under ``Settings.lake_dir``)::

    raw/fx_rates/_schema.parquet        zero rows: the typed columns
    raw/fx_rates/<import_id>.parquet    one import's rates

Rates are global (no tenant folder, see ``ingest.fx_rates``). Imports accumulate: dbt staging
keeps, per (rate_date, currency, quote_currency), the row of the latest ``imported_at``. The
import id is derived from the file's bytes; re-importing a file reuses the ``imported_at`` its
first import stored (``imported_at_of``), so the rows written are identical and nothing changes
(not even which import wins a key another import also set). ClickHouse (``<db>.fx_rates``,
created by migration 5) gets the rows inserted; a ReplacingMergeTree on (currency,
quote_currency, rate_date, import_id) keeps one copy of a re-imported file, and staging
deduplicates before merges.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.fx_rates import SCHEMA
from warehouse.atomic import write_parquet_atomic
from warehouse.raw_imports import (
    check_import_table,
    initialize_schema_file,
    insert_clickhouse,
    raw_table_dir,
)

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

TABLE = "fx_rates"


def fx_rates_dir(lake_root: Path) -> Path:
    return raw_table_dir(lake_root, TABLE)


def initialize_fx_rates(lake_root: Path) -> None:
    """Write the zero-row schema file, so the dbt source's glob matches with nothing imported."""
    initialize_schema_file(fx_rates_dir(lake_root), SCHEMA)


def _import_path(lake_root: Path, import_id: str) -> Path:
    return fx_rates_dir(lake_root) / f"{import_id}.parquet"


def imported_at_of(lake_root: Path, import_id: str) -> datetime | None:
    """When ``import_id`` was first imported (None if never, or if it had no accepted row)."""
    path = _import_path(lake_root, import_id)
    if not path.exists():
        return None
    column = pq.read_table(path, columns=["imported_at"]).column("imported_at")
    if not len(column):
        return None
    value: datetime = column[0].as_py()
    return value


def write_fx_rates(lake_root: Path, table: pa.Table, import_id: str) -> Path:
    """Write one import's rates to the lake (the same import id replaces its file)."""
    check_import_table(table, SCHEMA, TABLE, defined_in="ingest.fx_rates")
    initialize_fx_rates(lake_root)
    return write_parquet_atomic(
        table.sort_by(
            [("currency", "ascending"), ("quote_currency", "ascending"), ("rate_date", "ascending")]
        ),
        _import_path(lake_root, import_id),
    )


def write_fx_rates_clickhouse(client: Client, database: str, table: pa.Table) -> None:
    """Insert one import's rates into ``<database>.fx_rates``."""
    check_import_table(table, SCHEMA, TABLE, defined_in="ingest.fx_rates")
    insert_clickhouse(client, database, TABLE, table)
