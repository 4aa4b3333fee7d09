"""Erlang B and Erlang C (M/M/N, no abandonment) and the agents an interval needs.

Formulas (../shared/reference/FORMULAS.md): offered load A = calls × AHT / interval; Erlang B by
the stable recursion B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)); probability of waiting
Pw = N·B / (N − A·(1 − B)) for N > A; service level SL(t) = 1 − Pw·exp(−(N − A)·t / AHT);
ASA = Pw·AHT / (N − A); occupancy = A / N. Required agents: the smallest N > A with SL ≥ target
and occupancy ≤ cap; positions = ceil(N / (1 − shrinkage)).

Everything is vectorised over intervals: the agent search walks N = 1, 2, ... once for all
intervals together (the Erlang B recursion is the walk), so 10,000 intervals cost one pass of
numpy operations per candidate N, not a Python loop per interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ArrayLike = float | npt.ArrayLike


def offered_load(calls: ArrayLike, aht_s: ArrayLike, interval_s: ArrayLike) -> FloatArray:
    """A in Erlangs: calls × AHT / interval length (same time unit for AHT and interval)."""
    return (
        np.asarray(calls, np.float64)
        * np.asarray(aht_s, np.float64)
        / np.asarray(interval_s, np.float64)
    )


def erlang_b(load: ArrayLike, agents: int) -> FloatArray:
    """Blocking probability of ``agents`` servers offered ``load`` Erlangs (stable recursion)."""
    a = np.asarray(load, np.float64)
    b = np.ones_like(a)
    for n in range(1, agents + 1):
        b = a * b / (n + a * b)
    return b


def _wait_probability(load: FloatArray, agents: FloatArray, blocking: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        pw = agents * blocking / (agents - load * (1.0 - blocking))
    return np.where(agents > load, pw, 1.0)  # N <= A: the queue grows without bound


def erlang_c(load: ArrayLike, agents: ArrayLike) -> FloatArray:
    """Probability of waiting Pw (1 where agents <= load)."""
    a = np.asarray(load, np.float64)
    n = np.broadcast_to(np.asarray(agents, np.int64), a.shape)
    result = np.empty(a.shape, np.float64)
    for count in np.unique(n):
        mask = n == count
        result[mask] = _wait_probability(
            a[mask], np.full(mask.sum(), float(count)), erlang_b(a[mask], int(count))
        )
    return result


def service_level(
    load: ArrayLike, agents: ArrayLike, aht_s: ArrayLike, answer_within_s: ArrayLike
) -> FloatArray:
    """SL(t) = 1 − Pw·exp(−(N − A)·t / AHT) (0 where agents <= load)."""
    a = np.asarray(load, np.float64)
    n = np.asarray(agents, np.float64)
    pw = erlang_c(a, agents)
    sl = 1.0 - pw * np.exp(-(n - a) * np.asarray(answer_within_s) / np.asarray(aht_s))
    return np.where(n > a, sl, 0.0)


def checked_targets(
    max_occupancy: ArrayLike, shrinkage: ArrayLike, target_service_level: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The staffing targets as arrays (occupancy cap, shrinkage, service level), each checked
    to be in its range (``ValueError`` naming the argument otherwise)."""
    cap = np.asarray(max_occupancy, np.float64)
    shrink = np.asarray(shrinkage, np.float64)
    target = np.asarray(target_service_level, np.float64)
    if np.any(cap <= 0) or np.any(cap > 1):
        raise ValueError("max_occupancy: must be in (0, 1]")
    if np.any(shrink < 0) or np.any(shrink >= 1):
        raise ValueError("shrinkage: must be in [0, 1)")
    if np.any(target < 0) or np.any(target >= 1):
        raise ValueError("target_service_level: must be in [0, 1)")
    return cap, shrink, target


def positions_to_schedule(agents: IntArray, shrinkage: FloatArray) -> IntArray:
    """Positions to schedule so that ``agents`` remain on the phones after ``shrinkage``."""
    gross = agents / (1.0 - np.broadcast_to(shrinkage, agents.shape)) - 1e-9
    return np.ceil(gross).astype(np.int64)


@dataclass(frozen=True)
class StaffingResult:
    """Per interval: agents on the phones, positions to schedule, and what they achieve."""

    load: FloatArray
    agents: IntArray
    positions: IntArray
    service_level: FloatArray
    occupancy: FloatArray
    probability_wait: FloatArray
    asa_s: FloatArray


def required_agents(
    calls: ArrayLike,
    aht_s: ArrayLike,
    interval_s: ArrayLike,
    answer_within_s: ArrayLike,
    target_service_level: ArrayLike,
    max_occupancy: ArrayLike = 1.0,
    shrinkage: ArrayLike = 0.0,
    *,
    max_agents: int = 10_000,
) -> StaffingResult:
    """The smallest N > A per interval with SL ≥ target and occupancy ≤ cap (0 with no calls)."""
    cap, shrink, target = checked_targets(max_occupancy, shrinkage, target_service_level)
    a = np.atleast_1d(offered_load(calls, aht_s, interval_s))
    aht = np.broadcast_to(np.asarray(aht_s, np.float64), a.shape)
    within = np.broadcast_to(np.asarray(answer_within_s, np.float64), a.shape)
    target_b = np.broadcast_to(target, a.shape)
    cap_b = np.broadcast_to(cap, a.shape)
    if np.any(a < 0):
        raise ValueError("calls and aht_s: must not be negative")
    agents = np.zeros(a.shape, np.int64)
    sl = np.where(a == 0, 1.0, 0.0)
    pw = np.zeros(a.shape)
    unsolved = a > 0
    blocking = np.ones(a.shape)
    for n in range(1, max_agents + 1):
        if not unsolved.any():
            break
        blocking = a * blocking / (n + a * blocking)
        candidate = unsolved & (n > a) & (a / n <= cap_b + 1e-12)  # A/N == cap exactly: allowed
        if not candidate.any():
            continue
        idx = np.flatnonzero(candidate)  # only the intervals still searching, with N > A
        a_i, b_i = a[idx], blocking[idx]
        pw_n = n * b_i / (n - a_i * (1.0 - b_i))
        sl_n = 1.0 - pw_n * np.exp(-(n - a_i) * within[idx] / aht[idx])
        ok = sl_n >= target_b[idx]
        met = idx[ok]
        agents[met], sl[met], pw[met] = n, sl_n[ok], pw_n[ok]
        unsolved[met] = False
    if unsolved.any():
        raise ValueError(f"no staffing up to {max_agents} agents meets the targets")
    with np.errstate(divide="ignore", invalid="ignore"):
        occupancy = np.where(agents > 0, a / agents, 0.0)
        asa = np.where(agents > a, pw * aht / (agents - a), 0.0)
    positions = positions_to_schedule(agents, shrink)
    return StaffingResult(a, agents, positions, sl, occupancy, pw, asa)
