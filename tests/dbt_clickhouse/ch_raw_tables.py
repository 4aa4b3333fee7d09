"""Raw ClickHouse tables for the dbt clickhouse-target tests.

Stand-in until warehouse/clickhouse (built in parallel, issue 3) provides ``create_raw_tables``:
one MergeTree table ``<database>.<family>`` per contract family, with exactly the contract's
columns (types derived from ingest.contracts.family_schema) plus ``_ingested_at``.
"""

from __future__ import annotations

import pyarrow as pa
from clickhouse_connect.driver.client import Client

from ingest.contracts import FAMILIES, family_schema


def clickhouse_type(arrow_type: pa.DataType, nullable: bool) -> str:
    """The ClickHouse column type that holds ``arrow_type`` without loss."""
    if pa.types.is_string(arrow_type):
        base = "String"
    elif pa.types.is_int64(arrow_type):
        base = "Int64"
    elif pa.types.is_float64(arrow_type):
        base = "Float64"
    elif pa.types.is_boolean(arrow_type):
        base = "Bool"
    elif pa.types.is_decimal(arrow_type):
        base = f"Decimal({arrow_type.precision}, {arrow_type.scale})"
    elif pa.types.is_timestamp(arrow_type) and arrow_type.unit == "us" and arrow_type.tz == "UTC":
        base = "DateTime64(6, 'UTC')"
    else:
        raise TypeError(f"no ClickHouse type for Arrow type {arrow_type}")
    return f"Nullable({base})" if nullable else base


def create_raw_tables(client: Client, database: str) -> None:
    client.command(f"CREATE DATABASE IF NOT EXISTS {database}")
    for family in FAMILIES:
        columns = ",\n".join(
            f"`{field.name}` {clickhouse_type(field.type, field.nullable)}"
            for field in family_schema(family)
        )
        client.command(
            f"CREATE TABLE IF NOT EXISTS {database}.{family} (\n{columns},\n"
            "`_ingested_at` DateTime64(6, 'UTC') DEFAULT now64(6)\n)"
            " ENGINE = MergeTree PARTITION BY toYYYYMM(occurred_at)"
            " ORDER BY (tenant_id, occurred_at, event_id)"
        )


def insert_table(client: Client, database: str, family: str, table: pa.Table) -> None:
    client.insert_arrow(f"{database}.{family}", table)
