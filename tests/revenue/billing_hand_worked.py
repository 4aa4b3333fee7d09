"""Hand-worked billing-event histories and the MRR they must give (docs/revenue.md, "MRR from
billing events"). As-of 2024-08-15; MRR is read at each month's end. Nothing here is computed by
the code under test.

Tenant initech (reporting currency USD, amounts in USD):
  cy  yearly 1,200 from Jan 10                          -> 100 from January
  cw  weekly 10 from Feb 1: 10 × 52 / 12 = 43.333333     -> from February
  cq  every 3 months 300 from Jan 1: 300 / 3             -> 100
  cs  20 × 5 seats from Jan 1 = 100; 8 seats on Mar 15  -> 160 from March (expansion 60)
  cd  200 with 25 % off = 150; discount ends Apr 10      -> 200 from April (expansion 50)
  ca  100 with 30 off = 70                               -> 70
  ct  50/month created Feb 20 with a trial to Mar 5      -> 0 in February, new 50 in March
  cc  40 from Jan 1, cancelled Mar 20, reactivated Jun 2 -> churn 40 in March, reactivation June
  cx  trial May 1-15, cancelled May 10 during it         -> never any MRR, no rows
  cy's created event is delivered twice (same event_id): counted once.
acme has an imported CSV: its billing events (customer c_billing_only) are not counted.

Tenant globex, other currencies (rates of dbt/seeds/fx_rates.csv; a month uses the latest rate
dated on or before its last day):
  ge  100 EUR/month from Jan 1; EUR->USD 1.10 from 2024-01-01, 1.08 from 2024-03-15
      -> 100 × 1.10 = 110 in January and February; 100 × 1.08 = 108 from March (March 31 is
         after March 15): contraction 2 in March
  gg  50 GBP/month from May 1; GBP->USD 1.27 from 2024-01-01, 1.28 from 2024-06-01
      -> 50 × 1.27 = 63.5 in May; 50 × 1.28 = 64 from June: expansion 0.5 in June
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ingest.contracts import BillingEvent

AS_OF = "2024-08-15"


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T12:00:00+00:00")


def _event(event_id: str, kind: str, customer: str, day: str, **terms: Any) -> BillingEvent:
    defaults: dict[str, Any] = {"interval": "month", "amount": None}
    if kind != "subscription_cancelled":
        defaults["amount"] = Decimal("0")
    return BillingEvent(
        event_id=event_id,
        tenant_id=terms.pop("tenant", "initech"),
        occurred_at=_at(day),
        event_type=kind,
        customer_id=customer,
        subscription_id=f"sub-{customer}",
        **{**defaults, **terms},
    )


C, U, X, R = (
    "subscription_created",
    "subscription_changed",
    "subscription_cancelled",
    "subscription_reactivated",
)
EVENTS = [
    _event("cy-1", C, "cy", "2024-01-10", interval="year", amount=Decimal(1200)),
    _event("cw-1", C, "cw", "2024-02-01", interval="week", amount=Decimal(10)),
    _event("cq-1", C, "cq", "2024-01-01", interval_count=3, amount=Decimal(300)),
    _event("cs-1", C, "cs", "2024-01-01", amount=Decimal(20), quantity=5),
    _event("cs-2", U, "cs", "2024-03-15", amount=Decimal(20), quantity=8),
    _event("cd-1", C, "cd", "2024-01-01", amount=Decimal(200), discount_percent=25),
    _event("cd-2", U, "cd", "2024-04-10", amount=Decimal(200)),
    _event("ca-1", C, "ca", "2024-01-01", amount=Decimal(100), discount_amount=Decimal(30)),
    _event("ct-1", C, "ct", "2024-02-20", amount=Decimal(50), trial_end=_at("2024-03-05")),
    _event("cc-1", C, "cc", "2024-01-01", amount=Decimal(40)),
    _event("cc-2", X, "cc", "2024-03-20", interval=None),
    _event("cc-3", R, "cc", "2024-06-02", amount=Decimal(40)),
    _event("cx-1", C, "cx", "2024-05-01", amount=Decimal(80), trial_end=_at("2024-05-15")),
    _event("cx-2", X, "cx", "2024-05-10", interval=None),
    _event("ge-1", C, "ge", "2024-01-01", amount=Decimal(100), currency="EUR", tenant="globex"),
    _event("gg-1", C, "gg", "2024-05-01", amount=Decimal(50), currency="GBP", tenant="globex"),
    _event("acme-b1", C, "c_billing_only", "2024-01-01", amount=Decimal(999), tenant="acme"),
]
REPLAYED = [EVENTS[0]]  # cy's created event again, in another batch


def _series(first: int, value: str) -> dict[int, Decimal]:
    return {month: Decimal(value) for month in range(first, 9)}


EXPECTED_MRR: dict[str, dict[int, Decimal]] = {
    "cy": _series(1, "100"),
    "cw": _series(2, "43.333333"),
    "cq": _series(1, "100"),
    "cs": {**_series(1, "100"), **_series(3, "160")},
    "cd": {**_series(1, "150"), **_series(4, "200")},
    "ca": _series(1, "70"),
    "ct": _series(3, "50"),
    "cc": {1: Decimal(40), 2: Decimal(40), 3: Decimal(0), 4: Decimal(0), 5: Decimal(0),
           **_series(6, "40")},
}  # fmt: skip
EXPECTED_GLOBEX_MRR = {
    ("ge", 1): Decimal(110), ("ge", 2): Decimal(110),
    **{("ge", month): Decimal(108) for month in range(3, 9)},
    ("gg", 5): Decimal("63.5"),
    **{("gg", month): Decimal(64) for month in range(6, 9)},
}  # fmt: skip
EXPECTED_GLOBEX_MOVEMENTS = {
    ("ge", 3): ("contraction", Decimal(2)),
    ("gg", 6): ("expansion", Decimal("0.5")),
}
EXPECTED_MOVEMENTS = {
    ("cs", 3): ("expansion", Decimal(60)),
    ("cd", 4): ("expansion", Decimal(50)),
    ("ct", 3): ("new", Decimal(50)),
    ("cw", 2): ("new", Decimal("43.333333")),
    ("cc", 3): ("churn", Decimal(40)),
    ("cc", 6): ("reactivation", Decimal(40)),
}
