"""churn_and_retention, cohort_retention and customer_ltv from hand-worked histories, both targets.

The same imports go into the Parquet lake (duckdb target) and chDB's
``irisx_raw.subscription_periods`` (clickhouse target); dbt builds the three marts and their
parents once per target for the module. Expected values are in ``retention_hand_worked`` (worked
out by hand, working in its comments); both targets must give identical rows and types.
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

from config import Settings
from ingest.subscriptions import read_subscription_periods
from pipelines.dbt_cli import run_dbt
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore
from warehouse.subscription_periods import (
    replace_tenant_periods,
    replace_tenant_periods_clickhouse,
)

MARTS = ("churn_and_retention", "cohort_retention", "customer_ltv")
SELECT = [
    "--select",
    *(f"+{mart}" for mart in MARTS),
    "--vars",
    f"{{as_of_date: '{AS_OF}'}}",
]
#: DuckDB type -> ClickHouse type (Nullable stripped) the same column must have.
SAME_TYPE = {
    "VARCHAR": "String",
    "DATE": "Date",
    "BIGINT": "Int64",
    "DECIMAL(18,6)": "Decimal(18, 6)",
    "DECIMAL(38,6)": "Decimal(38, 6)",
}
RATIOS = (
    "logo_churn_rate",
    "revenue_churn_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "quick_ratio",
)


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
    manifest: dict[str, Any]
    settings: Settings
    root: Path


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, "" if value is None else value) for value in row)


def _build(settings: Settings, target: str, target_path: Path) -> None:
    completed = run_dbt(["build", "--target", target, *SELECT], settings, target_path=target_path)
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-6000:]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("retention_both_targets")
    settings = Settings(data_dir=root / "irisx")
    settings.ensure_dirs()
    ParquetLake(settings.lake_dir).initialize()
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        store = ClickHouseRawStore(client)
        store.migrate()
        for tenant, text in IMPORTS:
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
    manifest = json.loads((root / "target-duckdb" / "manifest.json").read_text())
    return Built(duck, house, run_results["results"], manifest, settings, root)


def _by_key(
    relation: Relation, key: tuple[str, ...], values: tuple[str, ...]
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {
        tuple(row[name] for name in key): tuple(row[name] for name in values)
        for row in relation.dicts()
    }


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
    rows = built.duckdb["churn_and_retention"].dicts()
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
    got = {(r["tenant_id"], r["month"]): r for r in built.duckdb["churn_and_retention"].dicts()}
    # a tenant's first month and initech's May (nobody at the start, opening MRR 0): all NULL
    for key in (("acme", ym(2024, 1)), ("initech", ym(2024, 5)), ("hooli", ym(2023, 3))):
        assert all(got[key][ratio] is None for ratio in RATIOS), key
    # nothing lost (contraction + churn = 0): only the quick ratio is NULL; the others are 0 or 1
    april = got[("acme", ym(2024, 4))]
    assert april["quick_ratio"] is None
    assert (april["logo_churn_rate"], april["revenue_churn_rate"]) == (dec("0"), dec("0"))
    assert april["gross_revenue_retention"] == dec("1")
    # and the same NULLs on ClickHouse (not 0, which an unmatched default would give)
    house = {
        (r["tenant_id"], r["month"]): r for r in built.clickhouse["churn_and_retention"].dicts()
    }
    assert all(house[("initech", ym(2024, 5))][ratio] is None for ratio in RATIOS)
    assert house[("acme", ym(2024, 4))]["quick_ratio"] is None


def test_ratios_round_half_away_from_zero_on_both_targets(built: Built) -> None:
    # umbrella June: 0.000001 / 2 = 0.0000005 and 1.999999 / 2 = 0.9999995, exact ties
    for target in (built.duckdb, built.clickhouse):
        rows = {(r["tenant_id"], r["month"]): r for r in target["churn_and_retention"].dicts()}
        june = rows[("umbrella", ym(2024, 6))]
        assert june["revenue_churn_rate"] == Decimal("0.000001")
        assert june["gross_revenue_retention"] == Decimal("1.000000")
        cells = {
            (r["tenant_id"], r["cohort_month"], r["months_since_signup"]): r
            for r in target["cohort_retention"].dicts()
        }
        assert cells[("umbrella", ym(2024, 5), 1)]["revenue_retention"] == Decimal("1.000000")


def test_ratios_are_decimal_38_6_and_money_decimal_18_6(built: Built) -> None:
    types = {(mart, column): kind for mart in MARTS for column, kind in built.duckdb[mart].columns}
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
        for r in built.duckdb["cohort_retention"].dicts()
        if (r["tenant_id"], r["cohort_month"]) == ("acme", ym(2024, 1))
    }
    # a5 (30) churns in Feb, comes back at 45 in Apr (months since signup 3): 2 -> 3 retained
    assert cells[2] == (2, dec("140"))
    assert cells[3] == (3, dec("185"))


def test_cohort_spine_stops_at_the_as_of_month(built: Built) -> None:
    rows = built.duckdb["cohort_retention"].dicts()
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
    rows = built.duckdb["customer_ltv"].dicts()
    assert all((r["ltv"] is None) == (r["ltv_status"] != "ok") for r in rows)
    statuses = {r["ltv_status"] for r in rows}
    assert statuses == {"ok", "no_churn", "no_customers_at_start", "no_active_customers"}
    assert max(r["window_months"] for r in rows) == 12


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
            built.settings,
            target_path=built.root / f"target-{target}",
        )
        assert completed.returncode == 0, (completed.stdout + completed.stderr)[-4000:]
        shown = json.loads(completed.stdout[completed.stdout.index('{\n  "show"') :])["show"]
        got = {row["case_number"]: row["ratio"] for row in shown}
        assert got == expected, target
