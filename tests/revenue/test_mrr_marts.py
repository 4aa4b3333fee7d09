"""MRR marts from hand-worked subscription histories, on both dbt targets.

The shared harness (tests/both_targets.py) puts the same imports into the Parquet lake (duckdb
target) and chDB's ``irisx_raw.subscription_periods`` (clickhouse target); acme is imported
twice, so both targets must keep only its latest import. Expected rows are in
``mrr_hand_worked`` (worked out by hand).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from both_targets import BothTargets, Columns, Rows, assert_same_column_types
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

from ingest.subscriptions import read_subscription_periods
from warehouse.subscription_periods import (
    replace_tenant_periods,
    replace_tenant_periods_clickhouse,
)

MARTS = ("mrr_by_customer_month", "mrr_movements", "mrr_bridge")
SELECTION = ["--select", "+mrr_bridge", "--indirect-selection", "cautious"]


@dataclass(frozen=True)
class Built:
    duckdb: dict[str, Rows]
    clickhouse: dict[str, Rows]
    clickhouse_results: list[dict[str, Any]]
    types: dict[str, dict[str, Columns]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    warehouse = BothTargets(tmp_path_factory.mktemp("mrr_both_targets"))
    with warehouse.loading() as load:
        for tenant, text in (("acme", ACME_STALE_CSV), ("acme", ACME_CSV), ("globex", GLOBEX_CSV)):
            result = read_subscription_periods(text.encode(), tenant_id=tenant, source="t.csv")
            assert result.rejects == []
            table = result.to_table()
            replace_tenant_periods(warehouse.settings.lake_dir, tenant, table, result.import_id)
            replace_tenant_periods_clickhouse(
                load.client, load.store.database, tenant, table, result.import_id
            )
    warehouse.build(SELECTION, vars={"as_of_date": AS_OF})
    rows = warehouse.read(MARTS)
    return Built(
        rows["duckdb"],
        rows["clickhouse"],
        warehouse.run_results("clickhouse"),
        warehouse.column_types(MARTS),
    )


def test_mrr_by_customer_month_equals_the_hand_worked_months(built: Built) -> None:
    rows = built.duckdb["mrr_by_customer_month"]
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
        months = {row["month"] for row in built.duckdb[name]}
        assert max(months) == dt.date(2024, 8, 1), name
    customers = {row["customer_id"] for row in built.duckdb["mrr_by_customer_month"]}
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
        for r in built.duckdb["mrr_movements"]
    }
    expected = {
        (tenant, customer, month(number)): values
        for (tenant, customer, number), values in MOVEMENTS.items()
    }
    assert got == expected


def test_still_active_customers_never_churn(built: Built) -> None:
    churned = {r["customer_id"] for r in built.duckdb["mrr_movements"] if r["movement"] == "churn"}
    assert churned == {"c_churn", "c_react1", "c_react_many"}


def test_mrr_bridge_equals_the_hand_worked_bridge_and_closes(built: Built) -> None:
    got = {}
    for r in built.duckdb["mrr_bridge"]:
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


@pytest.mark.parametrize("name", MARTS)
def test_both_targets_give_identical_rows_and_types(built: Built, name: str) -> None:
    assert_same_column_types(built.types, name)
    assert built.duckdb[name]  # two empty results would prove nothing
    assert built.clickhouse[name] == built.duckdb[name]


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
    amounts = [r["amount"] for r in built.clickhouse["mrr_movements"]]
    assert all(isinstance(amount, Decimal) for amount in amounts)
    assert Decimal("10.500000") in amounts
