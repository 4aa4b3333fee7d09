"""``GET /v1/revenue/*``: the caller's revenue marts (MRR, movements, bridge, churn, cohorts).

Every endpoint reads one published dbt mart (docs/revenue.md has the definitions) through the
shared :class:`MartReader`, scoped to the key's tenant, filtered by a month range. Money and exact
ratios are decimals, serialised as JSON strings so no digit is lost (``"1234.500000"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, NoReturn

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from serving.api.deps import CurrentTenant, MartReaderDep
from serving.api.problems import problem_responses
from serving.marts import (
    CHURN_AND_RETENTION,
    COHORT_RETENTION,
    MRR_BRIDGE,
    MRR_BY_CUSTOMER_MONTH,
    MRR_MOVEMENTS,
)
from warehouse.marts import DateRange, MartReader

router = APIRouter(prefix="/v1/revenue", tags=["revenue"])

#: Longest range one request may ask for, both ends included (ten years).
MAX_RANGE_MONTHS = 120
#: Months answered when the request leaves one or both ends open.
DEFAULT_WINDOW_MONTHS = 12
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")
#: What the OpenAPI document says a month parameter looks like (not ``format: date``: a
#: generated client must not send a day other than the first).
_MONTH_SCHEMA = {
    "type": "string",
    "pattern": r"^\d{4}-(0[1-9]|1[0-2])(-01)?$",
    "examples": ["2024-05"],
}
_ERRORS = problem_responses(401, 422, 500, 503)

Movement = Literal["new", "expansion", "contraction", "churn", "reactivation"]


def _month(value: object) -> object:
    """``YYYY-MM`` (or the month's first day ``YYYY-MM-01``) → the month's first day."""
    if isinstance(value, str):
        match = _MONTH.match(value)
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise PydanticCustomError("month_format", "expected a month as YYYY-MM")
        return date(int(match.group(1)), int(match.group(2)), 1)
    return value


Month = Annotated[date, BeforeValidator(_month), WithJsonSchema(_MONTH_SCHEMA)]


class MonthRangeQuery(BaseModel):
    """Query parameters. Unknown parameters (``tenant_id`` included) are rejected with 422."""

    model_config = ConfigDict(extra="forbid")

    month_from: Month | None = Field(
        default=None,
        alias="from",
        description=(
            f"First month, YYYY-MM (included). Default: {DEFAULT_WINDOW_MONTHS} months up to 'to'"
        ),
    )
    month_to: Month | None = Field(
        default=None,
        alias="to",
        description=(
            f"Last month, YYYY-MM (included; at most {MAX_RANGE_MONTHS} months after 'from'). "
            f"Default: {DEFAULT_WINDOW_MONTHS} months from 'from', or without 'from' the "
            "tenant's latest month in the mart"
        ),
    )


class CustomerMonthQuery(MonthRangeQuery):
    """A month range and, optionally, one customer."""

    customer_id: str | None = Field(default=None, max_length=128, description="Only this customer")


class MovementQuery(CustomerMonthQuery):
    """A month range, optionally one customer and one kind of movement."""

    movement: Movement | None = Field(default=None, description="Only this kind of movement")


class MonthRange(BaseModel):
    """Whose rows, and the month range answered (the request's, or the default window)."""

    tenant_id: str = Field(description="The tenant of the API key")
    month_from: date = Field(description="First month answered (its first day)")
    month_to: date = Field(description="Last month answered (its first day)")


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


class MrrPage(MonthRange):
    """The caller's MRR rows in the month range."""

    rows: list[MrrRow] = Field(description="By customer, then month")


class MovementPage(MonthRange):
    """The caller's movements rows in the month range."""

    rows: list[MovementRow] = Field(description="By month, then customer")


class BridgePage(MonthRange):
    """The caller's bridge rows in the month range."""

    rows: list[BridgeRow] = Field(description="By month")


class ChurnPage(MonthRange):
    """The caller's churn and retention rows in the month range."""

    rows: list[ChurnRow] = Field(description="By month")


class CohortPage(MonthRange):
    """The caller's cohort retention rows in the month range."""

    rows: list[CohortRow] = Field(description="By cohort month (the range filters it), then age")


@dataclass(frozen=True)
class _MartRead:
    mart: str
    month_column: str
    row_model: type[BaseModel]
    order_by: tuple[str, ...]

    def rows(
        self,
        reader: MartReader,
        tenant_id: str,
        query: MonthRangeQuery,
        equals: dict[str, Any] | None = None,
    ) -> tuple[date, date, list[dict[str, Any]]]:
        month_from, month_to = _resolve_range(
            query, reader, self.mart, self.month_column, tenant_id
        )
        table = reader.read_for_tenant(
            self.mart,
            tenant_id,
            columns=list(self.row_model.model_fields),
            date_range=DateRange(self.month_column, month_from, month_to),
            equals={key: value for key, value in (equals or {}).items() if value is not None},
            order_by=self.order_by,
        )
        return month_from, month_to, table.to_pylist()


_MRR = _MartRead(MRR_BY_CUSTOMER_MONTH, "month", MrrRow, ("customer_id", "month"))
_MOVEMENTS = _MartRead(MRR_MOVEMENTS, "month", MovementRow, ("month", "customer_id"))
_BRIDGE = _MartRead(MRR_BRIDGE, "month", BridgeRow, ("month",))
_CHURN = _MartRead(CHURN_AND_RETENTION, "month", ChurnRow, ("month",))
_COHORTS = _MartRead(
    COHORT_RETENTION, "cohort_month", CohortRow, ("cohort_month", "months_since_signup")
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
    month_from, month_to, rows = _MRR.rows(
        reader, tenant_id, query, {"customer_id": query.customer_id}
    )
    return MrrPage(
        tenant_id=tenant_id,
        month_from=month_from,
        month_to=month_to,
        rows=[MrrRow.model_validate(r) for r in rows],
    )


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
    equals = {"customer_id": query.customer_id, "movement": query.movement}
    month_from, month_to, rows = _MOVEMENTS.rows(reader, tenant_id, query, equals)
    return MovementPage(
        tenant_id=tenant_id,
        month_from=month_from,
        month_to=month_to,
        rows=[MovementRow.model_validate(r) for r in rows],
    )


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
    month_from, month_to, rows = _BRIDGE.rows(reader, tenant_id, query)
    return BridgePage(
        tenant_id=tenant_id,
        month_from=month_from,
        month_to=month_to,
        rows=[BridgeRow.model_validate(r) for r in rows],
    )


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
    month_from, month_to, rows = _CHURN.rows(reader, tenant_id, query)
    return ChurnPage(
        tenant_id=tenant_id,
        month_from=month_from,
        month_to=month_to,
        rows=[ChurnRow.model_validate(r) for r in rows],
    )


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
    month_from, month_to, rows = _COHORTS.rows(reader, tenant_id, query)
    return CohortPage(
        tenant_id=tenant_id,
        month_from=month_from,
        month_to=month_to,
        rows=[CohortRow.model_validate(r) for r in rows],
    )


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _resolve_range(
    query: MonthRangeQuery, reader: MartReader, mart: str, column: str, tenant_id: str
) -> tuple[date, date]:
    """The inclusive month range to answer: the one asked for, or a default window."""
    month_from, month_to = query.month_from, query.month_to
    if month_to is None:
        if month_from is not None:
            month_to = _add_months(month_from, DEFAULT_WINDOW_MONTHS - 1)
        else:
            # Anchored on the data, not the clock: a tenant whose data stops still sees it.
            latest = reader.latest_for_tenant(mart, tenant_id, column)
            month_to = latest if isinstance(latest, date) else date.today().replace(day=1)
    if month_from is None:
        month_from = _add_months(month_to, -(DEFAULT_WINDOW_MONTHS - 1))
    months = _months_between(month_from, month_to)
    if months < 1:
        _invalid(
            f"'to' ({month_to:%Y-%m}) must not be before 'from' ({month_from:%Y-%m})", month_to
        )
    if months > MAX_RANGE_MONTHS:
        _invalid(
            f"the range spans {months} months; at most {MAX_RANGE_MONTHS} are allowed", month_to
        )
    return month_from, month_to


def _invalid(message: str, value: date) -> NoReturn:
    raise RequestValidationError(
        [{"loc": ("query", "to"), "msg": message, "type": "month_range", "input": f"{value:%Y-%m}"}]
    )
