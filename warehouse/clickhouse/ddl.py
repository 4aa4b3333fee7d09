"""DDL text of the raw tables, single server or cluster.

Single server: one ``ReplacingMergeTree(_ingested_at)`` table per family, named as the family.
Cluster (``cluster`` given): every statement runs ``ON CLUSTER``; the data lives in
``<family>_local`` (``ReplicatedReplacingMergeTree``) on each shard, and ``<family>`` is a
``Distributed`` table over them, sharded by ``cityHash64(tenant_id)`` so a tenant's events (and so
all copies of one event) land on one shard. Readers and writers use ``<db>.<family>`` either way.

Deduplication: ReplacingMergeTree collapses rows with equal sort keys
``(tenant_id, <type column>, occurred_at, event_id)`` at merge time (or in ``FINAL`` reads). A
re-delivered event with the same key collapses; the same ``event_id`` sent again with a different
type or time does not, so dbt staging always dedupes on ``event_id`` too (argMax / LIMIT 1 BY).
"""

from __future__ import annotations

from collections.abc import Sequence

from warehouse.clickhouse.schema import (
    TYPE_COLUMN,
    VERSION_COLUMN,
    VERSION_COLUMN_TYPE,
    Column,
    check_cluster_name,
    check_database_name,
)

MIGRATIONS_TABLE = "schema_migrations"


def _on_cluster(cluster: str | None) -> str:
    return f" ON CLUSTER '{check_cluster_name(cluster)}'" if cluster else ""


def local_table_name(family: str, cluster: str | None) -> str:
    """Where the rows are stored: the family's table, or ``<family>_local`` on a cluster."""
    return f"{family}_local" if cluster else family


def create_database_sql(database: str, cluster: str | None = None) -> str:
    return f"CREATE DATABASE IF NOT EXISTS {check_database_name(database)}{_on_cluster(cluster)}"


def raw_table_sql(
    family: str, columns: Sequence[Column], database: str, cluster: str | None = None
) -> list[str]:
    """CREATE statements of one family's raw table (two on a cluster: local + Distributed)."""
    check_database_name(database)
    if family not in TYPE_COLUMN:
        raise KeyError(f"family: no sort-key type column known for {family!r}")
    column_lines = ",\n".join(f"    `{name}` {type_}" for name, type_ in columns)
    column_lines += f",\n    `{VERSION_COLUMN}` {VERSION_COLUMN_TYPE} DEFAULT now64(6, 'UTC')"
    local = local_table_name(family, cluster)
    if cluster:
        # {shard} and {replica} are server macros, filled in per node from its config.
        engine = (
            f"ReplicatedReplacingMergeTree('/clickhouse/tables/{{shard}}/{database}/{local}', "
            f"'{{replica}}', {VERSION_COLUMN})"
        )
    else:
        engine = f"ReplacingMergeTree({VERSION_COLUMN})"
    statements = [
        f"CREATE TABLE IF NOT EXISTS {database}.{local}{_on_cluster(cluster)}\n"
        f"(\n{column_lines}\n)\n"
        f"ENGINE = {engine}\n"
        "PARTITION BY toYYYYMM(occurred_at)\n"
        f"ORDER BY (tenant_id, {TYPE_COLUMN[family]}, occurred_at, event_id)"
    ]
    if cluster:
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {database}.{family}{_on_cluster(cluster)}"
            f" AS {database}.{local}\n"
            f"ENGINE = Distributed('{cluster}', '{database}', '{local}', cityHash64(tenant_id))"
        )
    return statements


def migrations_table_sql(database: str, cluster: str | None = None) -> str:
    """The ledger of applied migrations. On a cluster one replicated copy is shared by every
    shard (a fixed ZooKeeper path without {shard}), so any node sees what was applied."""
    check_database_name(database)
    if cluster:
        engine = (
            f"ReplicatedMergeTree('/clickhouse/tables/all/{database}/{MIGRATIONS_TABLE}', "
            "'{replica}')"
        )
    else:
        engine = "MergeTree"
    return (
        f"CREATE TABLE IF NOT EXISTS {database}.{MIGRATIONS_TABLE}{_on_cluster(cluster)}\n(\n"
        "    `version` UInt32,\n"
        "    `name` String,\n"
        "    `checksum` String,\n"
        "    `applied_at` DateTime64(6, 'UTC') DEFAULT now64(6, 'UTC')\n"
        f")\nENGINE = {engine}\nORDER BY version"
    )
