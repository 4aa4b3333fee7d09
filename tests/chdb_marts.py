"""Publish hand-made mart rows as ClickHouse tables on chDB, as the dbt clickhouse target would
(``irisx.<mart>``, MergeTree), so the same rows can be read through both mart readers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import clickhouse_connect
import pyarrow as pa

from warehouse.marts import MARTS_DATABASE
from warehouse.python_marts import clickhouse_type as warehouse_clickhouse_type


def clickhouse_type(arrow_type: pa.DataType) -> str:
    """The ClickHouse type dbt-clickhouse gives a column DuckDB publishes as ``arrow_type``."""
    return warehouse_clickhouse_type(arrow_type, date_type="Date")


def publish_to_chdb(chdb_folder: Path, marts: dict[str, pa.Table]) -> None:
    """Create (replace) each mart as ``irisx.<mart>`` in the chDB folder and insert its rows.

    Columns holding a NULL are Nullable (as dbt-clickhouse makes nullable expressions); the
    sort key is ``tenant_id``. The client is closed after: chDB allows one process per folder.
    """
    client = clickhouse_connect.get_client(interface="chdb", path=str(chdb_folder))
    try:
        client.command(f"create database if not exists {MARTS_DATABASE}")
        for mart, table in marts.items():
            columns = ", ".join(
                f'"{column.name}" '
                + (
                    f"Nullable({clickhouse_type(column.type)})"
                    if table.column(column.name).null_count
                    else clickhouse_type(column.type)
                )
                for column in table.schema
            )
            client.command(f"drop table if exists {MARTS_DATABASE}.{mart}")
            client.command(
                f"create table {MARTS_DATABASE}.{mart} ({columns}) "
                "engine = MergeTree order by tenant_id"
            )
            if table.num_rows:
                client.insert_arrow(mart, table, database=MARTS_DATABASE)
    finally:
        client.close()


#: A process that holds a chDB folder like the stream worker does: open all the time; with
#: ``yield`` it lets go while another process asked for the folder (warehouse.clickhouse.handoff)
#: and reopens it after. It prints what it does, one word a line.
_HOLDER = """
import sys, time
from pathlib import Path
import clickhouse_connect
from warehouse.clickhouse.handoff import FolderYield

folder, polite = Path(sys.argv[1]), sys.argv[2] == "yield"
client = clickhouse_connect.get_client(interface="chdb", path=str(folder))
print("holding", flush=True)
handoff = FolderYield(folder, check_every_s=0.05)
while True:
    if polite and handoff.should_yield():
        client.close()
        print("yielded", flush=True)
        handoff.wait_until_free(poll_s=0.05)
        client = clickhouse_connect.get_client(interface="chdb", path=str(folder))
        print("reopened", flush=True)
    time.sleep(0.05)
"""


@contextmanager
def chdb_folder_held(chdb_folder: Path, *, yields: bool) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``chdb_folder`` for the duration (killed after)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(chdb_folder), "yield" if yields else "keep"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        yield holder
    finally:
        holder.kill()
        holder.wait(timeout=30)


def holder_output(holder: subprocess.Popen[str]) -> list[str]:
    """What the (killed) holder printed after 'holding'."""
    assert holder.stdout is not None
    return holder.stdout.read().split()
