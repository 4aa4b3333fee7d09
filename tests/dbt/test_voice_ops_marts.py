"""dbt build over a small hand-made lake; every KPI is checked against hand-worked values.

The lake (two tenants, two UTC days, both directions) holds the awkward cases on purpose:
an event delivered twice (same event_id), a call re-rated under a second event_id (the newer
record is written first, so file order cannot be what picks it), queue waits of 19.9 / 20.0 /
20.5 / 21 s around the 20 s service-level threshold, abandoned calls, an IVR call answered by no
agent, and a call starting one second before midnight UTC whose record lands in June's folder.
dbt runs with TZ=Asia/Tokyo to prove that call dates are UTC dates whatever the machine says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from cdr_builder import at, call_id, cdr, rtcp_report
from dbt_test_support import AGG_CALL_KPIS_DAILY_COLUMNS, dbt_build, new_data_dir, write_events

from config import Settings
from ingest.contracts import Codec, Direction, RtcpReport
from warehouse import ParquetLake

D1 = date(2024, 5, 30)
D2 = date(2024, 5, 31)
IN, OUT = Direction.INBOUND, Direction.OUTBOUND

# acme, D1, inbound
A1 = cdr(
    "a1", "acme", IN, at(D1, "09:00:00"), billsec=100, wait=12.0, agent="ag1", hold=10, wrapup=30
)
A2 = cdr("a2", "acme", IN, at(D1, "09:10:00"), billsec=200, wait=20.0, agent="ag1", wrapup=20)
# a3 re-rated: v2 (emitted an hour later, wrap-up corrected to 25 s) must win over v1.
A3_V1 = cdr("a3", "acme", IN, at(D1, "09:20:00"), billsec=60, wait=20.5, agent="ag2", hold=5,
            wrapup=15, price="0.100000", event_id="acme-a3-v1")  # fmt: skip
A3_V2 = cdr("a3", "acme", IN, at(D1, "09:20:00"), billsec=60, wait=20.5, agent="ag2", hold=5,
            wrapup=25, price="0.120000", event_id="acme-a3-v2",
            emitted_after=timedelta(hours=1))  # fmt: skip
A4 = cdr("a4", "acme", IN, at(D1, "09:30:00"), answered=False, wait=35.0)
A5 = cdr("a5", "acme", IN, at(D1, "09:40:00"), answered=False, wait=19.9)
A6 = cdr("a6", "acme", IN, at(D1, "09:50:00"), billsec=30)  # IVR: no queue, no agent
# acme, D1, outbound
A7 = cdr("a7", "acme", OUT, at(D1, "11:00:00"), billsec=45, agent="ag3", wrapup=10)
A8 = cdr("a8", "acme", OUT, at(D1, "11:05:00"), answered=False)
A9 = cdr("a9", "acme", OUT, at(D1, "11:10:00"), answered=False)
# acme, D2, inbound: a10 starts 10 s before midnight UTC and is emitted on 2024-06-01.
A10 = cdr("a10", "acme", IN, at(D2, "23:59:50"), billsec=100, wait=5.0, agent="ag1")
A11 = cdr("a11", "acme", IN, at(D2, "00:00:10"), billsec=20)
# globex, D1, inbound
G1 = cdr("g1", "globex", IN, at(D1, "14:00:00"), billsec=300, wait=21.0, agent="gx1", hold=60,
         wrapup=40)  # fmt: skip
G2 = cdr("g2", "globex", IN, at(D1, "14:10:00"), answered=False, wait=40.0)
# globex, D2, outbound
G3 = cdr("g3", "globex", OUT, at(D2, "08:00:00"), answered=False)


def rtcp(
    event_id: str, codec: Codec, jitter: int, fraction_lost: int, r_factor: int | None
) -> RtcpReport:
    return rtcp_report(
        event_id, codec, day=D1, jitter=jitter, fraction_lost=fraction_lost, r_factor=r_factor
    )


R1 = rtcp("rtcp-1", Codec.PCMU, jitter=80, fraction_lost=64, r_factor=93)
R2 = rtcp("rtcp-2", Codec.OPUS, jitter=960, fraction_lost=0, r_factor=127)


@dataclass(frozen=True)
class BuiltProject:
    settings: Settings
    output: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltProject:
    root = tmp_path_factory.mktemp("voice_ops")
    settings, lake = new_data_dir(root)
    # Batch 1 holds a3's newer record; batch 2 re-delivers a1 and holds a3's older record.
    write_events(lake, [A1, A2, A3_V2, A4, A5, A6, A7, A8, A9, A10, A11, G1, G2, G3], "calls-1")
    write_events(lake, [A1, A3_V1], "calls-2")
    write_events(lake, [R1, R2], "rtcp-1")
    write_events(lake, [R1], "rtcp-2")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Asia/Tokyo")  # UTC+9: a10 would land on 2024-06-01 if TZ leaked in
        output = dbt_build(settings, root / "dbt-target")
    return BuiltProject(settings=settings, output=output)


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    """Read the warehouse after the build (dbt has exited, so its lock is released)."""
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as connection:
        return connection.sql(sql).fetchall()


def test_lake_holds_the_duplicates_that_staging_must_remove(built: BuiltProject) -> None:
    # 14 + 2 CDR rows written, 3 + 1 RTCP rows: what arrives, before any dedupe.
    assert (
        query(built.settings, "select count(*) from stg_irisx__calls")[0][0] == 15
    )  # 16 - a1 again
    assert ParquetLake(built.settings.lake_dir).row_count("call") == 16


def test_month_folders_follow_the_record_time(built: BuiltProject) -> None:
    months = sorted(p.name for p in (built.settings.lake_dir / "raw" / "call").glob("month=*"))
    assert months == ["month=2024-05", "month=2024-06"]  # a10 was emitted on 2024-06-01


def test_published_kpis_equal_hand_computed_values(built: BuiltProject) -> None:
    table = pq.read_table(built.settings.marts_dir / "agg_call_kpis_daily.parquet")
    rows = {(r["tenant_id"], r["call_date"], r["direction"]): r for r in table.to_pylist()}
    # Worked by hand from the calls above (fct_calls keeps a3's v2: handle 60 + 5 + 25 = 90).
    expected = {
        # a1..a6. answered a1,a2,a3,a6 = 4; queued a1..a5 = 5; abandoned a4,a5 = 2;
        # within 20 s: a1 (12 s), a2 (20.0 s: <= 20 counts); not a3 (20.5), not a5 (abandoned).
        # billsec 100+200+60+0+0+30 = 390. asr 4/6. acd 390/4 = 97.5.
        # aht over answered-with-agent a1,a2,a3: (100+10+30 + 200+0+20 + 60+5+25)/3 = 450/3 = 150.
        # abandon 2/5 = 0.4, service level 2/5 = 0.4.
        ("acme", D1, "inbound"): dict(
            offered=6,
            answered=4,
            queued=5,
            abandoned=2,
            answered_within_20s=2,
            total_billsec=390,
            asr=4 / 6,
            acd_sec=97.5,
            aht_sec=150.0,
            abandon_rate=0.4,
            service_level_20s=0.4,
        ),
        # a7 answered by ag3 (45 + 0 + 10 = 55 handle), a8 and a9 unanswered; nothing queued.
        ("acme", D1, "outbound"): dict(
            offered=3,
            answered=1,
            queued=0,
            abandoned=0,
            answered_within_20s=0,
            total_billsec=45,
            asr=1 / 3,
            acd_sec=45.0,
            aht_sec=55.0,
            abandon_rate=None,
            service_level_20s=None,
        ),
        # a10 (queued 5 s, agent, 100 s) and a11 (IVR, 20 s): billsec 120, acd 60, aht 100/1.
        ("acme", D2, "inbound"): dict(
            offered=2,
            answered=2,
            queued=1,
            abandoned=0,
            answered_within_20s=1,
            total_billsec=120,
            asr=1.0,
            acd_sec=60.0,
            aht_sec=100.0,
            abandon_rate=0.0,
            service_level_20s=1.0,
        ),
        # g1 answered after 21 s (300 + 60 + 40 = 400 handle), g2 abandoned.
        ("globex", D1, "inbound"): dict(
            offered=2,
            answered=1,
            queued=2,
            abandoned=1,
            answered_within_20s=0,
            total_billsec=300,
            asr=0.5,
            acd_sec=300.0,
            aht_sec=400.0,
            abandon_rate=0.5,
            service_level_20s=0.0,
        ),
        # g3 unanswered: acd and aht have no answered call, rates have no queued call.
        ("globex", D2, "outbound"): dict(
            offered=1,
            answered=0,
            queued=0,
            abandoned=0,
            answered_within_20s=0,
            total_billsec=0,
            asr=0.0,
            acd_sec=None,
            aht_sec=None,
            abandon_rate=None,
            service_level_20s=None,
        ),
    }
    assert set(rows) == set(expected)
    for key, values in expected.items():
        for name, value in values.items():
            # Ratios differ from the hand value only by float rounding; counts and nulls exactly.
            wanted = pytest.approx(value, rel=1e-12) if isinstance(value, float) else value
            assert rows[key][name] == wanted, (key, name)


def test_published_file_has_the_exact_api_columns(built: BuiltProject) -> None:
    schema = pq.read_schema(built.settings.marts_dir / "agg_call_kpis_daily.parquet")
    # Names, order and types are the API's contract (nullability follows the inputs: not checked).
    assert [(field.name, field.type) for field in schema] == AGG_CALL_KPIS_DAILY_COLUMNS


def test_fct_calls_is_one_row_per_call_from_its_latest_record(built: BuiltProject) -> None:
    rows = query(
        built.settings,
        "select call_id, call_date, wrapup_sec, handle_sec, price from fct_calls",
    )
    assert len(rows) == 14  # 16 rows - a1's re-delivery - a3's older record
    by_call = {row[0]: row[1:] for row in rows}
    assert by_call[str(call_id("a3"))] == (D1, 25, 90, Decimal("0.120000"))
    # 23:59:50 UTC on D2 is 08:59:50 on 2024-06-01 in Tokyo: the date must stay UTC.
    assert by_call[str(call_id("a10"))][0] == D2


def test_fct_calls_flags_around_the_20_second_threshold(built: BuiltProject) -> None:
    rows = query(
        built.settings,
        "select call_id, is_answered, is_queued, is_abandoned, answered_within_20s, handle_sec "
        "from fct_calls",
    )
    flags = {row[0]: row[1:] for row in rows}
    assert flags[str(call_id("a2"))] == (True, True, False, True, 220)  # waited exactly 20.0 s
    assert flags[str(call_id("a3"))] == (True, True, False, False, 90)  # 20.5 s
    assert flags[str(call_id("a5"))] == (False, True, True, False, None)  # gave up after 19.9 s
    assert flags[str(call_id("a6"))] == (True, False, False, False, None)  # IVR: no agent
    assert flags[str(call_id("a8"))] == (False, False, False, False, None)  # outbound, no answer


def test_rtcp_staging_converts_units_and_dedupes(built: BuiltProject) -> None:
    rows = query(
        built.settings,
        "select event_id, jitter_ms, fraction_lost_pct, xr_r_factor "
        "from stg_irisx__rtcp_reports order by event_id",
    )
    assert rows == [
        # PCMU: 80 units / 8000 Hz = 10 ms; 64/256 = 25 % lost; R 93 kept.
        ("rtcp-1", pytest.approx(10.0), pytest.approx(25.0), 93),
        # OPUS: 960 units / 48000 Hz = 20 ms; R 127 means "unavailable" -> null.
        ("rtcp-2", pytest.approx(20.0), pytest.approx(0.0), None),
    ]


def test_unit_and_singular_tests_ran(built: BuiltProject) -> None:
    assert "agg_call_kpis_daily::agg_call_kpis_daily_hand_computed" in built.output
    assert "PASS assert_agg_call_kpis_daily_counts_within_bounds" in built.output
    assert "unique_combination_of_columns_agg_call_kpis_daily" in built.output
    assert "ERROR=0" in built.output


def test_dbt_artifacts_go_to_the_callers_target_path(built: BuiltProject) -> None:
    # Parallel runs must not share dbt/target or dbt/logs: this run wrote to its own folder.
    assert (built.settings.data_dir.parent / "dbt-target" / "manifest.json").is_file()
    assert (built.settings.data_dir.parent / "dbt-target" / "logs" / "dbt.log").is_file()
