"""ParquetLake: month partitioning, atomic idempotent rewrites, schema files."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from ingest.contracts import FAMILIES, CallRecord, family_schema, models_to_table
from warehouse import ParquetLake


def _calls(start: datetime, count: int) -> list[CallRecord]:
    return [
        CallRecord(
            event_id=str(uuid.uuid4()),
            tenant_id="acme" if i % 2 else "globex",
            occurred_at=start + timedelta(hours=i),
            call_id=uuid.uuid4(),
            direction="outbound",
            from_number="+14155550123",
            to_number="+442071234567",
            start_at=start + timedelta(hours=i),
            end_at=start + timedelta(hours=i, seconds=5),
            billsec=0,
            hangup_cause="NO_ANSWER",
        )
        for i in range(count)
    ]


def test_initialize_writes_a_typed_empty_file_per_family(tmp_path: Path) -> None:
    lake = ParquetLake(tmp_path)
    lake.initialize()
    for family in FAMILIES:
        schema_file = lake.family_dir(family) / "_schema.parquet"
        assert pq.read_metadata(schema_file).num_rows == 0
        assert pq.read_schema(schema_file).remove_metadata().equals(family_schema(family))
        [(rows,)] = duckdb.sql(
            f"select count(*) from read_parquet('{lake.glob(family)}')"
        ).fetchall()
        assert rows == 0


def test_batch_splits_by_month_sorted_by_tenant_and_time(tmp_path: Path) -> None:
    lake = ParquetLake(tmp_path)
    # 2026-01-31 20:00 + 0..7 h: 4 events in January, 4 in February.
    calls = _calls(datetime(2026, 1, 31, 20, tzinfo=UTC), 8)
    written = lake.write_batch("call", models_to_table(calls, CallRecord), "b1")
    assert sorted(p.parent.name for p in written) == ["month=2026-01", "month=2026-02"]
    assert lake.row_count("call") == 8
    january = pq.read_table(lake.family_dir("call") / "month=2026-01" / "b1.parquet")
    keys = list(
        zip(january["tenant_id"].to_pylist(), january["occurred_at"].to_pylist(), strict=True)
    )
    assert keys == sorted(keys)


def test_rewriting_a_batch_replaces_it_everywhere(tmp_path: Path) -> None:
    lake = ParquetLake(tmp_path)
    calls = _calls(datetime(2026, 1, 31, 20, tzinfo=UTC), 8)
    lake.write_batch("call", models_to_table(calls, CallRecord), "b1")
    lake.write_batch("call", models_to_table(calls, CallRecord), "b1")
    assert lake.row_count("call") == 8

    # The same batch now holds only January events: February's file of that batch must go.
    lake.write_batch("call", models_to_table(calls[:4], CallRecord), "b1")
    assert lake.row_count("call") == 4
    assert not (lake.family_dir("call") / "month=2026-02" / "b1.parquet").exists()

    # An empty rewrite removes the batch; another batch is untouched.
    lake.write_batch("call", models_to_table(calls[4:], CallRecord), "b2")
    lake.write_batch("call", models_to_table([], CallRecord), "b1")
    assert lake.row_count("call") == 4
    assert [p.name for p in lake.files("call")] == ["b2.parquet"]


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    lake = ParquetLake(tmp_path)
    lake.write_batch(
        "call", models_to_table(_calls(datetime(2026, 3, 1, tzinfo=UTC), 3), CallRecord), "b"
    )
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".parquet"]
    assert leftovers == []
