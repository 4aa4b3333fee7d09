"""Usage revenue rated in another currency enters usage-aware MRR converted into the reporting
currency at the month-end rate (int_month_end_fx_rates, macro in_reporting_currency), on both dbt
targets. As-of 2024-03-15, reporting currency USD, rates from the dbt seed fx_rates:
EUR->USD 1.10 from 2024-01-01, 1.08 from 2024-03-15; GBP->USD 1.27 from 2024-01-01.

Tenant eurco, customer cust-e (no subscription: usage only), outbound calls:
  e1 2024-01-10 price 2.000000 EUR   e2 2024-01-20 price 0.500000 GBP
  e3 2024-02-10 price 1.000000 EUR   e4 2024-03-02 price 3.000000 EUR (the as-of month)
usage_revenue keeps each currency: Jan EUR 2.0, Jan GBP 0.5, Feb EUR 1.0, Mar EUR 3.0.
usage_aware_mrr usage_revenue (USD): Jan 2.0 × 1.10 + 0.5 × 1.27 = 2.2 + 0.635 = 2.835;
  Feb 1.0 × 1.10 = 1.1; Mar 3.0 × 1.08 (the rate in effect on March's last day) = 3.24.
Run-rate (complete months only): Jan = 2.835 / 1; Feb = (2.835 + 1.1) / 2 = 1.9675;
  Mar (as-of month, not complete) = window Jan, Feb = 1.9675.
Summing the currencies unconverted would give Jan 2.5 and Mar 3.0.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from cdr_builder import at, cdr

from ingest.contracts import CallRecord, Direction, models_to_table
from tests.both_targets import BothTargets

AS_OF = "2024-03-15"
CALLS = [  # name, day, price, currency
    ("e1", dt.date(2024, 1, 10), "2.000000", "EUR"),
    ("e2", dt.date(2024, 1, 20), "0.500000", "GBP"),
    ("e3", dt.date(2024, 2, 10), "1.000000", "EUR"),
    ("e4", dt.date(2024, 3, 2), "3.000000", "EUR"),
]
MARTS = ("usage_revenue", "usage_aware_mrr")


def _calls() -> list[CallRecord]:
    records = []
    for name, day, price, currency in CALLS:
        record = cdr(
            name, "eurco", Direction.OUTBOUND, at(day, "10:00:00"), billsec=60, price=price
        )
        records.append(
            CallRecord.model_validate(
                record.model_dump()
                | {"customer_id": "cust-e", "carrier_id": "carrier-x", "currency": currency}
            )
        )
    return records


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[dict[str, Any]]]]:
    warehouse = BothTargets(tmp_path_factory.mktemp("usage_currency"))
    with warehouse.loading() as load:
        load.write("call", models_to_table(_calls(), CallRecord), "calls")
    warehouse.build(
        ["--select", "+usage_aware_mrr", "--indirect-selection", "cautious"],
        vars={"as_of_date": AS_OF},
    )
    return warehouse.read(MARTS)


def test_both_targets_give_identical_rows(marts: dict[str, Any]) -> None:
    for name in MARTS:
        assert marts["duckdb"][name], name
        assert marts["clickhouse"][name] == marts["duckdb"][name], name


def test_usage_revenue_keeps_each_currency(marts: dict[str, Any]) -> None:
    found = {
        (row["month"], row["currency"]): row["revenue"] for row in marts["duckdb"]["usage_revenue"]
    }
    assert found == {
        (dt.date(2024, 1, 1), "EUR"): Decimal("2.000000"),
        (dt.date(2024, 1, 1), "GBP"): Decimal("0.500000"),
        (dt.date(2024, 2, 1), "EUR"): Decimal("1.000000"),
        (dt.date(2024, 3, 1), "EUR"): Decimal("3.000000"),
    }


def test_usage_aware_mrr_converts_at_the_month_end_rate(marts: dict[str, Any]) -> None:
    rows = {row["month"]: row for row in marts["duckdb"]["usage_aware_mrr"]}
    assert {month: rows[month]["usage_revenue"] for month in rows} == {
        dt.date(2024, 1, 1): Decimal("2.835000"),
        dt.date(2024, 2, 1): Decimal("1.100000"),
        dt.date(2024, 3, 1): Decimal("3.240000"),
    }
    assert {month: rows[month]["usage_run_rate"] for month in rows} == {
        dt.date(2024, 1, 1): Decimal("2.835000"),
        dt.date(2024, 2, 1): Decimal("1.967500"),
        dt.date(2024, 3, 1): Decimal("1.967500"),
    }
