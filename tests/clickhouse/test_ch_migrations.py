"""Migrations on chDB: applied once and in order, idempotent, and guarded by checksums."""

from __future__ import annotations

import re

import pytest
from clickhouse_connect.driver.client import Client

from warehouse.clickhouse import (
    MIGRATIONS,
    Migration,
    MigrationError,
    applied_migrations,
    apply_migrations,
)

DATABASE = "irisx_mig"


def _table(name: str, column: str = "x") -> Migration:
    """A test migration creating ``<db>.<name>`` with one Int64 column named ``column``."""

    def render(database: str, cluster: str | None) -> list[str]:
        return [f"CREATE TABLE IF NOT EXISTS {database}.{name} ({column} Int64) ENGINE = Log"]

    return Migration(0, name, render)


def _numbered(version: int, migration: Migration) -> Migration:
    return Migration(version, migration.name, migration.render)


def _tables(client: Client) -> set[str]:
    rows = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String}",
        parameters={"db": DATABASE},
    ).result_rows
    return {str(row[0]) for row in rows}


def test_rerun_is_a_no_op_and_the_ledger_records_each_version_once(ch_client: Client) -> None:
    assert apply_migrations(ch_client, DATABASE) == [1, 2, 3, 4, 5]
    assert apply_migrations(ch_client, DATABASE) == []
    assert apply_migrations(ch_client, DATABASE) == []
    ledger = applied_migrations(ch_client, DATABASE)
    assert [(entry.version, entry.name) for entry in ledger] == [
        (1, "create_raw_tables"),
        (2, "create_subscription_periods"),
        (3, "add_billing_included_usage_amount"),
        (4, "create_wfm_plan_intervals"),
        (5, "create_fx_rates"),
    ]
    assert re.fullmatch(r"[0-9a-f]{64}", ledger[0].checksum)
    assert ch_client.command(f"SELECT count() FROM {DATABASE}.schema_migrations") == 5
    assert _tables(ch_client) == {
        "schema_migrations",
        "call",
        "rtcp",
        "message",
        "billing",
        "campaign",
        "agent",
        "transcript",
        "subscription_periods",
        "wfm_plan_intervals",
        "fx_rates",
    }


def test_new_migrations_apply_in_order_after_the_applied_ones(ch_client: Client) -> None:
    first = _numbered(1, _table("a"))
    second = _numbered(2, _table("b"))
    third = _numbered(3, _table("c"))
    assert apply_migrations(ch_client, DATABASE, migrations=[first]) == [1]
    assert _tables(ch_client) == {"schema_migrations", "a"}
    assert apply_migrations(ch_client, DATABASE, migrations=[first, second, third]) == [2, 3]
    assert _tables(ch_client) == {"schema_migrations", "a", "b", "c"}
    ledger = applied_migrations(ch_client, DATABASE)
    assert [entry.version for entry in ledger] == [1, 2, 3]


def test_a_changed_applied_migration_is_refused_and_nothing_runs(ch_client: Client) -> None:
    original = _numbered(1, _table("a", column="x"))
    edited = _numbered(1, _table("a", column="y"))
    follow_up = _numbered(2, _table("b"))
    apply_migrations(ch_client, DATABASE, migrations=[original])
    with pytest.raises(MigrationError, match=r"migration 1 \(a\) changed after it was applied"):
        apply_migrations(ch_client, DATABASE, migrations=[edited, follow_up])
    assert _tables(ch_client) == {"schema_migrations", "a"}  # migration 2 did not run


def test_a_database_migrated_by_a_newer_release_is_refused(ch_client: Client) -> None:
    first = _numbered(1, _table("a"))
    second = _numbered(2, _table("b"))
    apply_migrations(ch_client, DATABASE, migrations=[first, second])
    with pytest.raises(MigrationError, match=r"migrations \[2\] that this code does not know"):
        apply_migrations(ch_client, DATABASE, migrations=[first])


def test_versions_must_be_unique_and_increasing(ch_client: Client) -> None:
    with pytest.raises(MigrationError, match="unique and increasing"):
        apply_migrations(
            ch_client,
            DATABASE,
            migrations=[_numbered(2, _table("a")), _numbered(1, _table("b"))],
        )


def test_a_migration_cut_off_half_way_completes_on_rerun(ch_client: Client) -> None:
    # Simulate a crash after the first statement of migration 1: its table exists, no ledger row.
    ch_client.command(f"CREATE DATABASE {DATABASE}")
    ch_client.command(MIGRATIONS[0].statements(DATABASE)[0])
    assert apply_migrations(ch_client, DATABASE) == [1, 2, 3, 4, 5]
    assert len(_tables(ch_client)) == 11


def test_checksum_does_not_depend_on_the_database_or_cluster_name(ch_client: Client) -> None:
    apply_migrations(ch_client, "elsewhere_raw")
    entries = applied_migrations(ch_client, "elsewhere_raw")
    assert [entry.checksum for entry in entries] == [m.checksum for m in MIGRATIONS]
    # The recorded checksum is that of the canonical text, not of the text run here.
    assert MIGRATIONS[0].statements("elsewhere_raw") != MIGRATIONS[0].statements("irisx_raw")
