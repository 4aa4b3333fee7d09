"""The dbt project on its two targets gives identical results.

The same hand-made events go into the Parquet lake (DuckDB target) and into chDB's raw tables
``irisx_raw.<family>`` (clickhouse target, adapter plugin ``chdb``). After ``dbt build`` on each,
the marts and a staging model are read back from both and compared row by row, exactly.

Floats are compared exactly too: every float column is one IEEE-754 operation on exact inputs
(an integer ratio, ``x * 1000 / rate``, a cast), which both engines round correctly. A future
model that sums or averages floats must round to a decimal before it is compared here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import clickhouse_connect
import duckdb
import pytest
from cdr_builder import at, cdr, rtcp_report

from config import Settings
from ingest.contracts import (
    Codec,
    Direction,
    EventBase,
    RtcpReport,
    models_to_table,
)
from pipelines.dbt_cli import run_dbt
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore

RAW_DATABASE = "irisx_raw"
#: The clickhouse target's own schema (dbt/profiles.yml).
CH_SCHEMA = "irisx"
D1 = dt.date(2024, 5, 30)
D2 = dt.date(2024, 5, 31)
IN, OUT = Direction.INBOUND, Direction.OUTBOUND


A1 = cdr("a1", "acme", IN, at(D1, "09:00:00"), billsec=100, wait=12.0, agent="ag1", hold=10,
         wrapup=30, price="0.015000")  # fmt: skip
A2 = cdr("a2", "acme", IN, at(D1, "09:10:00"), billsec=200, wait=20.0, agent="ag1", wrapup=20)
# a3 re-rated: v2 (emitted an hour later, wrap-up 25 s instead of 15 s) must win on both targets.
A3_V1 = cdr("a3", "acme", IN, at(D1, "09:20:00"), billsec=60, wait=20.5, agent="ag2", hold=5,
            wrapup=15, price="0.100000", event_id="acme-a3-v1")  # fmt: skip
A3_V2 = cdr("a3", "acme", IN, at(D1, "09:20:00"), billsec=60, wait=20.5, agent="ag2", hold=5,
            wrapup=25, price="0.120000", event_id="acme-a3-v2",
            emitted_after=dt.timedelta(hours=1))  # fmt: skip
A4 = cdr("a4", "acme", IN, at(D1, "09:30:00"), answered=False, wait=35.0)
A5 = cdr("a5", "acme", IN, at(D1, "09:40:00"), answered=False, wait=19.9)
A6 = cdr("a6", "acme", IN, at(D1, "09:50:00"), billsec=30)  # IVR: no queue, no agent
A7 = cdr("a7", "acme", OUT, at(D1, "11:00:00"), billsec=45, agent="ag3", wrapup=10)
A8 = cdr("a8", "acme", OUT, at(D1, "11:05:00"), answered=False)
# a10 starts 10 s before midnight UTC: its day is D2 whatever the machine's time zone.
A10 = cdr("a10", "acme", IN, at(D2, "23:59:50"), billsec=100, wait=5.0, agent="ag1")
G1 = cdr("g1", "globex", IN, at(D1, "14:00:00"), billsec=300, wait=21.0, agent="gx1", hold=60,
         wrapup=40)  # fmt: skip
G2 = cdr("g2", "globex", OUT, at(D2, "08:00:00"), answered=False)


def rtcp(
    event_id: str, codec: Codec, jitter: int, fraction_lost: int, r_factor: int | None
) -> RtcpReport:
    return rtcp_report(
        event_id, codec, day=D1, jitter=jitter, fraction_lost=fraction_lost, r_factor=r_factor
    )


R1 = rtcp("rtcp-1", Codec.PCMU, jitter=80, fraction_lost=64, r_factor=93)
R2 = rtcp("rtcp-2", Codec.OPUS, jitter=961, fraction_lost=1, r_factor=127)

#: Batches as ingest would write them; batch 2 re-delivers a1 and r1 and holds a3's older record.
BATCHES: list[tuple[str, list[EventBase]]] = [
    ("calls-1", [A1, A2, A3_V2, A4, A5, A6, A7, A8, A10, G1, G2]),
    ("calls-2", [A1, A3_V1]),
    ("rtcp-1", [R1, R2]),
    ("rtcp-2", [R1]),
]

#: DuckDB type -> ClickHouse type (Nullable stripped) that the same column must have.
SAME_TYPE = {
    "VARCHAR": "String",
    "DATE": "Date",
    "TIMESTAMP WITH TIME ZONE": "DateTime64(6, 'UTC')",
    "BOOLEAN": "Bool",
    "INTEGER": "Int32",
    "BIGINT": "Int64",
    "DOUBLE": "Float64",
    "DECIMAL(18,6)": "Decimal(18, 6)",
}


@dataclass(frozen=True)
class Relation:
    columns: list[tuple[str, str]]  # (name, type as that engine names it)
    rows: list[tuple[Any, ...]]  # normalised and sorted


@dataclass(frozen=True)
class BothTargets:
    settings: Settings
    root: Path
    duckdb: dict[str, Relation]
    clickhouse: dict[str, Relation]
    clickhouse_results: list[dict[str, Any]]


def normalise(value: Any) -> Any:
    """One representation per value: datetimes as aware UTC (chDB returns naive UTC for a
    DateTime64(6, 'UTC') column), everything else as the driver returns it."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value


def sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, "" if value is None else value) for value in row)


def relation(columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> Relation:
    normalised = [tuple(normalise(value) for value in row) for row in rows]
    return Relation(columns=columns, rows=sorted(normalised, key=sort_key))


def read_duckdb(settings: Settings) -> dict[str, Relation]:
    marts = settings.data_dir / "marts"
    queries = {
        "agg_call_kpis_daily": f"select * from read_parquet('{marts}/agg_call_kpis_daily.parquet')",
        "fct_calls": "select * from main.fct_calls",
        "stg_irisx__rtcp_reports": "select * from main.stg_irisx__rtcp_reports",
    }
    read: dict[str, Relation] = {}
    with duckdb.connect(str(settings.data_dir / "warehouse.duckdb"), read_only=True) as con:
        for name, sql in queries.items():
            cursor = con.execute(sql)
            columns = [(column[0], str(column[1])) for column in cursor.description or []]
            read[name] = relation(columns, cursor.fetchall())
    return read


def read_chdb(settings: Settings) -> dict[str, Relation]:
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.data_dir / "chdb"))
    try:
        read: dict[str, Relation] = {}
        for name in ("agg_call_kpis_daily", "fct_calls", "stg_irisx__rtcp_reports"):
            result = client.query(f"select * from {CH_SCHEMA}.{name}")
            columns = [
                (column, kind.name)
                for column, kind in zip(result.column_names, result.column_types, strict=True)
            ]
            read[name] = relation(columns, list(result.result_rows))
        return read
    finally:
        # chDB allows one data folder per process at a time: let go of this one.
        client.close()


def dbt_build(settings: Settings, target: str, target_path: Path) -> None:
    completed = run_dbt(["build", "--target", target], settings, target_path=target_path)
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-6000:]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BothTargets:
    root = tmp_path_factory.mktemp("dbt_both_targets")
    settings = Settings(data_dir=root / "irisx")
    settings.ensure_dirs()
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.data_dir / "chdb"))
    try:
        raw_store = ClickHouseRawStore(client, RAW_DATABASE)
        raw_store.migrate()
        for batch_id, events in BATCHES:
            model = type(events[0])
            table = models_to_table(events, model)
            lake.write_batch(model.family, table, batch_id)
            raw_store.write_batch(model.family, table, batch_id)
    finally:
        client.close()  # dbt's process takes the chDB folder next
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Asia/Tokyo")  # UTC+9: a10 would move to the next day if TZ leaked in
        dbt_build(settings, "duckdb", root / "target-duckdb")
        dbt_build(settings, "clickhouse", root / "target-clickhouse")
    run_results = json.loads((root / "target-clickhouse" / "run_results.json").read_text())
    return BothTargets(
        settings=settings,
        root=root,
        duckdb=read_duckdb(settings),
        clickhouse=read_chdb(settings),
        clickhouse_results=run_results["results"],
    )


def value_type(clickhouse_type: str) -> str:
    """The type without Nullable(...) and LowCardinality(...), which do not change values."""
    while wrapped := re.fullmatch(r"(?:Nullable|LowCardinality)\((.*)\)", clickhouse_type):
        clickhouse_type = wrapped.group(1)
    return clickhouse_type


@pytest.mark.parametrize("name", ["agg_call_kpis_daily", "fct_calls", "stg_irisx__rtcp_reports"])
def test_both_targets_give_the_same_columns_and_types(built: BothTargets, name: str) -> None:
    duck, house = built.duckdb[name], built.clickhouse[name]
    assert [column for column, _ in duck.columns] == [column for column, _ in house.columns]
    for (column, duck_type), (_, house_type) in zip(duck.columns, house.columns, strict=True):
        assert SAME_TYPE[duck_type] == value_type(house_type), column


@pytest.mark.parametrize("name", ["agg_call_kpis_daily", "fct_calls", "stg_irisx__rtcp_reports"])
def test_both_targets_give_identical_rows(built: BothTargets, name: str) -> None:
    duck, house = built.duckdb[name], built.clickhouse[name]
    assert duck.rows, name  # comparing two empty results would prove nothing
    assert house.rows == duck.rows


def test_clickhouse_kpis_equal_hand_computed_values(built: BothTargets) -> None:
    rows = {
        (row[0], row[1], row[2]): row[3:] for row in built.clickhouse["agg_call_kpis_daily"].rows
    }
    assert set(rows) == {
        ("acme", D1, "inbound"),
        ("acme", D1, "outbound"),
        ("acme", D2, "inbound"),
        ("globex", D1, "inbound"),
        ("globex", D2, "outbound"),
    }
    # a1-a6: answered a1,a2,a3,a6; queued a1-a5; abandoned a4,a5; within 20 s a1 (12), a2 (20.0);
    # billsec 100+200+60+30 = 390; handle a1 100+10+30, a2 200+20, a3 60+5+25 (v2) = 450 over 3.
    assert rows[("acme", D1, "inbound")] == (6, 4, 5, 2, 2, 390, 4 / 6, 97.5, 150.0, 0.4, 0.4)
    # a7 answered by an agent (handle 45+10), a8 not answered, no queue: rates over 0 are NULL.
    assert rows[("acme", D1, "outbound")] == (2, 1, 0, 0, 0, 45, 0.5, 45.0, 55.0, None, None)
    assert rows[("acme", D2, "inbound")] == (1, 1, 1, 0, 1, 100, 1.0, 100.0, 100.0, 0.0, 1.0)
    assert rows[("globex", D2, "outbound")] == (1, 0, 0, 0, 0, 0, 0.0, None, None, None, None)


def test_clickhouse_fct_calls_keeps_the_latest_record_of_a_rerated_call(
    built: BothTargets,
) -> None:
    relation_ = built.clickhouse["fct_calls"]
    names = [column for column, _ in relation_.columns]
    by_call = {
        row[names.index("call_id")]: dict(zip(names, row, strict=True)) for row in relation_.rows
    }
    assert len(by_call) == len(relation_.rows) == 11  # 13 CDRs: a1 twice, a3 in two versions
    a3 = by_call[str(A3_V2.call_id)]
    assert (a3["wrapup_sec"], a3["handle_sec"], a3["price"]) == (25, 90, Decimal("0.120000"))
    # 20.0 s is within the 20 s service level, 20.5 s is not; an unqueued call is neither.
    assert by_call[str(A2.call_id)]["answered_within_20s"] is True
    assert a3["answered_within_20s"] is False
    assert by_call[str(A6.call_id)]["answered_within_20s"] is False
    assert by_call[str(A4.call_id)]["answer_at"] is None


def test_clickhouse_rtcp_staging_converts_units(built: BothTargets) -> None:
    relation_ = built.clickhouse["stg_irisx__rtcp_reports"]
    names = [column for column, _ in relation_.columns]
    rows = {row[0]: dict(zip(names, row, strict=True)) for row in relation_.rows}
    assert set(rows) == {"rtcp-1", "rtcp-2"}  # r1's re-delivery removed
    # PCMU clock 8000 Hz: 80 units = 10 ms; 64/256 lost = 25 %.
    assert (rows["rtcp-1"]["jitter_ms"], rows["rtcp-1"]["fraction_lost_pct"]) == (10.0, 25.0)
    # Opus clock 48000 Hz: 961 units = 20.0208333... ms; 1/256 = 0.390625 %; R 127 = unavailable.
    assert rows["rtcp-2"]["jitter_ms"] == pytest.approx(961 / 48)
    assert rows["rtcp-2"]["fraction_lost_pct"] == 0.390625
    assert rows["rtcp-2"]["xr_r_factor"] is None


def test_dbt_tests_pass_on_the_clickhouse_target(built: BothTargets) -> None:
    statuses = {result["unique_id"]: result["status"] for result in built.clickhouse_results}
    assert statuses
    assert set(statuses.values()) <= {"success", "pass"}, statuses
    kinds = {unique_id.split(".")[0] for unique_id in statuses}
    assert kinds == {"model", "seed", "test", "unit_test"}  # seeds: calling codes, FX rates
    test_names = " ".join(statuses)
    for expected in (
        "unique_fct_calls_call_id",
        "not_null_fct_calls_call_id",
        "relationships_agg_call_kpis_daily_tenant_id",
        "assert_agg_call_kpis_daily_counts_within_bounds",
        "agg_call_kpis_daily_hand_computed",
    ):
        assert expected in test_names, expected
