"""The ClickHouse raw store: validated Arrow batches into ``<db>.<family>`` raw tables.

Satisfies ``ingest.sink.BatchSink`` structurally. Idempotency is per event, not per batch: a
re-delivered batch inserts its rows again, and ReplacingMergeTree keeps one row per sort key
(the latest ``_ingested_at``) after merges, ``OPTIMIZE ... FINAL`` or in ``FINAL`` reads. Unlike
the Parquet lake, rewriting a ``batch_id`` with *different* events does not remove the earlier
write's events (the raw tables keep no batch column): events are facts, deduplicated by
``event_id``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from clickhouse_connect.driver.client import Client

from ingest.contracts import FAMILIES, family_schema, model_for
from warehouse.clickhouse.ddl import local_table_name
from warehouse.clickhouse.migrations import apply_migrations
from warehouse.clickhouse.schema import VERSION_COLUMN, check_cluster_name, check_database_name

#: Rows per insert: LIMITS.md measured chDB Arrow inserts at ~250k rows/s for 10k–100k row
#: batches, while tiny inserts make a part each and cost orders of magnitude more.
DEFAULT_INSERT_ROWS = 100_000


#: No ReplacingMergeTree collapse inside each inserted block: a repeat of an event in one batch
#: stays until a merge, as repeats across batches do, and every read dedupes anyway (FINAL, or
#: the staging models by event_id). It cut chDB's CPU per insert by about a third (16k calls a
#: block, 200k in all: 1.1-1.3 down to 0.8 core-s).
_INSERT_SETTINGS = {"optimize_on_insert": 0}


class ClickHouseRawStore:
    """Raw event tables in one ClickHouse database (``irisx_raw`` unless told otherwise)."""

    def __init__(
        self,
        client: Client,
        database: str = "irisx_raw",
        *,
        cluster: str | None = None,
        insert_rows: int = DEFAULT_INSERT_ROWS,
    ) -> None:
        if insert_rows < 1:
            raise ValueError(f"insert_rows: must be at least 1, got {insert_rows}")
        self.client = client
        self.database = check_database_name(database)
        self.cluster = check_cluster_name(cluster) if cluster else None
        self.insert_rows = insert_rows

    def migrate(self) -> list[int]:
        """Create or upgrade the raw tables; returns the migration versions applied now."""
        return apply_migrations(self.client, self.database, cluster=self.cluster)

    def write_batch(self, family: str, table: pa.Table, batch_id: str) -> list[Path]:
        """Insert one family's validated events (contract schema) with ``_ingested_at`` set to
        now. Returns [] (nothing is a file)."""
        model_for(family)  # KeyError naming the known families
        _check_schema(family, table, batch_id)
        if table.num_rows == 0:
            return []
        ingested_at = datetime.now(UTC)
        stamped = table.append_column(
            pa.field(VERSION_COLUMN, pa.timestamp("us", tz="UTC"), nullable=False),
            pa.array([ingested_at] * table.num_rows, type=pa.timestamp("us", tz="UTC")),
        )
        for offset in range(0, stamped.num_rows, self.insert_rows):
            self.client.insert_arrow(
                family,
                stamped.slice(offset, self.insert_rows),
                database=self.database,
                settings=_INSERT_SETTINGS,
            )
        return []

    def row_counts(self) -> dict[str, int]:
        """Distinct ``event_id`` per family: the number of events, however often delivered."""
        counts: dict[str, int] = {}
        for family in FAMILIES:
            result = self.client.command(
                f"SELECT uniqExact(event_id) FROM {self.database}.{family}"
            )
            counts[family] = int(result)  # type: ignore[arg-type]
        return counts

    def stored_rows(self, family: str, *, final: bool = True) -> int:
        """Rows in the family's table; with ``final`` as a ``FINAL`` read sees them (duplicates
        of one sort key collapsed), without it as stored (before merges)."""
        model_for(family)
        modifier = " FINAL" if final else ""
        result = self.client.command(f"SELECT count() FROM {self.database}.{family}{modifier}")
        return int(result)  # type: ignore[arg-type]

    def optimize(self, family: str | None = None) -> None:
        """Merge now (``OPTIMIZE ... FINAL``) so duplicates collapse on disk; costly, for tests
        and maintenance windows, not for every batch."""
        families = [family] if family is not None else list(FAMILIES)
        for name in families:
            model_for(name)
            table = local_table_name(name, self.cluster)
            on_cluster = f" ON CLUSTER '{self.cluster}'" if self.cluster else ""
            self.client.command(f"OPTIMIZE TABLE {self.database}.{table}{on_cluster} FINAL")


def _check_schema(family: str, table: pa.Table, batch_id: str) -> None:
    """Refuse a table that is not in the family's contract schema, naming the column, so a bad
    batch fails whole instead of ClickHouse filling defaults into a required column."""
    expected = family_schema(family)
    where = f"{family} batch {batch_id!r}"
    if table.schema.names != expected.names:
        missing = [name for name in expected.names if name not in table.schema.names]
        extra = [name for name in table.schema.names if name not in expected.names]
        raise ValueError(
            f"{where}: columns differ from the contract (missing {missing}, unexpected {extra}, "
            "or out of order)"
        )
    for field in expected:
        column = table.column(field.name)
        if column.type != field.type:
            raise ValueError(
                f"{where}: column {field.name!r} is {column.type}, the contract says {field.type}"
            )
        if not field.nullable and column.null_count:
            raise ValueError(
                f"{where}: column {field.name!r} has {column.null_count} null value(s) but is "
                "required"
            )
