"""service_level_variance from a hand-made plan, calls and agent state events, on both dbt
targets (identical rows), with every Erlang C value worked by hand.

acme, queue q-support, 2024-05-30 UTC, interval 09:00 (900 s, SL threshold 20 s).
Plan: 5 calls, AHT 180 s, 3 agents (a first import said 9 agents; the later import wins).
Actual: 10 queued calls, each talk 90 s (AHT 90), 7 answered within 20 s, 3 after 30 s
  -> achieved SL 7/10 = 0.7.
Agents (both scheduled open 08:50-09:30, queue q-support): ag1 ready 08:50-09:30;
  ag2 ready 08:50, not_ready 09:00:00-09:07:30, ready until 09:30.
  present (logged in while scheduled open) = (900 + 900) / 900 = 2 agents;
  staffed (ready/on_call/wrap_up) = (900 + 450) / 900 = 1.5 agents.

Erlang C with B(1, A) = A/(1+A), B(n) = A·B(n−1)/(n + A·B(n−1)), Pw = N·B/(N − A(1−B)),
SL = 1 − Pw·exp(−(N − A)·20/AHT):
  A = 1, N = 3: B = 1/2, 1/5, (1/5)/(3 + 1/5) = 1/16; Pw = (3/16)/(3 − 15/16) = 1/11.
  A = 2, N = 3: B = 2/3, 2/5, 4/19; Pw = (12/19)/(3 − 30/19) = 4/9.
  A = 1, N = 2: B = 1/5; Pw = (2/5)/(2 − 4/5) = 1/3.
  A = 1, N = 1: N <= A, SL = 0.
sl_plan           A = 5·180/900 = 1,  N = 3, AHT 180: 1 − e^(−2·20/180)/11 = 1 − e^(−2/9)/11
sl_actual_volume  A = 10·180/900 = 2, N = 3, AHT 180: 1 − (4/9)·e^(−20/180) = 1 − (4/9)e^(−1/9)
sl_actual_aht     A = 10·90/900 = 1,  N = 3, AHT 90:  1 − e^(−2·20/90)/11 = 1 − e^(−4/9)/11
sl_present_agents A = 1, N = 2, AHT 90: 1 − e^(−20/90)/3 = 1 − e^(−2/9)/3
sl_staffed_agents N = 1.5: halfway between SL(N=1) = 0 and SL(N=2): (1 − e^(−2/9)/3)/2
Interval 09:15: plan 0 calls, AHT 180, 2 agents; no calls, both agents ready all 900 s ->
  every load is 0 so every SL is 1 and every effect 0; nothing offered: achieved, gap and other
  are null; present = staffed = 2.
globex q-sales 09:00: plan 4 calls, AHT 225, 1.5 agents, no actuals -> A = 1: sl_plan =
  (SL(N=1) = 0 + SL(N=2) = 1 − e^(−(2−1)·20/225)/3)/2; offered 0, so volume onwards load 0 -> 1.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pyarrow as pa
import pytest
from cdr_builder import at, cdr

from ingest.contracts import AgentStateChange, Direction, models_to_table
from ingest.wfm_plan import SCHEMA as PLAN_SCHEMA
from tests.both_targets import BothTargets
from warehouse.wfm_plan import write_plan_intervals, write_plan_intervals_clickhouse

D = dt.date(2024, 5, 30)
MART = "service_level_variance"
SELECT = ["--select", f"+{MART}", "--indirect-selection", "cautious"]
IN = Direction.INBOUND

CALLS = [
    cdr(f"c{i}", "acme", IN, at(D, f"09:0{i}:00"), billsec=90, wait=10.0 if i < 7 else 30.0,
        agent="ag1")
    for i in range(10)
]  # fmt: skip


def _states(agent: str, rows: list[tuple[str, str, str | None]]) -> list[AgentStateChange]:
    return [
        AgentStateChange(
            event_id=f"acme-{agent}-{index}",
            tenant_id="acme",
            occurred_at=at(D, hhmmss),
            agent_id=agent,
            state=state,
            reason=reason,
            queue_id="q-support",
            scheduled_activity="open",
        )
        for index, (hhmmss, state, reason) in enumerate(rows)
    ]


STATES = _states("ag1", [("08:50:00", "ready", None), ("09:30:00", "logout", None)]) + _states(
    "ag2",
    [
        ("08:50:00", "ready", None),
        ("09:00:00", "not_ready", "personal"),
        ("09:07:30", "ready", None),
        ("09:30:00", "logout", None),
    ],
)


def _plan(tenant: str, rows: list[tuple[str, str, float, float, float]], import_id: str,
          imported_at: dt.datetime) -> pa.Table:  # fmt: skip
    return pa.Table.from_pylist(
        [
            {
                "tenant_id": tenant,
                "queue_id": queue,
                "interval_start": at(D, f"{hhmm}:00"),
                "planned_calls": calls,
                "planned_aht_sec": aht,
                "planned_agents": agents,
                "planned_service_level": None,
                "import_id": import_id,
                "imported_at": imported_at,
            }
            for queue, hhmm, calls, aht, agents in rows
        ],
        schema=PLAN_SCHEMA,
    )


EARLY = dt.datetime(2024, 5, 29, 18, 0, tzinfo=dt.UTC)
LATE = dt.datetime(2024, 5, 29, 22, 0, tzinfo=dt.UTC)
PLANS = [
    ("acme", _plan("acme", [("q-support", "09:00", 5, 180, 9)], "first", EARLY), "first"),
    (
        "acme",
        _plan(
            "acme",
            [("q-support", "09:00", 5, 180, 3), ("q-support", "09:15", 0, 180, 2)],
            "second",
            LATE,
        ),
        "second",
    ),
    ("globex", _plan("globex", [("q-sales", "09:00", 4, 225, 1.5)], "g1", EARLY), "g1"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[dict[str, Any]]]]:
    warehouse = BothTargets(tmp_path_factory.mktemp("sl_variance"))
    with warehouse.loading() as load:
        load.write("call", models_to_table(CALLS, type(CALLS[0])), "calls")
        load.write("agent", models_to_table(STATES, AgentStateChange), "agents")
        for tenant, table, import_id in PLANS:
            write_plan_intervals(warehouse.settings.lake_dir, tenant, table, import_id)
            write_plan_intervals_clickhouse(load.client, load.store.database, tenant, table)
    warehouse.build(SELECT)
    return warehouse.read([MART])


def test_both_targets_give_identical_rows(built: dict[str, Any]) -> None:
    assert built["duckdb"][MART]
    assert built["clickhouse"][MART] == built["duckdb"][MART]


def _rows(built: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {
        (r["tenant_id"], r["queue_id"], r["interval_start"].strftime("%H:%M")): r
        for r in built["duckdb"][MART]
    }


def test_the_gap_splits_into_hand_worked_effects(built: dict[str, Any]) -> None:
    rows = _rows(built)
    assert set(rows) == {
        ("acme", "q-support", "09:00"),
        ("acme", "q-support", "09:15"),
        ("globex", "q-sales", "09:00"),
    }
    nine = rows[("acme", "q-support", "09:00")]
    assert nine["interval_date"] == D
    # the later import (3 agents) supersedes the first (9 agents)
    assert (nine["planned_calls"], nine["planned_aht_sec"], nine["planned_agents"]) == (5, 180, 3)
    assert (nine["offered"], nine["actual_aht_sec"]) == (10, 90.0)
    assert (nine["present_agents"], nine["staffed_agents"]) == (2.0, 1.5)
    sl_plan = 1 - math.exp(-2 / 9) / 11
    sl_volume = 1 - 4 / 9 * math.exp(-1 / 9)
    sl_aht = 1 - math.exp(-4 / 9) / 11
    sl_present = 1 - math.exp(-2 / 9) / 3
    sl_staffed = sl_present / 2
    expected = {
        "achieved_service_level": 0.7,
        "sl_plan": sl_plan,
        "sl_actual_volume": sl_volume,
        "sl_actual_aht": sl_aht,
        "sl_present_agents": sl_present,
        "sl_staffed_agents": sl_staffed,
        "service_level_gap": 0.7 - sl_plan,
        "volume_effect": sl_volume - sl_plan,
        "aht_effect": sl_aht - sl_volume,
        "absence_effect": sl_present - sl_aht,
        "adherence_effect": sl_staffed - sl_present,
        "staffing_effect": sl_staffed - sl_aht,
        "other_effect": 0.7 - sl_staffed,
    }
    for column, value in expected.items():
        assert nine[column] == pytest.approx(value, abs=1e-6), column
    # the effects add up to the gap (each rounded to 1e-6)
    parts = ("volume_effect", "aht_effect", "absence_effect", "adherence_effect", "other_effect")
    assert sum(nine[p] for p in parts) == pytest.approx(nine["service_level_gap"], abs=5e-6)


def test_an_interval_without_calls_and_a_plan_without_actuals(built: dict[str, Any]) -> None:
    rows = _rows(built)
    quiet = rows[("acme", "q-support", "09:15")]
    assert (quiet["offered"], quiet["present_agents"], quiet["staffed_agents"]) == (0, 2.0, 2.0)
    for column in ("sl_plan", "sl_actual_volume", "sl_actual_aht", "sl_present_agents",
                   "sl_staffed_agents"):  # fmt: skip
        assert quiet[column] == 1.0, column
    for column in ("volume_effect", "aht_effect", "absence_effect", "adherence_effect"):
        assert quiet[column] == 0.0, column
    assert (quiet["achieved_service_level"], quiet["service_level_gap"]) == (None, None)
    assert quiet["other_effect"] is None
    globex = rows[("globex", "q-sales", "09:00")]
    assert globex["sl_plan"] == pytest.approx((1 - math.exp(-20 / 225) / 3) / 2, abs=1e-6)
    assert (globex["offered"], globex["sl_actual_volume"], globex["staffed_agents"]) == (0, 1, 0)
    assert globex["volume_effect"] == pytest.approx(1 - globex["sl_plan"], abs=1e-6)
