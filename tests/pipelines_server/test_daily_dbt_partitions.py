"""Daily-partitioned, incremental dbt runs on chDB, through real Dagster runs and real dbt.

One data folder for the module; the steps build on each other (day 1, day 2, day 1 again with a
late call and a redelivered CDR, then a two-day range in one run), so they run as one test each
in order, and every step checks hand-worked counts. Days: D1 = 2024-05-30, D2 = 2024-05-31.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import clickhouse_connect
import pytest
from cdr_builder import at, cdr
from dagster import AssetKey, DagsterInstance, ExecuteInProcessResult, materialize
from dagster_dbt import DbtCliResource

from config import Profile, Settings
from ingest.contracts import CallRecord, Direction, models_to_table
from pipelines.dbt_cli import run_dbt
from pipelines.marts.daily import irisx_dbt_daily, irisx_dbt_views
from pipelines.marts.project import DBT_EXECUTABLE, dbt_project
from pipelines.marts.sensors import RANGE_END_TAG, RANGE_START_TAG
from pipelines.resources import WarehouseResource
from warehouse.clickhouse import ClickHouseRawStore

D1 = dt.date(2024, 5, 30)
D2 = dt.date(2024, 5, 31)
IN, OUT = Direction.INBOUND, Direction.OUTBOUND

# D1: c1 queued 10 s and answered by an agent (60 s), c2 queued 30 s and abandoned; c3 outbound.
C1 = cdr("c1", "acme", IN, at(D1, "09:00:00"), billsec=60, wait=10.0, agent="ag1")
C2 = cdr("c2", "acme", IN, at(D1, "10:00:00"), answered=False, wait=30.0)
C3 = cdr("c3", "acme", OUT, at(D1, "11:00:00"), billsec=45)
# D2: c4 queued 5 s, answered (100 s).
C4 = cdr("c4", "acme", IN, at(D2, "08:00:00"), billsec=100, wait=5.0, agent="ag1")
# Late for D1: c5 answered without a queue (30 s).
C5 = cdr("c5", "acme", IN, at(D1, "12:00:00"), billsec=30)
# Late for D2, picked up by the range run: c6 outbound, unanswered.
C6 = cdr("c6", "acme", OUT, at(D2, "09:00:00"), answered=False)

#: (offered, answered, queued, abandoned, total_billsec) per (call_date, direction) of acme.
KpiRows = dict[tuple[dt.date, str], tuple[int, int, int, int, int]]


@dataclass(frozen=True)
class Warehouse:
    settings: Settings
    instance: DagsterInstance

    def land(self, batch_id: str, calls: list[CallRecord]) -> None:
        client = clickhouse_connect.get_client(interface="chdb", path=str(self.settings.chdb_dir))
        try:
            store = ClickHouseRawStore(client)
            store.migrate()
            store.write_batch("call", models_to_table(calls, CallRecord), batch_id)
        finally:
            client.close()  # dbt's process takes the chDB folder next

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        client = clickhouse_connect.get_client(interface="chdb", path=str(self.settings.chdb_dir))
        try:
            return list(client.query(sql).result_rows)
        finally:
            client.close()

    def kpis(self) -> KpiRows:
        rows = self.query(
            "select call_date, direction, offered, answered, queued, abandoned, total_billsec "
            "from irisx.agg_call_kpis_daily where tenant_id = 'acme'"
        )
        return {(row[0], row[1]): tuple(row[2:]) for row in rows}  # type: ignore[misc]

    def run(
        self,
        assets: list[Any],
        *,
        partition_key: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> ExecuteInProcessResult:
        result = materialize(
            assets,
            resources={
                "warehouse": WarehouseResource(
                    data_dir=str(self.settings.data_dir), profile=Profile.SERVER.value
                ),
                "dbt": DbtCliResource(
                    project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE), target="clickhouse"
                ),
            },
            instance=self.instance,
            partition_key=partition_key,
            tags=tags,
        )
        assert result.success
        return result


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("daily_partitions")
    settings = Settings(data_dir=root / "irisx", profile=Profile.SERVER)
    settings.ensure_dirs()
    built = Warehouse(settings=settings, instance=DagsterInstance.ephemeral())
    built.land("day1", [C1, C2, C3])
    built.land("day2", [C4])
    # The resource exports IRISX_DATA_DIR for dbt into this process: undo that afterwards.
    with mock.patch.dict(os.environ):
        # dagster-dbt puts each invocation's target folder under DBT_TARGET_PATH: keep them here.
        os.environ["DBT_TARGET_PATH"] = str(root / "dbt-target")
        yield built


def materialized_partitions(result: ExecuteInProcessResult, name: str) -> set[str]:
    return {
        event.partition
        for event in result.get_asset_materialization_events()
        if event.asset_key == AssetKey([name]) and event.partition
    }


def test_day_one_builds_only_day_one(warehouse: Warehouse) -> None:
    # A fresh warehouse: the views are built in the same run as the first partition.
    result = warehouse.run([irisx_dbt_views, irisx_dbt_daily], partition_key=D1.isoformat())
    assert materialized_partitions(result, "agg_call_kpis_daily") == {D1.isoformat()}
    # inbound: c1 answered (60 s), c2 abandoned, both queued; outbound: c3 answered (45 s).
    assert warehouse.kpis() == {
        (D1, "inbound"): (2, 1, 2, 1, 60),
        (D1, "outbound"): (1, 1, 0, 0, 45),
    }


def test_day_two_adds_day_two(warehouse: Warehouse) -> None:
    warehouse.run([irisx_dbt_daily], partition_key=D2.isoformat())
    assert warehouse.kpis() == {
        (D1, "inbound"): (2, 1, 2, 1, 60),
        (D1, "outbound"): (1, 1, 0, 0, 45),
        (D2, "inbound"): (1, 1, 1, 0, 100),
    }


def test_rerun_of_day_one_replaces_its_rows(warehouse: Warehouse) -> None:
    # One late call for D1 and a redelivery of c1 (same event_id): D1 inbound gets exactly +1.
    warehouse.land("day1-late", [C5, C1])
    warehouse.run([irisx_dbt_daily], partition_key=D1.isoformat())
    assert warehouse.kpis() == {
        (D1, "inbound"): (3, 2, 2, 1, 90),
        (D1, "outbound"): (1, 1, 0, 0, 45),
        (D2, "inbound"): (1, 1, 1, 0, 100),
    }
    assert warehouse.query("select count(), uniqExact(call_id) from irisx.fct_calls") == [(5, 5)]


def test_range_in_one_run_equals_a_full_build(warehouse: Warehouse) -> None:
    warehouse.land("day2-late", [C6])
    result = warehouse.run(
        [irisx_dbt_daily], tags={RANGE_START_TAG: D1.isoformat(), RANGE_END_TAG: D2.isoformat()}
    )
    # One run, one dbt step, both days.
    assert materialized_partitions(result, "fct_calls") == {D1.isoformat(), D2.isoformat()}
    assert len(result.get_step_success_events()) == 1
    after_range = warehouse.kpis()
    assert after_range[(D2, "outbound")] == (1, 0, 0, 0, 0)
    fct_after_range = sorted(warehouse.query("select * from irisx.fct_calls"), key=repr)

    completed = run_dbt(
        ["build", "--target", "clickhouse"],
        warehouse.settings,
        target_path=warehouse.settings.data_dir / "dbt-full",
    )
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
    results = json.loads(
        (warehouse.settings.data_dir / "dbt-full" / "run_results.json").read_text()
    )
    assert {r["status"] for r in results["results"]} <= {"success", "pass"}
    assert warehouse.kpis() == after_range
    assert sorted(warehouse.query("select * from irisx.fct_calls"), key=repr) == fct_after_range
    assert len(fct_after_range) == 6
