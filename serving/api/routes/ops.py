"""``GET /v1/ops/queues`` and ``GET /v1/ops/agents``: the caller's contact-centre statistics per
queue and 15-minute interval (mart ``queue_interval_stats``) and per agent and day (mart
``agent_performance_daily``); definitions in docs/voice_ops.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from serving.api.deps import CurrentTenant, MartReaderDep
from serving.api.problems import problem_responses
from serving.api.ranges import (
    DAYS,
    QUARTER_HOURS,
    DayPage,
    DayRangeQuery,
    IntervalPage,
    IntervalRangeQuery,
    RangedMartRead,
    RangePolicy,
)
from serving.marts import AGENT_PERFORMANCE_DAILY, QUEUE_INTERVAL_STATS

router = APIRouter(prefix="/v1/ops", tags=["voice ops"])

#: Queue intervals: one day (96 intervals) by default, at most 31 days.
QUEUE_INTERVALS = RangePolicy(QUARTER_HOURS, default_span=96, max_span=31 * 96)
#: Agent days: a month by default, at most a year.
AGENT_DAYS = RangePolicy(DAYS, default_span=31, max_span=366)
_ERRORS = problem_responses(401, 422, 500, 503)
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"


class QueueIntervalRow(BaseModel):
    """One queue's calls and agent time in one 15-minute interval (calls count in the interval
    of their start)."""

    queue_id: str = Field(description="ACD queue")
    interval_start: datetime = Field(description="Start of the 15-minute interval (UTC)")
    offered: int = Field(description="Queued calls that started in the interval")
    handled: int = Field(description="Offered calls an agent answered")
    abandoned: int = Field(description="Offered calls never answered")
    answered_within_20s: int = Field(description="Offered calls answered within 20 s of waiting")
    service_level_20s: float | None = Field(
        description="answered_within_20s / offered; null when nothing was offered"
    )
    abandon_rate: float | None = Field(description="abandoned / offered; null when none offered")
    asa_sec: float | None = Field(
        description="Average speed of answer: queue wait of handled calls / handled; null if none"
    )
    aht_sec: float | None = Field(
        description="Average handle time (talk + hold + wrap-up) of handled calls; null if none"
    )
    staffed_sec: float = Field(
        description="Seconds the queue's agents were ready, on_call or wrap_up in the interval"
    )
    busy_sec: float = Field(description="Seconds the queue's agents were on_call or wrap_up")
    occupancy: float | None = Field(
        description="busy_sec / staffed_sec (0 to 1); null when no agent was staffed"
    )


class QueueIntervalPage(IntervalPage[QueueIntervalRow]):
    """The caller's queue intervals in the range, by interval start, then queue."""


class AgentPerformanceRow(BaseModel):
    """One agent's calls and state time on one UTC day."""

    agent_id: str = Field(description="Agent")
    activity_date: date = Field(description="UTC day")
    handled: int = Field(description="Calls the agent answered that started this day")
    talk_sec: int = Field(description="Talk (billable) seconds of those calls")
    hold_sec: int = Field(description="Hold seconds of those calls")
    wrapup_sec: int = Field(description="Wrap-up seconds of those calls")
    aht_sec: float | None = Field(
        description="(talk + hold + wrap-up) / handled; null when none handled"
    )
    staffed_sec: float = Field(description="Seconds ready, on_call or wrap_up")
    busy_sec: float = Field(description="Seconds on_call or wrap_up")
    not_ready_sec: float = Field(description="Seconds not_ready (breaks, lunch, training)")
    occupancy: float | None = Field(description="busy_sec / staffed_sec; null when not staffed")
    adherence: float | None = Field(
        description=(
            "Time whose state matched the schedule / logged-in time scheduled open, break, lunch "
            "or training; null when none was scheduled"
        )
    )


class AgentPerformancePage(DayPage[AgentPerformanceRow]):
    """The caller's agent days in the day range, by day, then agent."""


class QueueQuery(IntervalRangeQuery):
    """A range of intervals and, optionally, one queue."""

    queue_id: str | None = Field(default=None, pattern=_ID_PATTERN, description="Only this queue")


class AgentQuery(DayRangeQuery):
    """A day range and, optionally, one agent."""

    agent_id: str | None = Field(default=None, pattern=_ID_PATTERN, description="Only this agent")


_QUEUES = RangedMartRead(
    QUEUE_INTERVAL_STATS,
    QueueIntervalPage,
    "interval_start",
    QUEUE_INTERVALS,
    ("interval_start", "queue_id"),
    range_fields=("interval_from", "interval_to"),
)
_AGENTS = RangedMartRead(
    AGENT_PERFORMANCE_DAILY,
    AgentPerformancePage,
    "activity_date",
    AGENT_DAYS,
    ("activity_date", "agent_id"),
)


@router.get(
    "/queues",
    operation_id="getQueueIntervals",
    summary="Queue statistics per 15-minute interval",
    response_model=QueueIntervalPage,
    responses=_ERRORS,
)
def get_queue_intervals(
    query: Annotated[QueueQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> QueueIntervalPage:
    """Offered, handled, abandoned, service level, ASA, AHT and occupancy per queue and
    15-minute UTC interval (mart ``queue_interval_stats``). Without ``from``/``to``: the day
    of intervals up to the tenant's latest one."""
    first, last = query.instants()
    return _QUEUES(reader, tenant_id, first, last, {"queue_id": query.queue_id})


@router.get(
    "/agents",
    operation_id="getAgentPerformance",
    summary="Agent performance per day",
    response_model=AgentPerformancePage,
    responses=_ERRORS,
)
def get_agent_performance(
    query: Annotated[AgentQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> AgentPerformancePage:
    """Calls handled with talk, hold, wrap-up and AHT, and state time (staffed, busy, not
    ready, occupancy, adherence) per agent and UTC day (mart ``agent_performance_daily``)."""
    return _AGENTS(reader, tenant_id, query.date_from, query.date_to, {"agent_id": query.agent_id})
