"""Hand-worked billing events for payment_recovery (int_dunning_invoices), both targets.

As-of date 2024-03-15: months up to March 2024 are reported; inv-6 (first failure in April) is
in int_dunning_invoices but not in the mart. All amounts USD, tenant acme.

Invoices (times UTC):
  inv-1 c1 100: failed 01-05 10:00, dunning 1 01-08 09:00, failed again 01-08 12:00,
        dunning 2 01-12 09:00, paid 01-12 15:00 -> recovered; failure_count 2; dunning_steps 2;
        days = 01-12 - 01-05 = 7 whole calendar days.
  inv-2 c2 50: failed 01-10 08:00, dunning 1..3 (01-13, 01-17, 01-24), subscription sub-c2
        cancelled 01-25 -> written off; dunning_steps 3. (c2's earlier, unrelated cancellation of
        a different subscription sub-c2-old on 01-02 is before the failure and elsewhere: ignored.)
  inv-3 c3 30: failed 01-20 23:30, paid 01-22 01:00 -> recovered; days = 01-22 - 01-20 = 2 (the
        UTC dates, not the 25.5 hours); refunded 30 on 02-01 -> refunded_amount 30, still recovered.
  inv-4 c4 20: failed 02-03 -> nothing after: open.
  inv-5 c5 10: issued and paid 01-15, never failed -> not in the models.
  inv-6 c6 40: failed 04-02 -> int_dunning_invoices only (after the as-of month).

payment_recovery, acme, USD:
  2024-01: failed 3 (inv-1, inv-2, inv-3); repeatedly failed 1 (inv-1); recovered 2; written off
    1; open 0; recovery_rate 2/3 = 0.666666(6) -> 0.666667; mean days (7 + 2) / 2 = 4.5;
    median of {2, 7} = 4.5; failed_amount 100 + 50 + 30 = 180; recovered 130; written off 50;
    open 0; amount_recovery_rate 130/180 = 0.7222(2) -> 0.722222; refunded 30.
  2024-02: failed 1 (inv-4); repeatedly 0; recovered 0; written off 0; open 1; recovery_rate 0/1
    = 0; mean and median NULL (none recovered); failed 20; recovered 0; written off 0; open 20;
    amount_recovery_rate 0; refunded 0.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ingest.contracts import BillingEvent

AS_OF = "2024-03-15"
TENANT = "acme"


def _at(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC)


def _event(event_id: str, kind: str, customer: str, stamp: str, **terms: Any) -> BillingEvent:
    terms.setdefault("subscription_id", f"sub-{customer}")
    return BillingEvent(
        event_id=event_id,
        tenant_id=TENANT,
        occurred_at=_at(stamp),
        event_type=kind,
        customer_id=customer,
        **terms,
    )


def _invoice(
    event_id: str, kind: str, customer: str, stamp: str, invoice: str, amount: int, **terms: Any
) -> BillingEvent:
    return _event(
        event_id, kind, customer, stamp, invoice_id=invoice, amount=Decimal(amount), **terms
    )


F, P, D, R, ISSUED = (
    "invoice_failed",
    "invoice_paid",
    "dunning_step",
    "invoice_refunded",
    "invoice_issued",
)

EVENTS = [
    _invoice("e01", ISSUED, "c1", "2024-01-05T00:00:00", "inv-1", 100),
    _invoice("e02", F, "c1", "2024-01-05T10:00:00", "inv-1", 100),
    _invoice("e03", D, "c1", "2024-01-08T09:00:00", "inv-1", 100, dunning_step=1),
    _invoice("e04", F, "c1", "2024-01-08T12:00:00", "inv-1", 100),
    _invoice("e05", D, "c1", "2024-01-12T09:00:00", "inv-1", 100, dunning_step=2),
    _invoice("e06", P, "c1", "2024-01-12T15:00:00", "inv-1", 100),
    _event(
        "e07", "subscription_cancelled", "c2", "2024-01-02T00:00:00", subscription_id="sub-c2-old"
    ),
    _invoice("e08", F, "c2", "2024-01-10T08:00:00", "inv-2", 50),
    _invoice("e09", D, "c2", "2024-01-13T08:00:00", "inv-2", 50, dunning_step=1),
    _invoice("e10", D, "c2", "2024-01-17T08:00:00", "inv-2", 50, dunning_step=2),
    _invoice("e11", D, "c2", "2024-01-24T08:00:00", "inv-2", 50, dunning_step=3),
    _event("e12", "subscription_cancelled", "c2", "2024-01-25T08:00:00", reason="dunning"),
    _invoice("e13", F, "c3", "2024-01-20T23:30:00", "inv-3", 30),
    _invoice("e14", P, "c3", "2024-01-22T01:00:00", "inv-3", 30),
    _invoice("e15", R, "c3", "2024-02-01T00:00:00", "inv-3", 30),
    _invoice("e16", F, "c4", "2024-02-03T00:00:00", "inv-4", 20),
    _invoice("e17", ISSUED, "c5", "2024-01-15T00:00:00", "inv-5", 10),
    _invoice("e18", P, "c5", "2024-01-15T01:00:00", "inv-5", 10),
    _invoice("e19", F, "c6", "2024-04-02T00:00:00", "inv-6", 40),
]

USD = "USD"
Z = Decimal("0.000000")

#: int_dunning_invoices: invoice_id -> (failure_count, dunning_steps, outcome, days, refunded).
EXPECTED_INVOICES = {
    "inv-1": (2, 2, "recovered", 7, Decimal(0)),
    "inv-2": (1, 3, "written_off", None, Decimal(0)),
    "inv-3": (1, 0, "recovered", 2, Decimal(30)),
    "inv-4": (1, 0, "open", None, Decimal(0)),
    "inv-6": (1, 0, "open", None, Decimal(0)),
}

PAYMENT_RECOVERY = [
    {
        "tenant_id": TENANT,
        "failure_month": dt.date(2024, 1, 1),
        "currency": USD,
        "failed_invoices": 3,
        "repeatedly_failed_invoices": 1,
        "recovered_invoices": 2,
        "written_off_invoices": 1,
        "open_invoices": 0,
        "recovery_rate": Decimal("0.666667"),
        "mean_days_to_recover": Decimal("4.500000"),
        "median_days_to_recover": Decimal("4.5"),
        "failed_amount": Decimal("180"),
        "recovered_amount": Decimal("130"),
        "written_off_amount": Decimal("50"),
        "open_amount": Decimal("0"),
        "amount_recovery_rate": Decimal("0.722222"),
        "refunded_amount": Decimal("30"),
    },
    {
        "tenant_id": TENANT,
        "failure_month": dt.date(2024, 2, 1),
        "currency": USD,
        "failed_invoices": 1,
        "repeatedly_failed_invoices": 0,
        "recovered_invoices": 0,
        "written_off_invoices": 0,
        "open_invoices": 1,
        "recovery_rate": Decimal("0"),
        "mean_days_to_recover": None,
        "median_days_to_recover": None,
        "failed_amount": Decimal("20"),
        "recovered_amount": Decimal("0"),
        "written_off_amount": Decimal("0"),
        "open_amount": Decimal("20"),
        "amount_recovery_rate": Decimal("0"),
        "refunded_amount": Decimal("0"),
    },
]


# --- credit_balances ---------------------------------------------------------------------------
#
# Built with var credit_burn_window_days = 3 (burn = use on the day and the 2 days before / 3) and
# the as-of date 2024-03-15. c1 (USD): granted 100 on 03-01 (top-up), used 30 on 03-03 and 15 on
# 03-05, promo 20 granted 03-10 and expired unused 03-12. c2 (USD): granted 10 on 03-14, never used
# (zero burn: runway and depletion NULL).
#
# c1 day  granted used expired closing trailing3 burn  runway       depletion
#   03-01   100     0     0     100       0     0    NULL         NULL
#   03-02     0     0     0     100       0     0    NULL         NULL
#   03-03     0    30     0      70      30    10    70/10 = 7    03-03 + 7 = 03-10
#   03-04     0     0     0      70      30    10    7            03-11
#   03-05     0    15     0      55      45    15    55/15 = 3.666667  03-05 + 3 = 03-08
#   03-06     0     0     0      55      15     5    11           03-17
#   03-07     0     0     0      55      15     5    11           03-18
#   03-08     0     0     0      55       0     0    NULL         NULL   (03-06..03-08: no use)
#   03-09     0     0     0      55       0     0    NULL         NULL
#   03-10    20     0     0      75       0     0    NULL         NULL
#   03-11     0     0     0      75       0     0    NULL         NULL
#   03-12     0     0    20      55       0     0    NULL         NULL
#   03-13..03-15  0 0     0      55       0     0    NULL         NULL
# c2 03-14: granted 10, closing 10, burn 0, NULLs; 03-15: closing 10, burn 0, NULLs.

CREDIT_EVENTS = [
    _event(
        "k01", "credit_granted", "c1", "2024-03-01T09:00:00", amount=Decimal(100), reason="top_up"
    ),
    _event("k02", "credit_used", "c1", "2024-03-03T10:00:00", amount=Decimal(30), reason="usage"),
    _event("k03", "credit_used", "c1", "2024-03-05T23:59:00", amount=Decimal(15), reason="usage"),
    _event(
        "k04", "credit_granted", "c1", "2024-03-10T00:00:00", amount=Decimal(20), reason="promo"
    ),
    _event(
        "k05",
        "credit_expired",
        "c1",
        "2024-03-12T00:00:00",
        amount=Decimal(20),
        reason="promo_expired",
    ),
    _event(
        "k06", "credit_granted", "c2", "2024-03-14T12:00:00", amount=Decimal(10), reason="top_up"
    ),
]
CREDIT_WINDOW_DAYS = 3

_C1 = """\
01 100  0  0 100  0  0 - -
02   0  0  0 100  0  0 - -
03   0 30  0  70 30 10 7 10
04   0  0  0  70 30 10 7 11
05   0 15  0  55 45 15 3.666667 08
06   0  0  0  55 15  5 11 17
07   0  0  0  55 15  5 11 18
08   0  0  0  55  0  0 - -
09   0  0  0  55  0  0 - -
10  20  0  0  75  0  0 - -
11   0  0  0  75  0  0 - -
12   0  0 20  55  0  0 - -
13   0  0  0  55  0  0 - -
14   0  0  0  55  0  0 - -
15   0  0  0  55  0  0 - -
"""
_C2 = """\
14 10 0 0 10 0 0 - -
15  0 0 0 10 0 0 - -
"""


def _credit_rows(customer: str, table: str) -> list[dict[str, Any]]:
    rows = []
    for line in table.splitlines():
        day, granted, used, expired, closing, trailing, burn, runway, depletion = line.split()
        rows.append(
            {
                "tenant_id": TENANT,
                "customer_id": customer,
                "currency": USD,
                "balance_date": dt.date(2024, 3, int(day)),
                "granted_amount": Decimal(granted),
                "used_amount": Decimal(used),
                "expired_amount": Decimal(expired),
                "closing_balance": Decimal(closing),
                "trailing_used_amount": Decimal(trailing),
                "daily_burn_rate": Decimal(burn),
                "runway_days": None if runway == "-" else Decimal(runway),
                "projected_depletion_date": (
                    None if depletion == "-" else dt.date(2024, 3, int(depletion))
                ),
            }
        )
    return rows


CREDIT_BALANCES = _credit_rows("c1", _C1) + _credit_rows("c2", _C2)


# --- int_daily_spend and spend_alerts -----------------------------------------------------------
#
# acme, USD, budget 100/month (var spend_budgets), thresholds 50/80/100 % (default). Usage:
#   02-27 call 60 s, price 60          Feb MTD 60  -> crosses 50 % (50) on 02-27
#   03-01 call, price 20               Mar MTD 20 (February does not carry over)
#   03-04 message sent, price 25       Mar MTD 45
#   03-06 call, price 10               Mar MTD 55  -> crosses 50 % on 03-06
#   03-06 unanswered call (billsec 0), price 5: bills nothing
#   03-14 call, price 40               Mar MTD 95  -> crosses 80 % on 03-14 (not 100 %)
#   03-15 message sent, price 1        Mar MTD 96  -> no new crossing
#   03-20 call, price 500              after the as-of date: left out
#
# Forecast = MTD + (spend of the day and 6 days before) / 7 x days left in the month after the day.
#   02-27: trailing 02-21..02-27 = 60, mean 60/7 = 8.571428(571) -> 8.571429; days left 02-28,
#          02-29 = 2; forecast 60 + 8.571429 x 2 = 77.142858; next 80 %: 77.142858 < 80 -> False;
#          budget 100 -> False.
#   03-06: trailing 02-29..03-06 = 20 + 25 + 10 = 55, mean 55/7 = 7.857142(857) -> 7.857143; days
#          left 03-07..03-31 = 25; forecast 55 + 196.428575 = 251.428575; >= 80 True; >= 100 True.
#   03-14: trailing 03-08..03-14 = 40, mean 40/7 = 5.714285(714) -> 5.714286; days left 17;
#          forecast 95 + 97.142862 = 192.142862; next 100 %: True; budget: True.

SPEND_BUDGETS = [{"tenant_id": TENANT, "currency": USD, "monthly_budget": 100}]

#: (call name, day, billsec, answered, price)
SPEND_CALLS = [
    ("s1", dt.date(2024, 2, 27), 60, True, "60"),
    ("s2", dt.date(2024, 3, 1), 60, True, "20"),
    ("s3", dt.date(2024, 3, 6), 60, True, "10"),
    ("s4", dt.date(2024, 3, 6), 0, False, "5"),
    ("s5", dt.date(2024, 3, 14), 60, True, "40"),
    ("s6", dt.date(2024, 3, 20), 60, True, "500"),
]
#: (message id, day, price) of `sent` events.
SPEND_MESSAGES = [
    ("m1", dt.date(2024, 3, 4), "25"),
    ("m2", dt.date(2024, 3, 15), "1"),
]

DAILY_SPEND = {  # spend_date -> (billable_units, spend)
    dt.date(2024, 2, 27): (1, Decimal(60)),
    dt.date(2024, 3, 1): (1, Decimal(20)),
    dt.date(2024, 3, 4): (1, Decimal(25)),
    dt.date(2024, 3, 6): (1, Decimal(10)),
    dt.date(2024, 3, 14): (1, Decimal(40)),
    dt.date(2024, 3, 15): (1, Decimal(1)),
}


def _alert(
    month: int,
    threshold: int,
    crossed: dt.date,
    mtd: str,
    trailing: str,
    mean: str,
    left: int,
    forecast: str,
    next_threshold: int | None,
    crosses: bool | None,
    exceeds: bool,
) -> dict[str, Any]:
    return {
        "tenant_id": TENANT,
        "currency": USD,
        "month": dt.date(2024, month, 1),
        "threshold_percent": threshold,
        "monthly_budget": Decimal(100),
        "threshold_amount": Decimal(threshold),
        "crossed_on": crossed,
        "month_to_date_spend": Decimal(mtd),
        "trailing_7d_spend": Decimal(trailing),
        "trailing_7d_daily_mean": Decimal(mean),
        "days_left_in_month": left,
        "forecast_month_end_spend": Decimal(forecast),
        "next_threshold_percent": next_threshold,
        "next_threshold_amount": None if next_threshold is None else Decimal(next_threshold),
        "forecast_crosses_next_threshold": crosses,
        "forecast_exceeds_budget": exceeds,
    }


SPEND_ALERTS = [
    _alert(2, 50, dt.date(2024, 2, 27), "60", "60", "8.571429", 2, "77.142858", 80, False, False),
    _alert(3, 50, dt.date(2024, 3, 6), "55", "55", "7.857143", 25, "251.428575", 80, True, True),
    _alert(3, 80, dt.date(2024, 3, 14), "95", "40", "5.714286", 17, "192.142862", 100, True, True),
]
