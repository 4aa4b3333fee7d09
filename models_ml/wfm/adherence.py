"""Real-time schedule adherence from agent state events (docs/wfm.md).

Each agent's timeline is cut at every state change (an event's state lasts until the agent's next
event, as in ``AgentStateChange``) and, when a schedule is given, at every schedule boundary. On
each piece the scheduled activity is compared with the state:

* ``open``: adherent when ready, on_call or wrap_up (the agent is taking calls);
* ``break``, ``lunch``, ``training``: adherent when not_ready (off the phones as planned);
* ``off`` (or no schedule): not scheduled; any state is fine and the time is not counted.

Logged out (before the first event, after a logout) while scheduled open or on a break is out of
adherence: a real-time monitor must see an agent who never logged in. (The
``agent_performance_daily`` mart counts logged-in time only, as it has no schedule besides the
events' ``scheduled_activity``.)

The scheduled activity comes from a schedule frame (``agent_id, start, end, activity``: time not
covered is ``off``), for instance the shifts of ``models_ml.wfm.scheduling``, or, without one, from
each event's ``scheduled_activity`` (what the ACD said the schedule was at that event), held until
the agent's next event.

Per agent at ``as_of``: current state and since when, scheduled activity, whether adherent, since
when out of adherence (the start of the unbroken out-of-adherence run ending at ``as_of``, which
may begin before ``day_start``), and adherence so far today: adherent seconds / scheduled seconds
in [day_start, as_of).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

WORKING_STATES = frozenset({"ready", "on_call", "wrap_up"})
AWAY_ACTIVITIES = frozenset({"break", "lunch", "training"})
LOGGED_OUT = "logout"
OFF = "off"

COLUMNS = (
    "agent_id",
    "state",
    "state_since",
    "scheduled_activity",
    "in_adherence",
    "out_of_adherence_since",
    "adherent_seconds",
    "scheduled_seconds",
    "adherence",
)


def is_adherent(state: str, activity: str) -> bool:
    """Whether ``state`` matches the scheduled ``activity`` (``off`` and unknown: always)."""
    if activity == "open":
        return state in WORKING_STATES
    if activity in AWAY_ACTIVITIES:
        return state == "not_ready"
    return True


def is_scheduled(activity: str) -> bool:
    return activity == "open" or activity in AWAY_ACTIVITIES


@dataclass(frozen=True)
class _Piece:
    start: pd.Timestamp
    end: pd.Timestamp
    state: str
    activity: str


def _utc(value: pd.Timestamp | str) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _activity_at(schedule: pd.DataFrame, at: pd.Timestamp) -> str:
    rows = schedule[(schedule["start"] <= at) & (schedule["end"] > at)]
    return str(rows["activity"].iloc[-1]) if len(rows) else OFF


def _pieces(
    events: pd.DataFrame, schedule: pd.DataFrame | None, begin: pd.Timestamp, as_of: pd.Timestamp
) -> list[_Piece]:
    """The agent's timeline on [begin, as_of) as pieces of constant state and activity."""
    cuts = {begin, as_of}
    cuts.update(t for t in events["occurred_at"] if begin < t < as_of)
    if schedule is not None:
        for column in ("start", "end"):
            cuts.update(t for t in schedule[column] if begin < t < as_of)
    times = sorted(cuts)
    event_times = events["occurred_at"].dt.tz_convert(None).to_numpy()
    pieces = []
    for start, end in itertools.pairwise(times):
        last = int(np.searchsorted(event_times, np.datetime64(start.tz_convert(None)), "right")) - 1
        if last < 0:
            state, event_activity = LOGGED_OUT, OFF
        else:
            state = str(events["state"].iloc[last])
            raw = (
                events["scheduled_activity"].iloc[last] if "scheduled_activity" in events else None
            )
            event_activity = OFF if raw is None or pd.isna(raw) else str(raw)
        activity = _activity_at(schedule, start) if schedule is not None else event_activity
        pieces.append(_Piece(start, end, state, activity))
    return pieces


def realtime_adherence(
    events: pd.DataFrame,
    as_of: pd.Timestamp | str,
    *,
    schedule: pd.DataFrame | None = None,
    day_start: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Adherence of every agent in ``events`` (and ``schedule``) at ``as_of`` (see module doc).

    ``events``: ``agent_id``, ``occurred_at`` (UTC), ``state`` and optionally
    ``scheduled_activity``; events after ``as_of`` are ignored. ``schedule``: ``agent_id``,
    ``start``, ``end``, ``activity``. ``day_start`` defaults to ``as_of``'s UTC midnight.
    One row per agent, sorted by agent_id, with the columns of ``COLUMNS``.
    """
    now = _utc(as_of)
    day = _utc(day_start) if day_start is not None else now.normalize()
    if day > now:
        raise ValueError("day_start: must not be after as_of")
    frame = events.copy()
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    frame = frame[frame["occurred_at"] <= now]
    sort_columns = ["agent_id", "occurred_at"] + (["event_id"] if "event_id" in frame else [])
    frame = frame.sort_values(sort_columns, kind="stable")
    plan = None
    if schedule is not None:
        plan = schedule.copy()
        plan["start"] = pd.to_datetime(plan["start"], utc=True)
        plan["end"] = pd.to_datetime(plan["end"], utc=True)
    agents = set(frame["agent_id"]) | (set(plan["agent_id"]) if plan is not None else set())
    rows = []
    for agent in sorted(agents):
        own = frame[frame["agent_id"] == agent]
        own_plan = (
            plan[plan["agent_id"] == agent].sort_values("start") if plan is not None else None
        )
        begin = min([day] + ([own["occurred_at"].iloc[0]] if len(own) else []))
        if own_plan is not None and len(own_plan):
            begin = min(begin, own_plan["start"].iloc[0])
        pieces = _pieces(own, own_plan, begin, now) if begin < now else []
        adherent_s = scheduled_s = 0.0
        for piece in pieces:
            start, end = max(piece.start, day), piece.end
            if end <= start or not is_scheduled(piece.activity):
                continue
            seconds = (end - start).total_seconds()
            scheduled_s += seconds
            adherent_s += seconds if is_adherent(piece.state, piece.activity) else 0.0
        out_since = None
        for piece in reversed(pieces):
            if is_adherent(piece.state, piece.activity):
                break
            out_since = piece.start
        state = str(own["state"].iloc[-1]) if len(own) else LOGGED_OUT
        since = own["occurred_at"].iloc[-1] if len(own) else None
        if own_plan is not None:
            activity = _activity_at(own_plan, now)
        elif (
            len(own)
            and "scheduled_activity" in own
            and pd.notna(own["scheduled_activity"].iloc[-1])
        ):
            activity = str(own["scheduled_activity"].iloc[-1])
        else:
            activity = OFF
        rows.append(
            {
                "agent_id": agent,
                "state": state,
                "state_since": since,
                "scheduled_activity": activity,
                "in_adherence": is_adherent(state, activity),
                "out_of_adherence_since": out_since,
                "adherent_seconds": adherent_s,
                "scheduled_seconds": scheduled_s,
                "adherence": adherent_s / scheduled_s if scheduled_s else None,
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def schedule_activities(
    shifts: pd.DataFrame, horizon_start: pd.Timestamp | str, interval_minutes: int
) -> pd.DataFrame:
    """A schedule frame (``agent_id, start, end, activity``) from ``Schedule.shifts_frame()``:
    ``open`` over each shift with its breaks cut out as their own kind. Agent slots become
    ``agent-<n>`` (mapping slots to people is a rostering step outside this module)."""
    origin = _utc(horizon_start)
    step = pd.Timedelta(minutes=interval_minutes)
    rows = []
    for shift in shifts.itertuples(index=False):
        breaks = sorted(
            (int(span.split("-")[0]), int(span.split("-")[1]), kind)
            for kind, span in (part.split(":") for part in str(shift.breaks).split(";") if part)
        )
        cursor = int(shift.start)
        agent = f"agent-{int(shift.agent)}"
        for begin, end, kind in breaks:
            if cursor < begin:
                rows.append((agent, origin + cursor * step, origin + begin * step, "open"))
            rows.append((agent, origin + begin * step, origin + end * step, kind))
            cursor = end
        if cursor < int(shift.end):
            rows.append((agent, origin + cursor * step, origin + int(shift.end) * step, "open"))
    return pd.DataFrame(rows, columns=["agent_id", "start", "end", "activity"])
