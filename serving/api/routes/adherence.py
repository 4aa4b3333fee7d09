"""``GET /v1/wfm/adherence``: real-time schedule adherence of the caller's agents.

Reads the tenant's recent agent state events (``warehouse.agent_states``: the hot store in the
server profile, the lake in the embedded one) from the UTC midnight of ``as_of`` (plus each
agent's last event before it) and runs ``models_ml.wfm.adherence.realtime_adherence`` on them:
per agent the current state, the scheduled activity, in or out of adherence and since when, and
adherence so far today. The schedule is each event's ``scheduled_activity`` (what the ACD said
the schedule was at that event), held until the agent's next event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models_ml.wfm.adherence import realtime_adherence
from serving.api.deps import AgentStatesDep, CurrentTenant, NowDep
from serving.api.recent_reads import RECENT_READ_ERRORS, read_recent

router = APIRouter(prefix="/v1/wfm", tags=["workforce management"])

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
#: Replays: how far back an explicit as_of may go (the hot store keeps days, not months).
MAX_REPLAY = timedelta(days=31)


class AdherenceQuery(BaseModel):
    """Optional filters and the replay time. Unknown parameters are rejected with 422."""

    model_config = ConfigDict(extra="forbid")

    agent_id: str | None = Field(default=None, pattern=_ID_PATTERN, description="Only this agent")
    queue_id: str | None = Field(
        default=None,
        pattern=_ID_PATTERN,
        description="Only agents with an event on this queue today (or their last one before)",
    )
    as_of: AwareDatetime | None = Field(
        default=None, description="Replay at this time (default now); not in the future"
    )


class AgentAdherence(BaseModel):
    """One agent's adherence at ``as_of``."""

    agent_id: str = Field(description="ACD agent")
    state: str = Field(description="Current state (logout when never seen)")
    state_since: datetime | None = Field(description="When the current state began")
    scheduled_activity: str = Field(
        description="Scheduled activity now: open, break, lunch, training or off"
    )
    in_adherence: bool = Field(description="Whether the state matches the scheduled activity")
    out_of_adherence_since: datetime | None = Field(
        description="Start of the unbroken out-of-adherence run up to as_of (may be before "
        "day_start); null when in adherence"
    )
    adherent_seconds: float = Field(description="Scheduled seconds today spent adherent")
    scheduled_seconds: float = Field(description="Seconds today scheduled open or away")
    adherence: float | None = Field(
        description="adherent_seconds / scheduled_seconds (null when nothing was scheduled)"
    )


class AdherenceResponse(BaseModel):
    """The caller's agents at ``as_of``, by agent id."""

    tenant_id: str = Field(description="The tenant of the API key")
    as_of: datetime = Field(description="The time adherence is evaluated at")
    day_start: datetime = Field(description="Start of 'today' (as_of's UTC midnight)")
    agents: list[AgentAdherence] = Field(description="One row per agent, by agent_id")


@router.get(
    "/adherence",
    operation_id="getWfmAdherence",
    summary="Real-time adherence of the caller's agents",
    response_model=AdherenceResponse,
    responses=RECENT_READ_ERRORS,
)
async def get_adherence(
    query: Annotated[AdherenceQuery, Query()],
    tenant_id: CurrentTenant,
    reader: AgentStatesDep,
    now: NowDep,
) -> AdherenceResponse:
    """Per agent: current state, scheduled activity, in or out of adherence and since when, and
    adherence so far today, from the tenant's recent agent state events."""
    as_of = query.as_of or now
    if as_of > now:
        raise HTTPException(422, "as_of: must not be in the future")
    if as_of < now - MAX_REPLAY:
        raise HTTPException(422, f"as_of: replays reach back {MAX_REPLAY.days} days at most")
    day_start = pd.Timestamp(as_of).tz_convert("UTC").normalize().to_pydatetime()
    events = await read_recent(
        lambda: reader.agent_state_events(tenant_id, day_start, as_of, query.agent_id),
        what="agent states",
    )
    if query.queue_id is not None:
        on_queue = set(events.loc[events["queue_id"] == query.queue_id, "agent_id"])
        events = events[events["agent_id"].isin(on_queue)]
    table = realtime_adherence(events, as_of, day_start=day_start)
    agents = [
        AgentAdherence(
            agent_id=str(row["agent_id"]),
            state=str(row["state"]),
            state_since=_stamp(row["state_since"]),
            scheduled_activity=str(row["scheduled_activity"]),
            in_adherence=bool(row["in_adherence"]),
            out_of_adherence_since=_stamp(row["out_of_adherence_since"]),
            adherent_seconds=float(row["adherent_seconds"]),
            scheduled_seconds=float(row["scheduled_seconds"]),
            adherence=None if pd.isna(row["adherence"]) else float(row["adherence"]),
        )
        for row in table.to_dict("records")
    ]
    return AdherenceResponse(tenant_id=tenant_id, as_of=as_of, day_start=day_start, agents=agents)


def _stamp(value: Any) -> datetime | None:
    """A pandas timestamp (or NaT/None) as the response's datetime."""
    if value is None or pd.isna(value):
        return None
    stamp: datetime = pd.Timestamp(value).to_pydatetime()
    return stamp
