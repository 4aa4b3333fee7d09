"""Raw-table DDL applied on chDB: names, types, engine and keys as the contracts define them."""

from __future__ import annotations

import pyarrow as pa
import pytest
from clickhouse_connect.driver.client import Client

from ingest.contracts import FAMILIES
from warehouse.clickhouse import ClickHouseRawStore, contract_columns, create_raw_tables
from warehouse.clickhouse.schema import clickhouse_type

DATABASE = "irisx_raw_test"


def _columns(client: Client, table: str) -> list[tuple[str, str]]:
    rows = client.query(
        "SELECT name, type FROM system.columns WHERE database = {db:String} "
        "AND table = {table:String} ORDER BY position",
        parameters={"db": DATABASE, "table": table},
    ).result_rows
    return [(str(name), str(type_)) for name, type_ in rows]


def test_every_family_table_has_exactly_the_contract_columns(ch_client: Client) -> None:
    assert create_raw_tables(ch_client, DATABASE) == [1, 2, 3, 4, 5]
    for family in FAMILIES:
        expected = [*contract_columns(family), ("_ingested_at", "DateTime64(6, 'UTC')")]
        assert _columns(ch_client, family) == expected, family


def test_type_mapping_on_hand_picked_columns(ch_client: Client) -> None:
    ClickHouseRawStore(ch_client, DATABASE).migrate()
    call = dict(_columns(ch_client, "call"))
    assert call["event_id"] == "String"
    assert call["occurred_at"] == "DateTime64(6, 'UTC')"
    assert call["answer_at"] == "Nullable(DateTime64(6, 'UTC'))"
    assert call["schema_version"] == "Int64"
    assert call["billsec"] == "Int64"
    assert call["sip_code"] == "Nullable(Int64)"
    assert call["queue_wait_sec"] == "Nullable(Float64)"
    assert call["cost"] == "Nullable(Decimal(18, 6))"
    assert call["direction"] == "LowCardinality(String)"
    assert call["codec"] == "LowCardinality(Nullable(String))"
    assert call["currency"] == "String"
    campaign = dict(_columns(ch_client, "campaign"))
    assert campaign["right_party_contact"] == "Bool"
    assert campaign["outcome"] == "LowCardinality(String)"
    billing = dict(_columns(ch_client, "billing"))
    assert billing["amount"] == "Nullable(Decimal(18, 6))"
    assert billing["interval"] == "LowCardinality(Nullable(String))"


@pytest.mark.parametrize(
    ("family", "type_column"),
    [
        ("call", "direction"),
        ("rtcp", "leg"),
        ("message", "status"),
        ("billing", "event_type"),
        ("campaign", "outcome"),
        ("agent", "state"),
        ("transcript", "speaker"),
    ],
)
def test_engine_partition_and_sort_key(ch_client: Client, family: str, type_column: str) -> None:
    create_raw_tables(ch_client, DATABASE)
    engine, partition_key, sorting_key = ch_client.query(
        "SELECT engine_full, partition_key, sorting_key FROM system.tables "
        "WHERE database = {db:String} AND name = {table:String}",
        parameters={"db": DATABASE, "table": family},
    ).result_rows[0]
    assert engine.startswith("ReplacingMergeTree(_ingested_at)")
    assert partition_key == "toYYYYMM(occurred_at)"
    assert sorting_key == f"tenant_id, {type_column}, occurred_at, event_id"


def test_bad_names_are_refused_naming_the_field(ch_client: Client) -> None:
    with pytest.raises(ValueError, match="database"):
        create_raw_tables(ch_client, "irisx; DROP DATABASE x")
    with pytest.raises(ValueError, match="database: give the raw tables their own database"):
        ClickHouseRawStore(ch_client, "default")
    with pytest.raises(ValueError, match="cluster"):
        ClickHouseRawStore(ch_client, DATABASE, cluster="c' x")
    assert ch_client.command("SELECT count() FROM system.databases WHERE name LIKE 'irisx%'") == 0


def test_unmapped_arrow_type_is_an_error() -> None:
    with pytest.raises(TypeError, match="no ClickHouse type"):
        clickhouse_type(pa.int32(), nullable=False, low_cardinality=False)
