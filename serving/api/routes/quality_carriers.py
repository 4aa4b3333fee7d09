"""``GET /v1/quality/carriers``, ``/v1/quality/alerts`` and ``/v1/quality/revenue-impact``: the
caller's carrier scorecard, carrier quality alerts and quality beside churn and usage.

Each endpoint reads one published dbt mart (definitions: docs/quality.md) through the shared
:class:`MartReader`, scoped to the key's tenant and filtered by a date (or month) range. Exact
ratios and money are decimals serialised as JSON strings; MOS and scores are floats.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from serving.api.deps import CurrentTenant, MartReaderDep
from serving.api.problems import problem_responses
from serving.api.ranges import (
    DAYS,
    MONTHS,
    DayPage,
    DayRangeQuery,
    MonthPage,
    MonthRangeQuery,
    RangedMartRead,
    RangePolicy,
)
from serving.marts import CARRIER_SCORECARD, QUALITY_ALERTS, QUALITY_REVENUE_IMPACT

router = APIRouter(prefix="/v1/quality", tags=["quality"])

#: Day ranges: 30 days by default, at most a (leap) year; month ranges: 12 months, at most 120.
CARRIER_DAYS = RangePolicy(DAYS, default_span=30, max_span=366)
IMPACT_MONTHS = RangePolicy(MONTHS, default_span=12, max_span=120)
_ERRORS = problem_responses(401, 422, 500, 503)

Severity = Literal["warning", "critical"]
AlertRule = Literal["threshold", "baseline", "threshold+baseline"]
BaselineKind = Literal["judged", "early"]
MosBand = Literal["good", "fair", "poor"]
PoorShareBand = Literal["low", "elevated", "high"]


class CarrierDayQuery(DayRangeQuery):
    """A day range and, optionally, one carrier."""

    carrier_id: str | None = Field(default=None, max_length=128, description="Only this carrier")


class CarrierQuery(CarrierDayQuery):
    """A day range (UTC days of the calls' start), optionally one carrier and one currency."""

    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="Only this currency (ISO 4217, e.g. USD)"
    )


class AlertQuery(CarrierDayQuery):
    """A day range (UTC day each alert's window starts), optionally one carrier and severity."""

    severity: Severity | None = Field(default=None, description="Only alerts of this severity")


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
    baseline_kind: BaselineKind | None = Field(
        description="judged: the carrier's judged hours (>= 5 calls) in the 7 days before that "
        "hour, at least 6 of them; early: fewer, so all its hours with calls in those days "
        "(>= 6 hours, >= 30 calls); null: no baseline yet (threshold rule only)"
    )
    baseline_mos: float | None = Field(
        description="Median MOS of the baseline's hours (of the judged hours there are when "
        "baseline_kind is null)"
    )
    baseline_hours: int = Field(description="Hours in that baseline")
    baseline_calls: int = Field(description="Calls in those hours")
    baseline_limit_mos: float | None = Field(
        description="baseline_mos - the required drop; null when baseline_kind is null"
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


class CarrierScorecardPage(DayPage[CarrierScorecardRow]):
    """The caller's scorecard rows in the day range, by day, currency, then carrier."""


class QualityAlertPage(DayPage[QualityAlertRow]):
    """The caller's alerts whose window starts in the day range, by window start, then
    carrier."""


class QualityRevenuePage(MonthPage[QualityRevenueRow]):
    """The caller's quality and revenue rows in the month range, by month."""


_SCORECARD = RangedMartRead(
    CARRIER_SCORECARD,
    CarrierScorecardPage,
    "call_date",
    CARRIER_DAYS,
    ("call_date", "currency", "carrier_id"),
)
_ALERTS = RangedMartRead(
    QUALITY_ALERTS, QualityAlertPage, "alert_date", CARRIER_DAYS, ("window_start", "carrier_id")
)
_REVENUE_IMPACT = RangedMartRead(
    QUALITY_REVENUE_IMPACT,
    QualityRevenuePage,
    "month",
    IMPACT_MONTHS,
    ("month",),
    range_fields=("month_from", "month_to"),
)


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
    return _SCORECARD.for_query(reader, tenant_id, query)


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
    return _ALERTS.for_query(reader, tenant_id, query)


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
    return _REVENUE_IMPACT.for_query(reader, tenant_id, query)
