"""Cluster DDL text (chDB has no clusters, so the rendered SQL is what we can check here)."""

from __future__ import annotations

import re

import pytest
from clickhouse_connect.driver.client import Client

from ingest.contracts import FAMILIES
from warehouse.clickhouse import raw_table_sql, render_migrations_sql
from warehouse.clickhouse.raw_columns_v1 import RAW_COLUMNS_V1


def _statements(sql: str) -> list[str]:
    return [statement.strip() for statement in sql.split(";\n") if statement.strip()]


def test_every_statement_runs_on_the_cluster() -> None:
    statements = _statements(render_migrations_sql("irisx_raw", cluster="irisx"))
    # database + ledger + (local + Distributed) per family and for subscription_periods, and
    # migration 3's ALTER of billing's local and Distributed tables, and migration 4's
    # wfm_plan_intervals (local + Distributed), and migration 5's fx_rates (local + Distributed)
    assert len(statements) == 2 + 2 * len(FAMILIES) + 2 + 2 + 2 + 2
    for statement in statements:
        first_line = statement.splitlines()[0]
        assert first_line.endswith(" ON CLUSTER 'irisx'") or " ON CLUSTER 'irisx' AS " in (
            first_line
        ), first_line


def test_call_tables_on_a_cluster_are_replicated_and_distributed() -> None:
    local, distributed = raw_table_sql("call", RAW_COLUMNS_V1["call"], "irisx_raw", "irisx")
    assert local.startswith("CREATE TABLE IF NOT EXISTS irisx_raw.call_local ON CLUSTER 'irisx'")
    assert (
        "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/irisx_raw/call_local',"
        " '{replica}', _ingested_at)"
    ) in local
    assert "PARTITION BY toYYYYMM(occurred_at)" in local
    assert local.endswith("ORDER BY (tenant_id, direction, occurred_at, event_id)")
    assert distributed == (
        "CREATE TABLE IF NOT EXISTS irisx_raw.call ON CLUSTER 'irisx' AS irisx_raw.call_local\n"
        "ENGINE = Distributed('irisx', 'irisx_raw', 'call_local', cityHash64(tenant_id))"
    )


def test_cluster_and_single_server_tables_have_the_same_columns() -> None:
    def column_block(statement: str) -> str:
        return statement[statement.index("(") : statement.index("\nENGINE")]

    for family, columns in RAW_COLUMNS_V1.items():
        (single,) = raw_table_sql(family, columns, "irisx_raw")
        local, _ = raw_table_sql(family, columns, "irisx_raw", "irisx")
        assert column_block(local) == column_block(single), family
        assert "`_ingested_at` DateTime64(6, 'UTC')" in column_block(single)


def test_ledger_is_shared_by_all_shards_on_a_cluster() -> None:
    sql = render_migrations_sql("irisx_raw", cluster="irisx")
    assert "CREATE TABLE IF NOT EXISTS irisx_raw.schema_migrations ON CLUSTER 'irisx'" in sql
    assert (
        "ReplicatedMergeTree('/clickhouse/tables/all/irisx_raw/schema_migrations', '{replica}')"
        in sql
    )


def test_single_server_sql_has_no_cluster_parts() -> None:
    sql = render_migrations_sql("irisx_raw")
    assert "ON CLUSTER" not in sql
    assert "Distributed" not in sql
    assert "Replicated" not in sql
    assert len(re.findall(r"ENGINE = ReplacingMergeTree\(_ingested_at\)", sql)) == len(FAMILIES)


def test_cluster_name_cannot_inject_sql() -> None:
    with pytest.raises(ValueError, match="cluster"):
        render_migrations_sql("irisx_raw", cluster="irisx' SETTINGS x=1 --")


def test_cluster_sql_parses_as_clickhouse_sql(ch_client: Client) -> None:
    # chDB cannot run ON CLUSTER statements, but its parser checks every one of them.
    for statement in _statements(render_migrations_sql("irisx_raw", cluster="irisx")):
        formatted = ch_client.command("SELECT formatQuery({q:String})", parameters={"q": statement})
        assert "ON CLUSTER irisx" in str(formatted)
