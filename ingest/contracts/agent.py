"""Contact-center agent state change."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import Field

from ingest.contracts.common import EventBase, Identifier


class AgentState(StrEnum):
    LOGIN = "login"
    READY = "ready"
    NOT_READY = "not_ready"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    LOGOUT = "logout"


class AgentStateChange(EventBase):
    """The agent entered ``state`` at ``occurred_at``; it lasts until the agent's next event."""

    family: ClassVar[str] = "agent"

    agent_id: Identifier
    state: AgentState
    reason: Identifier | None = Field(default=None, description="Not-ready reason code")
    queue_id: Identifier | None = None
    call_id: UUID | None = None
    scheduled_activity: Identifier | None = Field(
        default=None, description="What the schedule said at this time (for adherence)"
    )

    @classmethod
    def cross_field_rules(cls, event: Any) -> dict[str, Any]:
        if event.reason is not None and event.state != AgentState.NOT_READY:
            raise ValueError("reason: only a not_ready state carries a reason")
        if event.call_id is not None and event.state not in (
            AgentState.ON_CALL,
            AgentState.WRAP_UP,
        ):
            raise ValueError("call_id: only on_call and wrap_up states refer to a call")
        return {}
