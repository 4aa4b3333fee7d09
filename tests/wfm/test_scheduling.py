"""Greedy shift scheduling (models_ml.wfm.scheduling): hand-worked days where the best schedule is
obvious, labour-rule and coverage properties (hypothesis), and ``irisx wfm schedule``."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from irisx.cli import app
from models_ml.wfm.scheduling import (
    BreakRule,
    SchedulingRules,
    ShiftTemplate,
    build_schedule,
)

HOURLY = tuple(range(0, 1440, 60))


def test_two_levels_are_covered_by_three_four_hour_shifts() -> None:
    # Hourly intervals, need 1,1,1,1 then 2,2,2,2. A 4 h shift starting at 0 covers the first
    # four (gain 4); two starting at 4 cover the rest (gain 4 each). 12 agent-intervals needed,
    # 3 shifts × 4 = 12 scheduled: exact cover, nothing over or under.
    template = ShiftTemplate("4h", 240, HOURLY)
    schedule = build_schedule([1, 1, 1, 1, 2, 2, 2, 2], [template], 60)
    assert [(s.start, s.end) for s in schedule.shifts] == [(0, 4), (4, 8), (4, 8)]
    # one shift per agent per day: the two 4-8 shifts go to two new agents
    assert [s.agent for s in schedule.shifts] == [0, 1, 2]
    coverage = schedule.coverage()
    assert coverage["scheduled"].tolist() == [1, 1, 1, 1, 2, 2, 2, 2]
    assert coverage["over"].sum() == coverage["under"].sum() == 0


def test_the_template_wasting_least_wins_a_tie() -> None:
    # Need 2 agents for 2 hours. An 8 h shift at 0 and a 2 h shift at 0 both cover 2 under-staffed
    # intervals; the 2 h one leaves 0 intervals over instead of 6, so it is chosen (twice).
    templates = [ShiftTemplate("8h", 480, (0,)), ShiftTemplate("2h", 120, (0,))]
    schedule = build_schedule([2, 2, 0, 0, 0, 0, 0, 0], templates, 60)
    assert [(s.template, s.start, s.end) for s in schedule.shifts] == [("2h", 0, 2)] * 2


def test_a_break_goes_where_it_costs_least_and_min_gain_stops_the_cover() -> None:
    # 30-min intervals, need 1 agent for 8 intervals except 2 at interval 5. A 4 h (8-interval)
    # shift at 0 has a 30-min break starting 1 h to 2.5 h in (offsets 2..5). Deficits are
    # 1,1,1,1,1,2,1,1: offsets 2, 3, 4 cost 1, offset 5 costs 2 -> break at 2 (earliest of the
    # cheapest). The shift covers 7 intervals (gain 7); left: interval 2 needs 1, interval 5
    # needs 1. With min_gain 3 no second shift is worth adding (a second covers at most 2).
    template = ShiftTemplate("4h", 240, (0,), (BreakRule("break", 30, 60, 150),))
    need = [1, 1, 1, 1, 1, 2, 1, 1]
    schedule = build_schedule(need, [template], 30, SchedulingRules(min_gain=3))
    (shift,) = schedule.shifts
    assert [(b.start, b.end, b.kind) for b in shift.breaks] == [(2, 3, "break")]
    assert schedule.coverage()["under"].tolist() == [0, 0, 1, 0, 0, 1, 0, 0]
    # With min_gain 1 a second shift covers both (gain 2): its break goes to offset 3 or 4,
    # where the remaining deficit is 0 (not 2 or 5, where it is 1): offset 3, the earliest.
    full = build_schedule(need, [template], 30)
    assert [[(b.start, b.end) for b in s.breaks] for s in full.shifts] == [[(2, 3)], [(3, 4)]]
    assert full.coverage()["scheduled"].tolist() == [2, 2, 1, 1, 2, 2, 2, 2]
    assert full.coverage()["under"].sum() == 0


def test_rest_and_weekly_hours_decide_which_agent_takes_a_shift() -> None:
    # Two days of hourly intervals; one 8 h shift needed 00-08 and 14-22 on day 0 and 00-08 on
    # day 1. Min rest 11 h: the day-0 00-08 agent may take day-1 00-08 (16 h rest) but not the
    # day-0 14-22 shift (same day). The 14-22 agent ends at 22, only 2 h before day 1's 00:00.
    # With a 8 h weekly cap, nobody works twice: three agents.
    need = [1] * 8 + [0] * 6 + [1] * 8 + [0] * 2 + [1] * 8 + [0] * 16
    template = ShiftTemplate("8h", 480, (0, 14 * 60))
    loose = build_schedule(need, [template], 60, SchedulingRules(min_rest_hours=11))
    assert [(s.start, s.agent) for s in loose.shifts] == [(0, 0), (14, 1), (24, 0)]
    capped = build_schedule(need, [template], 60, SchedulingRules(max_weekly_hours=8))
    assert [(s.start, s.agent) for s in capped.shifts] == [(0, 0), (14, 1), (24, 2)]


def test_bad_inputs_are_refused() -> None:
    template = ShiftTemplate("4h", 240, HOURLY)
    with pytest.raises(ValueError, match="divide a day"):
        build_schedule([1], [template], 7)
    with pytest.raises(ValueError, match="non-negative"):
        build_schedule([1, -1], [template], 60)
    with pytest.raises(ValueError, match="whole number"):
        build_schedule([1] * 8, [ShiftTemplate("odd", 90, (0,))], 60)
    with pytest.raises(ValueError, match="max_daily_hours"):
        build_schedule([1] * 24, [ShiftTemplate("long", 720, (0,))], 60)
    with pytest.raises(ValueError, match="break window"):
        build_schedule(
            [1] * 8, [ShiftTemplate("b", 240, (0,), (BreakRule("break", 60, 180, 240),))], 60
        )


TEMPLATES = [
    ShiftTemplate(
        "8h",
        480,
        tuple(range(0, 1440 - 480 + 1, 30)),
        (BreakRule("break", 30, 90, 150), BreakRule("lunch", 60, 180, 300)),
    ),
    ShiftTemplate("4h", 240, tuple(range(0, 1440, 60)), (BreakRule("break", 30, 60, 150),)),
]


@settings(max_examples=25, deadline=None)
@given(
    need=st.lists(st.integers(0, 4), min_size=48, max_size=96),
    rest=st.sampled_from([8.0, 11.0, 14.0]),
    weekly=st.sampled_from([8.0, 16.0, 40.0]),
    min_gain=st.integers(1, 6),
)
def test_no_shift_breaks_a_rule_and_coverage_is_shifts_minus_breaks(
    need: list[int], rest: float, weekly: float, min_gain: int
) -> None:
    # 30-min intervals over one or two days (a shift must end inside the horizon).
    rules = SchedulingRules(
        max_daily_hours=8, max_weekly_hours=weekly, min_rest_hours=rest, min_gain=min_gain
    )
    schedule = build_schedule(need, TEMPLATES, 30, rules)
    by_template = {t.name: t for t in TEMPLATES}
    total = np.zeros(len(need), np.int64)
    for shift in schedule.shifts:
        template = by_template[shift.template]
        assert shift.end - shift.start == template.length_minutes // 30
        assert shift.start >= 0
        assert shift.end <= len(need)
        assert (shift.start % 48) * 30 in template.start_times_minutes
        assert len(shift.breaks) == len(template.breaks)
        for placed, rule in zip(shift.breaks, template.breaks, strict=True):
            offset = (placed.start - shift.start) * 30
            assert rule.earliest_offset_minutes <= offset <= rule.latest_offset_minutes
            assert (placed.end - placed.start) * 30 == rule.duration_minutes
        spans = sorted((b.start, b.end) for b in shift.breaks)
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))
        on = np.zeros(len(need), np.int64)
        on[shift.start : shift.end] = 1
        for b in shift.breaks:
            on[b.start : b.end] = 0
        total += on
    assert schedule.scheduled.tolist() == total.tolist()
    coverage = schedule.coverage()
    assert (coverage["scheduled"] - coverage["required"]).tolist() == (
        coverage["over"] - coverage["under"]
    ).tolist()
    agents: dict[int, list[tuple[int, int]]] = {}
    for shift in schedule.shifts:
        agents.setdefault(shift.agent, []).append((shift.start, shift.end))
    for spans in agents.values():
        spans.sort()
        assert len({start // 48 for start, _ in spans}) == len(spans)  # one shift per day
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert (start - end) * 30 >= rest * 60
        assert sum(end - start for start, end in spans) * 30 <= weekly * 60


def _requirements(tmp_path: Path, values: list[int]) -> Path:
    path = tmp_path / "req.csv"
    lines = ["interval_start,required_agents"] + [
        f"2024-06-03T{i // 2:02d}:{30 * (i % 2):02d}:00Z,{v}" for i, v in enumerate(values)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_prints_shifts_and_coverage(tmp_path: Path) -> None:
    # 30-min intervals; 2 agents 08:00-10:00 (intervals 16-19), a 2 h template without breaks
    # starting on the hour: two shifts 08:00-10:00, exact cover.
    need = [0] * 48
    need[16:20] = [2, 2, 2, 2]
    templates = tmp_path / "templates.json"
    templates.write_text(
        json.dumps([{"name": "2h", "length_minutes": 120, "start_times": ["08:00", "09:00"]}])
    )
    runner = CliRunner()
    args = ["wfm", "schedule", "--requirements", str(_requirements(tmp_path, need)),
            "--templates", str(templates)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["interval_minutes"] == 30
    assert document["summary"] == {
        "shifts": 2,
        "agents": 2,
        "required_agent_intervals": 8,
        "scheduled_agent_intervals": 8,
        "over_agent_intervals": 0,
        "under_agent_intervals": 0,
        "understaffed_intervals": 0,
        "overstaffed_intervals": 0,
    }
    assert document["shifts"][0] == {
        "agent": "agent-0",
        "template": "2h",
        "start": "2024-06-03T08:00:00Z",
        "end": "2024-06-03T10:00:00Z",
        "breaks": [],
    }
    csv_out = runner.invoke(app, [*args, "--format", "coverage-csv"])
    assert csv_out.exit_code == 0, csv_out.output
    lines = csv_out.output.splitlines()
    assert lines[0] == "interval_start,required,scheduled,over,under"
    assert lines[17] == "2024-06-03T08:00:00Z,2,2,0,0"
    shifts_csv = runner.invoke(app, [*args, "--format", "shifts-csv"])
    assert shifts_csv.output.splitlines()[1] == (
        "agent-0,2h,2024-06-03T08:00:00Z,2024-06-03T10:00:00Z,"
    )


def test_cli_default_templates_and_a_bad_file(tmp_path: Path) -> None:
    need = [0] * 16 + [3] * 24 + [0] * 8
    result = CliRunner().invoke(
        app, ["wfm", "schedule", "--requirements", str(_requirements(tmp_path, need))]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)["summary"]
    assert summary["required_agent_intervals"] == 72
    assert summary["scheduled_agent_intervals"] - summary["over_agent_intervals"] == (
        72 - summary["under_agent_intervals"]
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("interval_start,required_agents\n2024-06-03T01:00:00Z,1\n")
    failed = CliRunner().invoke(app, ["wfm", "schedule", "--requirements", str(bad)])
    assert failed.exit_code == 2
    assert "00:00 UTC" in failed.output
