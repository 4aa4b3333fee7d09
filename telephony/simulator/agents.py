"""Agents: shifts planned from a forecast, the pool a queue simulation draws agents from, and the
agent state events that follow from what each agent actually did.

All instants are integer microseconds relative to the window start.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from telephony.simulator.clock import US_PER_S

INTERVAL_US = 1800 * US_PER_S  # staffing intervals are half hours
STATES: tuple[str, ...] = ("login", "ready", "not_ready", "on_call", "wrap_up", "logout")
LOGIN, READY, NOT_READY, ON_CALL, WRAP_UP, LOGOUT = range(6)
#: What the schedule says an agent should be doing (for adherence).
ACTIVITIES: tuple[str, ...] = ("open", "break", "lunch", "training", "off")
BREAK_REASONS: tuple[str, ...] = ("break", "lunch", "training", "personal")


@dataclass
class Shift:
    """One agent's working session: ready from ``login_us`` until ``end_us`` (plus overrun)."""

    agent: int  # index into the world's agent registry
    queue: int  # global queue index; -1 for outbound (dialer) agents
    scheduled_start_us: int
    login_us: int
    end_us: int
    breaks: list[tuple[int, int, int]]  # (scheduled start, duration, reason code)
    # Filled in by the pool:
    calls: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # answer, end, wrap end, ref
    taken_breaks: list[tuple[int, int, int]] = field(default_factory=list)  # start, end, reason
    logout_us: int = -1


class AgentPool:
    """Agents of one queue or campaign, served longest-idle first.

    The heap holds ``(free_at, shift)``: when an agent is next free. Breaks and logouts are
    applied lazily when an agent reaches the top: an idle agent goes on break at the scheduled
    time, a busy one right after the call; an agent whose shift is over leaves the pool.
    """

    def __init__(self, shifts: list[Shift]) -> None:
        self.shifts = shifts
        self._heap = [(s.login_us, sid) for sid, s in enumerate(shifts)]
        heapq.heapify(self._heap)
        self._next_break = [0] * len(shifts)
        self._finished = False

    def available(self, t_us: int) -> tuple[int, int] | None:
        """The agent who can take a call arriving at ``t_us`` soonest, and from when."""
        heap = self._heap
        shifts = self.shifts
        while heap:
            free_at, sid = heap[0]
            start = t_us if t_us > free_at else free_at
            shift = shifts[sid]
            pending = self._next_break[sid]
            if pending < len(shift.breaks) and shift.breaks[pending][0] <= start:
                break_at, duration, reason = shift.breaks[pending]
                self._next_break[sid] = pending + 1
                begin = free_at if free_at > break_at else break_at
                if begin < shift.end_us:
                    shift.taken_breaks.append((begin, begin + duration, reason))
                    heapq.heapreplace(heap, (begin + duration, sid))
                continue
            if start >= shift.end_us:
                heapq.heappop(heap)
                shift.logout_us = max(shift.end_us, free_at)
                continue
            return sid, start
        return None

    def serve(self, sid: int, answer_us: int, end_us: int, wrap_end_us: int, ref: int) -> None:
        """The agent returned by ``available`` handles a call (must be called right after it)."""
        self.shifts[sid].calls.append((answer_us, end_us, wrap_end_us, ref))
        heapq.heapreplace(self._heap, (wrap_end_us, sid))

    def defer(self, sid: int, free_at_us: int) -> None:
        """The agent returned by ``available`` is busy without a call (e.g. a dialer attempt)."""
        heapq.heapreplace(self._heap, (free_at_us, sid))

    def finish(self) -> None:
        """Close the day: remaining scheduled breaks are taken, everyone logs out."""
        if self._finished:
            return
        for free_at, sid in self._heap:
            shift = self.shifts[sid]
            for break_at, duration, reason in shift.breaks[self._next_break[sid] :]:
                begin = max(free_at, break_at)
                if begin < shift.end_us:
                    shift.taken_breaks.append((begin, begin + duration, reason))
                    free_at = begin + duration
            shift.logout_us = max(shift.end_us, free_at)
        self._heap = []
        self._finished = True


def required_agents(load_erlangs: np.ndarray, beta: float, shrinkage: float) -> np.ndarray:
    """Square-root staffing per interval: load + beta * sqrt(load), grossed up for shrinkage."""
    need = (load_erlangs + beta * np.sqrt(load_erlangs)) / (1.0 - shrinkage)
    return np.maximum(1, np.ceil(need)).astype(np.int64)


def plan_shifts(
    required: np.ndarray,
    rng: np.random.Generator,
    *,
    absence_rate: float = 0.04,
    part_time_share: float = 0.25,
) -> list[tuple[int, int, int, list[tuple[int, int, int]]]]:
    """Greedy cover of the per-interval requirement with 8 h and 4 h shifts.

    Returns ``(scheduled_start, login, end, breaks)`` per shift that actually happens: some
    agents are absent and some log in late, so a few intervals end up understaffed.
    """
    cover = np.zeros(len(required) + 16, dtype=np.int64)
    planned: list[tuple[int, int]] = []
    for i in range(len(required)):
        deficit = int(required[i] - cover[i])
        for _ in range(max(0, deficit)):
            length = 8 if rng.random() < part_time_share else 16
            cover[i : i + length] += 1
            planned.append((i, length))
    shifts = []
    cohort: dict[int, int] = {}
    for first, length in planned:
        if rng.random() < absence_rate:
            continue
        start = first * INTERVAL_US
        end = (first + length) * INTERVAL_US
        late = int(rng.exponential(240.0) * US_PER_S) if rng.random() < 0.2 else 0
        # Agents starting together take their breaks a quarter hour apart (staggered).
        rank = cohort[first] = cohort.get(first, -1) + 1
        stagger = ((rank % 4) * 15 - 22) * 60 * US_PER_S
        breaks = shift_breaks(start, length * INTERVAL_US, rng, stagger)
        shifts.append((start, start + late, end, breaks))
    return shifts


def shift_breaks(
    start_us: int, length_us: int, rng: np.random.Generator, stagger_us: int = 0
) -> list[tuple[int, int, int]]:
    """Scheduled breaks of a shift: 15 min every two hours, 30 min lunch in longer shifts."""
    hours = length_us / (3600 * US_PER_S)
    if hours >= 7:
        plan = [(2.0, 900, 0), (hours / 2, 1800, 1), (hours - 2.0, 900, 0)]
    elif hours >= 3.5:
        plan = [(hours / 2, 900, 0)]
    else:
        plan = []
    breaks: list[tuple[int, int, int]] = []
    for at_hours, duration, reason in plan:
        at = start_us + stagger_us + int((at_hours + rng.uniform(-0.1, 0.1)) * 3600 * US_PER_S)
        breaks.append((at, int(duration * rng.uniform(0.9, 1.15)) * US_PER_S, reason))
    if len(breaks) == 3 and rng.random() < 0.08:
        # Occasional coaching session replaces the last short break.
        breaks[-1] = (breaks[-1][0], 1800 * US_PER_S, 2)
    if hours >= 2 and rng.random() < 0.1:
        # An unplanned personal break somewhere in the first half of the shift.
        at = start_us + int(rng.uniform(0.5, hours * 0.5) * 3600 * US_PER_S)
        breaks.append((at, int(rng.uniform(180, 600)) * US_PER_S, 3))
        breaks.sort()
    return breaks


class AgentRoster:
    """Assigns shifts to named agents: one agent per shift, at least 10 h rest in between."""

    REST_US = 10 * 3600 * US_PER_S

    def __init__(self, registry: list[str], tenant_id: str) -> None:
        self._registry = registry
        self._tenant_id = tenant_id
        self._free_from: list[tuple[int, int]] = []  # (agent index, free from)
        self._count = 0

    def assign(self, start_us: int, end_us: int) -> int:
        for k, (agent, free_from) in enumerate(self._free_from):
            if free_from <= start_us:
                self._free_from[k] = (agent, end_us + self.REST_US)
                return agent
        agent = len(self._registry)
        self._count += 1
        self._registry.append(f"{self._tenant_id}-ag{self._count:03d}")
        self._free_from.append((agent, end_us + self.REST_US))
        return agent


def scheduled_activity(shift: Shift, t_us: int) -> int:
    if t_us < shift.scheduled_start_us or t_us >= shift.end_us:
        return 4  # off
    for at, duration, reason in shift.breaks:
        if at <= t_us < at + duration and reason != 3:  # personal breaks are not scheduled
            return 1 + min(reason, 2)
    return 0


@dataclass
class AgentEvents:
    """Columns of agent state events (integer codes; call refs are global call indices)."""

    tenant: list[int] = field(default_factory=list)
    agent: list[int] = field(default_factory=list)
    state: list[int] = field(default_factory=list)
    reason: list[int] = field(default_factory=list)
    queue: list[int] = field(default_factory=list)
    call: list[int] = field(default_factory=list)
    activity: list[int] = field(default_factory=list)
    t_us: list[int] = field(default_factory=list)

    def add_pool(
        self,
        pool: AgentPool,
        tenant: int,
        call_offset: int,
        rng: np.random.Generator,
        call_queue: np.ndarray | None = None,
    ) -> None:
        """Events of every shift in a finished pool; call refs are shifted by ``call_offset``.

        ``call_queue`` (by pool-local call ref) names the queue of each call: on_call and
        wrap_up events carry it; other events carry the shift's home queue.
        """
        pool.finish()
        self._call_queue = call_queue.tolist() if call_queue is not None else None
        prep = (rng.uniform(5, 120, size=len(pool.shifts)) * US_PER_S).astype(np.int64)
        for sid, shift in enumerate(pool.shifts):
            self._add_shift(shift, tenant, call_offset, int(prep[sid]))

    def _emit(
        self, shift: Shift, tenant: int, state: int, t: int, reason: int, call: int, queue: int = -2
    ) -> None:
        self.tenant.append(tenant)
        self.agent.append(shift.agent)
        self.state.append(state)
        self.reason.append(reason)
        self.queue.append(shift.queue if queue == -2 else queue)
        self.call.append(call)
        self.activity.append(scheduled_activity(shift, t))
        self.t_us.append(t)

    def _add_shift(self, shift: Shift, tenant: int, call_offset: int, prep_us: int) -> None:
        emit = self._emit
        emit(shift, tenant, LOGIN, shift.login_us - prep_us, -1, -1)
        activities: list[tuple[int, int, int, int, int]] = [
            (answer, 0, end, wrap_end, ref) for answer, end, wrap_end, ref in shift.calls
        ]
        activities += [(begin, 1, end, end, reason) for begin, end, reason in shift.taken_breaks]
        activities.sort()
        idle_from = shift.login_us  # the agent is ready from here unless something starts now
        for begin, kind, end, done, extra in activities:
            if idle_from < begin:
                emit(shift, tenant, READY, idle_from, -1, -1)
            if kind == 0:
                queue = self._call_queue[extra] if self._call_queue is not None else shift.queue
                emit(shift, tenant, ON_CALL, begin, -1, call_offset + extra, queue)
                emit(shift, tenant, WRAP_UP, end, -1, call_offset + extra, queue)
            else:
                emit(shift, tenant, NOT_READY, begin, extra, -1)
            idle_from = done
        logout = max(shift.logout_us, idle_from)
        if idle_from < logout:
            emit(shift, tenant, READY, idle_from, -1, -1)
        emit(shift, tenant, LOGOUT, logout, -1, -1)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def interval_count(window_us: int) -> int:
    return math.ceil(window_us / INTERVAL_US)
