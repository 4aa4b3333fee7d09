"""``GET /v1/quality/carriers``, ``/v1/quality/alerts`` and ``/v1/quality/revenue-impact``: the
caller's carrier scorecard, carrier quality alerts and quality beside churn and usage.

Each endpoint reads one published dbt mart (definitions: docs/quality.md) through the shared
:class:`MartReader`, scoped to the key's tenant and filtered by a date (or month) range. Exact
ratios and money are decimals serialised as JSON strings; MOS and scores are floats.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal, NoReturn

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from serving.api.deps import CurrentTenant, MartReaderDep
from serving.api.problems import problem_responses
from serving.marts import CARRIER_SCORECARD, QUALITY_ALERTS, QUALITY_REVENUE_IMPACT
from warehouse.marts import DateRange, MartReader

router = APIRouter(prefix="/v1/quality", tags=["quality"])

#: Longest day range one request may ask for, both ends included (a leap year).
MAX_RANGE_DAYS = 366
#: Days answered when a day range leaves one or both ends open.
DEFAULT_WINDOW_DAYS = 30
#: Months answered when a month range leaves one or both ends open; the longest month range.
DEFAULT_WINDOW_MONTHS = 12
MAX_RANGE_MONTHS = 120
_ERRORS = problem_responses(401, 422, 500, 503)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

Severity = Literal["warning", "critical"]
AlertRule = Literal["threshold", "baseline", "threshold+baseline"]
MosBand = Literal["good", "fair", "poor"]
PoorShareBand = Literal["low", "elevated", "high"]


def _iso_date(value: object) -> object:
    # Only YYYY-MM-DD: pydantic alone would also take "0" (as 1970-01-01) or a timestamp.
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise PydanticCustomError("date_format", "expected a calendar date as YYYY-MM-DD")
    return value


def _month(value: object) -> object:
    if isinstance(value, str):
        match = _MONTH.match(value)
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise PydanticCustomError("month_format", "expected a month as YYYY-MM")
        return date(int(match.group(1)), int(match.group(2)), 1)
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Month = Annotated[date, BeforeValidator(_month)]


class DayRangeQuery(BaseModel):
    """Query parameters. Unknown parameters (``tenant_id`` included) are rejected with 422."""

    model_config = ConfigDict(extra="forbid")

    date_from: IsoDate | None = Field(
        default=None,
        alias="from",
        description=(
            f"First day, YYYY-MM-DD (included). Default: {DEFAULT_WINDOW_DAYS} days up to 'to'"
        ),
    )
    date_to: IsoDate | None = Field(
        default=None,
        alias="to",
        description=(
            f"Last day, YYYY-MM-DD (included; at most {MAX_RANGE_DAYS} days after 'from'). "
            f"Default: {DEFAULT_WINDOW_DAYS} days from 'from', or without 'from' the tenant's "
            "latest day in the mart"
        ),
    )
    carrier_id: str | None = Field(default=None, max_length=128, description="Only this carrier")


class CarrierQuery(DayRangeQuery):
    """A day range (UTC days of the calls' start), optionally one carrier and one currency."""

    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="Only this currency (ISO 4217, e.g. USD)"
    )


class AlertQuery(DayRangeQuery):
    """A day range (UTC day each alert's window starts), optionally one carrier and severity."""

    severity: Severity | None = Field(default=None, description="Only alerts of this severity")


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


class CarrierScorecardRow(BaseModel):
    """One carrier on one UTC day in one currency (mart ``carrier_scorecard``)."""

    carrier_id: str = Field(description="Carrier of the calls")
    call_date: date = Field(description="UTC date of the calls' start")
    currency: str = Field(description="Currency of the calls' price and cost (ISO 4217)")
    calls: int = Field(description="Calls over the carrier, every direction")
    attempts: int = Field(description="Outbound calls over the carrier")
    answered_attempts: int = Field(description="Attempts answered")
    network_effective_attempts: int = Field(
        description="Attempts answered, busy, unanswered, rejected, absent or cancelled after "
        "ringing (the network delivered them)"
    )
    asr: Decimal | None = Field(description="answered_attempts / attempts; null without attempts")
    ner: Decimal | None = Field(description="network_effective_attempts / attempts")
    acd_sec: Decimal | None = Field(description="Average duration of answered attempts, s")
    pdd_ms_p50: float | None = Field(description="Median post-dial delay of the attempts, ms")
    pdd_ms_p95: float | None = Field(description="95th percentile post-dial delay, ms")
    quality_calls: int = Field(description="Calls with a MOS, both directions")
    mos_mean: float | None = Field(description="Mean call MOS; null without quality_calls")
    mos_p5: float | None = Field(description="5th percentile of call MOS")
    poor_calls: int = Field(description="Calls with MOS below 3.6")
    poor_share: Decimal | None = Field(description="poor_calls / quality_calls")
    rated_seconds: int = Field(description="Billsec of rated calls (price and cost present)")
    cost_per_minute: Decimal | None = Field(description="Rated cost x 60 / rated_seconds")
    revenue_per_minute: Decimal | None = Field(description="Rated revenue x 60 / rated_seconds")
    margin_per_minute: Decimal | None = Field(
        description="(rated revenue - rated cost) x 60 / rated_seconds"
    )
    margin_pct: Decimal | None = Field(description="(revenue - cost) / revenue of rated calls")
    score: float | None = Field(
        description="50 x clamp((mos_mean - 1) / 3.5) + 50 x clamp(margin_pct), 0-100; null "
        "without a MOS or a margin"
    )
    score_rank: int | None = Field(
        description="1 = best score among the tenant's carriers that day and currency"
    )
    ranked_carriers: int = Field(description="Carriers with a score that day and currency")
    asr_change: Decimal | None = Field(description="asr - asr of the day before")
    ner_change: Decimal | None = Field(description="ner - ner of the day before")
    mos_mean_change: float | None = Field(description="mos_mean - mos_mean of the day before")
    poor_share_change: Decimal | None = Field(description="poor_share - that of the day before")
    cost_per_minute_change: Decimal | None = Field(
        description="cost_per_minute - that of the day before"
    )
    margin_per_minute_change: Decimal | None = Field(
        description="margin_per_minute - that of the day before"
    )
    score_change: float | None = Field(description="score - score of the day before")
    rank_change: int | None = Field(
        description="Rank the day before - score_rank (positive: moved up); null without one"
    )


class QualityAlertRow(BaseModel):
    """One carrier quality alert (mart ``quality_alerts``): merged flagged hours of a carrier."""

    alert_id: str = Field(description="Stable id: tenant, carrier, metric and first hour")
    carrier_id: str = Field(description="Carrier of the calls")
    metric: str = Field(description="The metric judged: mos_p50, the hour's median call MOS")
    rule: AlertRule = Field(description="Which rules flagged the alert's hours")
    severity: Severity = Field(description="warning or critical (the worst flagged hour)")
    window_start: datetime = Field(description="Start of the first flagged hour (UTC)")
    window_end: datetime = Field(description="End of the last flagged hour (UTC)")
    alert_date: date = Field(description="UTC date of window_start")
    flagged_hours: int = Field(description="Flagged hours in the window")
    worst_hour_start: datetime = Field(description="The flagged hour with the lowest median MOS")
    observed_mos: float = Field(description="That hour's median call MOS")
    baseline_mos: float | None = Field(
        description="Median of the carrier's judged hours in the 7 days before that hour"
    )
    baseline_hours: int = Field(description="Judged hours in that baseline")
    baseline_limit_mos: float | None = Field(
        description="baseline_mos - the required drop; null before enough baseline hours"
    )
    warning_mos: float = Field(description="The tenant's warning threshold")
    critical_mos: float = Field(description="The tenant's critical threshold")
    evidence_calls: int = Field(description="Calls in the flagged hours")
    evidence_poor_calls: int = Field(description="Of those, calls with MOS below 3.6")
    evidence_poor_share: Decimal = Field(description="evidence_poor_calls / evidence_calls")


class QualityRevenueRow(BaseModel):
    """The tenant's call quality in one month beside its churn and usage."""

    month: date = Field(description="Month of the calls' start (its first day)")
    quality_calls: int = Field(description="Calls with a MOS")
    mos_mean: float = Field(description="Mean call MOS")
    mos_p5: float = Field(description="5th percentile of call MOS")
    poor_calls: int = Field(description="Calls with MOS below 3.6")
    poor_share: Decimal = Field(description="poor_calls / quality_calls")
    mos_band: MosBand = Field(description="good (mean >= 4.0), fair (3.6 to 4.0) or poor")
    poor_share_band: PoorShareBand = Field(
        description="low (poor share < 5 %), elevated (5 % to 15 %) or high (>= 15 %)"
    )
    customers_at_start: int | None = Field(
        description="Customers with MRR at the month's start; null without MRR data"
    )
    churned_customers: int | None = Field(description="Customers churned in the month")
    logo_churn_rate: Decimal | None = Field(description="churned / customers at start")
    gross_revenue_retention: Decimal | None = Field(description="GRR of the month")
    net_revenue_retention: Decimal | None = Field(description="NRR of the month")
    voice_calls: int = Field(description="Billable voice calls of the month")
    voice_billed_minutes: Decimal = Field(description="Their billed minutes")
    previous_voice_billed_minutes: Decimal = Field(description="Billed minutes the month before")
    voice_minutes_change: Decimal | None = Field(
        description="(minutes - previous) / previous; null without usage the month before"
    )


class CarrierScorecardPage(BaseModel):
    """The caller's scorecard rows in the day range, by day, currency, then carrier."""

    tenant_id: str = Field(description="The tenant of the API key")
    date_from: date = Field(description="First day answered (included)")
    date_to: date = Field(description="Last day answered (included)")
    rows: list[CarrierScorecardRow] = Field(description="One row per carrier, day and currency")


class QualityAlertPage(BaseModel):
    """The caller's alerts whose window starts in the day range, by window start, then
    carrier."""

    tenant_id: str = Field(description="The tenant of the API key")
    date_from: date = Field(description="First day answered (included)")
    date_to: date = Field(description="Last day answered (included)")
    rows: list[QualityAlertRow] = Field(description="One row per alert")


class QualityRevenuePage(BaseModel):
    """The caller's quality and revenue rows in the month range, by month."""

    tenant_id: str = Field(description="The tenant of the API key")
    month_from: date = Field(description="First month answered (its first day)")
    month_to: date = Field(description="Last month answered (its first day)")
    rows: list[QualityRevenueRow] = Field(description="One row per month with call quality")


@router.get(
    "/carriers",
    operation_id="getCarrierScorecard",
    summary="Carrier scorecard per day: ASR, NER, ACD, PDD, MOS, cost, margin, rank and trend",
    response_model=CarrierScorecardPage,
    responses=_ERRORS,
)
def get_carrier_scorecard(
    query: Annotated[CarrierQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> CarrierScorecardPage:
    """Each carrier's signalling, media quality and money per UTC day and currency, its score
    rank among the tenant's carriers and the change on the day before (mart
    ``carrier_scorecard``)."""
    date_from, date_to = _day_range(query, reader, CARRIER_SCORECARD, "call_date", tenant_id)
    table = reader.read_for_tenant(
        CARRIER_SCORECARD,
        tenant_id,
        columns=list(CarrierScorecardRow.model_fields),
        date_range=DateRange("call_date", date_from, date_to),
        equals=query.model_dump(include={"carrier_id", "currency"}, exclude_none=True),
        order_by=("call_date", "currency", "carrier_id"),
    )
    return CarrierScorecardPage(
        tenant_id=tenant_id,
        date_from=date_from,
        date_to=date_to,
        rows=[CarrierScorecardRow.model_validate(row) for row in table.to_pylist()],
    )


@router.get(
    "/alerts",
    operation_id="getQualityAlerts",
    summary="Carrier quality alerts: thresholds and drops against the carrier's own baseline",
    response_model=QualityAlertPage,
    responses=_ERRORS,
)
def get_quality_alerts(
    query: Annotated[AlertQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> QualityAlertPage:
    """Alerts whose window starts in the range: the carrier, the window, the metric, the worst
    hour beside its baseline and thresholds, and the evidence (mart ``quality_alerts``)."""
    date_from, date_to = _day_range(query, reader, QUALITY_ALERTS, "alert_date", tenant_id)
    table = reader.read_for_tenant(
        QUALITY_ALERTS,
        tenant_id,
        columns=list(QualityAlertRow.model_fields),
        date_range=DateRange("alert_date", date_from, date_to),
        equals=query.model_dump(include={"carrier_id", "severity"}, exclude_none=True),
        order_by=("window_start", "carrier_id"),
    )
    return QualityAlertPage(
        tenant_id=tenant_id,
        date_from=date_from,
        date_to=date_to,
        rows=[QualityAlertRow.model_validate(row) for row in table.to_pylist()],
    )


@router.get(
    "/revenue-impact",
    operation_id="getQualityRevenueImpact",
    summary="Call quality per month beside churn, NRR and usage trend",
    response_model=QualityRevenuePage,
    responses=_ERRORS,
)
def get_quality_revenue_impact(
    query: Annotated[MonthRangeQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> QualityRevenuePage:
    """The tenant's MOS band and poor-call band per month with its churn, retention and voice
    usage change (mart ``quality_revenue_impact``)."""
    month_from, month_to = _month_range(query, reader, tenant_id)
    table = reader.read_for_tenant(
        QUALITY_REVENUE_IMPACT,
        tenant_id,
        columns=list(QualityRevenueRow.model_fields),
        date_range=DateRange("month", month_from, month_to),
        order_by=("month",),
    )
    return QualityRevenuePage(
        tenant_id=tenant_id,
        month_from=month_from,
        month_to=month_to,
        rows=[QualityRevenueRow.model_validate(row) for row in table.to_pylist()],
    )


def _day_range(
    query: DayRangeQuery, reader: MartReader, mart: str, column: str, tenant_id: str
) -> tuple[date, date]:
    """The inclusive day range to answer: the one asked for, or a default window."""
    window = timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    date_from, date_to = query.date_from, query.date_to
    if date_to is None:
        if date_from is not None:
            date_to = _shift(date_from, window, "from")
        else:
            # Anchored on the data, not the clock: a tenant whose data stops still sees it.
            latest = reader.latest_for_tenant(mart, tenant_id, column)
            date_to = latest if isinstance(latest, date) else datetime.now(UTC).date()
    if date_from is None:
        date_from = _shift(date_to, -window, "to")
    days = (date_to - date_from).days + 1
    if days < 1:
        _invalid("to", f"'to' ({date_to}) must be on or after 'from' ({date_from})", date_to)
    if days > MAX_RANGE_DAYS:
        _invalid(
            "to", f"the range spans {days} days; at most {MAX_RANGE_DAYS} are allowed", date_to
        )
    return date_from, date_to


def _shift(day: date, by: timedelta, field: str) -> date:
    try:
        return day + by
    except OverflowError:  # a window past year 1 or 9999
        _invalid(field, f"a {DEFAULT_WINDOW_DAYS}-day window from {day} leaves the calendar", day)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _month_range(query: MonthRangeQuery, reader: MartReader, tenant_id: str) -> tuple[date, date]:
    """The inclusive month range to answer: the one asked for, or a default window."""
    month_from, month_to = query.month_from, query.month_to
    if month_to is None:
        if month_from is not None:
            month_to = _add_months(month_from, DEFAULT_WINDOW_MONTHS - 1)
        else:
            latest = reader.latest_for_tenant(QUALITY_REVENUE_IMPACT, tenant_id, "month")
            month_to = (latest if isinstance(latest, date) else datetime.now(UTC).date()).replace(
                day=1
            )
    if month_from is None:
        month_from = _add_months(month_to, -(DEFAULT_WINDOW_MONTHS - 1))
    months = (month_to.year - month_from.year) * 12 + month_to.month - month_from.month + 1
    if months < 1:
        _invalid("to", f"'to' ({month_to:%Y-%m}) must not be before 'from' ({month_from:%Y-%m})",
                 month_to)  # fmt: skip
    if months > MAX_RANGE_MONTHS:
        _invalid("to", f"the range spans {months} months; at most {MAX_RANGE_MONTHS} are allowed",
                 month_to)  # fmt: skip
    return month_from, month_to


def _invalid(field: str, message: str, value: date) -> NoReturn:
    raise RequestValidationError(
        [{"loc": ("query", field), "msg": message, "type": "date_range", "input": str(value)}]
    )
