"""``GET /v1/campaigns/{campaign_id}/funnel``: one outbound campaign's dialer funnel per dial mode
and UTC day, with abandonment against the 3 % rule (mart ``campaign_funnel``; docs/voice_ops.md).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field

from serving.api.deps import CurrentTenant, MartReaderDep
from serving.api.problems import problem_responses
from serving.api.ranges import DAYS, DayPage, DayRangeQuery, RangedMartRead, RangePolicy
from serving.marts import CAMPAIGN_FUNNEL

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])

#: Campaign days: 90 days by default (three 30-day abandonment windows), at most a year.
CAMPAIGN_DAYS = RangePolicy(DAYS, default_span=90, max_span=366)
_ERRORS = problem_responses(
    401,
    404,
    422,
    500,
    503,
    descriptions={404: "The caller has no attempts of this campaign"},
)

DialMode = Literal["preview", "progressive", "predictive"]


class FunnelRow(BaseModel):
    """The campaign's attempts in one dial mode on one UTC day, from attempt to conversion."""

    dial_mode: DialMode = Field(description="preview, progressive or predictive")
    attempt_date: date = Field(description="UTC day of the attempts")
    attempts: int = Field(description="All attempts, blocked ones included")
    dialled: int = Field(description="Attempts actually dialled (not blocked by DNC or curfew)")
    live_connects: int = Field(description="A person answered (answered or abandoned)")
    agent_connects: int = Field(description="Answered and connected to an agent")
    right_party_contacts: int = Field(description="Connected to the intended person")
    conversions: int = Field(description="Right-party contacts that converted")
    abandoned: int = Field(description="A person answered but no agent was free (dropped)")
    voicemail: int = Field(description="Answering machine detected")
    no_answer: int = Field(description="Not answered")
    busy: int = Field(description="Busy")
    failed: int = Field(description="Network failure or invalid number")
    dnc_blocks: int = Field(description="Never dialled: number on a do-not-call list")
    curfew_blocks: int = Field(description="Never dialled: outside permitted local calling hours")
    dispositioned: int = Field(description="Answered attempts with an agent disposition code")
    contact_rate: float | None = Field(
        description="live_connects / dialled; null when nothing was dialled"
    )
    conversion_rate: float | None = Field(
        description="conversions / right_party_contacts; null when none"
    )
    abandonment_rate: float | None = Field(
        description="abandoned / live_connects that day; null when none"
    )
    abandoned_30d: int = Field(description="Abandoned attempts over the 30 days ending this day")
    live_connects_30d: int = Field(description="Live connects over the same 30 days")
    abandonment_rate_30d: float | None = Field(
        description="abandoned_30d / live_connects_30d; null when none"
    )
    exceeds_3pct_rule: bool = Field(
        description="Predictive dialing with abandonment_rate_30d above 3 % (US TSR, Ofcom)"
    )


class FunnelPage(DayPage[FunnelRow]):
    """The campaign's funnel rows in the day range, by day, then dial mode."""

    campaign_id: str = Field(description="The campaign")


class FunnelQuery(DayRangeQuery):
    """A day range and, optionally, one dial mode."""

    dial_mode: DialMode | None = Field(default=None, description="Only this dial mode")


_FUNNEL = RangedMartRead(
    CAMPAIGN_FUNNEL, FunnelPage, "attempt_date", CAMPAIGN_DAYS, ("attempt_date", "dial_mode")
)
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"


@router.get(
    "/{campaign_id}/funnel",
    operation_id="getCampaignFunnel",
    summary="A campaign's dialer funnel per day",
    response_model=FunnelPage,
    responses=_ERRORS,
)
def get_campaign_funnel(
    campaign_id: Annotated[str, Path(pattern=_ID_PATTERN, description="The campaign's id")],
    query: Annotated[FunnelQuery, Query()],
    tenant_id: CurrentTenant,
    reader: MartReaderDep,
) -> FunnelPage:
    """Attempts, dialled, live and agent connects, right-party contacts, conversions, every
    outcome, and abandonment per day and over 30 days against the 3 % rule, per dial mode
    (mart ``campaign_funnel``). Without ``from``/``to``: the 90 days up to the campaign's latest
    day. 404 when the caller has no attempt of this campaign (another tenant's campaign of the
    same id is never seen)."""
    days = reader.read_for_tenant(
        CAMPAIGN_FUNNEL, tenant_id, columns=["attempt_date"], equals={"campaign_id": campaign_id}
    ).column("attempt_date")
    if len(days) == 0:
        raise HTTPException(404, f"no attempts of campaign {campaign_id!r}")
    latest = max(days.to_pylist())
    return _FUNNEL(
        reader,
        tenant_id,
        query.date_from,
        query.date_to,
        {"campaign_id": campaign_id, "dial_mode": query.dial_mode},
        latest=lambda: latest,
        page_fields={"campaign_id": campaign_id},
    )
