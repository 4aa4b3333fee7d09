"""usage_revenue, margin_by_carrier_route, usage_aware_mrr and mrr_movements_with_usage from
hand-made calls, messages, subscription periods (acme, a CSV import) and billing events (globex,
whose plans state a usage allowance), on both dbt targets (identical rows and types).

The shared harness (tests/both_targets.py) loads the same events into the Parquet lake and
chDB's raw tables and builds the marts once per target for the module. Expected values are
worked out by hand in ``usage_hand_worked`` (working in its docstring).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from both_targets import BothTargets, Rows, assert_same_column_types
from cdr_builder import at, cdr
from usage_hand_worked import (
    AS_OF,
    AWARE,
    AWARE_COLUMNS,
    C1_FIRST,
    C1_RERATED,
    CALLS,
    GLOBEX,
    GLOBEX_CALLS,
    GLOBEX_MESSAGES,
    GLOBEX_PLANS,
    MARGIN,
    MARGIN_COLUMNS,
    MESSAGES,
    MOVEMENTS_WITH_USAGE,
    SUBSCRIPTIONS_CSV,
    TENANT,
    USAGE,
    USAGE_COLUMNS,
)

from ingest.contracts import (
    BillingEvent,
    CallRecord,
    Direction,
    MessageEvent,
    models_to_table,
)
from ingest.subscriptions import read_subscription_periods
from warehouse.subscription_periods import (
    replace_tenant_periods,
    replace_tenant_periods_clickhouse,
)

MARTS = (
    "usage_revenue",
    "margin_by_carrier_route",
    "usage_aware_mrr",
    "mrr_movements_with_usage",
    "mrr_movements",  # not ours: read to compare movements with and without usage
)
OWN_MARTS = MARTS[:4]
SELECTION = [
    "--select",
    *(f"+{mart}" for mart in MARTS),
    # tests of models outside the selection (e.g. mrr_bridge's relationships) stay out
    "--indirect-selection",
    "cautious",
]

CallPlan = tuple[str, str, str, dt.date, int, bool, str | None, str, str | None, str | None]


def _call(
    plan: CallPlan, event_id: str, emitted_after: dt.timedelta, tenant: str = TENANT
) -> CallRecord:
    name, customer, direction, day, billsec, answered, carrier, to_number, price, cost = plan
    record = cdr(
        name,
        tenant,
        Direction(direction),
        at(day, "10:00:00"),
        billsec=billsec,
        answered=answered,
        price=price,
        event_id=event_id,
        emitted_after=emitted_after,
    )
    return CallRecord.model_validate(
        record.model_dump()
        | {
            "customer_id": customer,
            "carrier_id": carrier,
            "to_number": to_number,
            "cost": None if cost is None else Decimal(cost),
        }
    )


def _calls() -> list[CallRecord]:
    second = dt.timedelta(seconds=1)
    records = [_call(plan, f"{TENANT}-{plan[0]}", second) for plan in CALLS]
    # c1 twice: the re-rated CDR comes later under a new event_id and must win
    records.append(_call(C1_FIRST, "acme-c1-first", second))
    records.append(_call(C1_RERATED, "acme-c1-rerated", dt.timedelta(hours=1)))
    records += [_call(plan, f"{GLOBEX}-{plan[0]}", second, GLOBEX) for plan in GLOBEX_CALLS]
    return records


def _messages() -> list[MessageEvent]:
    events = []
    tagged = [(TENANT, m) for m in MESSAGES] + [(GLOBEX, m) for m in GLOBEX_MESSAGES]
    for index, (tenant, message_plan) in enumerate(tagged):
        message, customer, channel, status, day, segments, price = message_plan
        email = channel == "email"
        events.append(
            MessageEvent(
                event_id=f"msg-{index}",
                tenant_id=tenant,
                occurred_at=at(day, f"12:00:{index:02d}"),
                message_id=message,
                channel=channel,
                status=status,
                from_address="noreply@acme.example" if email else "+14155550100",
                to_address="someone@example.com" if email else "+447700900999",
                provider="prov-1",
                customer_id=customer,
                segments=segments,
                price=None if price is None else Decimal(price),
            )
        )
    return events


def _globex_subscriptions() -> list[BillingEvent]:
    """One monthly subscription per customer from 2024-01-01 00:00 UTC (no trial)."""
    return [
        BillingEvent(
            event_id=f"{GLOBEX}-sub-{customer}",
            tenant_id=GLOBEX,
            occurred_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            event_type="subscription_created",
            customer_id=customer,
            subscription_id=f"{customer}-s1",
            interval="month",
            amount=Decimal(amount),
            included_usage_amount=None if included is None else Decimal(included),
        )
        for customer, amount, included in GLOBEX_PLANS
    ]


Built = dict[str, Any]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    warehouse = BothTargets(tmp_path_factory.mktemp("usage_revenue"))
    with warehouse.loading() as load:
        load.write("call", models_to_table(_calls(), CallRecord), "usage")
        load.write("message", models_to_table(_messages(), MessageEvent), "usage")
        load.write("billing", models_to_table(_globex_subscriptions(), BillingEvent), "usage")
        periods = read_subscription_periods(
            SUBSCRIPTIONS_CSV.encode(), tenant_id=TENANT, source="t.csv"
        )
        assert periods.rejects == []
        table = periods.to_table()
        replace_tenant_periods(warehouse.settings.lake_dir, TENANT, table, periods.import_id)
        replace_tenant_periods_clickhouse(
            load.client, load.store.database, TENANT, table, periods.import_id
        )
    warehouse.build(SELECTION, vars={"as_of_date": AS_OF})
    return {
        "rows": warehouse.read(MARTS),
        "types": warehouse.column_types(MARTS),
        "manifest": warehouse.manifest(),
    }


def _by_key(rows: Rows, key: tuple[str, ...], values: tuple[str, ...]) -> dict[Any, Any]:
    return {tuple(row[name] for name in key): tuple(row[name] for name in values) for row in rows}


def _duckdb(built: Built, mart: str) -> Rows:
    rows: Rows = built["rows"]["duckdb"][mart]
    return rows


def test_usage_revenue_equals_the_hand_worked_rows(built: Built) -> None:
    got = _by_key(
        _duckdb(built, "usage_revenue"),
        ("tenant_id", "customer_id", "month", "product", "currency"),
        USAGE_COLUMNS,
    )
    assert got == USAGE


def test_margin_by_carrier_route_equals_the_hand_worked_rows(built: Built) -> None:
    got = _by_key(
        _duckdb(built, "margin_by_carrier_route"),
        ("tenant_id", "month", "currency", "carrier_id", "route"),
        MARGIN_COLUMNS,
    )
    assert got == MARGIN


def test_usage_aware_mrr_equals_the_hand_worked_rows(built: Built) -> None:
    got = _by_key(
        _duckdb(built, "usage_aware_mrr"), ("tenant_id", "customer_id", "month"), AWARE_COLUMNS
    )
    assert got == AWARE


def test_movements_are_reported_with_and_without_usage(built: Built) -> None:
    key = ("tenant_id", "customer_id", "month")
    with_usage = _by_key(
        _duckdb(built, "mrr_movements_with_usage"),
        key,
        ("previous_total_mrr", "total_mrr", "movement", "amount"),
    )
    assert with_usage == MOVEMENTS_WITH_USAGE
    # without usage (mrr_movements): cust-a new 100 in Jan and nothing after; cust-b and cust-d
    # (usage only) never appear; cust-c new 50, churn 50; globex's plans new 200 and 80 in Jan
    without_usage = _by_key(_duckdb(built, "mrr_movements"), key, ("movement", "amount"))
    assert without_usage == {
        (TENANT, "cust-a", dt.date(2024, 1, 1)): ("new", Decimal("100.000000")),
        (TENANT, "cust-c", dt.date(2024, 1, 1)): ("new", Decimal("50.000000")),
        (TENANT, "cust-c", dt.date(2024, 2, 1)): ("churn", Decimal("50.000000")),
        # cust-e's EUR plan of the same import, converted: 11.00 in Feb, 10.80 in Mar
        (TENANT, "cust-e", dt.date(2024, 2, 1)): ("new", Decimal("11.000000")),
        (TENANT, "cust-e", dt.date(2024, 3, 1)): ("contraction", Decimal("0.200000")),
        (GLOBEX, "cust-g1", dt.date(2024, 1, 1)): ("new", Decimal("200.000000")),
        (GLOBEX, "cust-g2", dt.date(2024, 1, 1)): ("new", Decimal("80.000000")),
    }


def test_usage_aware_bridge_closes_every_month(built: Built) -> None:
    """Opening (the month before's total) + signed movements = closing, per tenant and month."""
    totals: dict[dt.date, Decimal] = {}
    for row in _duckdb(built, "usage_aware_mrr"):
        totals[row["month"]] = totals.get(row["month"], Decimal(0)) + row["total_mrr"]
    net: dict[dt.date, Decimal] = {}
    for row in _duckdb(built, "mrr_movements_with_usage"):
        sign = -1 if row["movement"] in ("contraction", "churn") else 1
        net[row["month"]] = net.get(row["month"], Decimal(0)) + sign * row["amount"]
    opening = Decimal(0)
    for month in sorted(totals):
        assert opening + net.get(month, Decimal(0)) == totals[month], month
        opening = totals[month]


@pytest.mark.parametrize("mart", MARTS)
def test_both_targets_give_identical_rows_and_types(built: Built, mart: str) -> None:
    rows = built["rows"]
    assert rows["duckdb"][mart]  # two empty results would prove nothing
    assert rows["clickhouse"][mart] == rows["duckdb"][mart]
    assert_same_column_types(built["types"], mart)


@pytest.mark.parametrize("mart", OWN_MARTS)
def test_each_mart_declares_versioned_metric_definitions(built: Built, mart: str) -> None:
    node = built["manifest"]["nodes"][f"model.irisx.{mart}"]
    metrics = node["config"]["meta"]["metrics"]
    assert metrics
    for metric in metrics:
        assert set(metric) == {"name", "version", "unit", "definition"}
        assert isinstance(metric["version"], int)
        assert metric["version"] >= 1
