"""Hand-worked calls and messages for the usage marts (docs/revenue.md, "Usage revenue and
usage-aware MRR"), and the rows they must give. As-of date 2024-03-15: months Jan-Mar 2024.

Tenant acme (USD). Calls (carrier, called number -> route by longest prefix):
  c1  cust-a out 2024-01-10  90 s  carrier-x +44 7700 900123 -> GB. First CDR price 0.030000,
      re-sent under a new event_id (re-rated) with price 0.036000, cost 0.012000: the latest
      CDR counts (int_calls_deduplicated).
  c2  cust-a out 2024-01-20  30 s  carrier-x +1 876 555 0123 -> JM (1876 beats 1)
      price 0.010000 cost 0.004000
  c3  cust-a out 2024-01-21  unanswered (0 s) carrier-x +44 ... -> GB, not rated
  c4  cust-a out 2024-01-22  60 s  carrier-x +44 ... -> GB, NOT rated (price and cost empty)
  c5  cust-a in  2024-02-05 120 s  carrier-y +1 415 555 0199 -> NANP price 0.020000 cost 0.008000
  c8  cust-b out 2024-03-01  45 s  carrier-x +49 151 12345678 -> DE price 0.015000 cost 0.006000
  c9  cust-b out 2024-03-03  unanswered, no carrier, +800 1234 5678 -> no code matches: unknown
  c7  cust-a out 2024-04-02  60 s price 1.000000: after the as-of month, left out everywhere
Messages (price on `sent`):
  m1  cust-a sms  queued, sent 2024-01-15 (2 segments, price 0.007900), delivered
  m2  cust-a sms  sent 2024-01-16, 1 segment, NOT rated
  m3  cust-b email sent 2024-03-02, price 0.001000
  m4  cust-d sms  sent 2024-02-10, 1 segment, price 0.050000 (a usage-only customer from February)

Tenant globex (USD) bills from billing events (no import), so its plans can carry a usage
allowance (BillingEvent.included_usage_amount):
  cust-g1 subscription_created 2024-01-01 00:00, 200/month, included usage 0.030000/month
  cust-g2 subscription_created 2024-01-01 00:00, 80/month, no allowance stated
  g1  cust-g1 out 2024-01-15 60 s carrier-x +44 -> GB price 0.050000 cost 0.020000
  g2  cust-g1 out 2024-02-15 60 s carrier-x GB price 0.010000 cost 0.004000
  g3  cust-g1 out 2024-03-05 60 s carrier-x GB price 0.045000 cost 0.018000 (as-of month)
  m5  cust-g2 sms sent 2024-02-20, 1 segment, price 0.040000

usage_revenue (tenant, customer, month, product):
  cust-a Jan voice_outbound: billable c1, c2, c4 (c3 has 0 s) -> units 3, rated 2,
    share 2/3 = 0.666667; 90+30+60 = 180 s = 3 min; revenue 0.036+0.010 = 0.046, cost
    0.012+0.004 = 0.016, margin 0.030, margin % 0.030/0.046 = 0.6521739.. -> 0.652174
  cust-a Jan sms: m1, m2 -> units 2, rated 1, share 0.5; messages 2, segments 2+1 = 3;
    revenue 0.0079; cost NULL (messages carry none), margin NULL, margin % NULL
  cust-a Feb voice_inbound: c5 -> 1, 1, share 1; 120 s = 2 min; 0.020 - 0.008 = 0.012; 0.6
  cust-b Mar voice_outbound: c8 -> 1, 1, 1; 45 s = 0.75 min; 0.015 - 0.006 = 0.009; 0.6
  cust-b Mar email: m3 -> 1, 1, 1; messages 1, segments 0; revenue 0.001, cost NULL
  cust-d Feb sms: m4 -> 1, 1, 1; messages 1, segments 1; revenue 0.05, cost NULL
  globex cust-g1 Jan/Feb/Mar voice_outbound: one 60 s call each -> 1, 1, 1; 1 min;
    0.05 - 0.02 = 0.03, 0.010 - 0.004 = 0.006, 0.045 - 0.018 = 0.027; margin % 0.6 each
  globex cust-g2 Feb sms: m5 -> 1, 1, 1; messages 1, segments 1; revenue 0.04, cost NULL

margin_by_carrier_route (tenant, month, carrier, route):
  Jan carrier-x GB: c1, c3, c4 -> calls 3, answered 2 (c1, c4), billable 2, rated 1 (c1);
    billed 90+60 = 150 s = 2.5 min; revenue 0.036, cost 0.012, margin 0.024,
    margin % 0.024/0.036 = 0.666667; per minute over rated seconds (90):
    cost 0.012*60/90 = 0.008, revenue 0.036*60/90 = 0.024
  Jan carrier-x JM: c2 -> 1, 1, 1, 1; 30 s = 0.5 min; 0.010, 0.004, 0.006, 0.6;
    cost/min 0.004*60/30 = 0.008, revenue/min 0.010*60/30 = 0.02
  Feb carrier-y NANP: c5 -> 1, 1, 1, 1; 120 s = 2 min; 0.020, 0.008, 0.012, 0.6; 0.004, 0.01
  Mar carrier-x DE: c8 -> 1, 1, 1, 1; 45 s = 0.75 min; 0.015, 0.006, 0.009, 0.6;
    0.006*60/45 = 0.008, 0.015*60/45 = 0.02
  Mar unknown unknown: c9 -> calls 1, answered 0, billable 0, rated 0, 0 s, 0 min; money and
    ratios NULL
  globex carrier-x GB, one call a month: Jan 0.05/0.02 -> margin 0.03, 0.6, cost/min
    0.02*60/60 = 0.02, revenue/min 0.05; Feb 0.010/0.004 -> 0.006, 0.6, 0.004, 0.01;
    Mar 0.045/0.018 -> 0.027, 0.6, 0.018, 0.045
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

AS_OF = "2024-03-15"
TENANT = "acme"


def ym(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1)


def dec(value: str) -> Decimal:
    return Decimal(value).quantize(Decimal("0.000001"))


def opt(value: str | None) -> Decimal | None:
    return None if value is None else dec(value)


#: (name, customer, direction, day, billsec, answered, carrier, to_number, price, cost)
CALLS: list[
    tuple[str, str, str, dt.date, int, bool, str | None, str, str | None, str | None]
] = [
    ("c2", "cust-a", "outbound", dt.date(2024, 1, 20), 30, True, "carrier-x", "+18765550123",
     "0.010000", "0.004000"),
    ("c3", "cust-a", "outbound", dt.date(2024, 1, 21), 0, False, "carrier-x", "+447700900124",
     None, None),
    ("c4", "cust-a", "outbound", dt.date(2024, 1, 22), 60, True, "carrier-x", "+447700900125",
     None, None),
    ("c5", "cust-a", "inbound", dt.date(2024, 2, 5), 120, True, "carrier-y", "+14155550199",
     "0.020000", "0.008000"),
    ("c8", "cust-b", "outbound", dt.date(2024, 3, 1), 45, True, "carrier-x", "+4915112345678",
     "0.015000", "0.006000"),
    ("c9", "cust-b", "outbound", dt.date(2024, 3, 3), 0, False, None, "+80012345678",
     None, None),
    ("c7", "cust-a", "outbound", dt.date(2024, 4, 2), 60, True, "carrier-x", "+447700900126",
     "1.000000", "0.500000"),
]  # fmt: skip

#: c1's two CDRs: the first rating, then the re-rated record emitted later (kept).
C1_FIRST = ("c1", "cust-a", "outbound", dt.date(2024, 1, 10), 90, True, "carrier-x",
            "+447700900123", "0.030000", "0.012000")  # fmt: skip
C1_RERATED = ("c1", "cust-a", "outbound", dt.date(2024, 1, 10), 90, True, "carrier-x",
              "+447700900123", "0.036000", "0.012000")  # fmt: skip

#: (message, customer, channel, status, day, segments, price)
MESSAGES: list[tuple[str, str, str, str, dt.date, int | None, str | None]] = [
    ("m1", "cust-a", "sms", "queued", dt.date(2024, 1, 15), 2, None),
    ("m1", "cust-a", "sms", "sent", dt.date(2024, 1, 15), 2, "0.007900"),
    ("m1", "cust-a", "sms", "delivered", dt.date(2024, 1, 15), 2, None),
    ("m2", "cust-a", "sms", "sent", dt.date(2024, 1, 16), 1, None),
    ("m3", "cust-b", "email", "sent", dt.date(2024, 3, 2), None, "0.001000"),
    ("m4", "cust-d", "sms", "sent", dt.date(2024, 2, 10), 1, "0.050000"),
]

GLOBEX = "globex"
#: globex's subscriptions from billing events: (customer, monthly amount, included usage)
GLOBEX_PLANS: list[tuple[str, str, str | None]] = [
    ("cust-g1", "200", "0.030000"),
    ("cust-g2", "80", None),
]
#: globex's calls, as CALLS
GLOBEX_CALLS: list[
    tuple[str, str, str, dt.date, int, bool, str | None, str, str | None, str | None]
] = [
    ("g1", "cust-g1", "outbound", dt.date(2024, 1, 15), 60, True, "carrier-x", "+447700900201",
     "0.050000", "0.020000"),
    ("g2", "cust-g1", "outbound", dt.date(2024, 2, 15), 60, True, "carrier-x", "+447700900202",
     "0.010000", "0.004000"),
    ("g3", "cust-g1", "outbound", dt.date(2024, 3, 5), 60, True, "carrier-x", "+447700900203",
     "0.045000", "0.018000"),
]  # fmt: skip
#: globex's messages, as MESSAGES
GLOBEX_MESSAGES: list[tuple[str, str, str, str, dt.date, int | None, str | None]] = [
    ("m5", "cust-g2", "sms", "sent", dt.date(2024, 2, 20), 1, "0.040000"),
]

USAGE_COLUMNS = (
    "billable_units", "rated_units", "rated_share", "calls", "billed_seconds", "billed_minutes",
    "messages", "segments", "revenue", "cost", "gross_margin", "margin_pct",
)  # fmt: skip

#: (tenant, customer, month, product, currency) -> USAGE_COLUMNS
USAGE: dict[tuple[str, str, dt.date, str, str], tuple[object, ...]] = {
    (TENANT, "cust-a", ym(2024, 1), "voice_outbound", "USD"): (
        3, 2, dec("0.666667"), 3, 180, dec("3"), 0, 0,
        dec("0.046"), dec("0.016"), dec("0.030"), dec("0.652174"),
    ),
    (TENANT, "cust-a", ym(2024, 1), "sms", "USD"): (
        2, 1, dec("0.5"), 0, 0, dec("0"), 2, 3, dec("0.0079"), None, None, None,
    ),
    (TENANT, "cust-a", ym(2024, 2), "voice_inbound", "USD"): (
        1, 1, dec("1"), 1, 120, dec("2"), 0, 0,
        dec("0.020"), dec("0.008"), dec("0.012"), dec("0.6"),
    ),
    (TENANT, "cust-b", ym(2024, 3), "voice_outbound", "USD"): (
        1, 1, dec("1"), 1, 45, dec("0.75"), 0, 0,
        dec("0.015"), dec("0.006"), dec("0.009"), dec("0.6"),
    ),
    (TENANT, "cust-b", ym(2024, 3), "email", "USD"): (
        1, 1, dec("1"), 0, 0, dec("0"), 1, 0, dec("0.001"), None, None, None,
    ),
    (TENANT, "cust-d", ym(2024, 2), "sms", "USD"): (
        1, 1, dec("1"), 0, 0, dec("0"), 1, 1, dec("0.05"), None, None, None,
    ),
    (GLOBEX, "cust-g1", ym(2024, 1), "voice_outbound", "USD"): (
        1, 1, dec("1"), 1, 60, dec("1"), 0, 0,
        dec("0.05"), dec("0.02"), dec("0.03"), dec("0.6"),
    ),
    (GLOBEX, "cust-g1", ym(2024, 2), "voice_outbound", "USD"): (
        1, 1, dec("1"), 1, 60, dec("1"), 0, 0,
        dec("0.010"), dec("0.004"), dec("0.006"), dec("0.6"),
    ),
    (GLOBEX, "cust-g1", ym(2024, 3), "voice_outbound", "USD"): (
        1, 1, dec("1"), 1, 60, dec("1"), 0, 0,
        dec("0.045"), dec("0.018"), dec("0.027"), dec("0.6"),
    ),
    (GLOBEX, "cust-g2", ym(2024, 2), "sms", "USD"): (
        1, 1, dec("1"), 0, 0, dec("0"), 1, 1, dec("0.04"), None, None, None,
    ),
}  # fmt: skip

MARGIN_COLUMNS = (
    "calls", "answered_calls", "billable_calls", "rated_calls", "billed_seconds",
    "billed_minutes", "revenue", "cost", "margin", "margin_pct", "cost_per_minute",
    "revenue_per_minute",
)  # fmt: skip

#: (tenant, month, currency, carrier, route) -> MARGIN_COLUMNS
MARGIN: dict[tuple[str, dt.date, str, str, str], tuple[object, ...]] = {
    (TENANT, ym(2024, 1), "USD", "carrier-x", "GB"): (
        3, 2, 2, 1, 150, dec("2.5"), dec("0.036"), dec("0.012"), dec("0.024"),
        dec("0.666667"), dec("0.008"), dec("0.024"),
    ),
    (TENANT, ym(2024, 1), "USD", "carrier-x", "JM"): (
        1, 1, 1, 1, 30, dec("0.5"), dec("0.010"), dec("0.004"), dec("0.006"),
        dec("0.6"), dec("0.008"), dec("0.02"),
    ),
    (TENANT, ym(2024, 2), "USD", "carrier-y", "NANP"): (
        1, 1, 1, 1, 120, dec("2"), dec("0.020"), dec("0.008"), dec("0.012"),
        dec("0.6"), dec("0.004"), dec("0.01"),
    ),
    (TENANT, ym(2024, 3), "USD", "carrier-x", "DE"): (
        1, 1, 1, 1, 45, dec("0.75"), dec("0.015"), dec("0.006"), dec("0.009"),
        dec("0.6"), dec("0.008"), dec("0.02"),
    ),
    (TENANT, ym(2024, 3), "USD", "unknown", "unknown"): (
        1, 0, 0, 0, 0, dec("0"), None, None, None, None, None, None,
    ),
    (GLOBEX, ym(2024, 1), "USD", "carrier-x", "GB"): (
        1, 1, 1, 1, 60, dec("1"), dec("0.05"), dec("0.02"), dec("0.03"),
        dec("0.6"), dec("0.02"), dec("0.05"),
    ),
    (GLOBEX, ym(2024, 2), "USD", "carrier-x", "GB"): (
        1, 1, 1, 1, 60, dec("1"), dec("0.010"), dec("0.004"), dec("0.006"),
        dec("0.6"), dec("0.004"), dec("0.01"),
    ),
    (GLOBEX, ym(2024, 3), "USD", "carrier-x", "GB"): (
        1, 1, 1, 1, 60, dec("1"), dec("0.045"), dec("0.018"), dec("0.027"),
        dec("0.6"), dec("0.018"), dec("0.045"),
    ),
}  # fmt: skip

#: Subscription periods of acme (irisx import format): cust-a 100/month from January, still
#: active; cust-c 50 in January only (end 2024-02-01 exclusive: active on Jan 31, not Feb 29);
#: cust-e 10 EUR/month from February in the same file (mixed currencies): converted per month at
#: the seed's EUR->USD rate in effect on the month's last day: Feb 29 -> 1.10 (dated
#: 2024-01-01) -> 11.00; Mar 31 -> 1.08 (dated 2024-03-15) -> 10.80.
SUBSCRIPTIONS_CSV = """subscription_id,customer_id,start_date,end_date,monthly_amount,currency
s1,cust-a,2024-01-01,,100,USD
s2,cust-c,2024-01-01,2024-02-01,50,USD
s3,cust-e,2024-02-01,,10,EUR
"""

AWARE_COLUMNS = (
    "committed_mrr", "usage_revenue", "unrated_usage_units", "run_rate_months",
    "trailing_usage_revenue", "usage_run_rate", "included_usage_amount", "overage", "total_mrr",
)  # fmt: skip

#: usage_aware_mrr, (tenant, customer, month) -> AWARE_COLUMNS. As-of 2024-03-15: January and
#: February are complete, March (the as-of month) is not, so March's run-rate window is
#: December-February and no window ever holds March's usage.
#: Usage revenue per customer month (all products, rated only): cust-a Jan 0.046 + 0.0079 =
#: 0.0539 (unrated: c4, m2 -> 2), Feb 0.020, Mar 0; cust-b Mar 0.015 + 0.001 = 0.016 (first
#: month: March); cust-c none; cust-d Feb 0.05.
#: Run-rate = usage of the window's months in the customer's history / their number:
#:   cust-a Jan {Jan}: 0.0539 / 1; Feb {Jan, Feb}: (0.0539 + 0.020) / 2 = 0.03695;
#:     Mar {Jan, Feb} (Dec is before its history): 0.0739 / 2 = 0.03695 again. Counting the
#:     partial March (usage 0 so far) would have given 0.0739 / 3 = 0.024633.
#:   cust-b Mar: window Dec-Feb, all before its first month -> 0 months, run-rate NULL, total 0
#:     (its 0.016 of March usage shows in usage_revenue; it counts once March is complete).
#:   cust-c: no usage, run-rate 0 (1, 2, then 2 months: Mar's window is {Jan, Feb}).
#:   cust-d Feb {Feb}: 0.05; Mar {Feb}: 0.05.
#: total = committed + run-rate (NULL run-rate adds 0). acme imported a CSV: no allowance,
#: overage NULL.
#: globex (billing events): cust-g1 200 + allowance 0.03 from Jan; usage 0.05, 0.01, 0.045:
#:   Jan {Jan} 0.05 / 1 = 0.05, overage 0.05 - 0.03 = 0.02, total 200.05;
#:   Feb {Jan, Feb} 0.06 / 2 = 0.03, overage max(0, 0.01 - 0.03) = 0, total 200.03;
#:   Mar {Jan, Feb} 0.06 / 2 = 0.03, overage (month to date) 0.045 - 0.03 = 0.015, total 200.03.
#: cust-g2 80, no allowance (overage NULL); usage Feb 0.04: Jan 0 / 1 = 0, total 80;
#:   Feb {Jan, Feb} 0.04 / 2 = 0.02, total 80.02; Mar {Jan, Feb} 0.02, total 80.02.
AWARE: dict[tuple[str, str, dt.date], tuple[object, ...]] = {
    (TENANT, "cust-a", ym(2024, 1)): (
        dec("100"), dec("0.0539"), 2, 1, dec("0.0539"), dec("0.0539"), None, None,
        dec("100.0539"),
    ),
    (TENANT, "cust-a", ym(2024, 2)): (
        dec("100"), dec("0.020"), 0, 2, dec("0.0739"), dec("0.03695"), None, None,
        dec("100.03695"),
    ),
    (TENANT, "cust-a", ym(2024, 3)): (
        dec("100"), dec("0"), 0, 2, dec("0.0739"), dec("0.03695"), None, None,
        dec("100.03695"),
    ),
    (TENANT, "cust-b", ym(2024, 3)): (
        dec("0"), dec("0.016"), 0, 0, dec("0"), None, None, None, dec("0"),
    ),
    (TENANT, "cust-c", ym(2024, 1)): (
        dec("50"), dec("0"), 0, 1, dec("0"), dec("0"), None, None, dec("50"),
    ),
    (TENANT, "cust-c", ym(2024, 2)): (
        dec("0"), dec("0"), 0, 2, dec("0"), dec("0"), None, None, dec("0"),
    ),
    (TENANT, "cust-c", ym(2024, 3)): (
        dec("0"), dec("0"), 0, 2, dec("0"), dec("0"), None, None, dec("0"),
    ),
    (TENANT, "cust-d", ym(2024, 2)): (
        dec("0"), dec("0.05"), 0, 1, dec("0.05"), dec("0.05"), None, None, dec("0.05"),
    ),
    (TENANT, "cust-d", ym(2024, 3)): (
        dec("0"), dec("0"), 0, 1, dec("0.05"), dec("0.05"), None, None, dec("0.05"),
    ),
    # cust-e (EUR plan, no usage): Feb {Feb} and Mar {Feb} -> 1 month, run-rate 0
    (TENANT, "cust-e", ym(2024, 2)): (
        dec("11"), dec("0"), 0, 1, dec("0"), dec("0"), None, None, dec("11"),
    ),
    (TENANT, "cust-e", ym(2024, 3)): (
        dec("10.8"), dec("0"), 0, 1, dec("0"), dec("0"), None, None, dec("10.8"),
    ),
    (GLOBEX, "cust-g1", ym(2024, 1)): (
        dec("200"), dec("0.05"), 0, 1, dec("0.05"), dec("0.05"), dec("0.03"), dec("0.02"),
        dec("200.05"),
    ),
    (GLOBEX, "cust-g1", ym(2024, 2)): (
        dec("200"), dec("0.01"), 0, 2, dec("0.06"), dec("0.03"), dec("0.03"), dec("0"),
        dec("200.03"),
    ),
    (GLOBEX, "cust-g1", ym(2024, 3)): (
        dec("200"), dec("0.045"), 0, 2, dec("0.06"), dec("0.03"), dec("0.03"), dec("0.015"),
        dec("200.03"),
    ),
    (GLOBEX, "cust-g2", ym(2024, 1)): (
        dec("80"), dec("0"), 0, 1, dec("0"), dec("0"), None, None, dec("80"),
    ),
    (GLOBEX, "cust-g2", ym(2024, 2)): (
        dec("80"), dec("0.04"), 0, 2, dec("0.04"), dec("0.02"), None, None, dec("80.02"),
    ),
    (GLOBEX, "cust-g2", ym(2024, 3)): (
        dec("80"), dec("0"), 0, 2, dec("0.04"), dec("0.02"), None, None, dec("80.02"),
    ),
}  # fmt: skip

#: mrr_movements_with_usage, (tenant, customer, month) -> (previous total, total, movement,
#: amount): cust-a new 100.0539 in Jan, contraction 100.0539 - 100.03695 = 0.01695 in Feb, no
#: row in March (same total: the partial month no longer drags the run-rate down); cust-b none
#: (total 0 until March is complete); cust-c new 50 in Jan, churn 50 in Feb; cust-d (usage
#: only, no plan: mrr_movements has no row for it) new 0.05 in Feb; cust-e (EUR) new 11 in Feb,
#: contraction 11 - 10.8 = 0.2 in March (the rate fell); globex cust-g1 new 200.05,
#: then contraction 0.02; cust-g2 new 80, then expansion 0.02.
MOVEMENTS_WITH_USAGE: dict[tuple[str, str, dt.date], tuple[object, ...]] = {
    (TENANT, "cust-a", ym(2024, 1)): (dec("0"), dec("100.0539"), "new", dec("100.0539")),
    (TENANT, "cust-a", ym(2024, 2)): (
        dec("100.0539"), dec("100.03695"), "contraction", dec("0.01695"),
    ),
    (TENANT, "cust-c", ym(2024, 1)): (dec("0"), dec("50"), "new", dec("50")),
    (TENANT, "cust-c", ym(2024, 2)): (dec("50"), dec("0"), "churn", dec("50")),
    (TENANT, "cust-d", ym(2024, 2)): (dec("0"), dec("0.05"), "new", dec("0.05")),
    (TENANT, "cust-e", ym(2024, 2)): (dec("0"), dec("11"), "new", dec("11")),
    (TENANT, "cust-e", ym(2024, 3)): (dec("11"), dec("10.8"), "contraction", dec("0.2")),
    (GLOBEX, "cust-g1", ym(2024, 1)): (dec("0"), dec("200.05"), "new", dec("200.05")),
    (GLOBEX, "cust-g1", ym(2024, 2)): (
        dec("200.05"), dec("200.03"), "contraction", dec("0.02"),
    ),
    (GLOBEX, "cust-g2", ym(2024, 1)): (dec("0"), dec("80"), "new", dec("80")),
    (GLOBEX, "cust-g2", ym(2024, 2)): (dec("80"), dec("80.02"), "expansion", dec("0.02")),
}  # fmt: skip
