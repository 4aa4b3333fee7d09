"""MRR from billing events (int_billing_subscription_periods → MRR marts), both targets.

The histories and the hand-worked MRR are in tests/revenue/billing_hand_worked.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import clickhouse_connect
import duckdb
import pytest

from config import Settings
from ingest.contracts import BillingEvent, models_to_table
from ingest.subscriptions import read_subscription_periods
from pipelines.dbt_cli import run_dbt
from tests.revenue.billing_hand_worked import (
    AS_OF,
    EVENTS,
    EXPECTED_GLOBEX_MOVEMENTS,
    EXPECTED_GLOBEX_MRR,
    EXPECTED_MOVEMENTS,
    EXPECTED_MRR,
    REPLAYED,
)
from tests.revenue.mrr_hand_worked import ACME_CSV
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore
from warehouse.subscription_periods import (
    replace_tenant_periods,
    replace_tenant_periods_clickhouse,
)

SELECT = [
    "--select",
    "+mrr_bridge",
    "--indirect-selection",
    "cautious",
    "--vars",
    f"{{as_of_date: '{AS_OF}'}}",
]
MARTS = ("mrr_by_customer_month", "mrr_movements")


def _rows(columns: list[str], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    found = [dict(zip(columns, row, strict=True)) for row in rows]
    return sorted(found, key=lambda r: tuple(str(v) for v in r.values()))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The lake and chDB raw tables holding the hand-worked billing events and acme's import."""
    root: Path = tmp_path_factory.mktemp("billing_mrr")
    settings = Settings(data_dir=root / "irisx")
    settings.ensure_dirs()
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    imported = read_subscription_periods(ACME_CSV.encode(), tenant_id="acme", source="t.csv")
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        store = ClickHouseRawStore(client)
        store.migrate()
        for batch_id, events in (("billing-1", EVENTS), ("billing-2", REPLAYED)):
            table = models_to_table(events, BillingEvent)
            lake.write_batch("billing", table, batch_id)
            store.write_batch("billing", table, batch_id)
        table = imported.to_table()
        replace_tenant_periods(settings.lake_dir, "acme", table, imported.import_id)
        replace_tenant_periods_clickhouse(client, store.database, "acme", table, imported.import_id)
    finally:
        client.close()
    return settings


@pytest.fixture(scope="module")
def built(loaded: Settings) -> dict[str, dict[str, list[dict[str, Any]]]]:
    settings = loaded
    root = settings.data_dir.parent
    for target in ("duckdb", "clickhouse"):
        completed = run_dbt(
            ["build", "--target", target, *SELECT], settings, target_path=root / f"t-{target}"
        )
        assert completed.returncode == 0, (completed.stdout + completed.stderr)[-6000:]
    result: dict[str, dict[str, list[dict[str, Any]]]] = {"duckdb": {}, "clickhouse": {}}
    with duckdb.connect() as con:
        for name in MARTS:
            cursor = con.execute(
                f"select * from read_parquet('{settings.marts_dir}/{name}.parquet')"
            )
            result["duckdb"][name] = _rows(
                [c[0] for c in cursor.description or []], cursor.fetchall()
            )
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        for name in MARTS:
            answer = client.query(f"select * from irisx.{name}")
            result["clickhouse"][name] = _rows(list(answer.column_names), answer.result_rows)
    finally:
        client.close()
    return result


@pytest.mark.parametrize("name", MARTS)
def test_both_targets_give_identical_rows(built: dict[str, Any], name: str) -> None:
    assert built["duckdb"][name]
    assert built["clickhouse"][name] == built["duckdb"][name]


def test_mrr_from_billing_events_is_the_hand_worked_mrr(built: dict[str, Any]) -> None:
    got = {
        (r["customer_id"], r["month"].month): r["mrr"]
        for r in built["duckdb"]["mrr_by_customer_month"]
        if r["tenant_id"] == "initech"
    }
    expected = {
        (customer, month): mrr
        for customer, series in EXPECTED_MRR.items()
        for month, mrr in series.items()
    }
    assert got == expected


def test_movements_from_billing_events(built: dict[str, Any]) -> None:
    # every non-new movement, plus the two customers whose first month is a hand-worked case
    initech = [r for r in built["duckdb"]["mrr_movements"] if r["tenant_id"] == "initech"]
    got = {
        (r["customer_id"], r["month"].month): (r["movement"], r["amount"])
        for r in initech
        if r["movement"] != "new" or r["customer_id"] in ("ct", "cw")
    }
    assert got == EXPECTED_MOVEMENTS


def test_a_tenant_with_an_import_ignores_its_billing_events(built: dict[str, Any]) -> None:
    acme = {
        r["customer_id"]
        for r in built["duckdb"]["mrr_by_customer_month"]
        if r["tenant_id"] == "acme"
    }
    assert "c_billing_only" not in acme
    assert "c_new_exp" in acme  # from the import


def test_other_currencies_convert_at_the_month_end_rate(built: dict[str, Any]) -> None:
    mrr = {
        (r["customer_id"], r["month"].month): r["mrr"]
        for r in built["duckdb"]["mrr_by_customer_month"]
        if r["tenant_id"] == "globex"
    }
    assert mrr == EXPECTED_GLOBEX_MRR
    movements = {
        (r["customer_id"], r["month"].month): (r["movement"], r["amount"])
        for r in built["duckdb"]["mrr_movements"]
        if r["tenant_id"] == "globex" and r["movement"] != "new"
    }
    assert movements == EXPECTED_GLOBEX_MOVEMENTS


def test_a_missing_rate_fails_the_build(
    loaded: Settings, built: dict[str, Any], tmp_path: Path
) -> None:
    # The seed has no rate into CHF: reporting in CHF must stop the build at the rate test,
    # not publish MRR without the periods it cannot convert. (DuckDB only: same SQL and test.)
    completed = run_dbt(
        [
            "build", "--target", "duckdb", "--select", "+int_subscription_periods_fx_rates",
            "--vars", f"{{as_of_date: '{AS_OF}', reporting_currency: CHF}}",
        ],
        loaded,
        target_path=tmp_path / "t-chf",
    )  # fmt: skip
    assert completed.returncode == 1, completed.stdout[-3000:]
    assert "not_null_int_subscription_periods_fx_rates_rate" in completed.stdout
