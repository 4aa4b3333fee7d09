"""churn_and_retention, cohort_retention and customer_ltv from hand-worked histories, both targets.

The shared harness (tests/both_targets.py) puts the same imports into the Parquet lake (duckdb
target) and chDB's ``irisx_raw.subscription_periods`` (clickhouse target); dbt builds the three
marts and their parents once per target for the module. Expected values are in
``retention_hand_worked`` (worked out by hand, working in its comments); both targets must give
identical rows and types.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from both_targets import BothTargets, Columns, Rows, assert_same_column_types
from retention_hand_worked import (
    AS_OF,
    COHORT_COLUMNS,
    COHORTS,
    IMPORTS,
    LTV,
    LTV_COLUMNS,
    RETENTION,
    RETENTION_COLUMNS,
    TENANT_MONTHS,
    dec,
    ym,
)

from ingest.subscriptions import read_subscription_periods
from pipelines.dbt_cli import run_dbt
from warehouse.subscription_periods import (
    replace_tenant_periods,
    replace_tenant_periods_clickhouse,
)

MARTS = ("churn_and_retention", "cohort_retention", "customer_ltv")
SELECTION = ["--select", *(f"+{mart}" for mart in MARTS)]
RATIOS = (
    "logo_churn_rate",
    "revenue_churn_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "quick_ratio",
)


@dataclass(frozen=True)
class Built:
    duckdb: dict[str, Rows]
    clickhouse: dict[str, Rows]
    types: dict[str, dict[str, Columns]]
    clickhouse_results: list[dict[str, Any]]
    manifest: dict[str, Any]
    warehouse: BothTargets


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    warehouse = BothTargets(tmp_path_factory.mktemp("retention_both_targets"))
    with warehouse.loading() as load:
        for tenant, text in IMPORTS:
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
        warehouse.column_types(MARTS),
        warehouse.run_results("clickhouse"),
        warehouse.manifest(),
        warehouse,
    )


def _by_key(
    rows: Rows, key: tuple[str, ...], values: tuple[str, ...]
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {tuple(row[name] for name in key): tuple(row[name] for name in values) for row in rows}


def test_churn_and_retention_equals_the_hand_worked_months(built: Built) -> None:
    got = _by_key(built.duckdb["churn_and_retention"], ("tenant_id", "month"), RETENTION_COLUMNS)
    for key, expected in RETENTION.items():
        assert got[key] == expected, key
    # one row per month of each tenant's spine, nothing else
    months: dict[str, int] = {}
    for tenant, _ in got:
        months[tenant] = months.get(tenant, 0) + 1
    assert months == TENANT_MONTHS


def test_customer_counts_close_every_month(built: Built) -> None:
    rows = built.duckdb["churn_and_retention"]
    closing = {(r["tenant_id"], r["month"]): r["closing_customers"] for r in rows}
    for r in rows:
        assert (
            r["customers_at_start"]
            + r["new_customers"]
            + r["reactivated_customers"]
            - r["churned_customers"]
            == r["closing_customers"]
        )
        month_before = (r["month"] - dt.timedelta(days=1)).replace(day=1)
        assert r["customers_at_start"] == closing.get((r["tenant_id"], month_before), 0)


def test_zero_denominators_give_null_not_zero(built: Built) -> None:
    got = {(r["tenant_id"], r["month"]): r for r in built.duckdb["churn_and_retention"]}
    # a tenant's first month and initech's May (nobody at the start, opening MRR 0): all NULL
    for key in (("acme", ym(2024, 1)), ("initech", ym(2024, 5)), ("hooli", ym(2023, 3))):
        assert all(got[key][ratio] is None for ratio in RATIOS), key
    # nothing lost (contraction + churn = 0): only the quick ratio is NULL; the others are 0 or 1
    april = got[("acme", ym(2024, 4))]
    assert april["quick_ratio"] is None
    assert (april["logo_churn_rate"], april["revenue_churn_rate"]) == (dec("0"), dec("0"))
    assert april["gross_revenue_retention"] == dec("1")
    # and the same NULLs on ClickHouse (not 0, which an unmatched default would give)
    house = {(r["tenant_id"], r["month"]): r for r in built.clickhouse["churn_and_retention"]}
    assert all(house[("initech", ym(2024, 5))][ratio] is None for ratio in RATIOS)
    assert house[("acme", ym(2024, 4))]["quick_ratio"] is None


def test_ratios_round_half_away_from_zero_on_both_targets(built: Built) -> None:
    # umbrella June: 0.000001 / 2 = 0.0000005 and 1.999999 / 2 = 0.9999995, exact ties
    for target in (built.duckdb, built.clickhouse):
        rows = {(r["tenant_id"], r["month"]): r for r in target["churn_and_retention"]}
        june = rows[("umbrella", ym(2024, 6))]
        assert june["revenue_churn_rate"] == Decimal("0.000001")
        assert june["gross_revenue_retention"] == Decimal("1.000000")
        cells = {
            (r["tenant_id"], r["cohort_month"], r["months_since_signup"]): r
            for r in target["cohort_retention"]
        }
        assert cells[("umbrella", ym(2024, 5), 1)]["revenue_retention"] == Decimal("1.000000")


def test_ratios_are_decimal_38_6_and_money_decimal_18_6(built: Built) -> None:
    types = {(mart, column): kind for mart in MARTS for column, kind in built.types["duckdb"][mart]}
    ratios = [("churn_and_retention", ratio) for ratio in RATIOS] + [
        ("cohort_retention", "logo_retention"),
        ("cohort_retention", "revenue_retention"),
        ("customer_ltv", "arpa"),
        ("customer_ltv", "monthly_logo_churn_rate"),
        ("customer_ltv", "ltv"),
    ]
    assert all(types[key] == "DECIMAL(38,6)" for key in ratios)
    money = [
        ("cohort_retention", "cohort_starting_mrr"),
        ("cohort_retention", "retained_mrr"),
        ("customer_ltv", "window_mrr"),
    ]
    assert all(types[key] == "DECIMAL(18,6)" for key in money)


def test_cohort_retention_equals_the_hand_worked_cells(built: Built) -> None:
    got = _by_key(
        built.duckdb["cohort_retention"],
        ("tenant_id", "cohort_month", "months_since_signup"),
        COHORT_COLUMNS,
    )
    # every cell of every cohort is hand-worked: no more, no fewer
    assert got == COHORTS


def test_a_reactivated_customer_counts_again_in_its_cohort(built: Built) -> None:
    cells = {
        r["months_since_signup"]: (r["retained_customers"], r["retained_mrr"])
        for r in built.duckdb["cohort_retention"]
        if (r["tenant_id"], r["cohort_month"]) == ("acme", ym(2024, 1))
    }
    # a5 (30) churns in Feb, comes back at 45 in Apr (months since signup 3): 2 -> 3 retained
    assert cells[2] == (2, dec("140"))
    assert cells[3] == (3, dec("185"))


def test_cohort_spine_stops_at_the_as_of_month(built: Built) -> None:
    rows = built.duckdb["cohort_retention"]
    assert max(r["month"] for r in rows) == ym(2024, 6)
    hooli = [r["months_since_signup"] for r in rows if r["tenant_id"] == "hooli"]
    assert sorted(hooli) == list(range(18))  # Jan 2023 .. Jun 2024
    # no cohort for a reactivation: acme's cohorts are Jan, Feb and Mar only
    assert {r["cohort_month"] for r in rows if r["tenant_id"] == "acme"} == {
        ym(2024, 1),
        ym(2024, 2),
        ym(2024, 3),
    }


def test_customer_ltv_equals_the_hand_worked_windows(built: Built) -> None:
    got = _by_key(built.duckdb["customer_ltv"], ("tenant_id", "month"), LTV_COLUMNS)
    for key, expected in LTV.items():
        assert got[key] == expected, key
    assert len(got) == sum(TENANT_MONTHS.values())


def test_ltv_is_null_exactly_when_its_status_says_why(built: Built) -> None:
    rows = built.duckdb["customer_ltv"]
    assert all((r["ltv"] is None) == (r["ltv_status"] != "ok") for r in rows)
    statuses = {r["ltv_status"] for r in rows}
    assert statuses == {"ok", "no_churn", "no_customers_at_start", "no_active_customers"}
    assert max(r["window_months"] for r in rows) == 12


@pytest.mark.parametrize("name", MARTS)
def test_both_targets_give_identical_rows_and_types(built: Built, name: str) -> None:
    assert_same_column_types(built.types, name)
    assert built.duckdb[name]  # two empty results would prove nothing
    assert built.clickhouse[name] == built.duckdb[name]


def test_dbt_tests_of_the_retention_marts_pass_on_clickhouse(built: Built) -> None:
    statuses = {result["unique_id"]: result["status"] for result in built.clickhouse_results}
    assert set(statuses.values()) <= {"success", "pass"}, statuses
    names = " ".join(statuses)
    for expected in (
        "assert_retention_customer_counts_close",
        "assert_retention_cohort_month_zero_is_whole",
        "assert_retention_ratios_within_bounds",
        "assert_retention_cohorts_add_up_to_the_tenant",
        "unique_combination_of_columns_churn_and_retention_tenant_id__month",
        "accepted_values_customer_ltv_ltv_status",
        "relationships_cohort_retention_tenant_id",
    ):
        assert expected in names, expected


def test_metric_definitions_are_versioned_in_the_manifest(built: Built) -> None:
    expected = {
        "churn_and_retention": {
            "logo_churn_rate",
            "revenue_churn_rate",
            "gross_revenue_retention",
            "net_revenue_retention",
            "quick_ratio",
        },
        "cohort_retention": {"logo_retention", "revenue_retention"},
        "customer_ltv": {"arpa", "monthly_logo_churn_rate", "ltv"},
    }
    for mart, names in expected.items():
        node = built.manifest["nodes"][f"model.irisx.{mart}"]
        metrics = node["config"]["meta"]["metrics"]
        assert {metric["name"] for metric in metrics} == names
        for metric in metrics:
            assert metric["version"] == 1
            assert metric["unit"] in {"ratio", "currency"}
            assert metric["definition"]
        assert "published" in node["tags"]


#: decimal_ratio on edge values: (numerator, denominator, expected) worked by hand; rounding is
#: half away from zero (-0.0000005 -> -0.000001), a quotient far beyond decimal(18,6) fits, and a
#: zero or NULL denominator gives NULL.
RATIO_CASES: tuple[tuple[str, str, str | None], ...] = (
    ("1", "8", "0.125"),
    ("-1", "8", "-0.125"),
    ("1", "-8", "-0.125"),
    ("0.000001", "2", "0.000001"),
    ("-0.000001", "2", "-0.000001"),
    ("0.000001", "3", "0"),
    ("2", "3", "0.666667"),
    ("-2", "3", "-0.666667"),
    ("99999999999999.999999", "0.000001", "99999999999999999999"),
    ("5", "0", None),
    ("5", "null", None),
)


def test_decimal_ratio_agrees_on_both_targets_for_edge_values(built: Built) -> None:
    def operand(value: str) -> str:
        literal = "null" if value == "null" else f"'{value}'"
        return f"cast({literal} as decimal(38, 6))"

    inline = " union all ".join(
        f"select {index} as case_number, "
        f'{{{{ decimal_ratio("{operand(numerator)}", "{operand(denominator)}") }}}} as ratio'
        for index, (numerator, denominator, _) in enumerate(RATIO_CASES)
    )
    expected = {
        index: None if value is None else float(Decimal(value))
        for index, (_, _, value) in enumerate(RATIO_CASES)
    }
    for target in ("duckdb", "clickhouse"):
        completed = run_dbt(
            ["show", "--target", target, "--inline", inline, "--output", "json", "--limit", "20"],
            built.warehouse.settings,
            target_path=built.warehouse.target_path(target),
        )
        assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
        shown = json.loads(completed.stdout[completed.stdout.index('{\n  "show"') :])["show"]
        got = {row["case_number"]: row["ratio"] for row in shown}
        assert got == expected, target
