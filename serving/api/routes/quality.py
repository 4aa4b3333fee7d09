"""``GET /v1/quality/calls/{call_id}`` and ``GET /v1/quality/agents``: the caller's call quality
(E-model MOS per call and leg, docs/quality.md) from the marts ``call_quality``,
``call_quality_legs`` and ``quality_by_agent_day``, scoped to the key's tenant.

(``/v1/quality/carriers``, ``/alerts`` and ``/revenue-impact`` live in ``quality_carriers.py``.)
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from serving.api.deps import CurrentTenant, MartReaderDep
from serving.api.problems import problem_responses
from serving.api.ranges import DAYS, DayPage, DayRangeQuery, RangedMartRead, RangePolicy
from serving.marts import CALL_QUALITY, CALL_QUALITY_LEGS, QUALITY_BY_AGENT_DAY

router = APIRouter(prefix="/v1/quality", tags=["quality"])

#: Agent-day ranges: a month by default, at most a year.
AGENT_DAYS = RangePolicy(DAYS, default_span=31, max_span=366)
_ERRORS = problem_responses(401, 422, 500, 503)
_CALL_ERRORS = problem_responses(
    401,
    404,
    422,
    500,
    503,
    descriptions={404: "No quality for this call id among the caller's calls"},
)

Impairment = Literal["loss", "jitter", "delay", "codec", "none"]
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"


class NoQuery(BaseModel):
    """No query parameter: unknown ones (``tenant_id`` included) are rejected with 422."""

    model_config = ConfigDict(extra="forbid")


class LegQuality(BaseModel):
    """One leg's figures and E-model terms (mart ``call_quality_legs``), time-weighted over the
    leg's reports. R = 93.2 - Idd - Ie,eff with Ie,eff = ie + loss_impairment."""

    leg: Literal["a", "b"] = Field(description="a = caller side, b = callee side")
    codec: str = Field(description="Codec of the leg's reports")
    reports: int = Field(description="RTCP reports of the leg")
    seconds: float = Field(description="Seconds the reports cover")
    mos: float = Field(description="Time-weighted MOS of the leg")
    r_factor: float = Field(description="Time-weighted R of the leg")
    min_report_mos: float = Field(description="The lowest MOS of a single report of the leg")
    loss_pct: float = Field(description="Packet loss, %")
    jitter_ms: float = Field(description="Interarrival jitter, ms")
    rtt_ms: float | None = Field(description="Round-trip time, ms; null when no report has one")
    network_delay_ms: float = Field(description="Network share of the one-way delay (RTT/2), ms")
    jitter_buffer_ms: float = Field(
        description="De-jitter buffer (twice the jitter, at least one packet), ms"
    )
    one_way_delay_ms: float = Field(
        description="One-way delay Ta = network + buffer + packetisation + look-ahead, ms"
    )
    idd: float = Field(description="Delay impairment Idd (0 up to Ta = 100 ms)")
    ie: float = Field(description="The codec's equipment impairment Ie")
    loss_impairment: float = Field(description="Loss impairment Ie,eff - Ie")
    dominant_impairment: Impairment = Field(
        description="The leg's largest impairment (loss, delay or jitter, codec; none under 5)"
    )


class CallQuality(BaseModel):
    """One call's quality: the E-model over every RTCP report of both legs (mart
    ``call_quality``; docs/quality.md has the formulas). Figures are time-weighted means over
    the reports (weight: seconds since the leg's previous report), rounded to 4 decimals."""

    tenant_id: str = Field(description="The tenant of the API key")
    call_id: str = Field(description="The call")
    codec: str = Field(description="Codec of the reports (the smallest name when legs differ)")
    reports: int = Field(description="RTCP reports counted")
    legs: int = Field(description="Legs that reported (1 or 2)")
    mos: float = Field(description="MOS (1 to 4.5), time-weighted over both legs")
    r_factor: float = Field(description="R (0 to 100), time-weighted over both legs")
    is_poor: bool = Field(description="mos < 3.6")
    worst_leg: str = Field(description="The leg with the lowest time-weighted MOS (a before b)")
    worst_leg_mos: float = Field(description="That leg's time-weighted MOS")
    min_report_mos: float = Field(description="The lowest MOS of any single report")
    loss_pct: float = Field(description="Packet loss over the reports' intervals, %")
    jitter_ms: float = Field(description="Interarrival jitter, ms")
    rtt_ms: float | None = Field(
        description="Round-trip time over the reports that carry one; null when none does"
    )
    one_way_delay_ms: float = Field(
        description="One-way delay Ta: RTT/2 + de-jitter buffer + packetisation + look-ahead, ms"
    )
    dominant_impairment: Impairment = Field(
        description=(
            "The worst leg's largest impairment: loss (Ie,eff - Ie), delay or jitter (Idd; "
            "jitter when the de-jitter buffer outweighs RTT/2), codec (Ie); none under 5 R points"
        )
    )
    leg_figures: list[LegQuality] = Field(
        description="Each leg's figures and E-model terms, leg a first"
    )


class AgentQualityRow(BaseModel):
    """Call quality of the calls one agent answered on one UTC day."""

    agent_id: str = Field(description="Agent who answered the calls")
    call_date: date = Field(description="UTC day of the calls' start")
    calls: int = Field(description="Calls with a MOS")
    mos_mean: float | None = Field(description="Mean call MOS")
    mos_p5: float | None = Field(description="5th percentile of call MOS (linear interpolation)")
    mos_p50: float | None = Field(description="Median call MOS")
    poor_calls: int = Field(description="Calls with MOS < 3.6")
    poor_share: float | None = Field(description="poor_calls / calls")
    jitter_ms_p50: float | None = Field(description="Median of the calls' jitter, ms")
    jitter_ms_p95: float | None = Field(description="95th percentile of the calls' jitter, ms")
    loss_pct_p50: float | None = Field(description="Median of the calls' packet loss, %")
    loss_pct_p95: float | None = Field(description="95th percentile of the calls' loss, %")
    rtt_ms_p50: float | None = Field(
        description="Median of the calls' RTT, ms (calls without RTT left out; null if none)"
    )
    rtt_ms_p95: float | None = Field(description="95th percentile of the calls' RTT, ms")


class AgentQualityPage(DayPage[AgentQualityRow]):
    """The caller's agent-day quality rows in the day range, by day, then agent."""


class AgentDayQuery(DayRangeQuery):
    """A day range and, optionally, one agent."""

    agent_id: str | None = Field(default=None, pattern=_ID_PATTERN, description="Only this agent")


_AGENTS = RangedMartRead(
    QUALITY_BY_AGENT_DAY, AgentQualityPage, "call_date", AGENT_DAYS, ("call_date", "agent_id")
)


@router.get(
    "/calls/{call_id}",
    operation_id="getCallQuality",
    summary="One call's quality (E-model MOS, R, impairments)",
    response_model=CallQuality,
    responses=_CALL_ERRORS,
)
def get_call_quality(
    call_id: Annotated[UUID, Path(description="The call's id (a UUID)")],
    query: Annotated[NoQuery, Query()],
    tenant_id: CurrentTenant,
    reader: MartReaderDep,
) -> CallQuality:
    """MOS, R, loss, jitter, delay, the worst leg and the dominant impairment of one of the
    caller's calls (mart ``call_quality``), with each leg's figures and E-model terms (Idd, Ie,
    Ie,eff - Ie; mart ``call_quality_legs``). 404 when the caller has no such call, whether it
    does not exist, belongs to another tenant, or had no RTCP from a codec with E-model
    values: the answer never tells another tenant's calls apart."""
    equals = {"call_id": str(call_id)}
    own = {"tenant_id", "leg_figures"}
    table = reader.read_for_tenant(
        CALL_QUALITY,
        tenant_id,
        columns=[name for name in CallQuality.model_fields if name not in own],
        equals=equals,
        limit=1,
    )
    if table.num_rows == 0:
        raise HTTPException(404, f"no call quality for call {call_id}")
    legs = reader.read_for_tenant(
        CALL_QUALITY_LEGS,
        tenant_id,
        columns=list(LegQuality.model_fields),
        equals=equals,
        order_by=("leg",),
    )
    return CallQuality.model_validate(
        {"tenant_id": tenant_id, **table.to_pylist()[0], "leg_figures": legs.to_pylist()}
    )


@router.get(
    "/agents",
    operation_id="getAgentQuality",
    summary="Call quality per agent and day",
    response_model=AgentQualityPage,
    responses=_ERRORS,
)
def get_agent_quality(
    query: Annotated[AgentDayQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> AgentQualityPage:
    """MOS mean / p5 / p50, poor calls and their share, jitter, loss and RTT percentiles of the
    calls each agent answered, per UTC day (mart ``quality_by_agent_day``)."""
    return _AGENTS(reader, tenant_id, query.date_from, query.date_to, {"agent_id": query.agent_id})
