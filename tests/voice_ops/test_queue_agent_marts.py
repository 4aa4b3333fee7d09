"""queue_interval_stats and agent_performance_daily from hand-made calls and agent state events,
on both dbt targets (Parquet lake → duckdb, chDB raw tables → clickhouse), identical rows.

Hand-worked (acme, queue q-support, 2024-05-30 UTC):
calls (cdr_builder: queue wait, then talk):
  c1 09:00:00 wait 12 s, ag1, talk 100, hold 10, wrap 30 -> handled within 20 s, handle 140
  c2 09:05:00 wait 25 s, ag1, talk 60                     -> handled late, handle 60
  c3 09:10:00 wait 40 s, never answered                   -> abandoned
  c4 09:20:00 wait 5 s,  ag2, talk 50, wrap 10            -> handled within 20 s, handle 60
  09:00 interval: offered 3, handled 2, abandoned 1, within 1, SL 1/3, ASA (12+25)/2 = 18.5,
  AHT (140+60)/2 = 100. 09:15 interval: offered 1, handled 1, SL 1, ASA 5, AHT 60.
agent ag1 (schedule open except the 09:10 break):
  login 08:55:00-08:56:00 (60 s), ready 08:56:00-09:00:12 (240 s in 08:45, 12 s in 09:00),
  on_call 09:00:12-09:02:02 (110), wrap_up -09:02:32 (30), ready -09:10:00 (448),
  not_ready[break] -09:20:00 (300 in 09:00, 300 in 09:15), ready -09:40:00 (600 in 09:15,
  600 in 09:30), logout 09:40 (no span).
agent ag2 (schedule open):
  login 09:15:00-09:15:30 (30), ready -09:20:05 (275), on_call -09:21:00 (55), wrap_up -09:21:10
  (10), not_ready[personal] -09:30:00 (530), ready 09:30 = last event (no end yet: no span).
Queue intervals (staffed = ready + on_call + wrap_up; busy = on_call + wrap_up):
  08:45 staffed 240, busy 0; 09:00 staffed 12+110+30+448 = 600, busy 140;
  09:15 staffed 600 + 275+55+10 = 940, busy 65; 09:30 staffed 600, busy 0.
Agent days: ag1 handled 2, talk 160, hold 10, wrap 30, AHT 100, staffed 240+600+600+600 = 2040,
  busy 140, not ready 600, scheduled 60+252+110+30+448+600+1200 = 2700, adherent 2700-60 (login)
  = 2640. ag2 handled 1, talk 50, wrap 10, AHT 60, staffed 340, busy 65, not ready 530,
  scheduled 900, adherent 340.
globex gx1 (queue q-sales): ready 09:00-09:05 then logout -> 09:00 interval staffed 300, busy 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cdr_builder import at, cdr

from ingest.contracts import AgentStateChange, Direction, models_to_table
from tests.both_targets import BothTargets

D = dt.date(2024, 5, 30)
MARTS = ("queue_interval_stats", "agent_performance_daily")
SELECT = [
    "--select",
    "+queue_interval_stats",
    "+agent_performance_daily",
    "--indirect-selection",
    "cautious",
]
IN = Direction.INBOUND

CALLS = [
    cdr("c1", "acme", IN, at(D, "09:00:00"), billsec=100, wait=12.0, agent="ag1", hold=10,
        wrapup=30),
    cdr("c2", "acme", IN, at(D, "09:05:00"), billsec=60, wait=25.0, agent="ag1"),
    cdr("c3", "acme", IN, at(D, "09:10:00"), answered=False, wait=40.0),
    cdr("c4", "acme", IN, at(D, "09:20:00"), billsec=50, wait=5.0, agent="ag2", wrapup=10),
]  # fmt: skip

AG1 = [
    ("08:55:00", "login", None, "open"),
    ("08:56:00", "ready", None, "open"),
    ("09:00:12", "on_call", None, "open"),
    ("09:02:02", "wrap_up", None, "open"),
    ("09:02:32", "ready", None, "open"),
    ("09:10:00", "not_ready", "break", "break"),
    ("09:20:00", "ready", None, "open"),
    ("09:40:00", "logout", None, "open"),
]
AG2 = [
    ("09:15:00", "login", None, "open"),
    ("09:15:30", "ready", None, "open"),
    ("09:20:05", "on_call", None, "open"),
    ("09:21:00", "wrap_up", None, "open"),
    ("09:21:10", "not_ready", "personal", "open"),
    ("09:30:00", "ready", None, "open"),
]
GX1 = [("09:00:00", "ready", None, "open"), ("09:05:00", "logout", None, "open")]


def _states(
    tenant: str, agent: str, queue: str, rows: list[tuple[str, str, str | None, str]]
) -> list[AgentStateChange]:
    return [
        AgentStateChange(
            event_id=f"{tenant}-{agent}-{index}",
            tenant_id=tenant,
            occurred_at=at(D, hhmmss),
            agent_id=agent,
            state=state,
            reason=reason,
            queue_id=queue,
            scheduled_activity=activity,
        )
        for index, (hhmmss, state, reason, activity) in enumerate(rows)
    ]


STATES = (
    _states("acme", "ag1", "q-support", AG1)
    + _states("acme", "ag2", "q-support", AG2)
    + _states("globex", "gx1", "q-sales", GX1)
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[dict[str, Any]]]]:
    warehouse = BothTargets(tmp_path_factory.mktemp("queue_agent_marts"))
    with warehouse.loading() as load:
        for batch_id, events in (("calls", CALLS), ("agents", STATES)):
            model = type(events[0])
            load.write(model.family, models_to_table(events, model), batch_id)
    warehouse.build(SELECT)
    return warehouse.read(MARTS)


@pytest.mark.parametrize("name", MARTS)
def test_both_targets_give_identical_rows(built: dict[str, Any], name: str) -> None:
    assert built["duckdb"][name]
    assert built["clickhouse"][name] == built["duckdb"][name]


def _interval(hhmm: str) -> dt.datetime:
    return at(D, f"{hhmm}:00")


def test_queue_intervals_are_the_hand_worked_values(built: dict[str, Any]) -> None:
    rows = {
        (r["tenant_id"], r["queue_id"], r["interval_start"]): r
        for r in built["duckdb"]["queue_interval_stats"]
    }
    acme = ("acme", "q-support")
    assert set(rows) == {(*acme, _interval(t)) for t in ("08:45", "09:00", "09:15", "09:30")} | {
        ("globex", "q-sales", _interval("09:00"))
    }
    nine = rows[(*acme, _interval("09:00"))]
    assert nine["interval_date"] == D
    assert (nine["offered"], nine["handled"], nine["abandoned"], nine["answered_within_20s"]) == (
        3, 2, 1, 1,
    )  # fmt: skip
    assert nine["service_level_20s"] == pytest.approx(1 / 3)
    assert nine["abandon_rate"] == pytest.approx(1 / 3)
    assert (nine["asa_sec"], nine["aht_sec"]) == (18.5, 100.0)
    assert (nine["staffed_sec"], nine["busy_sec"]) == (600.0, 140.0)
    assert nine["occupancy"] == pytest.approx(140 / 600)
    quarter = rows[(*acme, _interval("09:15"))]
    assert (quarter["offered"], quarter["handled"], quarter["service_level_20s"]) == (1, 1, 1.0)
    assert (quarter["asa_sec"], quarter["aht_sec"]) == (5.0, 60.0)
    assert (quarter["staffed_sec"], quarter["busy_sec"]) == (940.0, 65.0)
    assert quarter["occupancy"] == pytest.approx(65 / 940)
    early = rows[(*acme, _interval("08:45"))]
    assert (early["offered"], early["service_level_20s"], early["asa_sec"]) == (0, None, None)
    assert (early["staffed_sec"], early["busy_sec"], early["occupancy"]) == (240.0, 0.0, 0.0)
    late = rows[(*acme, _interval("09:30"))]
    assert (late["staffed_sec"], late["occupancy"]) == (600.0, 0.0)
    globex = rows[("globex", "q-sales", _interval("09:00"))]
    assert (globex["offered"], globex["staffed_sec"]) == (0, 300.0)


def test_agent_days_are_the_hand_worked_values(built: dict[str, Any]) -> None:
    rows = {(r["tenant_id"], r["agent_id"]): r for r in built["duckdb"]["agent_performance_daily"]}
    assert set(rows) == {("acme", "ag1"), ("acme", "ag2"), ("globex", "gx1")}
    ag1 = rows[("acme", "ag1")]
    assert ag1["activity_date"] == D
    assert (ag1["handled"], ag1["talk_sec"], ag1["hold_sec"], ag1["wrapup_sec"]) == (
        2, 160, 10, 30,
    )  # fmt: skip
    assert ag1["aht_sec"] == 100.0
    assert (ag1["staffed_sec"], ag1["busy_sec"], ag1["not_ready_sec"]) == (2040.0, 140.0, 600.0)
    assert ag1["occupancy"] == pytest.approx(140 / 2040)
    assert ag1["adherence"] == pytest.approx(2640 / 2700)
    ag2 = rows[("acme", "ag2")]
    assert (ag2["handled"], ag2["talk_sec"], ag2["wrapup_sec"], ag2["aht_sec"]) == (1, 50, 10, 60.0)
    assert (ag2["staffed_sec"], ag2["busy_sec"], ag2["not_ready_sec"]) == (340.0, 65.0, 530.0)
    assert ag2["occupancy"] == pytest.approx(65 / 340)
    assert ag2["adherence"] == pytest.approx(340 / 900)
    gx1 = rows[("globex", "gx1")]
    assert (gx1["handled"], gx1["aht_sec"], gx1["staffed_sec"], gx1["adherence"]) == (
        0, None, 300.0, 1.0,
    )  # fmt: skip
