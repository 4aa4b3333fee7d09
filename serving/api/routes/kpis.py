"""``GET /v1/kpis/calls/daily``: the caller's daily call KPIs (mart ``agg_call_kpis_daily``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, NoReturn

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ingest.contracts import Direction
from serving.api.deps import CurrentTenant, MartReaderDep
from serving.api.problems import problem_responses
from serving.marts import CALL_KPIS_DAILY
from warehouse.marts import DateRange, MartReader

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])

#: Longest range one request may ask for, both ends included (a leap year).
MAX_RANGE_DAYS = 366
#: Days returned when the request leaves one or both ends of the range open.
DEFAULT_WINDOW_DAYS = 30
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_ROW_COLUMNS = (
    "call_date",
    "direction",
    "offered",
    "answered",
    "queued",
    "abandoned",
    "answered_within_20s",
    "total_billsec",
    "asr",
    "acd_sec",
    "aht_sec",
    "abandon_rate",
    "service_level_20s",
)


def _iso_date(value: object) -> object:
    # Only YYYY-MM-DD: pydantic alone would also take "0" (as 1970-01-01) or a timestamp.
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise PydanticCustomError("date_format", "expected a calendar date as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


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
    date_from, date_to = _resolve_range(query, tenant_id, reader)
    table = reader.read_for_tenant(
        CALL_KPIS_DAILY,
        tenant_id,
        columns=_ROW_COLUMNS,
        date_range=DateRange("call_date", date_from, date_to),
        equals={"direction": query.direction.value} if query.direction else None,
        order_by=("call_date", "direction"),
    )
    return DailyCallKpis(
        tenant_id=tenant_id,
        date_from=date_from,
        date_to=date_to,
        direction=query.direction,
        rows=[DailyCallKpiRow.model_validate(row) for row in table.to_pylist()],
    )


def _resolve_range(
    query: DailyCallKpisQuery, tenant_id: str, reader: MartReader
) -> tuple[date, date]:
    """The inclusive range to answer: the one asked for, or a default window (then checked)."""
    window = timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    date_from, date_to = query.date_from, query.date_to
    if date_to is None:
        if date_from is not None:
            date_to = _shift(date_from, window, "from")
        else:
            # Anchored on the data, not the clock: a tenant whose data stops still sees it.
            latest = reader.latest_for_tenant(CALL_KPIS_DAILY, tenant_id, "call_date")
            date_to = latest if isinstance(latest, date) else datetime.now(UTC).date()
    if date_from is None:
        date_from = _shift(date_to, -window, "to")
    _check_range(date_from, date_to)
    return date_from, date_to


def _shift(day: date, by: timedelta, field: str) -> date:
    try:
        return day + by
    except OverflowError:  # a window past year 1 or 9999
        _invalid(field, f"a {DEFAULT_WINDOW_DAYS}-day window from {day} leaves the calendar", day)


def _check_range(date_from: date, date_to: date) -> None:
    days = (date_to - date_from).days + 1
    if days < 1:
        message = f"'to' ({date_to}) must be on or after 'from' ({date_from})"
    elif days > MAX_RANGE_DAYS:
        message = f"the range spans {days} days; at most {MAX_RANGE_DAYS} are allowed"
    else:
        return
    _invalid("to", message, date_to)


def _invalid(field: str, message: str, value: date) -> NoReturn:
    raise RequestValidationError(
        [{"loc": ("query", field), "msg": message, "type": "date_range", "input": str(value)}]
    )
