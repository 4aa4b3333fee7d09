"""Real-time adherence (models_ml.wfm.adherence) on hand-worked timelines, with the scheduled
activity from the events and from a schedule (incl. one built by models_ml.wfm.scheduling)."""

from __future__ import annotations

import pandas as pd
import pytest

from models_ml.wfm.adherence import realtime_adherence, schedule_activities
from models_ml.wfm.scheduling import BreakRule, ShiftTemplate, build_schedule


def ts(hhmm: str) -> pd.Timestamp:
    return pd.Timestamp(f"2024-05-30T{hhmm}:00Z")


def events(rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(agent, ts(t), state, activity) for agent, t, state, activity in rows],
        columns=["agent_id", "occurred_at", "state", "scheduled_activity"],
    )


EVENTS = events(
    [
        # a1: login 08:55 (scheduled open, not yet taking calls), ready 09:00, on_call 09:10,
        # wrap_up 09:20, not_ready 09:30 while still scheduled open; as of 10:00 out since 09:30.
        ("a1", "08:55", "login", "open"),
        ("a1", "09:00", "ready", "open"),
        ("a1", "09:10", "on_call", "open"),
        ("a1", "09:20", "wrap_up", "open"),
        ("a1", "09:30", "not_ready", "open"),
        # a2: ready 09:00, not_ready at 09:40 on a scheduled break: adherent throughout.
        ("a2", "09:00", "ready", "open"),
        ("a2", "09:40", "not_ready", "break"),
        # a3: logged out at 09:50 when off schedule; an event after as_of is ignored.
        ("a3", "09:00", "ready", "open"),
        ("a3", "09:50", "logout", "off"),
        ("a3", "10:30", "login", "open"),
    ]
)


def test_scheduled_activity_from_the_events() -> None:
    result = realtime_adherence(EVENTS, ts("10:00")).set_index("agent_id")
    a1 = result.loc["a1"]
    # scheduled open from 08:55 to 10:00 = 3900 s; adherent 09:00-09:30 = 1800 s (login 300 s
    # and not_ready 1800 s are not)
    assert (a1["state"], a1["state_since"], a1["scheduled_activity"]) == (
        "not_ready", ts("09:30"), "open",
    )  # fmt: skip
    assert (a1["adherent_seconds"], a1["scheduled_seconds"]) == (1800.0, 3900.0)
    assert a1["adherence"] == pytest.approx(1800 / 3900)
    assert not a1["in_adherence"]
    assert a1["out_of_adherence_since"] == ts("09:30")
    a2 = result.loc["a2"]
    # open 09:00-09:40 ready (2400 s), break 09:40-10:00 not_ready (1200 s): all adherent
    assert (a2["adherent_seconds"], a2["scheduled_seconds"], a2["adherence"]) == (
        3600.0, 3600.0, 1.0,
    )  # fmt: skip
    assert a2["in_adherence"]
    assert pd.isna(a2["out_of_adherence_since"])
    a3 = result.loc["a3"]
    # ready 09:00-09:50 scheduled open (3000 s); logged out while off: not counted
    assert (a3["state"], a3["scheduled_activity"], a3["in_adherence"]) == ("logout", "off", True)
    assert (a3["adherent_seconds"], a3["scheduled_seconds"]) == (3000.0, 3000.0)


def test_scheduled_activity_from_a_schedule_counts_absence() -> None:
    schedule = pd.DataFrame(
        [
            ("a1", ts("09:00"), ts("09:30"), "open"),
            ("a1", ts("09:30"), ts("09:45"), "break"),
            ("a1", ts("09:45"), ts("12:00"), "open"),
            ("a4", ts("09:00"), ts("17:00"), "open"),  # never logged in
        ],
        columns=["agent_id", "start", "end", "activity"],
    )
    result = realtime_adherence(EVENTS, ts("10:00"), schedule=schedule).set_index("agent_id")
    a1 = result.loc["a1"]
    # 08:55-09:00 login is off schedule (not counted); 09:00-09:30 working while open (1800 s),
    # 09:30-09:45 not_ready on the break (900 s), 09:45-10:00 not_ready while open (900 s, out)
    assert (a1["adherent_seconds"], a1["scheduled_seconds"]) == (2700.0, 3600.0)
    assert a1["out_of_adherence_since"] == ts("09:45")
    assert a1["scheduled_activity"] == "open"
    assert not a1["in_adherence"]
    a4 = result.loc["a4"]
    assert (a4["state"], a4["adherent_seconds"], a4["scheduled_seconds"]) == (
        "logout", 0.0, 3600.0,
    )  # fmt: skip
    assert a4["out_of_adherence_since"] == ts("09:00")
    assert a4["adherence"] == 0.0
    # agents with events but no schedule rows are off schedule all day
    a2 = result.loc["a2"]
    assert (a2["scheduled_activity"], a2["scheduled_seconds"]) == ("off", 0.0)
    assert pd.isna(a2["adherence"])  # nothing scheduled: no percentage


def test_day_start_bounds_the_percentage_but_not_the_out_of_adherence_run() -> None:
    # a1 is not_ready from 09:30 while scheduled open (per its events). Counting from 09:45:
    # 15 min scheduled, none adherent; the run still began at 09:30.
    result = realtime_adherence(EVENTS, ts("10:00"), day_start=ts("09:45")).set_index("agent_id")
    a1 = result.loc["a1"]
    assert (a1["adherent_seconds"], a1["scheduled_seconds"]) == (0.0, 900.0)
    assert a1["out_of_adherence_since"] == ts("09:30")
    with pytest.raises(ValueError, match="day_start"):
        realtime_adherence(EVENTS, ts("09:00"), day_start=ts("10:00"))


def test_a_schedule_built_by_the_scheduler_drives_adherence() -> None:
    # One 2 h shift from 09:00 (30-min intervals, horizon from midnight) with a 30-min break
    # 30-90 min in; need 1 agent at 09:00-11:00 except 09:30, so the break lands at 09:30.
    need = [0] * 48
    need[18:22] = [1, 0, 1, 1]
    template = ShiftTemplate("2h", 120, (540,), (BreakRule("break", 30, 30, 60),))
    shifts = build_schedule(need, [template], 30).shifts_frame()
    schedule = schedule_activities(shifts, "2024-05-30", 30)
    assert list(schedule.itertuples(index=False, name=None)) == [
        ("agent-0", ts("09:00"), ts("09:30"), "open"),
        ("agent-0", ts("09:30"), ts("10:00"), "break"),
        ("agent-0", ts("10:00"), ts("11:00"), "open"),
    ]
    agent = events(
        [
            ("agent-0", "09:00", "ready", None),
            ("agent-0", "09:40", "not_ready", None),  # 10 min late for the break
            ("agent-0", "10:05", "ready", None),  # 5 min late back
        ]
    )
    row = realtime_adherence(agent, ts("10:30"), schedule=schedule).iloc[0]
    # 09:00-09:30 ready/open 1800 ✓; 09:30-09:40 ready/break 600 ✗; 09:40-10:00 not_ready/break
    # 1200 ✓; 10:00-10:05 not_ready/open 300 ✗; 10:05-10:30 ready/open 1500 ✓ -> 4500 / 5400
    assert (row["adherent_seconds"], row["scheduled_seconds"]) == (4500.0, 5400.0)
    assert row["in_adherence"]
    assert pd.isna(row["out_of_adherence_since"])
