"""``irisx wfm plan import``: row validation to the dead-letter store, accumulating imports in the
lake, and the staging rule (latest import per queue and interval) on DuckDB over the lake."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from config import Settings
from ingest import DeadLetterStore
from ingest.wfm_plan import SCHEMA, read_plan_intervals
from irisx.cli import app
from warehouse.wfm_plan import plan_dir

runner = CliRunner()

HEADER = "queue_id,interval_start,planned_calls,planned_aht_sec,planned_agents"
GOOD_AND_BAD = f"""{HEADER},planned_service_level
q1,2024-05-30T09:00:00Z,12.5,180,4,0.8
q1,2024-05-30T09:15:00+00:00,10,200,3,
q1,2024-05-30T09:10:00Z,10,200,3,
q1,2024-05-30T09:00:00Z,1,200,3,
q2,2024-05-30T09:00:00Z,-1,200,3,
q2,2024-05-30T09:00:00Z,1,0,3,
q2,2024-05-30T09:00:00,1,180,3,
q2,2024-05-30T09:30:00Z,1,180,3,1.5
q3,2024-05-30T11:00:00+02:00,8,240,2.5,
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IRISX_DATA_DIR", str(tmp_path / "irisx"))
    monkeypatch.setenv("IRISX_PROFILE", "embedded")
    return tmp_path / "irisx"


def _import(path: Path, tenant: str = "acme") -> str:
    done = runner.invoke(app, ["wfm", "plan", "import", str(path), "--tenant", tenant])
    assert done.exit_code == 0, done.output
    return done.output


def test_rows_are_validated_and_bad_ones_dead_lettered(data_dir: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "plan.csv"
    csv_path.write_text(GOOD_AND_BAD)
    output = _import(csv_path)
    assert "3 plan intervals imported" in output
    assert "6 rejected" in output
    letters = DeadLetterStore(Settings().deadletter_dir).read()
    reasons = {letter.position.index: letter.reason for letter in letters}
    assert set(reasons) == {4, 5, 6, 7, 8, 9}  # header is line 1
    assert "15-minute interval" in reasons[4]
    assert "already on line 2" in reasons[5]
    assert "planned_calls" in reasons[6]
    assert "planned_aht_sec" in reasons[7]
    assert "timezone" in reasons[8]  # a time without an offset is refused, not guessed
    assert "planned_service_level" in reasons[9]
    (written,) = (plan_dir(data_dir / "lake") / "acme").glob("*.parquet")
    table = pq.read_table(written)
    assert table.schema == SCHEMA
    rows = table.to_pylist()
    assert [(r["queue_id"], r["interval_start"].isoformat()) for r in rows] == [
        ("q1", "2024-05-30T09:00:00+00:00"),
        ("q1", "2024-05-30T09:15:00+00:00"),
        ("q3", "2024-05-30T09:00:00+00:00"),  # 11:00+02:00 is 09:00 UTC
    ]
    assert (rows[0]["planned_calls"], rows[0]["planned_service_level"]) == (12.5, 0.8)
    assert (rows[1]["planned_service_level"], rows[2]["planned_agents"]) == (None, 2.5)


def test_imports_accumulate_and_the_latest_wins_per_interval(
    data_dir: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text(
        "queue_id,interval_start,planned_calls,planned_aht_sec,planned_agents\n"
        "q1,2024-05-30T09:00:00Z,10,180,4\n"
        "q1,2024-05-30T09:15:00Z,10,180,4\n"
    )
    second = tmp_path / "second.csv"
    second.write_text(
        "queue_id,interval_start,planned_calls,planned_aht_sec,planned_agents\n"
        "q1,2024-05-30T09:15:00Z,20,180,6\n"
    )
    _import(first)
    _import(first)  # same bytes, same import id: rewrites the same file
    _import(second)
    files = sorted((plan_dir(data_dir / "lake") / "acme").glob("*.parquet"))
    assert len(files) == 2
    # staging's rule on the lake: per tenant, queue and interval the latest imported_at
    glob = plan_dir(data_dir / "lake") / "**" / "*.parquet"
    with duckdb.connect() as con:
        rows = con.execute(
            f"""
            select queue_id, strftime(interval_start at time zone 'UTC', '%H:%M'), planned_agents
            from read_parquet('{glob}', union_by_name=true, hive_partitioning=false)
            qualify row_number() over (
                partition by tenant_id, queue_id, interval_start
                order by imported_at desc, import_id desc) = 1
            order by 2
            """
        ).fetchall()
    assert rows == [("q1", "09:00", 4.0), ("q1", "09:15", 6.0)]


def test_a_file_without_the_required_columns_is_refused(data_dir: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "plan.csv"
    csv_path.write_text("queue_id,interval_start,calls\nq1,2024-05-30T09:00:00Z,3\n")
    done = runner.invoke(app, ["wfm", "plan", "import", str(csv_path), "--tenant", "acme"])
    assert done.exit_code == 2
    assert "missing" in done.output
    assert "unknown ['calls']" in done.output


def test_the_import_id_follows_tenant_and_content() -> None:
    data = b"queue_id,interval_start,planned_calls,planned_aht_sec,planned_agents\n"
    now = dt.datetime(2024, 5, 30, tzinfo=dt.UTC)
    one = read_plan_intervals(data, tenant_id="acme", source="x", now=now)
    again = read_plan_intervals(data, tenant_id="acme", source="y", now=now)
    other = read_plan_intervals(data, tenant_id="globex", source="x", now=now)
    assert one.import_id == again.import_id != other.import_id
    assert one.to_table().num_rows == 0
