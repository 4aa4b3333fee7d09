"""MRR marts from hand-worked subscription histories, on both dbt targets.

The same imports go into the Parquet lake (duckdb target) and chDB's
``irisx_raw.subscription_periods`` (clickhouse target); acme is imported twice, so both targets
must keep only its latest import. Expected rows are in ``mrr_hand_worked`` (worked out by hand).
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
from mrr_hand_worked import (
    ACME_CSV,
    ACME_STALE_CSV,
    AS_OF,
    BRIDGE,
    GLOBEX_CSV,
    MOVEMENTS,
    MRR,
    money,
    month,
)

from config import Settings
from ingest.subscriptions import read_subscription_periods
from pipelines.dbt_cli import run_dbt
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore
from warehouse.subscription_periods import (
    replace_tenant_periods,
    replace_tenant_periods_clickhouse,
)

MARTS = ("mrr_by_customer_month", "mrr_movements", "mrr_bridge")
SELECT = [
    "--select",
    "+mrr_bridge",
    "--indirect-selection",
    "cautious",
    "--vars",
    f"{{as_of_date: '{AS_OF}'}}",
]
#: DuckDB type -> ClickHouse type (Nullable stripped) the same column must have.
SAME_TYPE = {
    "VARCHAR": "String",
    "DATE": "Date",
    "BOOLEAN": "Bool",
    "DECIMAL(18,6)": "Decimal(18, 6)",
}


@dataclass(frozen=True)
class Relation:
    columns: list[tuple[str, str]]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        names = [name for name, _ in self.columns]
        return [dict(zip(names, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Built:
    duckdb: dict[str, Relation]
    clickhouse: dict[str, Relation]
    clickhouse_results: list[dict[str, Any]]


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, "" if value is None else value) for value in row)


def _build(settings: Settings, target: str, target_path: Path) -> None:
    completed = run_dbt(["build", "--target", target, *SELECT], settings, target_path=target_path)
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-6000:]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("mrr_both_targets")
    settings = Settings(data_dir=root / "irisx")
    settings.ensure_dirs()
    ParquetLake(settings.lake_dir).initialize()
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        store = ClickHouseRawStore(client)
        store.migrate()
        for tenant, text in (("acme", ACME_STALE_CSV), ("acme", ACME_CSV), ("globex", GLOBEX_CSV)):
            result = read_subscription_periods(text.encode(), tenant_id=tenant, source="t.csv")
            assert result.rejects == []
            table = result.to_table()
            replace_tenant_periods(settings.lake_dir, tenant, table, result.import_id)
            replace_tenant_periods_clickhouse(
                client, store.database, tenant, table, result.import_id
            )
    finally:
        client.close()  # dbt's process takes the chDB folder next
    _build(settings, "duckdb", root / "target-duckdb")
    _build(settings, "clickhouse", root / "target-clickhouse")

    duck: dict[str, Relation] = {}
    with duckdb.connect() as con:
        for name in MARTS:
            cursor = con.execute(
                f"select * from read_parquet('{settings.marts_dir}/{name}.parquet')"
            )
            columns = [(column[0], str(column[1])) for column in cursor.description or []]
            duck[name] = Relation(columns, sorted(cursor.fetchall(), key=_sort_key))
    house: dict[str, Relation] = {}
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        for name in MARTS:
            result = client.query(f"select * from irisx.{name}")
            columns = [
                (column, kind.name)
                for column, kind in zip(result.column_names, result.column_types, strict=True)
            ]
            house[name] = Relation(columns, sorted(result.result_rows, key=_sort_key))
    finally:
        client.close()
    run_results = json.loads((root / "target-clickhouse" / "run_results.json").read_text())
    return Built(duck, house, run_results["results"])


def test_mrr_by_customer_month_equals_the_hand_worked_months(built: Built) -> None:
    rows = built.duckdb["mrr_by_customer_month"].dicts()
    got = {(r["tenant_id"], r["customer_id"], r["month"]): r for r in rows}
    expected = {
        (tenant, customer, month(number)): mrr
        for (tenant, customer), series in MRR.items()
        for number, mrr in series.items()
    }
    assert {key: row["mrr"] for key, row in got.items()} == expected
    for (tenant, customer), series in MRR.items():
        active = [number for number, mrr in series.items() if mrr > 0]
        for number in series:
            row = got[(tenant, customer, month(number))]
            assert row["is_active"] is (series[number] > 0)
            assert row["first_active_month"] == month(min(active))
            assert row["last_active_month"] == month(max(active))


def test_spine_stops_at_the_pinned_as_of_month(built: Built) -> None:
    # The dense marts end with August 2024 (as of 2024-08-15), nothing later.
    for name in ("mrr_by_customer_month", "mrr_bridge"):
        months = {row["month"] for row in built.duckdb[name].dicts()}
        assert max(months) == dt.date(2024, 8, 1), name
    customers = {row["customer_id"] for row in built.duckdb["mrr_by_customer_month"].dicts()}
    # c_future starts in September, c_short never spans a month end, c_stale was replaced.
    assert customers.isdisjoint({"c_future", "c_short", "c_stale"})


def test_mrr_movements_equal_the_hand_worked_movements(built: Built) -> None:
    got = {
        (r["tenant_id"], r["customer_id"], r["month"]): (
            r["previous_mrr"],
            r["mrr"],
            r["movement"],
            r["amount"],
        )
        for r in built.duckdb["mrr_movements"].dicts()
    }
    expected = {
        (tenant, customer, month(number)): values
        for (tenant, customer, number), values in MOVEMENTS.items()
    }
    assert got == expected


def test_still_active_customers_never_churn(built: Built) -> None:
    churned = {
        r["customer_id"] for r in built.duckdb["mrr_movements"].dicts() if r["movement"] == "churn"
    }
    assert churned == {"c_churn", "c_react1", "c_react_many"}


def test_mrr_bridge_equals_the_hand_worked_bridge_and_closes(built: Built) -> None:
    got = {}
    for r in built.duckdb["mrr_bridge"].dicts():
        values = tuple(
            r[name]
            for name in (
                "opening_mrr",
                "new_mrr",
                "reactivation_mrr",
                "expansion_mrr",
                "contraction_mrr",
                "churn_mrr",
                "closing_mrr",
            )
        )
        opening, new, reactivation, expansion, contraction, churn, closing = values
        assert opening + new + reactivation + expansion - contraction - churn == closing
        got[(r["tenant_id"], r["month"])] = values
    expected = {
        (tenant, month(number)): tuple(money(value) for value in values)
        for (tenant, number), values in BRIDGE.items()
    }
    assert got == expected


def _value_type(clickhouse_type: str) -> str:
    while wrapped := re.fullmatch(r"(?:Nullable|LowCardinality)\((.*)\)", clickhouse_type):
        clickhouse_type = wrapped.group(1)
    return clickhouse_type


@pytest.mark.parametrize("name", MARTS)
def test_both_targets_give_identical_rows_and_types(built: Built, name: str) -> None:
    duck, house = built.duckdb[name], built.clickhouse[name]
    assert [c for c, _ in duck.columns] == [c for c, _ in house.columns]
    for (column, duck_type), (_, house_type) in zip(duck.columns, house.columns, strict=True):
        assert SAME_TYPE[duck_type] == _value_type(house_type), column
    assert duck.rows  # two empty results would prove nothing
    assert house.rows == duck.rows


def test_dbt_tests_of_the_revenue_marts_pass_on_clickhouse(built: Built) -> None:
    statuses = {result["unique_id"]: result["status"] for result in built.clickhouse_results}
    assert set(statuses.values()) <= {"success", "pass"}, statuses
    names = " ".join(statuses)
    for expected in (
        "assert_mrr_bridge_closes",
        "assert_mrr_movements_sum_to_mrr",
        "accepted_values_mrr_movements_movement",
        "unique_combination_of_columns_mrr_bridge_tenant_id__month",
        "relationships_mrr_movements_customer_id",
    ):
        assert expected in names, expected


def test_amounts_are_exact_decimals(built: Built) -> None:
    amounts = [r["amount"] for r in built.clickhouse["mrr_movements"].dicts()]
    assert all(isinstance(amount, Decimal) for amount in amounts)
    assert Decimal("10.500000") in amounts
