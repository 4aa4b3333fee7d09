"""Recent agent state events of one tenant, wherever the profile keeps them (real-time adherence).

``AgentStateEvents`` is the interface ``GET /v1/wfm/adherence`` reads through; two
implementations, chosen where the app chooses its live rollups (``serving.app``):

- server profile: :class:`HotStoreAgentStates`, the hot store's raw ``agent_states`` table
  (PostgreSQL, the last IRISX_HOT_RETENTION_DAYS days);
- embedded profile: :class:`LakeAgentStates`, the Parquet lake's ``agent`` family with DuckDB,
  deduplicated on the hot store's key (event_id, occurred_at) as ``on conflict do nothing``
  makes it there, so the same events give the same rows on both.

A read returns the events of ``[since, until]`` plus, per agent, the last event before ``since``
(the state the agent was in at ``since``: an agent who logged in yesterday and has not changed
state since is still ready today). Both statements are one SQL text run by both engines.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from warehouse.hotstore import PostgresHotStore
from warehouse.recent_lake import EMPTY_PREFIX, LakeReadUnavailable, RecentLakeReader

#: The columns a read returns (``models_ml.wfm.adherence.realtime_adherence`` takes them).
EVENT_COLUMNS = (
    "event_id",
    "agent_id",
    "occurred_at",
    "state",
    "queue_id",
    "scheduled_activity",
)
_SELECTED = ", ".join(EVENT_COLUMNS)


class AgentStatesUnavailable(LakeReadUnavailable):
    """The recent agent events could not be read now (a lake file replaced mid-read); a retry
    is worth it."""


class AgentStateEvents(Protocol):
    """Agent state events of one tenant, sorted by agent, time and event id."""

    def agent_state_events(
        self,
        tenant_id: str,
        since: datetime,
        until: datetime,
        agent_id: str | None = None,
    ) -> pd.DataFrame: ...


def _events_sql(source: str, *, one_agent: bool) -> str:
    """Events of ``source`` (a table or a select with the contract's columns) in
    [since, until], and per agent the last one before ``since``. Parameters: tenant, since,
    until, [agent], tenant, since, [agent]."""
    agent = " and agent_id = %s" if one_agent else ""
    return (
        f"select {_SELECTED} from {source} where tenant_id = %s"
        f" and occurred_at >= %s and occurred_at <= %s{agent}"
        f" union all"
        f" select {_SELECTED} from ("
        f"select {_SELECTED}, row_number() over ("
        f"partition by agent_id order by occurred_at desc, event_id desc) as recency"
        f" from {source} where tenant_id = %s and occurred_at < %s{agent}"
        f") as before_since where recency = 1"
        f" order by agent_id, occurred_at, event_id"
    )


def _params(tenant_id: str, since: datetime, until: datetime, agent_id: str | None) -> list[Any]:
    agent = [] if agent_id is None else [agent_id]
    return [tenant_id, since, until, *agent, tenant_id, since, *agent]


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    frame["event_id"] = frame["event_id"].astype(str)
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    return frame


class HotStoreAgentStates:
    """The hot store's ``agent_states`` table (server profile)."""

    def __init__(self, store: PostgresHotStore) -> None:
        self.store = store

    def agent_state_events(
        self,
        tenant_id: str,
        since: datetime,
        until: datetime,
        agent_id: str | None = None,
    ) -> pd.DataFrame:
        sql = _events_sql("agent_states", one_agent=agent_id is not None)
        cursor = self.store.conn.execute(sql, _params(tenant_id, since, until, agent_id))
        return _frame(cursor.fetchall())


class LakeAgentStates:
    """The lake's ``agent`` family read by DuckDB (embedded profile). Only the month folders
    from ``lookback_days`` before ``since`` on are read: the hot store keeps that many days, so
    the last state before ``since`` is looked up about as far back on both."""

    def __init__(self, lake_root: Path, *, lookback_days: int = 7) -> None:
        self.reader = RecentLakeReader(
            lake_root,
            lookback_days=lookback_days,
            families=["agent"],
            unavailable=AgentStatesUnavailable,
        )

    def agent_state_events(
        self,
        tenant_id: str,
        since: datetime,
        until: datetime,
        agent_id: str | None = None,
    ) -> pd.DataFrame:
        files = self.reader.files("agent", since)
        # Deduplicated on the hot store's key: a batch delivered twice counts once.
        source = (
            "(select * from read_parquet(?, union_by_name = true, hive_partitioning = false)"
            " qualify row_number() over (partition by event_id, occurred_at) = 1) as agent_events"
            if files
            else f"{EMPTY_PREFIX}agent"
        )
        sql = _events_sql(source, one_agent=agent_id is not None).replace("%s", "?")
        params = _params(tenant_id, since, until, agent_id)
        if files:
            # The source appears twice in the statement, each with its file list first.
            agent = 0 if agent_id is None else 1
            params = [files, *params[: 3 + agent], files, *params[3 + agent :]]
        return _frame(self.reader.fetch(sql, params))
