"""payment_recovery and int_dunning_invoices from hand-worked billing events, both targets.

The events and the hand-worked values (working in the docstring) are in
tests/revenue/dunning_hand_worked.py. The shared harness (tests/both_targets.py) puts the same
events into the Parquet lake (duckdb target) and chDB's raw tables (clickhouse target); dbt builds
once per target for the module.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from both_targets import BothTargets, assert_same_column_types
from cdr_builder import at, cdr

from ingest.contracts import BillingEvent, CallRecord, Direction, MessageEvent, models_to_table
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

MARTS = ("payment_recovery", "credit_balances", "spend_alerts")
SELECTION = ["--select", *(f"+{mart}" for mart in MARTS)]
VARS = {
    "as_of_date": AS_OF,
    "credit_burn_window_days": CREDIT_WINDOW_DAYS,
    "spend_budgets": SPEND_BUDGETS,
}

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    warehouse = BothTargets(tmp_path_factory.mktemp("dunning_credits"))
    with warehouse.loading() as load:
        load.write("billing", models_to_table(EVENTS + CREDIT_EVENTS, BillingEvent), "billing-1")
        load.write("call", models_to_table(_calls(), CallRecord), "usage-1")
        load.write("message", models_to_table(_messages(), MessageEvent), "usage-1")
    warehouse.build(SELECTION, vars=VARS)
    result: dict[str, Any] = {**warehouse.read(MARTS), "types": warehouse.column_types(MARTS)}
    with warehouse.clickhouse() as client:
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
    return result


@pytest.mark.parametrize("name", MARTS)
def test_both_targets_give_identical_rows_and_types(built: dict[str, Any], name: str) -> None:
    assert built["clickhouse"][name] == built["duckdb"][name]
    assert_same_column_types(built["types"], name)


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
