"""``GET /v1/anomalies`` and ``GET /v1/incidents``: the caller's anomalous KPI buckets and the
incidents they make up, as the anomaly pipeline published them (pipelines/anomaly, marts
``anomalies`` and ``incidents``; definitions in docs/anomalies.md). The API never runs the
detection.

Ranges are of 15-minute intervals (the hourly buckets scored lie on that grid): ``from``/``to``
take a day or a date-time. Anomalies are filtered by their bucket; incidents by overlap (an
incident that started before ``from`` and is still going on, or ended after it, is answered).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from serving.api.deps import CurrentTenant, MartReaderDep
from serving.api.problems import problem_responses
from serving.api.ranges import QUARTER_HOURS, IntervalRangeQuery, RangePolicy, row_columns
from serving.marts import ANOMALIES, INCIDENTS
from warehouse.marts import DateRange

router = APIRouter(tags=["anomalies"])

#: One week (672 intervals) by default, at most 93 days.
ANOMALY_RANGE = RangePolicy(QUARTER_HOURS, default_span=7 * 96, max_span=93 * 96)
_ERRORS = problem_responses(401, 422, 500, 503)
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"

Kpi = Literal[
    "call_volume",
    "asr",
    "acd_sec",
    "cost",
    "mos",
    "abandon_rate",
    "message_volume",
    "sms_delivery_rate",
    "email_bounce_rate",
    "spend",
]
Dimension = Literal["tenant", "carrier", "queue", "channel", "provider"]
Direction = Literal["up", "down"]
Status = Literal["open", "closed"]
Severity = Literal["warning", "critical"]


class AnomalyRow(BaseModel):
    """One anomalous bucket of one KPI series."""

    anomaly_id: str = Field(description="Stable id: series, grain and bucket")
    dimension: Dimension = Field(description="What the series is cut by ('tenant': all of it)")
    dimension_value: str = Field(description="The carrier, queue, channel or provider; 'all'")
    kpi: Kpi = Field(description="The KPI (docs/anomalies.md, KPI series)")
    grain_minutes: int = Field(description="Bucket length in minutes")
    bucket_start: datetime = Field(description="Start of the anomalous bucket (UTC)")
    value: float = Field(description="The KPI's value in the bucket")
    expected: float = Field(description="What the series' seasonal baseline expected")
    lower: float = Field(description="Lower end of the interval of normal values")
    upper: float = Field(description="Upper end of the interval of normal values")
    deviation: float = Field(description="value - expected, in the KPI's unit")
    direction: Direction = Field(description="up: above expected; down: below")
    score: float = Field(description="Calibrated anomaly score, 0 to 1 (higher: surer)")
    method: str = Field(description="The detection method run (e.g. ensemble)")
    detectors: str = Field(description="Detectors that flagged the bucket, comma-separated")
    explanation: str = Field(description="Which series moved, by how much against expected")
    drill_down: str | None = Field(
        description="Tenant-level anomalies: the carrier/queue/channel/provider series that were "
        "anomalous in the same bucket, largest relative deviation first; null otherwise"
    )


class IncidentRow(BaseModel):
    """Consecutive anomalous buckets of a series, merged into one incident."""

    incident_id: str = Field(description="Stable id (kept across pipeline runs)")
    dimension: Dimension = Field(description="The series' dimension (the most specific moved)")
    dimension_value: str = Field(description="The carrier, queue, channel or provider; 'all'")
    kpi: Kpi = Field(description="The KPI")
    grain_minutes: int = Field(description="Bucket length in minutes")
    start: datetime = Field(description="Start of the first anomalous bucket (UTC)")
    end: datetime = Field(description="Start of the last anomalous bucket so far (UTC)")
    severity: Severity = Field(description="warning or critical (from the peak evidence)")
    peak_score: float = Field(description="Highest calibrated score of its buckets, 0 to 1")
    direction: Direction | None = Field(description="Direction of its strongest bucket")
    status: Status = Field(
        description="open until the series has been scored 3 buckets past its end, then closed"
    )
    alert: bool = Field(
        description="false for an incident in the cooldown of the previous one on the same "
        "series that is not more severe (a repeat raises no new alert)"
    )
    explanation: str = Field(description="Which series moved, by how much against expected")
    first_seen: datetime = Field(description="When the pipeline first published it (UTC)")
    last_seen: datetime = Field(description="When a pipeline run last extended it (UTC)")


class AnomalyPage(BaseModel):
    """The caller's anomalies in the range, by bucket, then series."""

    tenant_id: str = Field(description="The tenant of the API key")
    interval_from: datetime = Field(description="Start of the first interval answered (UTC)")
    interval_to: datetime = Field(description="Start of the last interval answered (UTC)")
    rows: list[AnomalyRow] = Field(description="One row per anomalous bucket of a series")


class IncidentPage(BaseModel):
    """The caller's incidents overlapping the range, by start, then id."""

    tenant_id: str = Field(description="The tenant of the API key")
    interval_from: datetime = Field(description="Start of the first interval answered (UTC)")
    interval_to: datetime = Field(description="Start of the last interval answered (UTC)")
    rows: list[IncidentRow] = Field(description="One row per incident")


class AnomalyQuery(IntervalRangeQuery):
    """A range of intervals; optionally one KPI, one dimension (and value), a minimum score."""

    kpi: Kpi | None = Field(default=None, description="Only this KPI")
    dimension: Dimension | None = Field(default=None, description="Only this dimension")
    dimension_value: str | None = Field(
        default=None, pattern=_ID_PATTERN, description="Only this carrier, queue, channel, ..."
    )
    min_score: float | None = Field(
        default=None, ge=0, le=1, description="Only anomalies scoring at least this (0 to 1)"
    )


class IncidentQuery(IntervalRangeQuery):
    """A range of intervals; optionally one status and one severity."""

    status: Status | None = Field(default=None, description="Only open or only closed incidents")
    severity: Severity | None = Field(default=None, description="Only this severity")


@router.get(
    "/v1/anomalies",
    operation_id="getAnomalies",
    summary="Anomalous KPI buckets with expected value, interval, score and explanation",
    response_model=AnomalyPage,
    responses=_ERRORS,
)
def get_anomalies(
    query: Annotated[AnomalyQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> AnomalyPage:
    """Buckets of the caller's KPI series (tenant, carrier, queue, channel, provider) that the
    anomaly pipeline flagged, in the range: the value, the expected value and interval, the
    calibrated score, the detectors and which dimension moved (mart ``anomalies``)."""
    first, last = ANOMALY_RANGE.resolve(
        *query.instants(),
        lambda: reader.latest_for_tenant(ANOMALIES, tenant_id, "bucket_start"),
    )
    table = reader.read_for_tenant(
        ANOMALIES,
        tenant_id,
        columns=row_columns(AnomalyPage),
        date_range=DateRange("bucket_start", first, last),
        equals=query.model_dump(include={"kpi", "dimension", "dimension_value"}, exclude_none=True),
        order_by=("bucket_start", "dimension", "dimension_value", "kpi"),
    )
    rows = [
        row
        for row in table.to_pylist()
        if query.min_score is None or row["score"] >= query.min_score
    ]
    return AnomalyPage.model_validate(
        {"tenant_id": tenant_id, "interval_from": first, "interval_to": last, "rows": rows}
    )


@router.get(
    "/v1/incidents",
    operation_id="getIncidents",
    summary="Incidents: merged anomalies with start, end, severity, status and explanation",
    response_model=IncidentPage,
    responses=_ERRORS,
)
def get_incidents(
    query: Annotated[IncidentQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> IncidentPage:
    """The caller's incidents overlapping the range (started before its end and ended at or
    after its start), optionally only open/closed ones or one severity (mart ``incidents``)."""
    first, last = ANOMALY_RANGE.resolve(
        *query.instants(),
        lambda: reader.latest_for_tenant(INCIDENTS, tenant_id, "end"),
    )
    table = reader.read_for_tenant(
        INCIDENTS,
        tenant_id,
        columns=row_columns(IncidentPage),
        date_range=DateRange("start", None, last),
        equals=query.model_dump(include={"status", "severity"}, exclude_none=True),
        order_by=("start", "incident_id"),
    )
    # Overlap: the read bounded the start; the end is bounded here (incidents are few).
    rows = [row for row in table.to_pylist() if _utc(row["end"]) >= first]
    return IncidentPage.model_validate(
        {"tenant_id": tenant_id, "interval_from": first, "interval_to": last, "rows": rows}
    )


def _utc(value: datetime) -> datetime:
    # A warehouse may hand back naive UTC timestamps.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
