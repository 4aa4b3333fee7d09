"""Hand-worked subscription histories and the MRR rows they must give (docs/revenue.md).

The as-of date is pinned to 2024-08-15, so spines end with August 2024. Every expected row below
was worked out by hand from the CSV, month end by month end; none is computed by the code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

AS_OF = "2024-08-15"

#: An older import of acme: the later import must replace it whole (s_old must vanish).
ACME_STALE_CSV = """subscription_id,customer_id,start_date,end_date,monthly_amount
s_old,c_stale,2024-01-01,,999
s1,c_new_exp,2024-01-01,,5
"""

ACME_CSV = """subscription_id,customer_id,start_date,end_date,monthly_amount,currency
s1,c_new_exp,2024-01-01,2024-03-01,100,USD
s1,c_new_exp,2024-03-01,,150,USD
s2,c_contract,2024-01-15,2024-04-01,200,
s2,c_contract,2024-04-01,,120,
s3,c_churn,2024-02-01,2024-05-01,50,USD
s4,c_react1,2024-01-01,2024-03-01,30,USD
s5,c_react1,2024-04-01,,30,USD
s6,c_react_many,2024-01-01,2024-02-01,40,USD
s7,c_react_many,2024-06-01,,60,USD
s8,c_netting,2024-01-01,2024-05-10,100,USD
s8,c_netting,2024-05-10,2024-05-20,300,USD
s8,c_netting,2024-05-20,,120,USD
s9,c_two_subs,2024-01-01,,70,USD
s10,c_two_subs,2024-01-01,2024-06-01,30,USD
s11,c_future,2024-09-01,,500,USD
s12,c_short,2024-03-05,2024-03-20,999,USD
"""

GLOBEX_CSV = """subscription_id,customer_id,start_date,end_date,monthly_amount
g1,gc1,2024-07-01,,10.5
"""


def month(number: int) -> dt.date:
    return dt.date(2024, number, 1)


def money(value: str | int) -> Decimal:
    return Decimal(value).quantize(Decimal("0.000001"))


def _series(values: dict[int, int | str]) -> dict[int, Decimal]:
    return {number: money(value) for number, value in values.items()}


#: (tenant, customer) -> {month number: MRR at that month's end}; c_future starts after the
#: as-of month and c_short is never active on a month's last day: neither has rows.
MRR: dict[tuple[str, str], dict[int, Decimal]] = {
    # new in Jan, expansion +50 in Mar, still active (empty end_date): never churns
    ("acme", "c_new_exp"): _series(
        {1: 100, 2: 100, 3: 150, 4: 150, 5: 150, 6: 150, 7: 150, 8: 150}
    ),
    # started mid-January: active on Jan 31; contraction -80 in Apr
    ("acme", "c_contract"): _series(
        {1: 200, 2: 200, 3: 200, 4: 120, 5: 120, 6: 120, 7: 120, 8: 120}
    ),
    # end 2024-05-01 (exclusive) = active through April 30: churn in May, zeros after
    ("acme", "c_churn"): _series({2: 50, 3: 50, 4: 50, 5: 0, 6: 0, 7: 0, 8: 0}),
    # one month at 0 (Mar), reactivation in Apr
    ("acme", "c_react1"): _series({1: 30, 2: 30, 3: 0, 4: 30, 5: 30, 6: 30, 7: 30, 8: 30}),
    # four months at 0 (Feb-May), back at a higher amount in Jun: reactivation, not expansion
    ("acme", "c_react_many"): _series({1: 40, 2: 0, 3: 0, 4: 0, 5: 0, 6: 60, 7: 60, 8: 60}),
    # 100 -> 300 -> 120 within May: one expansion of 20
    ("acme", "c_netting"): _series(
        {1: 100, 2: 100, 3: 100, 4: 100, 5: 120, 6: 120, 7: 120, 8: 120}
    ),
    # one of two subscriptions cancelled (end 2024-06-01): contraction -30 in Jun, not churn
    ("acme", "c_two_subs"): _series({1: 100, 2: 100, 3: 100, 4: 100, 5: 100, 6: 70, 7: 70, 8: 70}),
    ("globex", "gc1"): _series({7: "10.5", 8: "10.5"}),
}

#: (tenant, customer, month number) -> (previous_mrr, mrr, movement, amount)
MOVEMENTS: dict[tuple[str, str, int], tuple[Decimal, Decimal, str, Decimal]] = {
    ("acme", "c_new_exp", 1): (money(0), money(100), "new", money(100)),
    ("acme", "c_contract", 1): (money(0), money(200), "new", money(200)),
    ("acme", "c_react1", 1): (money(0), money(30), "new", money(30)),
    ("acme", "c_react_many", 1): (money(0), money(40), "new", money(40)),
    ("acme", "c_netting", 1): (money(0), money(100), "new", money(100)),
    ("acme", "c_two_subs", 1): (money(0), money(100), "new", money(100)),
    ("acme", "c_churn", 2): (money(0), money(50), "new", money(50)),
    ("acme", "c_react_many", 2): (money(40), money(0), "churn", money(40)),
    ("acme", "c_new_exp", 3): (money(100), money(150), "expansion", money(50)),
    ("acme", "c_react1", 3): (money(30), money(0), "churn", money(30)),
    ("acme", "c_contract", 4): (money(200), money(120), "contraction", money(80)),
    ("acme", "c_react1", 4): (money(0), money(30), "reactivation", money(30)),
    ("acme", "c_churn", 5): (money(50), money(0), "churn", money(50)),
    ("acme", "c_netting", 5): (money(100), money(120), "expansion", money(20)),
    ("acme", "c_react_many", 6): (money(0), money(60), "reactivation", money(60)),
    ("acme", "c_two_subs", 6): (money(100), money(70), "contraction", money(30)),
    ("globex", "gc1", 7): (money(0), money("10.5"), "new", money("10.5")),
}

#: (tenant, month number) -> (opening, new, reactivation, expansion, contraction, churn, closing)
BRIDGE: dict[tuple[str, int], tuple[int | str, ...]] = {
    ("acme", 1): (0, 570, 0, 0, 0, 0, 570),
    ("acme", 2): (570, 50, 0, 0, 0, 40, 580),
    ("acme", 3): (580, 0, 0, 50, 0, 30, 600),
    ("acme", 4): (600, 0, 30, 0, 80, 0, 550),
    ("acme", 5): (550, 0, 0, 20, 0, 50, 520),
    ("acme", 6): (520, 0, 60, 0, 30, 0, 550),
    ("acme", 7): (550, 0, 0, 0, 0, 0, 550),
    ("acme", 8): (550, 0, 0, 0, 0, 0, 550),
    ("globex", 7): (0, "10.5", 0, 0, 0, 0, "10.5"),
    ("globex", 8): ("10.5", 0, 0, 0, 0, 0, "10.5"),
}
