"""Shifts from required agents per interval: a greedy cover with shift templates (docs/wfm.md).

Inputs: the agents each interval needs (``required``, one value per interval of ``interval_minutes``
from the horizon start, which is a midnight) and shift templates (length, allowed start times,
breaks each with a window after the shift start). Intervals are the unit of time everywhere:
template lengths, start times and break durations/windows must be whole intervals.

Algorithm (greedy, deterministic):

1. Deficit d_i = required_i − scheduled_i (scheduled: agents working, breaks excluded).
2. For every template and every allowed start (each day of the horizon; a shift must end by the
   horizon end), place its breaks one after another, each at the start offset in its window
   whose intervals have the lowest total deficit (most over-coverage first, so breaks land where
   they cost least; ties: earliest), never overlapping another break of the shift.
3. The candidate's gain is the number of its working intervals with d_i > 0 (each shift adds one
   agent to each working interval, so it removes one under-staffed agent-interval per such
   interval). Pick the largest gain; ties: fewer working intervals without deficit (less
   over-staffing), then the earliest start, then the template listed first.
4. Add it (d_i −= 1 on its working intervals) and repeat while the best gain ≥ ``min_gain``.
5. Assign shifts to agent slots in start order: the first existing agent with no shift that day,
   at least ``min_rest_hours`` since their previous shift ended and ``max_weekly_hours`` not
   exceeded by this one (weeks are 7-day blocks from the horizon start); otherwise a new agent.
   Daily hours are bounded by the one shift per agent per day and every template's length being
   at most ``max_daily_hours`` (checked).

Greedy is not optimal in general (set cover), but it is fast, explainable to planners and exact on
the small cases where the optimum is obvious (tests/wfm/test_scheduling.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]
MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class BreakRule:
    """A break of ``duration_minutes`` starting between ``earliest_offset_minutes`` and
    ``latest_offset_minutes`` (inclusive) after the shift start."""

    kind: str  # break, lunch, training (what the agent's schedule shows)
    duration_minutes: int
    earliest_offset_minutes: int
    latest_offset_minutes: int


@dataclass(frozen=True)
class ShiftTemplate:
    """A shift shape: its length, the times of day it may start, and its breaks in order."""

    name: str
    length_minutes: int
    start_times_minutes: tuple[int, ...]  # minutes after midnight
    breaks: tuple[BreakRule, ...] = ()


@dataclass(frozen=True)
class SchedulingRules:
    """Labour rules every agent's shifts respect."""

    max_daily_hours: float = 10.0
    max_weekly_hours: float = 40.0
    min_rest_hours: float = 11.0
    #: Stop adding shifts when the best one covers fewer under-staffed agent-intervals than this.
    min_gain: int = 1


@dataclass(frozen=True)
class ScheduledBreak:
    start: int  # interval index from the horizon start (inclusive)
    end: int  # exclusive
    kind: str


@dataclass(frozen=True)
class ScheduledShift:
    """One shift of one agent slot: intervals [start, end) less its breaks."""

    agent: int
    template: str
    start: int
    end: int
    breaks: tuple[ScheduledBreak, ...]

    def working(self, interval_count: int) -> IntArray:
        """1 for each interval of the horizon the agent is on the phones, else 0."""
        on = np.zeros(interval_count, np.int64)
        on[self.start : self.end] = 1
        for brk in self.breaks:
            on[brk.start : brk.end] = 0
        return on


@dataclass
class Schedule:
    interval_minutes: int
    required: IntArray
    shifts: list[ScheduledShift] = field(default_factory=list)

    @property
    def scheduled(self) -> IntArray:
        """Agents working per interval: the sum of the shifts' working intervals."""
        total = np.zeros(len(self.required), np.int64)
        for shift in self.shifts:
            total += shift.working(len(self.required))
        return total

    def coverage(self) -> pd.DataFrame:
        """Per interval: required, scheduled, over (scheduled − required, ≥ 0) and under."""
        scheduled = self.scheduled
        gap = scheduled - self.required
        return pd.DataFrame(
            {
                "interval": np.arange(len(self.required), dtype=np.int64),
                "required": self.required,
                "scheduled": scheduled,
                "over": np.maximum(gap, 0),
                "under": np.maximum(-gap, 0),
            }
        )

    def shifts_frame(self) -> pd.DataFrame:
        """One row per shift: agent slot, template, start/end interval, breaks as text."""
        return pd.DataFrame(
            {
                "agent": [s.agent for s in self.shifts],
                "template": [s.template for s in self.shifts],
                "start": [s.start for s in self.shifts],
                "end": [s.end for s in self.shifts],
                "breaks": [
                    ";".join(f"{b.kind}:{b.start}-{b.end}" for b in s.breaks) for s in self.shifts
                ],
            }
        )


@dataclass(frozen=True)
class _Candidate:
    template: int
    start: int
    length: int
    breaks: tuple[tuple[int, int, str], ...]  # offsets from start: (begin, end, kind)


def _whole_intervals(minutes: int, interval_minutes: int, what: str) -> int:
    if minutes % interval_minutes:
        raise ValueError(
            f"{what}: {minutes} min is not a whole number of {interval_minutes}-min intervals"
        )
    return minutes // interval_minutes


def _candidates(
    templates: list[ShiftTemplate],
    interval_minutes: int,
    interval_count: int,
    rules: SchedulingRules,
) -> list[tuple[int, int, int, list[tuple[int, int, int, str]]]]:
    """(template index, start, length, break rules in intervals) for every allowed start."""
    per_day = MINUTES_PER_DAY // interval_minutes
    days = -(-interval_count // per_day)
    found = []
    for index, template in enumerate(templates):
        if template.length_minutes > rules.max_daily_hours * 60:
            raise ValueError(
                f"template {template.name}: {template.length_minutes} min is over "
                f"max_daily_hours {rules.max_daily_hours}"
            )
        length = _whole_intervals(template.length_minutes, interval_minutes, template.name)
        rules_i = []
        for brk in template.breaks:
            duration = _whole_intervals(brk.duration_minutes, interval_minutes, template.name)
            earliest = _whole_intervals(
                brk.earliest_offset_minutes, interval_minutes, template.name
            )
            latest = _whole_intervals(brk.latest_offset_minutes, interval_minutes, template.name)
            if not 0 <= earliest <= latest or latest + duration > length:
                raise ValueError(f"template {template.name}: break window outside the shift")
            rules_i.append((earliest, latest, duration, brk.kind))
        for day in range(days):
            for minute in template.start_times_minutes:
                if not 0 <= minute < MINUTES_PER_DAY:
                    raise ValueError(f"template {template.name}: start time {minute} min")
                start = day * per_day + _whole_intervals(minute, interval_minutes, template.name)
                if start + length <= interval_count:
                    found.append((index, start, length, rules_i))
    return found


def _place_breaks(
    deficit: IntArray, start: int, length: int, rules: list[tuple[int, int, int, str]]
) -> tuple[tuple[int, int, str], ...] | None:
    """Each break at the offset in its window with the lowest deficit sum (earliest on ties),
    not overlapping breaks placed before it; None if a break has no room."""
    cumulative = np.concatenate(([0], np.cumsum(deficit[start : start + length])))
    taken = np.zeros(length + 1, np.int64)  # cumulative count of intervals already on break
    placed: list[tuple[int, int, str]] = []
    for earliest, latest, duration, kind in rules:
        offsets = np.arange(earliest, latest + 1)
        cost = cumulative[offsets + duration] - cumulative[offsets]
        free = (taken[offsets + duration] - taken[offsets]) == 0
        if not free.any():
            return None
        offset = int(offsets[free][np.argmin(cost[free])])  # argmin: the earliest on ties
        placed.append((offset, offset + duration, kind))
        on_break = np.zeros(length, np.int64)
        for begin, end, _ in placed:
            on_break[begin:end] = 1
        taken = np.concatenate(([0], np.cumsum(on_break)))
    return tuple(placed)


def _evaluate(
    deficit: IntArray,
    template: int,
    start: int,
    length: int,
    rules: list[tuple[int, int, int, str]],
) -> tuple[tuple[int, int, int, int], _Candidate] | None:
    """The candidate with its breaks placed and its sort key (smallest wins), None if its breaks
    do not fit."""
    breaks = _place_breaks(deficit, start, length, rules)
    if breaks is None:
        return None
    on = np.ones(length, bool)
    for begin, end, _ in breaks:
        on[begin:end] = False
    window = deficit[start : start + length][on]
    gain = int((window > 0).sum())
    waste = int(on.sum()) - gain
    return (-gain, waste, start, template), _Candidate(template, start, length, breaks)


def _assign_agents(
    chosen: list[_Candidate],
    templates: list[ShiftTemplate],
    interval_minutes: int,
    rules: SchedulingRules,
) -> list[ScheduledShift]:
    per_day = MINUTES_PER_DAY // interval_minutes
    per_week = 7 * per_day
    rest = int(np.ceil(rules.min_rest_hours * 60 / interval_minutes - 1e-9))
    max_week = rules.max_weekly_hours * 60 / interval_minutes + 1e-9  # in intervals
    # Per agent: end of their last shift, days worked, intervals worked per week.
    last_end: list[int] = []
    days: list[set[int]] = []
    weekly: list[dict[int, int]] = []
    shifts = []
    for cand in sorted(chosen, key=lambda c: (c.start, c.template)):
        day, week = cand.start // per_day, cand.start // per_week
        if cand.length > max_week:
            raise ValueError(
                f"template {templates[cand.template].name}: longer than max_weekly_hours"
            )
        agent = next(
            (
                k
                for k in range(len(last_end))
                if day not in days[k]
                and cand.start - last_end[k] >= rest
                and weekly[k].get(week, 0) + cand.length <= max_week
            ),
            None,
        )
        if agent is None:
            agent = len(last_end)
            last_end.append(0)
            days.append(set())
            weekly.append({})
        last_end[agent] = cand.start + cand.length
        days[agent].add(day)
        weekly[agent][week] = weekly[agent].get(week, 0) + cand.length
        shifts.append(
            ScheduledShift(
                agent=agent,
                template=templates[cand.template].name,
                start=cand.start,
                end=cand.start + cand.length,
                breaks=tuple(
                    ScheduledBreak(cand.start + begin, cand.start + end, kind)
                    for begin, end, kind in cand.breaks
                ),
            )
        )
    return shifts


def build_schedule(
    required: npt.ArrayLike,
    templates: list[ShiftTemplate],
    interval_minutes: int,
    rules: SchedulingRules | None = None,
    *,
    max_shifts: int = 10_000,
) -> Schedule:
    """Greedy shifts covering ``required`` (see the module docstring for the algorithm)."""
    rules = rules or SchedulingRules()
    if interval_minutes <= 0 or MINUTES_PER_DAY % interval_minutes:
        raise ValueError("interval_minutes: must divide a day (e.g. 15, 30, 60)")
    need = np.asarray(required, np.int64)
    if need.ndim != 1 or np.any(need < 0):
        raise ValueError("required: one non-negative agent count per interval")
    if not templates:
        raise ValueError("templates: at least one shift template")
    candidates = _candidates(templates, interval_minutes, len(need), rules)
    deficit = need.copy()
    # A candidate's evaluation depends only on the deficit inside its span: after adding a shift
    # only the candidates overlapping it are evaluated again.
    evaluated = [_evaluate(deficit, *candidate) for candidate in candidates]
    starts = np.array([c[1] for c in candidates], np.int64)
    ends = starts + np.array([c[2] for c in candidates], np.int64)
    chosen: list[_Candidate] = []
    while len(chosen) < max_shifts and (deficit > 0).any():
        keyed = [e for e in evaluated if e is not None]
        if not keyed:
            break
        key, cand = min(keyed, key=lambda e: e[0])
        if -key[0] < max(rules.min_gain, 1):
            break
        on = np.ones(cand.length, np.int64)
        for begin, end, _ in cand.breaks:
            on[begin:end] = 0
        deficit[cand.start : cand.start + cand.length] -= on
        chosen.append(cand)
        touched = np.flatnonzero((starts < cand.start + cand.length) & (ends > cand.start))
        for index in touched.tolist():
            evaluated[index] = _evaluate(deficit, *candidates[index])
    shifts = _assign_agents(chosen, templates, interval_minutes, rules)
    return Schedule(interval_minutes=interval_minutes, required=need, shifts=shifts)
