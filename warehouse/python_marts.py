"""Marts computed in Python (the WFM forecasts), published where dbt publishes its marts.

- embedded profile: ``<marts_dir>/<mart>.parquet`` by atomic replace (like dbt's external
  materialization with ``use_tmp_file``), so ``ParquetMartReader`` and BI tools see either the
  old or the new file;
- server profile: the ClickHouse table ``irisx.<mart>``, built beside it as ``_publish_<mart>``
  and swapped in with ``EXCHANGE TABLES`` (atomic on ClickHouse's Atomic databases), so
  ``ClickHouseMartReader`` never sees a half-written mart. ``_publish_*`` names do not match the
  mart-name pattern, so they are never listed as marts.

``read_mart`` reads a published mart for ALL tenants: for pipelines only (the API reads through
``warehouse.marts.MartReader``, always for one tenant).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from config import Profile, Settings
from warehouse.atomic import write_parquet_atomic
from warehouse.marts import MARTS_DATABASE, MartNotPublished, validate_mart_name
from warehouse.wfm_plan import write_plan_intervals, write_plan_intervals_clickhouse

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def clickhouse_type(arrow_type: pa.DataType, *, date_type: str = "Date32") -> str:
    """The ClickHouse type of a published mart column of ``arrow_type``. Days are ``Date32``
    here (the whole calendar); dbt-clickhouse makes DuckDB's dates ``Date``, which tests that
    stand in for dbt ask for with ``date_type``."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "String"
    if pa.types.is_date32(arrow_type):
        return date_type
    if pa.types.is_int64(arrow_type):
        return "Int64"
    if pa.types.is_float64(arrow_type):
        return "Float64"
    if pa.types.is_boolean(arrow_type):
        return "Bool"
    if pa.types.is_decimal(arrow_type):
        return f"Decimal({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "DateTime64(6, 'UTC')"
    raise TypeError(f"no ClickHouse type for {arrow_type}")


@contextmanager
def warehouse_client(settings: Settings, *, open_timeout_s: float = 60.0) -> Iterator[Client]:
    """A clickhouse-connect client on the server profile's warehouse; on chDB the folder is
    requested from its holder (the stream worker) and opened with retries, then closed."""
    import clickhouse_connect

    if not settings.warehouse_is_chdb:
        client = clickhouse_connect.get_client(dsn=settings.warehouse_dsn)
        try:
            yield client
        finally:
            client.close()
        return
    from warehouse.clickhouse.handoff import chdb_folder_requested, open_chdb_client

    with chdb_folder_requested(settings.chdb_dir):
        client = open_chdb_client(settings.warehouse_dsn, timeout_s=open_timeout_s)
        try:
            yield client
        finally:
            client.close()


def publish_mart(settings: Settings, mart: str, table: pa.Table) -> str:
    """Replace ``mart`` with ``table`` (all tenants) atomically; returns where it went."""
    validate_mart_name(mart)
    if "tenant_id" not in table.column_names:
        raise ValueError(f"mart {mart!r}: every mart has a tenant_id column")
    if settings.profile is not Profile.SERVER:
        return str(write_parquet_atomic(table, settings.marts_dir / f"{mart}.parquet"))
    staging = f"_publish_{mart}"
    columns = ", ".join(
        f'"{f.name}" '
        + (
            clickhouse_type(f.type)
            if f.name == "tenant_id"
            else f"Nullable({clickhouse_type(f.type)})"
        )
        for f in table.schema
    )
    with warehouse_client(settings) as client:
        client.command(f"create database if not exists {MARTS_DATABASE}")
        client.command(f"drop table if exists {MARTS_DATABASE}.{staging}")
        client.command(
            f"create table {MARTS_DATABASE}.{staging} ({columns}) "
            "engine = MergeTree order by tenant_id"
        )
        if table.num_rows:
            client.insert_arrow(staging, table, database=MARTS_DATABASE)
        exists = client.command(f"exists table {MARTS_DATABASE}.{mart}")
        if int(exists):
            client.command(
                f"exchange tables {MARTS_DATABASE}.{staging} and {MARTS_DATABASE}.{mart}"
            )
            client.command(f"drop table {MARTS_DATABASE}.{staging}")
        else:
            client.command(f"rename table {MARTS_DATABASE}.{staging} to {MARTS_DATABASE}.{mart}")
    return f"{MARTS_DATABASE}.{mart}"


def read_mart(settings: Settings, mart: str) -> pa.Table:
    """Every row of a published mart (MartNotPublished when it does not exist)."""
    validate_mart_name(mart)
    if settings.profile is not Profile.SERVER:
        path = settings.marts_dir / f"{mart}.parquet"
        if not path.exists():
            raise MartNotPublished(mart, str(path))
        return pq.read_table(path)
    if settings.warehouse_is_chdb and not settings.chdb_dir.is_dir():
        raise MartNotPublished(mart, f"{MARTS_DATABASE}.{mart}")
    with warehouse_client(settings) as client:
        if not int(client.command(f"exists table {MARTS_DATABASE}.{mart}")):
            raise MartNotPublished(mart, f"{MARTS_DATABASE}.{mart}")
        return client.query_arrow(f"select * from {MARTS_DATABASE}.{mart}", use_strings=True)


def write_plan(settings: Settings, tenant_id: str, table: pa.Table, import_id: str) -> list[str]:
    """One tenant's planned intervals (``ingest.wfm_plan.SCHEMA``) where the
    ``service_level_variance`` mart reads plans, as ``irisx wfm plan import`` writes them: the
    lake always, and on the server profile ClickHouse ``irisx_raw.wfm_plan_intervals`` too."""
    written = [str(write_plan_intervals(settings.lake_dir, tenant_id, table, import_id))]
    if settings.profile is Profile.SERVER:
        from warehouse.clickhouse import ClickHouseRawStore

        with warehouse_client(settings) as client:
            store = ClickHouseRawStore(client)
            store.migrate()
            write_plan_intervals_clickhouse(client, store.database, tenant_id, table)
            written.append(f"{store.database}.wfm_plan_intervals")
    return written
