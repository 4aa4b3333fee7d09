"""``GET /v1/kpis/calls/daily``: the caller's daily call KPIs (mart ``agg_call_kpis_daily``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ingest.contracts import Direction
from serving.api.deps import CurrentTenant, MartReaderDep
from serving.api.problems import problem_responses
from serving.api.ranges import DAYS, IsoDate, RangedMartRead, RangePolicy
from serving.marts import CALL_KPIS_DAILY

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])

#: Longest range one request may ask for, both ends included (a leap year).
MAX_RANGE_DAYS = 366
#: Days returned when the request leaves one or both ends of the range open.
DEFAULT_WINDOW_DAYS = 30
#: The range policy: a default window of 30 days anchored on the tenant's latest day.
DAILY_KPI_DAYS = RangePolicy(DAYS, DEFAULT_WINDOW_DAYS, MAX_RANGE_DAYS)


class DailyCallKpisQuery(BaseModel):
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
            "latest day with data"
        ),
    )
    direction: Direction | None = Field(default=None, description="Only this call direction")


class DailyCallKpiRow(BaseModel):
    """One day and direction of the mart (definitions as documented in the dbt model)."""

    call_date: date = Field(description="UTC calendar date of the calls' start")
    direction: str = Field(description="inbound, outbound or internal")
    offered: int = Field(description="All calls")
    answered: int = Field(description="Calls answered")
    queued: int = Field(description="Calls that entered an ACD queue")
    abandoned: int = Field(description="Queued calls never answered")
    answered_within_20s: int = Field(description="Queued calls answered within 20 s of waiting")
    total_billsec: int = Field(description="Billable (talk) seconds of all calls")
    asr: float = Field(description="Answer-seizure ratio: answered / offered (0 to 1)")
    acd_sec: float | None = Field(description="total_billsec / answered; null if none answered")
    aht_sec: float | None = Field(
        description="Mean handle time (talk + hold + wrap-up) of agent-answered calls, s"
    )
    abandon_rate: float | None = Field(description="abandoned / queued; null if none queued")
    service_level_20s: float | None = Field(
        description="answered_within_20s / queued; null if none queued"
    )


class DailyCallKpis(BaseModel):
    tenant_id: str = Field(description="The tenant of the API key")
    date_from: date = Field(description="First day of the range answered (included)")
    date_to: date = Field(description="Last day of the range answered (included)")
    direction: Direction | None
    rows: list[DailyCallKpiRow] = Field(description="One row per day and direction, by date")


_DAILY_KPIS = RangedMartRead(
    CALL_KPIS_DAILY, DailyCallKpis, "call_date", DAILY_KPI_DAYS, ("call_date", "direction")
)


@router.get(
    "/calls/daily",
    operation_id="getDailyCallKpis",
    summary="Daily call KPIs of the caller's tenant",
    response_model=DailyCallKpis,
    responses=problem_responses(401, 422, 500, 503),
)
def get_daily_call_kpis(
    query: Annotated[DailyCallKpisQuery, Query()],
    tenant_id: CurrentTenant,
    reader: MartReaderDep,
) -> DailyCallKpis:
    return _DAILY_KPIS(
        reader,
        tenant_id,
        query.date_from,
        query.date_to,
        {"direction": query.direction.value if query.direction else None},
        page_fields={"direction": query.direction},
    )
