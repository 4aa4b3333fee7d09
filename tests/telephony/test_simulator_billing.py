"""Billing lifecycles: history before the window, consistent invoices, nothing after churn."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from tests.telephony.conftest import Run

#: Events that create or move recurring revenue (MRR) of a subscription.
MRR_EVENTS = {
    "subscription_created",
    "subscription_changed",
    "invoice_issued",
    "invoice_paid",
    "invoice_failed",
    "dunning_step",
}


def _events(run: Run) -> list[dict]:
    return (
        run.db()
        .sql("select * from billing order by occurred_at, event_id")
        .arrow()
        .read_all()
        .to_pylist()
    )


def test_history_starts_well_before_the_window(week_run: Run) -> None:
    events = _events(week_run)
    window_start = datetime.fromisoformat(week_run.window_start)
    first = min(e["occurred_at"] for e in events)
    assert first < window_start - timedelta(days=300)
    assert any(e["occurred_at"] >= window_start for e in events)
    kinds = {e["event_type"] for e in events}
    assert {"subscription_created", "subscription_cancelled", "invoice_paid",
            "invoice_failed", "dunning_step", "credit_granted"} <= kinds  # fmt: skip


def test_no_mrr_event_after_cancellation_unless_reactivated(week_run: Run) -> None:
    by_subscription: dict[str, list[dict]] = defaultdict(list)
    for event in _events(week_run):
        if event["subscription_id"] is not None:
            by_subscription[event["subscription_id"]].append(event)
    cancellations = 0
    for subscription, events in by_subscription.items():
        cancelled = False
        for event in events:
            kind = event["event_type"]
            if kind == "subscription_cancelled":
                assert not cancelled, f"{subscription} cancelled twice"
                cancelled = True
                cancellations += 1
            elif kind == "subscription_reactivated":
                assert cancelled, f"{subscription} reactivated while active"
                cancelled = False
            elif cancelled:
                assert kind not in MRR_EVENTS, f"{subscription}: {kind} after cancellation"
    assert cancellations >= 5


def test_invoices_charge_the_subscribed_price(week_run: Run) -> None:
    """invoice amount = unit price x quantity x (1 - discount), from the last subscription event."""
    current: dict[str, dict] = {}
    checked = 0
    for event in _events(week_run):
        kind = event["event_type"]
        if kind in ("subscription_created", "subscription_changed", "subscription_reactivated"):
            current[event["subscription_id"]] = event
        elif kind == "invoice_issued":
            terms = current[event["subscription_id"]]
            discount = Decimal(str(terms["discount_percent"] or 0))
            expected = (terms["amount"] * terms["quantity"] * (1 - discount / 100)).quantize(
                Decimal("0.01")
            )
            assert event["amount"] == expected, (event, terms)
            assert event["period_start"] < event["period_end"]
            checked += 1
    assert checked > 100


def test_payments_refer_to_issued_invoices(week_run: Run) -> None:
    issued: dict[str, datetime] = {}
    steps: dict[str, list[int]] = defaultdict(list)
    for event in _events(week_run):
        kind, invoice = event["event_type"], event["invoice_id"]
        if kind == "invoice_issued":
            issued[invoice] = event["occurred_at"]
        elif kind in ("invoice_paid", "invoice_failed", "invoice_refunded", "dunning_step"):
            assert invoice in issued, event
            assert issued[invoice] <= event["occurred_at"], event
            if kind == "dunning_step":
                steps[invoice].append(event["dunning_step"])
    assert steps
    for invoice, numbers in steps.items():
        assert numbers == list(range(1, len(numbers) + 1)), invoice


def test_one_tenant_bills_some_customers_in_gbp_and_eur(week_run: Run) -> None:
    """globex-retail bills customer i in ("USD", "GBP", "GBP", "EUR")[i % 4] (customer ids end
    in their tenant-local index); every other tenant bills in USD only."""
    currencies: dict[tuple[str, str], set[str]] = defaultdict(set)
    for event in _events(week_run):
        currencies[(event["tenant_id"], event["customer_id"])].add(event["currency"])
    globex = {customer: found for (tenant, customer), found in currencies.items()
              if tenant == "globex-retail"}  # fmt: skip
    assert globex
    for customer, found in globex.items():
        index = int(customer.rsplit("-cus", 1)[1])
        assert found == {("USD", "GBP", "GBP", "EUR")[index % 4]}, customer
    assert {currency for found in globex.values() for currency in found} == {"USD", "GBP", "EUR"}
    others = {c for (tenant, _), found in currencies.items() if tenant != "globex-retail"
              for c in found}  # fmt: skip
    assert others == {"USD"}
