"""Versioned, idempotent migrations of the ClickHouse raw database.

Each migration is numbered and renders its statements for a database (and optional cluster).
``apply_migrations`` records every applied one in ``<db>.schema_migrations`` with a checksum of
its canonical text (database and cluster left as placeholders, so the checksum is the same on
every deployment). Re-running applies nothing; an applied migration whose text changed since is
refused, because the database no longer matches what the code believes it ran. Statements are
``IF NOT EXISTS``-guarded so a migration cut off half way can simply run again.

Run migrations from one process (a deploy step or ``ClickHouseRawStore.migrate`` at worker start);
two concurrent first runs would each apply the same idempotent statements and record the version
twice, which the ledger read tolerates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clickhouse_connect.driver.client import Client

from warehouse.clickhouse.ddl import (
    MIGRATIONS_TABLE,
    create_database_sql,
    local_table_name,
    migrations_table_sql,
    raw_table_sql,
)
from warehouse.clickhouse.raw_columns_v1 import RAW_COLUMNS_V1
from warehouse.clickhouse.schema import check_cluster_name, check_database_name

#: Placeholders the checksum is computed with, so it does not depend on names chosen at deploy.
_CANONICAL_DATABASE = "irisx_raw"


class MigrationError(RuntimeError):
    """The database's migration ledger disagrees with the migrations in this code."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    #: Renders the statements for (database, cluster or None).
    render: Callable[[str, str | None], list[str]]

    def statements(self, database: str, cluster: str | None = None) -> list[str]:
        return self.render(database, cluster)

    @property
    def checksum(self) -> str:
        text = ";\n".join(self.render(_CANONICAL_DATABASE, None))
        return hashlib.sha256(text.encode()).hexdigest()


def _create_raw_tables_v1(database: str, cluster: str | None) -> list[str]:
    statements = []
    for family, columns in RAW_COLUMNS_V1.items():
        statements.extend(raw_table_sql(family, columns, database, cluster))
    return statements


def _import_table_sql(
    table: str,
    columns: Sequence[tuple[str, str]],
    order_by: str,
    shard_key: str,
    database: str,
    cluster: str | None,
) -> list[str]:
    """An imported reference table: a ReplacingMergeTree on ``imported_at`` (replicated on a
    cluster, with a Distributed table sharded by ``shard_key`` in front)."""
    check_database_name(database)
    on_cluster = f" ON CLUSTER '{check_cluster_name(cluster)}'" if cluster else ""
    local = local_table_name(table, cluster)
    if cluster:
        engine = (
            f"ReplicatedReplacingMergeTree('/clickhouse/tables/{{shard}}/{database}/{local}', "
            "'{replica}', imported_at)"
        )
    else:
        engine = "ReplacingMergeTree(imported_at)"
    column_lines = ",\n".join(f"    `{name}` {kind}" for name, kind in columns)
    statements = [
        f"CREATE TABLE IF NOT EXISTS {database}.{local}{on_cluster}\n(\n{column_lines}\n"
        f")\nENGINE = {engine}\nORDER BY ({order_by})"
    ]
    if cluster:
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {database}.{table}{on_cluster}"
            f" AS {database}.{local}\n"
            f"ENGINE = Distributed('{cluster}', '{database}', '{local}', cityHash64({shard_key}))"
        )
    return statements


#: The import's own columns; every imported table ends with these two.
_IMPORT_COLUMNS = (("import_id", "String"), ("imported_at", "DateTime64(6, 'UTC')"))


def _create_subscription_periods_v2(database: str, cluster: str | None) -> list[str]:
    """``irisx import subscriptions`` rows (ingest.subscriptions.SCHEMA), frozen here as shipped.
    Replacing on the full key keeps one copy of a re-imported file; older imports of a tenant
    are deleted by the importer (warehouse.subscription_periods)."""
    columns = (
        ("tenant_id", "String"),
        ("subscription_id", "String"),
        ("customer_id", "String"),
        ("start_date", "Date32"),
        ("end_date", "Nullable(Date32)"),
        ("monthly_amount", "Decimal(18, 6)"),
        ("currency", "LowCardinality(String)"),
    )
    return _import_table_sql(
        "subscription_periods",
        columns + _IMPORT_COLUMNS,
        "tenant_id, import_id, subscription_id, start_date",
        "tenant_id",
        database,
        cluster,
    )


def _add_billing_included_usage_v3(database: str, cluster: str | None) -> list[str]:
    """BillingEvent.included_usage_amount (optional, after ``reason``): on a cluster the local
    tables and the Distributed table each get the column."""
    check_database_name(database)
    on_cluster = f" ON CLUSTER '{check_cluster_name(cluster)}'" if cluster else ""
    tables = [local_table_name("billing", cluster)] + (["billing"] if cluster else [])
    return [
        f"ALTER TABLE {database}.{table}{on_cluster}\n"
        "ADD COLUMN IF NOT EXISTS `included_usage_amount` Nullable(Decimal(18, 6)) AFTER `reason`"
        for table in tables
    ]


def _create_wfm_plan_intervals_v4(database: str, cluster: str | None) -> list[str]:
    """``irisx wfm plan import`` rows (ingest.wfm_plan.SCHEMA), frozen here as shipped. Imports
    accumulate; replacing on the full key keeps one copy of a re-imported file, and dbt staging
    keeps each interval's latest import."""
    columns = (
        ("tenant_id", "String"),
        ("queue_id", "String"),
        ("interval_start", "DateTime64(6, 'UTC')"),
        ("planned_calls", "Float64"),
        ("planned_aht_sec", "Float64"),
        ("planned_agents", "Float64"),
        ("planned_service_level", "Nullable(Float64)"),
    )
    return _import_table_sql(
        "wfm_plan_intervals",
        columns + _IMPORT_COLUMNS,
        "tenant_id, queue_id, interval_start, import_id",
        "tenant_id",
        database,
        cluster,
    )


def _create_fx_rates_v5(database: str, cluster: str | None) -> list[str]:
    """``irisx import fx-rates`` rows (ingest.fx_rates.SCHEMA), frozen here as shipped. Global
    reference data (no tenant). Imports accumulate; replacing on the full key keeps one copy of
    a re-imported file, and dbt staging keeps each (rate_date, pair)'s latest import. On a
    cluster the Distributed table shards by currency (a few rows; any node reads them all)."""
    columns = (
        ("rate_date", "Date32"),
        ("currency", "LowCardinality(String)"),
        ("quote_currency", "LowCardinality(String)"),
        ("rate", "Decimal(18, 6)"),
    )
    return _import_table_sql(
        "fx_rates",
        columns + _IMPORT_COLUMNS,
        "currency, quote_currency, rate_date, import_id",
        "currency",
        database,
        cluster,
    )


#: Every migration, in order. Append only; never edit or renumber one that has shipped.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create_raw_tables", _create_raw_tables_v1),
    Migration(2, "create_subscription_periods", _create_subscription_periods_v2),
    Migration(3, "add_billing_included_usage_amount", _add_billing_included_usage_v3),
    Migration(4, "create_wfm_plan_intervals", _create_wfm_plan_intervals_v4),
    Migration(5, "create_fx_rates", _create_fx_rates_v5),
)


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str


def applied_migrations(client: Client, database: str) -> list[AppliedMigration]:
    """The ledger's entries, one per version, in version order ([] if there is no ledger)."""
    check_database_name(database)
    exists = client.command(
        "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {table:String}",
        parameters={"db": database, "table": MIGRATIONS_TABLE},
    )
    if not int(exists):  # type: ignore[arg-type]
        return []
    rows = client.query(
        f"SELECT version, any(name), any(checksum) FROM {database}.{MIGRATIONS_TABLE} "
        "GROUP BY version ORDER BY version"
    ).result_rows
    return [AppliedMigration(int(row[0]), str(row[1]), str(row[2])) for row in rows]


def _check_sequence(migrations: Sequence[Migration]) -> None:
    versions = [migration.version for migration in migrations]
    if versions != sorted(set(versions)) or (versions and versions[0] < 1):
        raise MigrationError(f"migration versions must be unique and increasing: {versions}")


def apply_migrations(
    client: Client,
    database: str = "irisx_raw",
    *,
    cluster: str | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> list[int]:
    """Apply the migrations not yet recorded, in order; return the versions applied now."""
    _check_sequence(migrations)
    client.command(create_database_sql(database, cluster))
    client.command(migrations_table_sql(database, cluster))
    applied = {entry.version: entry for entry in applied_migrations(client, database)}
    known = {migration.version for migration in migrations}
    unknown = sorted(set(applied) - known)
    if unknown:
        raise MigrationError(
            f"{database}.{MIGRATIONS_TABLE} has migrations {unknown} that this code does not "
            "know: the database was migrated by a newer release"
        )
    newly_applied: list[int] = []
    for migration in migrations:
        entry = applied.get(migration.version)
        if entry is not None:
            if entry.checksum != migration.checksum:
                raise MigrationError(
                    f"migration {migration.version} ({migration.name}) changed after it was "
                    f"applied to {database} (checksum {entry.checksum[:12]} in the database, "
                    f"{migration.checksum[:12]} in the code): never edit an applied migration, "
                    "add a new one"
                )
            continue
        for statement in migration.statements(database, cluster):
            client.command(statement)
        client.insert(
            MIGRATIONS_TABLE,
            [[migration.version, migration.name, migration.checksum]],
            column_names=["version", "name", "checksum"],
            database=database,
        )
        newly_applied.append(migration.version)
    return newly_applied


def render_migrations_sql(
    database: str = "irisx_raw",
    *,
    cluster: str | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> str:
    """Every statement ``apply_migrations`` would run on an empty server, as one SQL script (for
    review, or to run by hand with clickhouse-client on a cluster)."""
    _check_sequence(migrations)
    statements = [create_database_sql(database, cluster), migrations_table_sql(database, cluster)]
    for migration in migrations:
        statements.extend(migration.statements(database, cluster))
    return "".join(f"{statement};\n\n" for statement in statements)
