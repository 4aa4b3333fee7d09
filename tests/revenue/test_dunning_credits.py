"""payment_recovery and int_dunning_invoices from hand-worked billing events, both targets.

The events and the hand-worked values (working in the docstring) are in
tests/revenue/dunning_hand_worked.py. The same events go into the Parquet lake (duckdb target)
and chDB's raw billing table (clickhouse target); dbt builds once per target for the module.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import clickhouse_connect
import duckdb
import pytest
import yaml
from cdr_builder import at, cdr

from config import Settings
from ingest.contracts import BillingEvent, CallRecord, Direction, MessageEvent, models_to_table
from pipelines.dbt_cli import run_dbt
from tests.revenue.dunning_hand_worked import (
    AS_OF,
    CREDIT_BALANCES,
    CREDIT_EVENTS,
    CREDIT_WINDOW_DAYS,
    DAILY_SPEND,
    EVENTS,
    EXPECTED_INVOICES,
    PAYMENT_RECOVERY,
    SPEND_ALERTS,
    SPEND_BUDGETS,
    SPEND_CALLS,
    SPEND_MESSAGES,
    TENANT,
)
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore

MARTS = ("payment_recovery", "credit_balances", "spend_alerts")
SELECT = [
    "--select",
    *(f"+{mart}" for mart in MARTS),
    "--vars",
    json.dumps(
        {
            "as_of_date": AS_OF,
            "credit_burn_window_days": CREDIT_WINDOW_DAYS,
            "spend_budgets": SPEND_BUDGETS,
        }
    ),
]
#: DuckDB type -> ClickHouse type (Nullable stripped) the same column must have.
SAME_TYPE = {
    "VARCHAR": "String",
    "DATE": "Date",
    "BIGINT": "Int64",
    "DECIMAL(18,6)": "Decimal(18, 6)",
    "DECIMAL(18,1)": "Decimal(18, 1)",
    "DECIMAL(38,6)": "Decimal(38, 6)",
    "BOOLEAN": "Bool",
}

ROOT = Path(__file__).resolve().parents[2]
Rows = list[dict[str, Any]]


def _calls() -> list[CallRecord]:
    return [
        cdr(
            name,
            TENANT,
            Direction("inbound"),
            at(day, "10:00:00"),
            billsec=billsec,
            answered=answered,
            price=price,
        )
        for name, day, billsec, answered, price in SPEND_CALLS
    ]


def _messages() -> list[MessageEvent]:
    return [
        MessageEvent(
            event_id=f"msg-{message}",
            tenant_id=TENANT,
            occurred_at=at(day, "12:00:00"),
            message_id=message,
            channel="sms",
            status="sent",
            from_address="+14155550100",
            to_address="+447700900999",
            provider="prov-1",
            customer_id="c1",
            segments=1,
            price=Decimal(price),
        )
        for message, day, price in SPEND_MESSAGES
    ]


def _sorted(columns: list[str], rows: list[tuple[Any, ...]]) -> Rows:
    found = [dict(zip(columns, row, strict=True)) for row in rows]
    return sorted(found, key=lambda r: tuple(str(v) for v in r.values()))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("dunning_credits")
    settings = Settings(data_dir=root / "irisx")
    settings.ensure_dirs()
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        store = ClickHouseRawStore(client)
        store.migrate()
        table = models_to_table(EVENTS + CREDIT_EVENTS, BillingEvent)
        lake.write_batch("billing", table, "billing-1")
        store.write_batch("billing", table, "billing-1")
        for family, usage in (
            ("call", models_to_table(_calls(), CallRecord)),
            ("message", models_to_table(_messages(), MessageEvent)),
        ):
            lake.write_batch(family, usage, "usage-1")
            store.write_batch(family, usage, "usage-1")
    finally:
        client.close()  # dbt's process takes the chDB folder next
    for target in ("duckdb", "clickhouse"):
        completed = run_dbt(
            ["build", "--target", target, *SELECT], settings, target_path=root / f"t-{target}"
        )
        assert completed.returncode == 0, (completed.stdout + completed.stderr)[-6000:]
    result: dict[str, Any] = {"duckdb": {}, "clickhouse": {}, "types": {}}
    with duckdb.connect() as con:
        for name in MARTS:
            cursor = con.execute(
                f"select * from read_parquet('{settings.marts_dir}/{name}.parquet')"
            )
            description = cursor.description or []
            result["duckdb"][name] = _sorted([c[0] for c in description], cursor.fetchall())
            result["types"][("duckdb", name)] = [(c[0], str(c[1])) for c in description]
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        for name in MARTS:
            answer = client.query(f"select * from irisx.{name}")
            result["clickhouse"][name] = _sorted(list(answer.column_names), answer.result_rows)
            result["types"][("clickhouse", name)] = [
                (
                    column,
                    kind.name.removeprefix("Nullable(").removesuffix(")")
                    if kind.name.startswith("Nullable(")
                    else kind.name,
                )
                for column, kind in zip(answer.column_names, answer.column_types, strict=True)
            ]
        answer = client.query(
            "select invoice_id, failure_count, dunning_steps, outcome, days_to_recover,"
            " refunded_amount from irisx.int_dunning_invoices"
        )
        result["invoices"] = {row[0]: tuple(row[1:]) for row in answer.result_rows}
        answer = client.query(
            "select spend_date, billable_units, spend from irisx.int_daily_spend"
            f" where tenant_id = '{TENANT}' and currency = 'USD'"
        )
        result["daily_spend"] = {row[0]: (int(row[1]), row[2]) for row in answer.result_rows}
    finally:
        client.close()
    return result


@pytest.mark.parametrize("name", MARTS)
def test_both_targets_give_identical_rows_and_types(built: dict[str, Any], name: str) -> None:
    assert built["clickhouse"][name] == built["duckdb"][name]
    duck_types = built["types"][("duckdb", name)]
    house_types = built["types"][("clickhouse", name)]
    assert [(c, SAME_TYPE.get(t, t)) for c, t in duck_types] == house_types


def test_failed_invoices_and_their_outcomes(built: dict[str, Any]) -> None:
    found = {
        invoice: (int(n), int(steps), outcome, None if days is None else int(days), refunded)
        for invoice, (n, steps, outcome, days, refunded) in built["invoices"].items()
    }
    assert found == EXPECTED_INVOICES


@pytest.mark.parametrize("target", ["duckdb", "clickhouse"])
def test_payment_recovery_is_the_hand_worked_table(built: dict[str, Any], target: str) -> None:
    assert built[target]["payment_recovery"] == PAYMENT_RECOVERY


@pytest.mark.parametrize("target", ["duckdb", "clickhouse"])
def test_credit_balances_are_the_hand_worked_days(built: dict[str, Any], target: str) -> None:
    assert built[target]["credit_balances"] == CREDIT_BALANCES


def test_daily_spend_counts_billable_usage_only(built: dict[str, Any]) -> None:
    assert built["daily_spend"] == DAILY_SPEND


@pytest.mark.parametrize("target", ["duckdb", "clickhouse"])
def test_spend_alerts_are_the_hand_worked_crossings(built: dict[str, Any], target: str) -> None:
    assert built[target]["spend_alerts"] == SPEND_ALERTS


def test_no_budget_means_no_alert_rows_for_other_days(built: dict[str, Any]) -> None:
    crossed = [(row["month"], row["threshold_percent"]) for row in built["duckdb"]["spend_alerts"]]
    assert len(crossed) == len(set(crossed))
    assert (dt.date(2024, 3, 1), 100) not in crossed  # 96 of 100 by the as-of date


@pytest.mark.parametrize("mart", MARTS)
def test_each_mart_declares_versioned_metric_definitions(mart: str) -> None:
    spec = yaml.safe_load(
        (ROOT / "dbt/models/marts/revenue/_revenue_billing_ops__models.yml").read_text()
    )
    model = next(entry for entry in spec["models"] if entry["name"] == mart)
    metrics = model["config"]["meta"]["metrics"]
    assert metrics
    for metric in metrics:
        assert set(metric) == {"name", "version", "unit", "definition"}
        assert isinstance(metric["version"], int)
        assert metric["version"] >= 1
