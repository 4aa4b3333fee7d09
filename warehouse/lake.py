"""The embedded raw store: append-only Parquet files, one folder per event family.

Layout (under ``Settings.lake_dir``)::

    raw/<family>/_schema.parquet                    zero rows: the family's typed columns
    raw/<family>/month=YYYY-MM/<batch_id>.parquet   events of one ingested batch and month

A batch id is derived from the content of what was ingested, so ingesting the same input again
replaces the same files instead of adding rows. Events are kept as they arrived (no cross-batch
dedupe here); dbt staging deduplicates on ``event_id``. Files are sorted by tenant and time.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingest.contracts import FAMILIES, family_schema
from warehouse.atomic import write_parquet_atomic
from warehouse.fx_rates import initialize_fx_rates
from warehouse.subscription_periods import initialize_periods
from warehouse.wfm_plan import initialize_plan_intervals

_BATCH_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
SCHEMA_FILE = "_schema.parquet"


class ParquetLake:
    """Writes validated batches (Arrow tables in the contract schema) to the lake."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def family_dir(self, family: str) -> Path:
        if family not in FAMILIES:
            raise KeyError(f"unknown event family {family!r}")
        return self.root / "raw" / family

    def glob(self, family: str) -> str:
        """The glob dbt sources and readers use for one family."""
        return str(self.family_dir(family) / "**" / "*.parquet")

    def initialize(self) -> None:
        """Create every family folder with its zero-row schema file (so globs always match), and
        the imported subscription periods', interval plans' and exchange rates'
        (warehouse.subscription_periods, warehouse.wfm_plan, warehouse.fx_rates)."""
        initialize_periods(self.root)
        initialize_fx_rates(self.root)
        initialize_plan_intervals(self.root)
        for family in FAMILIES:
            schema_path = self.family_dir(family) / SCHEMA_FILE
            schema = family_schema(family)
            if schema_path.exists() and pq.read_schema(schema_path).equals(schema):
                continue
            write_parquet_atomic(schema.empty_table(), schema_path)

    def write_batch(self, family: str, table: pa.Table, batch_id: str) -> list[Path]:
        """Write one validated batch, split by month of ``occurred_at``.

        Idempotent per ``batch_id``: writing the same id again replaces everything the earlier
        write of that id left in this family (an empty table removes it).
        """
        if not _BATCH_ID_RE.match(batch_id):
            raise ValueError(f"batch_id {batch_id!r}: letters, digits, '_' or '-' only")
        schema = family_schema(family)
        table = table.select(schema.names).cast(schema)
        months = pc.strftime(table["occurred_at"], format="%Y-%m")
        written = []
        for month in pc.unique(months).to_pylist():
            part = table.filter(pc.equal(months, month)).sort_by(
                [("tenant_id", "ascending"), ("occurred_at", "ascending")]
            )
            path = self.family_dir(family) / f"month={month}" / f"{batch_id}.parquet"
            written.append(write_parquet_atomic(part, path))
        # A rewrite of the batch replaces all it wrote before: drop its files in other months
        # (e.g. the same input re-ingested with other options now rejects some records).
        for stale in self.family_dir(family).glob(f"month=*/{batch_id}.parquet"):
            if stale not in written:
                stale.unlink()
        return written

    def files(self, family: str) -> list[Path]:
        return sorted(self.family_dir(family).glob("month=*/*.parquet"))

    def row_count(self, family: str) -> int:
        return sum(pq.read_metadata(path).num_rows for path in self.files(family))
