"""Hand-worked histories for churn_and_retention, cohort_retention and customer_ltv.

The as-of date is pinned to 2024-06-15 (spines end with June 2024). Every expected value below
was worked out by hand from the CSVs, month end by month end (end_date is exclusive: a period
ending 2024-03-01 is active on 29 February, not on 31 March); none is computed by the code.
Ratios are rounded half away from zero to 6 decimals; None = NULL (zero denominator).

Month-end MRR worked out first (the MRR marts' rules, docs/revenue.md):

acme (2024)   Jan  Feb  Mar  Apr  May  Jun
  a1          100  100  100  100  100  100   open-ended
  a2          200  200    0    0    0    0   ends 03-01: churn in Mar
  a3            -   50   50   80   80   80   new in Feb, expansion +30 in Apr
  a4           60   60   40   40   40   40   add-on of 20 ends 03-01: contraction -20 in Mar
  a5           30    0    0   45   45   45   churn in Feb, reactivation (new subscription) in Apr
  a6            -    -   90   90   90   90   new in Mar
  total       390  410  280  355  355  355
  active        4    4    4    5    5    5

  bridge: Jan new 390 | Feb open 390, new 50, churn 30 | Mar open 410, new 90, contraction 20,
  churn 200 | Apr open 280, reactivation 45, expansion 30 | May, Jun open 355, no movement.

initech (2024): i1 10 in Mar only (churn Apr); i2 20 from May. Months Mar..Jun, MRR 10, 0, 20, 20.
globex: g1 10 from 2023-01, open; g2 20 in Jan and Feb 2023 (churn Mar 2023). 18 months to Jun 2024.
hooli: h1 10 in Jan 2023 only (churn Feb 2023); then nothing for 16 months.
umbrella (2024): u1 1.999999 from May, open; u2 0.000001 in May only (churn Jun). Its June ratios
are exact ties at the 7th decimal (0.0000005, 0.9999995): they must round away from zero.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

AS_OF = "2024-06-15"

ACME_CSV = """subscription_id,customer_id,start_date,end_date,monthly_amount
a1s,a1,2024-01-01,,100
a2s,a2,2024-01-01,2024-03-01,200
a3s,a3,2024-02-01,2024-04-01,50
a3s,a3,2024-04-01,,80
a4s_base,a4,2024-01-01,,40
a4s_addon,a4,2024-01-01,2024-03-01,20
a5s,a5,2024-01-01,2024-02-01,30
a5s_back,a5,2024-04-01,,45
a6s,a6,2024-03-01,,90
"""

INITECH_CSV = """subscription_id,customer_id,start_date,end_date,monthly_amount
i1s,i1,2024-03-01,2024-04-01,10
i2s,i2,2024-05-01,,20
"""

GLOBEX_CSV = """subscription_id,customer_id,start_date,end_date,monthly_amount
g1s,g1,2023-01-01,,10
g2s,g2,2023-01-01,2023-03-01,20
"""

HOOLI_CSV = """subscription_id,customer_id,start_date,end_date,monthly_amount
h1s,h1,2023-01-01,2023-02-01,10
"""

UMBRELLA_CSV = """subscription_id,customer_id,start_date,end_date,monthly_amount
u1s,u1,2024-05-01,,1.999999
u2s,u2,2024-05-01,2024-06-01,0.000001
"""

IMPORTS: tuple[tuple[str, str], ...] = (
    ("acme", ACME_CSV),
    ("initech", INITECH_CSV),
    ("globex", GLOBEX_CSV),
    ("hooli", HOOLI_CSV),
    ("umbrella", UMBRELLA_CSV),
)

#: Months each tenant's spine holds (first month with MRR .. June 2024).
TENANT_MONTHS = {"acme": 6, "initech": 4, "globex": 18, "hooli": 18, "umbrella": 2}


def ym(year: int, number: int) -> dt.date:
    return dt.date(year, number, 1)


def dec(value: str | None) -> Decimal | None:
    """A decimal(18,6) value as both targets return it; None stays None (NULL)."""
    return None if value is None else Decimal(value).quantize(Decimal("0.000001"))


RETENTION_COLUMNS = (
    "customers_at_start",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
    "closing_customers",
    "logo_churn_rate",
    "revenue_churn_rate",
    "gross_revenue_retention",
    "net_revenue_retention",
    "quick_ratio",
)

#: (tenant, month) -> (start, new, reactivated, churned, closing, logo churn, revenue churn, GRR,
#: NRR, quick ratio). Working per row in the comment above it.
RETENTION: dict[tuple[str, dt.date], tuple[int | Decimal | None, ...]] = {
    # first month: nobody at the start, opening MRR 0, nothing lost -> every ratio NULL
    ("acme", ym(2024, 1)): (0, 4, 0, 0, 4, None, None, None, None, None),
    # 4 + 1 (a3) - 1 (a5) = 4; logo 1/4; revenue churn 30/390 = 0.0769230..; GRR = NRR =
    # 360/390 = 0.9230769..; quick (50 + 0 + 0) / (0 + 30) = 1.666666..
    ("acme", ym(2024, 2)): (
        4,
        1,
        0,
        1,
        4,
        dec("0.25"),
        dec("0.076923"),
        dec("0.923077"),
        dec("0.923077"),
        dec("1.666667"),
    ),
    # 4 + 1 (a6) - 1 (a2) = 4; logo 1/4; revenue churn (20 + 200)/410 = 0.5365853..;
    # GRR = NRR = 190/410 = 0.4634146..; quick 90 / 220 = 0.4090909..
    ("acme", ym(2024, 3)): (
        4,
        1,
        0,
        1,
        4,
        dec("0.25"),
        dec("0.536585"),
        dec("0.463415"),
        dec("0.463415"),
        dec("0.409091"),
    ),
    # 4 + reactivation a5 = 5; nothing lost: logo 0/4, revenue churn 0/280, GRR 280/280;
    # NRR (280 + 30)/280 = 1.1071428.. (the reactivation's 45 is not in NRR); quick x/0 -> NULL
    ("acme", ym(2024, 4)): (
        4,
        0,
        1,
        0,
        5,
        dec("0"),
        dec("0"),
        dec("1"),
        dec("1.107143"),
        None,
    ),
    ("acme", ym(2024, 5)): (5, 0, 0, 0, 5, dec("0"), dec("0"), dec("1"), dec("1"), None),
    ("acme", ym(2024, 6)): (5, 0, 0, 0, 5, dec("0"), dec("0"), dec("1"), dec("1"), None),
    ("initech", ym(2024, 3)): (0, 1, 0, 0, 1, None, None, None, None, None),
    # everyone leaves: logo 1/1, revenue churn 10/10, GRR = NRR = 0/10, quick 0/10 = 0
    ("initech", ym(2024, 4)): (1, 0, 0, 1, 0, dec("1"), dec("1"), dec("0"), dec("0"), dec("0")),
    # mid-history month with nobody at the start and opening MRR 0: every ratio NULL
    ("initech", ym(2024, 5)): (0, 1, 0, 0, 1, None, None, None, None, None),
    ("initech", ym(2024, 6)): (1, 0, 0, 0, 1, dec("0"), dec("0"), dec("1"), dec("1"), None),
    ("globex", ym(2023, 1)): (0, 2, 0, 0, 2, None, None, None, None, None),
    ("globex", ym(2023, 2)): (2, 0, 0, 0, 2, dec("0"), dec("0"), dec("1"), dec("1"), None),
    # g2 churns: logo 1/2, revenue churn 20/30, GRR = NRR = 10/30, quick 0/20
    ("globex", ym(2023, 3)): (
        2,
        0,
        0,
        1,
        1,
        dec("0.5"),
        dec("0.666667"),
        dec("0.333333"),
        dec("0.333333"),
        dec("0"),
    ),
    ("globex", ym(2024, 6)): (1, 0, 0, 0, 1, dec("0"), dec("0"), dec("1"), dec("1"), None),
    ("hooli", ym(2023, 1)): (0, 1, 0, 0, 1, None, None, None, None, None),
    ("hooli", ym(2023, 2)): (1, 0, 0, 1, 0, dec("1"), dec("1"), dec("0"), dec("0"), dec("0")),
    ("hooli", ym(2023, 3)): (0, 0, 0, 0, 0, None, None, None, None, None),
    ("hooli", ym(2024, 6)): (0, 0, 0, 0, 0, None, None, None, None, None),
    ("umbrella", ym(2024, 5)): (0, 2, 0, 0, 2, None, None, None, None, None),
    # opening 2.000000, u2's 0.000001 churns: logo 1/2; revenue churn 0.000001/2 = 0.0000005
    # -> 0.000001 (tie, away from zero); GRR = NRR = 1.999999/2 = 0.9999995 -> 1.000000;
    # quick 0 / 0.000001 = 0
    ("umbrella", ym(2024, 6)): (
        2,
        0,
        0,
        1,
        1,
        dec("0.5"),
        dec("0.000001"),
        dec("1"),
        dec("1"),
        dec("0"),
    ),
}

COHORT_COLUMNS = (
    "month",
    "cohort_customers",
    "retained_customers",
    "logo_retention",
    "cohort_starting_mrr",
    "retained_mrr",
    "revenue_retention",
)


def _cohort(
    tenant: str,
    cohort: dt.date,
    customers: int,
    starting_mrr: str,
    cells: list[tuple[str, str, str, str]],
) -> dict[tuple[str, dt.date, int], tuple[object, ...]]:
    """cells: (retained customers, logo retention, retained MRR, revenue retention) by month
    since signup 0, 1, ...; the cell's calendar month is cohort + months."""
    rows: dict[tuple[str, dt.date, int], tuple[object, ...]] = {}
    for since, (retained, logo, mrr, revenue) in enumerate(cells):
        number = cohort.month - 1 + since
        calendar = dt.date(cohort.year + number // 12, number % 12 + 1, 1)
        rows[(tenant, cohort, since)] = (
            calendar,
            customers,
            int(retained),
            dec(logo),
            dec(starting_mrr),
            dec(mrr),
            dec(revenue),
        )
    return rows


#: (tenant, cohort month, months since signup) -> COHORT_COLUMNS: every cell of every tenant's
#: cohorts, from the cohort month to June 2024 (no later cell may exist).
COHORTS: dict[tuple[str, dt.date, int], tuple[object, ...]] = {
    # acme January cohort: a1, a2, a4, a5 (starting MRR 100 + 200 + 60 + 30 = 390).
    # Feb: a5 gone -> 3/4, 100 + 200 + 60 = 360, 360/390 = 0.9230769..
    # Mar: a2 gone, a4 at 40 -> 2/4, 140, 140/390 = 0.3589743..
    # Apr-Jun: a5 reactivated at 45 counts again -> 3/4, 185, 185/390 = 0.4743589..
    **_cohort(
        "acme",
        ym(2024, 1),
        4,
        "390",
        [
            ("4", "1", "390", "1"),
            ("3", "0.75", "360", "0.923077"),
            ("2", "0.5", "140", "0.358974"),
            ("3", "0.75", "185", "0.474359"),
            ("3", "0.75", "185", "0.474359"),
            ("3", "0.75", "185", "0.474359"),
        ],
    ),
    # acme February cohort: a3 at 50, expanded to 80 in April: 80/50 = 1.6 (above 1)
    **_cohort(
        "acme",
        ym(2024, 2),
        1,
        "50",
        [
            ("1", "1", "50", "1"),
            ("1", "1", "50", "1"),
            ("1", "1", "80", "1.6"),
            ("1", "1", "80", "1.6"),
            ("1", "1", "80", "1.6"),
        ],
    ),
    # acme March cohort: a6 at 90 throughout
    **_cohort("acme", ym(2024, 3), 1, "90", [("1", "1", "90", "1")] * 4),
    # initech: i1 (March) churns in April; i2 (May) stays
    **_cohort(
        "initech",
        ym(2024, 3),
        1,
        "10",
        [("1", "1", "10", "1"), ("0", "0", "0", "0"), ("0", "0", "0", "0"), ("0", "0", "0", "0")],
    ),
    **_cohort("initech", ym(2024, 5), 1, "20", [("1", "1", "20", "1")] * 2),
    # umbrella May cohort, starting 2.000000; June: u1 only, 1/2, 1.999999/2 = 0.9999995 -> 1
    **_cohort(
        "umbrella",
        ym(2024, 5),
        2,
        "2",
        [("2", "1", "2", "1"), ("1", "0.5", "1.999999", "1")],
    ),
    # globex January 2023 cohort: g1 + g2 = 30; from March 2023 only g1: 1/2, 10/30 = 0.333333
    **_cohort(
        "globex",
        ym(2023, 1),
        2,
        "30",
        [("2", "1", "30", "1"), ("2", "1", "30", "1")] + [("1", "0.5", "10", "0.333333")] * 16,
    ),
    # hooli January 2023 cohort: h1 only in month 0, then 17 empty months up to June 2024
    **_cohort(
        "hooli",
        ym(2023, 1),
        1,
        "10",
        [("1", "1", "10", "1")] + [("0", "0", "0", "0")] * 17,
    ),
}

LTV_COLUMNS = (
    "window_start_month",
    "window_months",
    "window_mrr",
    "active_customer_months",
    "arpa",
    "customers_at_start_months",
    "churned_customers",
    "monthly_logo_churn_rate",
    "ltv",
    "ltv_status",
)

#: (tenant, month) -> LTV_COLUMNS. Window = the 12 months ending with the month (tenant's months
#: only). ltv = window_mrr * customers_at_start_months / (active_customer_months * churned).
LTV: dict[tuple[str, dt.date], tuple[object, ...]] = {
    # Jan only: 390 over 4 active customer-months = 97.5; nobody at the start -> no churn rate
    ("acme", ym(2024, 1)): (
        ym(2024, 1),
        1,
        dec("390"),
        4,
        dec("97.5"),
        0,
        0,
        None,
        None,
        "no_customers_at_start",
    ),
    # Jan-Feb: (390 + 410)/(4 + 4) = 100; churn 1/(0 + 4) = 0.25; LTV 800*4/(8*1) = 400
    ("acme", ym(2024, 2)): (
        ym(2024, 1),
        2,
        dec("800"),
        8,
        dec("100"),
        4,
        1,
        dec("0.25"),
        dec("400"),
        "ok",
    ),
    # Jan-Mar: 1080/12 = 90; churn 2/8 = 0.25; LTV 1080*8/(12*2) = 360
    ("acme", ym(2024, 3)): (
        ym(2024, 1),
        3,
        dec("1080"),
        12,
        dec("90"),
        8,
        2,
        dec("0.25"),
        dec("360"),
        "ok",
    ),
    # Jan-Apr: 1435/17 = 84.4117647..; churn 2/12 = 0.1666666..; LTV 1435*12/(17*2) =
    # 17220/34 = 506.4705882..
    ("acme", ym(2024, 4)): (
        ym(2024, 1),
        4,
        dec("1435"),
        17,
        dec("84.411765"),
        12,
        2,
        dec("0.166667"),
        dec("506.470588"),
        "ok",
    ),
    # Jan-May: 1790/22 = 81.3636..; churn 2/17 = 0.1176470..; LTV 1790*17/44 = 691.5909..
    ("acme", ym(2024, 5)): (
        ym(2024, 1),
        5,
        dec("1790"),
        22,
        dec("81.363636"),
        17,
        2,
        dec("0.117647"),
        dec("691.590909"),
        "ok",
    ),
    # Jan-Jun: 2145/27 = 79.4444..; churn 2/22 = 0.090909..; LTV 2145*22/54 = 873.8888..
    ("acme", ym(2024, 6)): (
        ym(2024, 1),
        6,
        dec("2145"),
        27,
        dec("79.444444"),
        22,
        2,
        dec("0.090909"),
        dec("873.888889"),
        "ok",
    ),
    # Mar-Apr: 10/1; churn 1/1; LTV 10*1/(1*1) = 10
    ("initech", ym(2024, 4)): (
        ym(2024, 3),
        2,
        dec("10"),
        1,
        dec("10"),
        1,
        1,
        dec("1"),
        dec("10"),
        "ok",
    ),
    # Mar-Jun: (10 + 0 + 20 + 20)/3 = 16.6666..; churn 1/(0 + 1 + 0 + 1) = 0.5;
    # LTV 50*2/(3*1) = 33.3333..
    ("initech", ym(2024, 6)): (
        ym(2024, 3),
        4,
        dec("50"),
        3,
        dec("16.666667"),
        2,
        1,
        dec("0.5"),
        dec("33.333333"),
        "ok",
    ),
    ("globex", ym(2023, 1)): (
        ym(2023, 1),
        1,
        dec("30"),
        2,
        dec("15"),
        0,
        0,
        None,
        None,
        "no_customers_at_start",
    ),
    # Feb 2023-Jan 2024: MRR 30 + 11*10 = 140 over 2 + 11 = 13 -> 10.769230..; at start
    # 2 (Feb) + 2 (Mar) + 10*1 = 14, churned 1 (Mar 2023) -> 0.0714285..;
    # LTV 140*14/13 = 150.769230..
    ("globex", ym(2024, 1)): (
        ym(2023, 2),
        12,
        dec("140"),
        13,
        dec("10.769231"),
        14,
        1,
        dec("0.071429"),
        dec("150.769231"),
        "ok",
    ),
    # Mar 2023-Feb 2024: 120/12 = 10; at start 2 + 11 = 13, churned 1 -> 0.0769230..;
    # LTV 120*13/12 = 130
    ("globex", ym(2024, 2)): (
        ym(2023, 3),
        12,
        dec("120"),
        12,
        dec("10"),
        13,
        1,
        dec("0.076923"),
        dec("130"),
        "ok",
    ),
    # Apr 2023-Mar 2024: the March 2023 churn has left the window: churn 0/12 -> LTV NULL
    ("globex", ym(2024, 3)): (
        ym(2023, 4),
        12,
        dec("120"),
        12,
        dec("10"),
        12,
        0,
        dec("0"),
        None,
        "no_churn",
    ),
    ("globex", ym(2024, 6)): (
        ym(2023, 7),
        12,
        dec("120"),
        12,
        dec("10"),
        12,
        0,
        dec("0"),
        None,
        "no_churn",
    ),
    # Jan-Feb 2023: 10/1; churn 1/1; LTV 10
    ("hooli", ym(2023, 2)): (
        ym(2023, 1),
        2,
        dec("10"),
        1,
        dec("10"),
        1,
        1,
        dec("1"),
        dec("10"),
        "ok",
    ),
    # Jul 2023-Jun 2024: no MRR, no customer-month: ARPA and churn rate NULL
    ("hooli", ym(2024, 6)): (
        ym(2023, 7),
        12,
        dec("0"),
        0,
        None,
        0,
        0,
        None,
        None,
        "no_active_customers",
    ),
    # May-Jun: (2 + 1.999999)/3 = 1.333333; churn 1/2; LTV 3.999999*2/3 = 2.666666 (exact)
    ("umbrella", ym(2024, 6)): (
        ym(2024, 5),
        2,
        dec("3.999999"),
        3,
        dec("1.333333"),
        2,
        1,
        dec("0.5"),
        dec("2.666666"),
        "ok",
    ),
}
