"""``GET /v1/revenue/*``: the caller's revenue marts (MRR and its movements, bridge, churn,
cohorts, LTV, usage-aware MRR, payment recovery, credits, spend alerts).

Every endpoint reads one published dbt mart (docs/revenue.md has the definitions) through the
shared :class:`MartReader`, scoped to the key's tenant, filtered by a month range. Money and exact
ratios are decimals, serialised as JSON strings so no digit is lost (``"1234.500000"``).

An endpoint is a declaration: its row model (the columns read, with descriptions), its page
(``MonthPage[Row]`` under its own schema name), a ``_month_read`` (mart, date column, order)
and a route that returns ``_month_read(...).for_query(reader, tenant, query)``. The query
model's filters other than the month range (``customer_id``, ``movement``, ``currency``) are
equality filters on the columns of the same name.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from serving.api.deps import CurrentTenant, MartReaderDep
from serving.api.problems import problem_responses
from serving.api.ranges import MONTHS, MonthPage, MonthRangeQuery, RangedMartRead, RangePolicy
from serving.marts import (
    CHURN_AND_RETENTION,
    COHORT_RETENTION,
    CREDIT_BALANCES,
    CUSTOMER_LTV,
    MRR_BRIDGE,
    MRR_BY_CUSTOMER_MONTH,
    MRR_MOVEMENTS,
    MRR_MOVEMENTS_WITH_USAGE,
    PAYMENT_RECOVERY,
    SPEND_ALERTS,
    USAGE_AWARE_MRR,
)

router = APIRouter(prefix="/v1/revenue", tags=["revenue"])

#: Longest range one request may ask for, both ends included (ten years).
MAX_RANGE_MONTHS = 120
#: Months answered when the request leaves one or both ends open.
DEFAULT_WINDOW_MONTHS = 12
_ERRORS = problem_responses(401, 422, 500, 503)
#: Month ranges: a default window of 12 months anchored on the tenant's latest month in the mart.
_MONTH_RANGE = RangePolicy(MONTHS, DEFAULT_WINDOW_MONTHS, MAX_RANGE_MONTHS)
PageT = TypeVar("PageT", bound=BaseModel)

Movement = Literal["new", "expansion", "contraction", "churn", "reactivation"]
LtvStatus = Literal["ok", "no_active_customers", "no_customers_at_start", "no_churn"]


class CustomerMonthQuery(MonthRangeQuery):
    """A month range and, optionally, one customer."""

    customer_id: str | None = Field(default=None, max_length=128, description="Only this customer")


class MovementQuery(CustomerMonthQuery):
    """A month range, optionally one customer and one kind of movement."""

    movement: Movement | None = Field(default=None, description="Only this kind of movement")


_CURRENCY_PATTERN = r"^[A-Z]{3}$"
_CURRENCY_DESCRIPTION = "Only this currency (ISO 4217 code, upper case, e.g. USD)"


class CurrencyMonthQuery(MonthRangeQuery):
    """A month range and, optionally, one currency."""

    currency: str | None = Field(
        default=None, pattern=_CURRENCY_PATTERN, description=_CURRENCY_DESCRIPTION
    )


class CreditQuery(CustomerMonthQuery):
    """A month range (every day of its months), optionally one customer and one currency."""

    currency: str | None = Field(
        default=None, pattern=_CURRENCY_PATTERN, description=_CURRENCY_DESCRIPTION
    )


class MrrRow(BaseModel):
    """A customer's MRR at one month's end."""

    customer_id: str = Field(description="The tenant's customer")
    month: date = Field(description="The month (its first day)")
    mrr: Decimal = Field(description="MRR at the month's end (decimal string)")
    is_active: bool = Field(description="mrr > 0")
    first_active_month: date = Field(description="The customer's first month with MRR > 0")
    last_active_month: date = Field(description="The customer's last month with MRR > 0")


class MovementRow(BaseModel):
    """One customer's MRR change between two month ends."""

    customer_id: str = Field(description="The tenant's customer")
    month: date = Field(description="The month whose end MRR changed (its first day)")
    previous_mrr: Decimal = Field(description="MRR at the previous month's end")
    mrr: Decimal = Field(description="MRR at this month's end")
    movement: Movement = Field(description="new, reactivation, churn, expansion or contraction")
    amount: Decimal = Field(description="|mrr - previous_mrr| (always > 0)")


class BridgeRow(BaseModel):
    """One month of the tenant's MRR bridge (decimal strings)."""

    month: date = Field(description="The month (its first day)")
    opening_mrr: Decimal = Field(description="MRR at the previous month's end")
    new_mrr: Decimal = Field(description="MRR of customers with their first MRR this month")
    reactivation_mrr: Decimal = Field(description="MRR of customers back after months at 0")
    expansion_mrr: Decimal = Field(description="Increases of continuing customers")
    contraction_mrr: Decimal = Field(description="Decreases of continuing customers (positive)")
    churn_mrr: Decimal = Field(description="Previous MRR of customers now at 0 (positive)")
    closing_mrr: Decimal = Field(
        description="opening + new + reactivation + expansion - contraction - churn, exactly"
    )


class ChurnRow(BaseModel):
    """One month of the tenant's churn and retention (exact ratios as decimal strings)."""

    month: date = Field(description="The month (its first day)")
    customers_at_start: int = Field(description="Customers with MRR > 0 at the previous month end")
    new_customers: int = Field(description="Customers with their first MRR this month")
    reactivated_customers: int = Field(description="Customers with MRR > 0 again after months at 0")
    churned_customers: int = Field(description="Customers at start with MRR 0 at this month end")
    closing_customers: int = Field(description="Customers with MRR > 0 at this month end")
    logo_churn_rate: Decimal | None = Field(
        description="churned / customers at start; null when none at start"
    )
    revenue_churn_rate: Decimal | None = Field(
        description="(churn + contraction) / opening MRR; null when opening is 0"
    )
    gross_revenue_retention: Decimal | None = Field(
        description="(opening - contraction - churn) / opening; null when opening is 0"
    )
    net_revenue_retention: Decimal | None = Field(
        description="(opening + expansion - contraction - churn) / opening; null when opening is 0"
    )
    quick_ratio: Decimal | None = Field(
        description="(new + reactivation + expansion) / (contraction + churn); null when 0 lost"
    )


class CohortRow(BaseModel):
    """One signup cohort at one age."""

    cohort_month: date = Field(description="Month of the customers' first MRR")
    months_since_signup: int = Field(description="0 for the cohort month itself")
    month: date = Field(description="cohort_month + months_since_signup")
    cohort_customers: int = Field(description="Customers whose first MRR is in the cohort month")
    retained_customers: int = Field(description="Cohort customers with MRR > 0 at this month end")
    logo_retention: Decimal = Field(description="retained / cohort customers")
    cohort_starting_mrr: Decimal = Field(description="The cohort's MRR in its first month")
    retained_mrr: Decimal = Field(description="The cohort's MRR at this month end")
    revenue_retention: Decimal = Field(description="retained / starting MRR (may pass 1)")


class LtvRow(BaseModel):
    """The tenant's churn-based customer lifetime value over the 12 months ending with a month."""

    month: date = Field(description="Last month of the window (its first day)")
    window_start_month: date = Field(
        description="First month of the window (month - 11, or the tenant's first month if later)"
    )
    window_months: int = Field(description="Months in the window (1 to 12)")
    window_mrr: Decimal = Field(description="Sum of the tenant's month-end MRR over the window")
    active_customer_months: int = Field(
        description="Sum over the window's months of the customers with MRR > 0 at the month end"
    )
    arpa: Decimal | None = Field(
        description="window_mrr / active_customer_months; null when there is none"
    )
    customers_at_start_months: int = Field(
        description="Sum over the window's months of the customers active at the month's start"
    )
    churned_customers: int = Field(description="Customers churned in the window's months")
    monthly_logo_churn_rate: Decimal | None = Field(
        description="churned_customers / customers_at_start_months; null when the latter is 0"
    )
    ltv: Decimal | None = Field(
        description="arpa / monthly_logo_churn_rate (no margin); null unless ltv_status is ok"
    )
    ltv_status: LtvStatus = Field(
        description="ok, or why ltv is null: no_active_customers, no_customers_at_start, no_churn"
    )


class UsageRow(BaseModel):
    """A customer's committed (plan) MRR beside its usage in one month."""

    customer_id: str = Field(description="The tenant's customer")
    month: date = Field(description="The month (its first day)")
    committed_mrr: Decimal = Field(description="Month-end MRR of the customer's subscriptions")
    usage_revenue: Decimal = Field(
        description="Rated usage revenue of the month (month to date in the as-of month)"
    )
    unrated_usage_units: int = Field(
        description="Billable usage units of the month without a price (not in usage_revenue)"
    )
    run_rate_months: int = Field(
        description="Complete months of the customer's history in the run-rate window (0 to 3)"
    )
    trailing_usage_revenue: Decimal = Field(
        description="Usage revenue of the run_rate_months months of the window"
    )
    usage_run_rate: Decimal | None = Field(
        description="trailing_usage_revenue / run_rate_months; null without a complete month"
    )
    included_usage_amount: Decimal | None = Field(
        description="Monthly usage allowance of the plans active at the month end; null if none"
    )
    overage: Decimal | None = Field(
        description="max(0, usage_revenue - included_usage_amount); null without an allowance"
    )
    total_mrr: Decimal = Field(description="committed_mrr + usage_run_rate (0 while that is null)")


class UsageMovementRow(BaseModel):
    """One customer's change of usage-aware MRR (total_mrr) between two month ends."""

    customer_id: str = Field(description="The tenant's customer")
    month: date = Field(description="The month whose total changed (its first day)")
    previous_total_mrr: Decimal = Field(description="total_mrr of the month before")
    total_mrr: Decimal = Field(description="total_mrr of this month (committed + usage run-rate)")
    movement: Movement = Field(description="new, reactivation, churn, expansion or contraction")
    amount: Decimal = Field(description="|total_mrr - previous_total_mrr| (always > 0)")


class PaymentRecoveryRow(BaseModel):
    """Failed-payment recovery of the invoices whose first failure is in one month."""

    failure_month: date = Field(description="Month of the invoices' first failure (first day)")
    currency: str = Field(description="Invoice currency (ISO 4217); amounts are not converted")
    failed_invoices: int = Field(description="Invoices whose first failure falls in the month")
    repeatedly_failed_invoices: int = Field(description="Of those, invoices that failed again")
    recovered_invoices: int = Field(description="Of those, paid at or after the first failure")
    written_off_invoices: int = Field(
        description="Of those, never paid, subscription cancelled after the failure"
    )
    open_invoices: int = Field(description="Of those, neither recovered nor written off")
    recovery_rate: Decimal | None = Field(description="recovered_invoices / failed_invoices")
    mean_days_to_recover: Decimal | None = Field(
        description="Mean whole days from first failure to payment; null when none recovered"
    )
    median_days_to_recover: Decimal | None = Field(
        description="Median of the same days; null when none recovered"
    )
    failed_amount: Decimal = Field(description="Amount of the failed invoices")
    recovered_amount: Decimal = Field(description="Amount of the recovered invoices")
    written_off_amount: Decimal = Field(description="Amount of the written-off invoices")
    open_amount: Decimal = Field(description="Amount of the open invoices")
    amount_recovery_rate: Decimal | None = Field(
        description="recovered_amount / failed_amount; null when the failed amount is 0"
    )
    refunded_amount: Decimal = Field(description="Refunds later issued on these invoices")


class CreditBalanceRow(BaseModel):
    """A customer's prepaid/promotional credit in one currency at one day's end."""

    customer_id: str = Field(description="The tenant's customer holding the credit")
    currency: str = Field(description="Credit currency (ISO 4217)")
    balance_date: date = Field(description="UTC day")
    granted_amount: Decimal = Field(description="Credit granted that day")
    used_amount: Decimal = Field(description="Credit used that day")
    expired_amount: Decimal = Field(description="Credit expired that day")
    closing_balance: Decimal = Field(description="Granted - used - expired, cumulative to the day")
    trailing_used_amount: Decimal = Field(
        description="Credit used in the trailing N days including the day (N: default 30)"
    )
    daily_burn_rate: Decimal = Field(description="trailing_used_amount / N")
    runway_days: Decimal | None = Field(
        description="closing_balance / daily_burn_rate; 0 when the balance is not positive; "
        "null when the burn rate is 0"
    )
    projected_depletion_date: date | None = Field(
        description="balance_date + floor(runway_days) days; null when runway_days is null"
    )


class SpendAlertRow(BaseModel):
    """The first day in a month that month-to-date usage spend reached a budget threshold."""

    currency: str = Field(description="Currency of the spend and the budget (ISO 4217)")
    month: date = Field(description="Month of the crossing (its first day)")
    threshold_percent: int = Field(description="Threshold in percent of the monthly budget")
    monthly_budget: Decimal = Field(description="The tenant's monthly budget in the currency")
    threshold_amount: Decimal = Field(description="monthly_budget x threshold_percent / 100")
    crossed_on: date = Field(description="First day whose month-to-date spend reached it")
    month_to_date_spend: Decimal = Field(description="Month-to-date spend at crossed_on's end")
    trailing_7d_spend: Decimal = Field(description="Spend of crossed_on and the 6 days before")
    trailing_7d_daily_mean: Decimal = Field(description="trailing_7d_spend / 7")
    days_left_in_month: int = Field(description="Calendar days of the month after crossed_on")
    forecast_month_end_spend: Decimal = Field(
        description="month_to_date_spend + trailing_7d_daily_mean x days_left_in_month"
    )
    next_threshold_percent: int | None = Field(
        description="The next higher threshold; null for the highest"
    )
    next_threshold_amount: Decimal | None = Field(
        description="monthly_budget x next_threshold_percent / 100; null for the highest"
    )
    forecast_crosses_next_threshold: bool | None = Field(
        description="forecast_month_end_spend >= next_threshold_amount; null for the highest"
    )
    forecast_exceeds_budget: bool = Field(description="forecast_month_end_spend >= monthly_budget")


class MrrPage(MonthPage[MrrRow]):
    """The caller's MRR rows in the month range, by customer, then month."""


class MovementPage(MonthPage[MovementRow]):
    """The caller's movements rows in the month range, by month, then customer."""


class BridgePage(MonthPage[BridgeRow]):
    """The caller's bridge rows in the month range, by month."""


class ChurnPage(MonthPage[ChurnRow]):
    """The caller's churn and retention rows in the month range, by month."""


class CohortPage(MonthPage[CohortRow]):
    """The caller's cohort retention rows, by cohort month (the range filters it), then age."""


class LtvPage(MonthPage[LtvRow]):
    """The caller's LTV rows in the month range, by month."""


class UsagePage(MonthPage[UsageRow]):
    """The caller's usage-aware MRR rows in the month range, by customer, then month."""


class UsageMovementPage(MonthPage[UsageMovementRow]):
    """The caller's usage-aware MRR movements in the month range, by month, then customer."""


class PaymentRecoveryPage(MonthPage[PaymentRecoveryRow]):
    """The caller's payment recovery rows, by failure month (the range filters it), then
    currency."""


class CreditBalancePage(MonthPage[CreditBalanceRow]):
    """The caller's daily credit balances on every day of the range's months, by customer,
    currency, then day."""


class SpendAlertPage(MonthPage[SpendAlertRow]):
    """The caller's spend-budget threshold crossings in the month range, by month, currency,
    then threshold."""


def _last_day(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _month_read(
    mart: str,
    page: type[PageT],
    order_by: tuple[str, ...],
    month_column: str = "month",
    *,
    daily: bool = False,
) -> RangedMartRead[PageT]:
    """How one endpoint reads its mart in a month range; ``daily``: the column holds days, so
    the range covers every day of its months."""
    return RangedMartRead(
        mart,
        page,
        month_column,
        _MONTH_RANGE,
        order_by,
        range_fields=("month_from", "month_to"),
        range_end=_last_day if daily else None,
    )


_MRR = _month_read(MRR_BY_CUSTOMER_MONTH, MrrPage, ("customer_id", "month"))
_MOVEMENTS = _month_read(MRR_MOVEMENTS, MovementPage, ("month", "customer_id"))
_BRIDGE = _month_read(MRR_BRIDGE, BridgePage, ("month",))
_CHURN = _month_read(CHURN_AND_RETENTION, ChurnPage, ("month",))
_COHORTS = _month_read(
    COHORT_RETENTION, CohortPage, ("cohort_month", "months_since_signup"), "cohort_month"
)
_LTV = _month_read(CUSTOMER_LTV, LtvPage, ("month",))
_USAGE = _month_read(USAGE_AWARE_MRR, UsagePage, ("customer_id", "month"))
_USAGE_MOVEMENTS = _month_read(
    MRR_MOVEMENTS_WITH_USAGE, UsageMovementPage, ("month", "customer_id")
)
_PAYMENT_RECOVERY = _month_read(
    PAYMENT_RECOVERY, PaymentRecoveryPage, ("failure_month", "currency"), "failure_month"
)
_CREDITS = _month_read(
    CREDIT_BALANCES,
    CreditBalancePage,
    ("customer_id", "currency", "balance_date"),
    "balance_date",
    daily=True,
)
_SPEND_ALERTS = _month_read(
    SPEND_ALERTS, SpendAlertPage, ("month", "currency", "threshold_percent")
)


@router.get(
    "/mrr",
    operation_id="getRevenueMrr",
    summary="MRR per customer and month",
    response_model=MrrPage,
    responses=_ERRORS,
)
def get_mrr(
    query: Annotated[CustomerMonthQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> MrrPage:
    """MRR of each customer at each month's end (mart ``mrr_by_customer_month``)."""
    return _MRR.for_query(reader, tenant_id, query)


@router.get(
    "/movements",
    operation_id="getRevenueMovements",
    summary="MRR movements per customer and month",
    response_model=MovementPage,
    responses=_ERRORS,
)
def get_movements(
    query: Annotated[MovementQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> MovementPage:
    """One row per customer and month whose MRR changed (mart ``mrr_movements``)."""
    return _MOVEMENTS.for_query(reader, tenant_id, query)


@router.get(
    "/bridge",
    operation_id="getRevenueBridge",
    summary="MRR bridge per month",
    response_model=BridgePage,
    responses=_ERRORS,
)
def get_bridge(
    query: Annotated[MonthRangeQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> BridgePage:
    """Opening MRR, each movement and closing MRR per month (mart ``mrr_bridge``)."""
    return _BRIDGE.for_query(reader, tenant_id, query)


@router.get(
    "/churn",
    operation_id="getRevenueChurn",
    summary="Churn and retention per month",
    response_model=ChurnPage,
    responses=_ERRORS,
)
def get_churn(
    query: Annotated[MonthRangeQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> ChurnPage:
    """Logo and revenue churn, GRR, NRR and quick ratio (mart ``churn_and_retention``)."""
    return _CHURN.for_query(reader, tenant_id, query)


@router.get(
    "/cohorts",
    operation_id="getRevenueCohorts",
    summary="Signup cohorts' logo and revenue retention",
    response_model=CohortPage,
    responses=_ERRORS,
)
def get_cohorts(
    query: Annotated[MonthRangeQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> CohortPage:
    """Each cohort (month of first MRR) in the range, at every age up to the as-of month
    (mart ``cohort_retention``)."""
    return _COHORTS.for_query(reader, tenant_id, query)


@router.get(
    "/ltv",
    operation_id="getRevenueLtv",
    summary="Churn-based customer lifetime value per month",
    response_model=LtvPage,
    responses=_ERRORS,
)
def get_ltv(
    query: Annotated[MonthRangeQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> LtvPage:
    """ARPA, monthly logo churn and LTV over the 12 months ending with each month; a null LTV
    says why in ``ltv_status`` (mart ``customer_ltv``)."""
    return _LTV.for_query(reader, tenant_id, query)


@router.get(
    "/usage",
    operation_id="getRevenueUsage",
    summary="Usage-aware MRR per customer and month",
    response_model=UsagePage,
    responses=_ERRORS,
)
def get_usage(
    query: Annotated[CustomerMonthQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> UsagePage:
    """Committed MRR beside usage revenue, usage run-rate, overage and their total per customer
    and month (mart ``usage_aware_mrr``)."""
    return _USAGE.for_query(reader, tenant_id, query)


@router.get(
    "/usage-movements",
    operation_id="getRevenueUsageMovements",
    summary="Usage-aware MRR movements per customer and month",
    response_model=UsageMovementPage,
    responses=_ERRORS,
)
def get_usage_movements(
    query: Annotated[MovementQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> UsageMovementPage:
    """One row per customer and month whose total MRR (committed + usage run-rate) changed
    (mart ``mrr_movements_with_usage``)."""
    return _USAGE_MOVEMENTS.for_query(reader, tenant_id, query)


@router.get(
    "/payment-recovery",
    operation_id="getRevenuePaymentRecovery",
    summary="Failed-payment recovery per month of first failure",
    response_model=PaymentRecoveryPage,
    responses=_ERRORS,
)
def get_payment_recovery(
    query: Annotated[CurrencyMonthQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> PaymentRecoveryPage:
    """Recovered, written-off and open failed invoices, recovery rates and days to recover, by
    month of the invoices' first failure and currency (mart ``payment_recovery``)."""
    return _PAYMENT_RECOVERY.for_query(reader, tenant_id, query)


@router.get(
    "/credits",
    operation_id="getRevenueCredits",
    summary="Daily credit balances, burn rate and runway",
    response_model=CreditBalancePage,
    responses=_ERRORS,
)
def get_credits(
    query: Annotated[CreditQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> CreditBalancePage:
    """Each customer's credit granted, used, expired, balance, burn rate and runway on every day
    of the range's months (mart ``credit_balances``)."""
    return _CREDITS.for_query(reader, tenant_id, query)


@router.get(
    "/spend-alerts",
    operation_id="getRevenueSpendAlerts",
    summary="Spend-budget threshold crossings with forecast month-end spend",
    response_model=SpendAlertPage,
    responses=_ERRORS,
)
def get_spend_alerts(
    query: Annotated[CurrencyMonthQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> SpendAlertPage:
    """The first day each budget threshold was reached in a month, with the forecast month-end
    spend (mart ``spend_alerts``)."""
    return _SPEND_ALERTS.for_query(reader, tenant_id, query)
