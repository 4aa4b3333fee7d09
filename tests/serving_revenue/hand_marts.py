"""Hand-made rows of the revenue marts that /v1/revenue/ltv, /usage, /usage-movements,
/payment-recovery, /credits and /spend-alerts serve, with the column types dbt publishes.

Every derived figure is worked out next to its row (as-of month 2024-03), so the tests can assert
the API's answers against numbers written here, not against the code's output.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa

MONEY = pa.decimal128(18, 6)
RATIO = pa.decimal128(38, 6)


def d(value: str | int | None) -> Decimal | None:
    """A decimal with the marts' six places (None stays None)."""
    return None if value is None else Decimal(value).quantize(Decimal("0.000001"))


LTV_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("month", pa.date32()),
        ("window_start_month", pa.date32()),
        ("window_months", pa.int64()),
        ("window_mrr", MONEY),
        ("active_customer_months", pa.int64()),
        ("arpa", RATIO),
        ("customers_at_start_months", pa.int64()),
        ("churned_customers", pa.int64()),
        ("monthly_logo_churn_rate", RATIO),
        ("ltv", RATIO),
        ("ltv_status", pa.string()),
    ]
)
# acme: 3 customers at 100 in January; one churns in February (2 left at 125 each: 250).
#   Jan: window Jan (1 month): mrr 300, 3 active customer-months, ARPA 300 / 3 = 100; nobody at
#        start: no churn rate, no LTV (no_customers_at_start).
#   Feb: window Jan-Feb: mrr 300 + 250 = 550, active 3 + 2 = 5, ARPA 110; at start 0 + 3 = 3,
#        churned 1: rate 1/3 = 0.333333; LTV = 550 * 3 / (5 * 1) = 330.
#   Mar: window Jan-Mar: mrr 550 + 250 = 800, active 7, ARPA 800 / 7 = 114.285714; at start
#        3 + 2 = 5, churned 1: rate 0.2; LTV = 800 * 5 / (7 * 1) = 4000 / 7 = 571.428571.
# globex: one customer at 50 from March: no_customers_at_start.
LTV_ROWS: list[dict[str, Any]] = [
    {
        "tenant_id": "acme", "month": date(2024, 1, 1), "window_start_month": date(2024, 1, 1),
        "window_months": 1, "window_mrr": d(300), "active_customer_months": 3, "arpa": d(100),
        "customers_at_start_months": 0, "churned_customers": 0,
        "monthly_logo_churn_rate": None, "ltv": None, "ltv_status": "no_customers_at_start",
    },
    {
        "tenant_id": "globex", "month": date(2024, 3, 1), "window_start_month": date(2024, 3, 1),
        "window_months": 1, "window_mrr": d(50), "active_customer_months": 1, "arpa": d(50),
        "customers_at_start_months": 0, "churned_customers": 0,
        "monthly_logo_churn_rate": None, "ltv": None, "ltv_status": "no_customers_at_start",
    },
    {
        "tenant_id": "acme", "month": date(2024, 3, 1), "window_start_month": date(2024, 1, 1),
        "window_months": 3, "window_mrr": d(800), "active_customer_months": 7,
        "arpa": d("114.285714"), "customers_at_start_months": 5, "churned_customers": 1,
        "monthly_logo_churn_rate": d("0.2"), "ltv": d("571.428571"), "ltv_status": "ok",
    },
    {
        "tenant_id": "acme", "month": date(2024, 2, 1), "window_start_month": date(2024, 1, 1),
        "window_months": 2, "window_mrr": d(550), "active_customer_months": 5, "arpa": d(110),
        "customers_at_start_months": 3, "churned_customers": 1,
        "monthly_logo_churn_rate": d("0.333333"), "ltv": d(330), "ltv_status": "ok",
    },
]  # fmt: skip

USAGE_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("customer_id", pa.string()),
        ("month", pa.date32()),
        ("committed_mrr", MONEY),
        ("usage_revenue", MONEY),
        ("unrated_usage_units", pa.int64()),
        ("run_rate_months", pa.int64()),
        ("trailing_usage_revenue", MONEY),
        ("usage_run_rate", RATIO),
        ("included_usage_amount", MONEY),
        ("overage", MONEY),
        ("total_mrr", RATIO),
    ]
)


def _usage(
    tenant: str, customer: str, month: date, committed: str, usage: str, unrated: int,
    run_rate_months: int, trailing: str, run_rate: str | None, included: str | None,
    overage: str | None, total: str,
) -> dict[str, Any]:  # fmt: skip
    return {
        "tenant_id": tenant, "customer_id": customer, "month": month,
        "committed_mrr": d(committed), "usage_revenue": d(usage), "unrated_usage_units": unrated,
        "run_rate_months": run_rate_months, "trailing_usage_revenue": d(trailing),
        "usage_run_rate": d(run_rate), "included_usage_amount": d(included),
        "overage": d(overage), "total_mrr": d(total),
    }  # fmt: skip


# acme c1: plan 100 with a 20 usage allowance; usage 30 (Jan), 60 (Feb), 15 (Mar, the as-of
#   month, month to date). Run-rate over complete months: Jan 30 / 1 = 30; Feb (30 + 60) / 2 =
#   45; Mar: Jan and Feb again (Mar is not complete): 45. Overage: 30 - 20 = 10, 60 - 20 = 40,
#   15 < 20: 0. Total = 100 + run-rate: 130, 145, 145.
# acme c2: usage only (12.5 in Mar), no plan: no complete month (run-rate NULL, total 0), no
#   allowance (overage NULL).
# globex g1: plan 10.5, no usage, as-of month only: run-rate NULL, total 10.5.
USAGE_ROWS = [
    _usage("acme", "c2", date(2024, 3, 1), "0", "12.5", 0, 0, "0", None, None, None, "0"),
    _usage("acme", "c1", date(2024, 3, 1), "100", "15", 0, 2, "90", "45", "20", "0", "145"),
    _usage("globex", "g1", date(2024, 3, 1), "10.5", "0", 0, 0, "0", None, None, None, "10.5"),
    _usage("acme", "c1", date(2024, 1, 1), "100", "30", 0, 1, "30", "30", "20", "10", "130"),
    _usage("acme", "c1", date(2024, 2, 1), "100", "60", 2, 2, "90", "45", "20", "40", "145"),
]

USAGE_MOVEMENT_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("customer_id", pa.string()),
        ("month", pa.date32()),
        ("previous_total_mrr", RATIO),
        ("total_mrr", RATIO),
        ("movement", pa.string()),
        ("amount", RATIO),
    ]
)
# From USAGE_ROWS' totals: acme c1 0 -> 130 in Jan (new, 130), 130 -> 145 in Feb (expansion, 15),
# unchanged in Mar (no row); c2 stays at 0 (no row); globex g1 0 -> 10.5 in Mar (new).
USAGE_MOVEMENT_ROWS = [
    {
        "tenant_id": "acme", "customer_id": "c1", "month": date(2024, 2, 1),
        "previous_total_mrr": d(130), "total_mrr": d(145), "movement": "expansion",
        "amount": d(15),
    },
    {
        "tenant_id": "globex", "customer_id": "g1", "month": date(2024, 3, 1),
        "previous_total_mrr": d(0), "total_mrr": d("10.5"), "movement": "new",
        "amount": d("10.5"),
    },
    {
        "tenant_id": "acme", "customer_id": "c1", "month": date(2024, 1, 1),
        "previous_total_mrr": d(0), "total_mrr": d(130), "movement": "new", "amount": d(130),
    },
]  # fmt: skip

PAYMENT_RECOVERY_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("failure_month", pa.date32()),
        ("currency", pa.string()),
        ("failed_invoices", pa.int64()),
        ("repeatedly_failed_invoices", pa.int64()),
        ("recovered_invoices", pa.int64()),
        ("written_off_invoices", pa.int64()),
        ("open_invoices", pa.int64()),
        ("recovery_rate", RATIO),
        ("mean_days_to_recover", RATIO),
        ("median_days_to_recover", pa.decimal128(18, 1)),
        ("failed_amount", MONEY),
        ("recovered_amount", MONEY),
        ("written_off_amount", MONEY),
        ("open_amount", MONEY),
        ("amount_recovery_rate", RATIO),
        ("refunded_amount", MONEY),
    ]
)
# acme, February, USD: 4 invoices of 100 failed (one twice); 2 paid 3 and 6 days after their
#   first failure, 1 written off, 1 open: recovery 2 / 4 = 0.5, mean (3 + 6) / 2 = 4.5 days,
#   median 4.5; amounts 400 failed, 200 recovered (0.5), 100 written off, 100 open.
# acme, February, EUR: 1 invoice of 50 failed, still open: rate 0, no recovery days (NULL).
# globex, March, USD: 1 invoice of 10 failed, paid 2 days later (rate 1), 5 refunded afterwards.
PAYMENT_RECOVERY_ROWS = [
    {
        "tenant_id": "acme", "failure_month": date(2024, 2, 1), "currency": "USD",
        "failed_invoices": 4, "repeatedly_failed_invoices": 1, "recovered_invoices": 2,
        "written_off_invoices": 1, "open_invoices": 1, "recovery_rate": d("0.5"),
        "mean_days_to_recover": d("4.5"), "median_days_to_recover": Decimal("4.5"),
        "failed_amount": d(400), "recovered_amount": d(200), "written_off_amount": d(100),
        "open_amount": d(100), "amount_recovery_rate": d("0.5"), "refunded_amount": d(0),
    },
    {
        "tenant_id": "globex", "failure_month": date(2024, 3, 1), "currency": "USD",
        "failed_invoices": 1, "repeatedly_failed_invoices": 0, "recovered_invoices": 1,
        "written_off_invoices": 0, "open_invoices": 0, "recovery_rate": d(1),
        "mean_days_to_recover": d(2), "median_days_to_recover": Decimal("2.0"),
        "failed_amount": d(10), "recovered_amount": d(10), "written_off_amount": d(0),
        "open_amount": d(0), "amount_recovery_rate": d(1), "refunded_amount": d(5),
    },
    {
        "tenant_id": "acme", "failure_month": date(2024, 2, 1), "currency": "EUR",
        "failed_invoices": 1, "repeatedly_failed_invoices": 0, "recovered_invoices": 0,
        "written_off_invoices": 0, "open_invoices": 1, "recovery_rate": d(0),
        "mean_days_to_recover": None, "median_days_to_recover": None,
        "failed_amount": d(50), "recovered_amount": d(0), "written_off_amount": d(0),
        "open_amount": d(50), "amount_recovery_rate": d(0), "refunded_amount": d(0),
    },
]  # fmt: skip

CREDIT_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("customer_id", pa.string()),
        ("currency", pa.string()),
        ("balance_date", pa.date32()),
        ("granted_amount", MONEY),
        ("used_amount", MONEY),
        ("expired_amount", MONEY),
        ("closing_balance", MONEY),
        ("trailing_used_amount", MONEY),
        ("daily_burn_rate", RATIO),
        ("runway_days", RATIO),
        ("projected_depletion_date", pa.date32()),
    ]
)


def _credit(
    tenant: str, customer: str, currency: str, day: date, granted: str, used: str, expired: str,
    closing: str, trailing: str, burn: str, runway: str | None, depletion: date | None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "tenant_id": tenant, "customer_id": customer, "currency": currency, "balance_date": day,
        "granted_amount": d(granted), "used_amount": d(used), "expired_amount": d(expired),
        "closing_balance": d(closing), "trailing_used_amount": d(trailing),
        "daily_burn_rate": d(burn), "runway_days": d(runway),
        "projected_depletion_date": depletion,
    }  # fmt: skip


# acme c1 USD (30-day burn window): 300 granted on 2024-02-28 (nothing used yet: runway NULL);
#   30 used on the 29th (leap day): balance 270, burn 30 / 30 = 1 a day, runway 270 days, depleted
#   2024-02-29 + 270 days = 2024-11-25; on 2024-03-01 60 used and 10 expired: balance 200,
#   trailing use 90, burn 3, runway 200 / 3 = 66.666667, depleted 2024-03-01 + 66 = 2024-05-06.
# globex g1 EUR: 50 granted on 2024-03-01, unused.
CREDIT_ROWS = [
    _credit("acme", "c1", "USD", date(2024, 3, 1), "0", "60", "10", "200", "90", "3",
            "66.666667", date(2024, 5, 6)),
    _credit("globex", "g1", "EUR", date(2024, 3, 1), "50", "0", "0", "50", "0", "0", None, None),
    _credit("acme", "c1", "USD", date(2024, 2, 29), "0", "30", "0", "270", "30", "1", "270",
            date(2024, 11, 25)),
    _credit("acme", "c1", "USD", date(2024, 2, 28), "300", "0", "0", "300", "0", "0", None, None),
]  # fmt: skip

SPEND_ALERT_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("currency", pa.string()),
        ("month", pa.date32()),
        ("threshold_percent", pa.int64()),
        ("monthly_budget", MONEY),
        ("threshold_amount", RATIO),
        ("crossed_on", pa.date32()),
        ("month_to_date_spend", MONEY),
        ("trailing_7d_spend", MONEY),
        ("trailing_7d_daily_mean", RATIO),
        ("days_left_in_month", pa.int64()),
        ("forecast_month_end_spend", RATIO),
        ("next_threshold_percent", pa.int64()),
        ("next_threshold_amount", RATIO),
        ("forecast_crosses_next_threshold", pa.bool_()),
        ("forecast_exceeds_budget", pa.bool_()),
    ]
)


def _alert(
    tenant: str, currency: str, percent: int, budget: int, crossed_on: date, spend: int,
    trailing: int, next_percent: int | None,
) -> dict[str, Any]:  # fmt: skip
    """The derived columns by the mart's definitions (March 2024 has 31 days)."""
    mean = Decimal(trailing) / 7
    days_left = 31 - crossed_on.day
    forecast = spend + mean * days_left
    next_amount = None if next_percent is None else Decimal(budget * next_percent) / 100
    return {
        "tenant_id": tenant, "currency": currency, "month": date(2024, 3, 1),
        "threshold_percent": percent, "monthly_budget": d(budget),
        "threshold_amount": d(budget * percent // 100), "crossed_on": crossed_on,
        "month_to_date_spend": d(spend), "trailing_7d_spend": d(trailing),
        "trailing_7d_daily_mean": d(str(mean)), "days_left_in_month": days_left,
        "forecast_month_end_spend": d(str(forecast)), "next_threshold_percent": next_percent,
        "next_threshold_amount": d(None if next_amount is None else str(next_amount)),
        "forecast_crosses_next_threshold": None if next_amount is None else forecast >= next_amount,
        "forecast_exceeds_budget": forecast >= budget,
    }  # fmt: skip


# acme USD, budget 1000 (thresholds 50/80/100 %):
#   50 %: 500 reached 2024-03-10 at 520; last 7 days 350 -> 50 a day, 21 days left:
#         forecast 520 + 50 x 21 = 1570 >= 800 (next) and >= 1000 (budget).
#   80 %: 800 reached 2024-03-15 at 810; 280 -> 40 a day, 16 days left: 810 + 640 = 1450.
#   100 %: 1000 reached 2024-03-20 at 1005; 210 -> 30 a day, 11 left: 1005 + 330 = 1335; no next.
# globex EUR, budget 100: 50 % reached 2024-03-25 at 55; 35 -> 5 a day, 6 left: 55 + 30 = 85,
#   >= 80 (next), < 100 (budget).
SPEND_ALERT_ROWS = [
    _alert("acme", "USD", 100, 1000, date(2024, 3, 20), 1005, 210, None),
    _alert("globex", "EUR", 50, 100, date(2024, 3, 25), 55, 35, 80),
    _alert("acme", "USD", 50, 1000, date(2024, 3, 10), 520, 350, 80),
    _alert("acme", "USD", 80, 1000, date(2024, 3, 15), 810, 280, 100),
]

#: Each served mart as an Arrow table (rows deliberately not in the API's order).
HAND_MARTS: dict[str, pa.Table] = {
    "customer_ltv": pa.Table.from_pylist(LTV_ROWS, schema=LTV_SCHEMA),
    "usage_aware_mrr": pa.Table.from_pylist(USAGE_ROWS, schema=USAGE_SCHEMA),
    "mrr_movements_with_usage": pa.Table.from_pylist(
        USAGE_MOVEMENT_ROWS, schema=USAGE_MOVEMENT_SCHEMA
    ),
    "payment_recovery": pa.Table.from_pylist(PAYMENT_RECOVERY_ROWS, schema=PAYMENT_RECOVERY_SCHEMA),
    "credit_balances": pa.Table.from_pylist(CREDIT_ROWS, schema=CREDIT_SCHEMA),
    "spend_alerts": pa.Table.from_pylist(SPEND_ALERT_ROWS, schema=SPEND_ALERT_SCHEMA),
}
