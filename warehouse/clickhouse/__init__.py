"""ClickHouse raw warehouse (server profile), through clickhouse-connect only.

Raw tables ``<db>.<family>`` with the contract's columns plus ``_ingested_at``, created by
versioned migrations; ``ClickHouseRawStore`` writes validated Arrow batches into them. chDB serves
as a single-machine ClickHouse with ``clickhouse_connect.get_client(dsn="chdb:///<folder>")``.
"""

from __future__ import annotations

from clickhouse_connect.driver.client import Client

from warehouse.clickhouse.ddl import create_database_sql, migrations_table_sql, raw_table_sql
from warehouse.clickhouse.migrations import (
    MIGRATIONS,
    AppliedMigration,
    Migration,
    MigrationError,
    applied_migrations,
    apply_migrations,
    render_migrations_sql,
)
from warehouse.clickhouse.schema import TYPE_COLUMN, VERSION_COLUMN, contract_columns
from warehouse.clickhouse.store import ClickHouseRawStore


def create_raw_tables(
    client: Client, database: str = "irisx_raw", *, cluster: str | None = None
) -> list[int]:
    """Create (or upgrade) the raw tables of every family in ``database``: runs the migrations.
    Returns the migration versions applied now ([] when already up to date)."""
    return apply_migrations(client, database, cluster=cluster)


__all__ = [
    "MIGRATIONS",
    "TYPE_COLUMN",
    "VERSION_COLUMN",
    "AppliedMigration",
    "ClickHouseRawStore",
    "Migration",
    "MigrationError",
    "applied_migrations",
    "apply_migrations",
    "contract_columns",
    "create_database_sql",
    "create_raw_tables",
    "migrations_table_sql",
    "raw_table_sql",
    "render_migrations_sql",
]
