"""Erlang A (Palm's M/M/N+M queue): Erlang C plus callers who hang up after an exponential patience.

Notation (Mandelbaum & Zeltyn, "The Palm/Erlang-A queue, with applications to call centers", 2005;
Garnett, Mandelbaum & Reiman 2002): arrival rate λ, service rate μ = 1/AHT, abandonment rate
θ = 1/mean patience, N agents, offered load A = λ/μ, x = Nμ/θ, y = λ/θ, ρ = λ/(Nμ) = y/x, and
E = Erlang B(N, A). With the series F(s, z) = Σ_{j≥0} z^j / ∏_{k=1..j}(s + k) (so that the
stationary probabilities beyond N are π_{N+j} = π_N · y^j / ∏(x + k)):

* probability of waiting  Pw = F(x, y)·E / (1 + (F(x, y) − 1)·E)
* abandonment             P(Ab) = Pw · (1 − 1/ρ + 1/(ρ·F(x, y)))
* answered within t       SL(t) = (1 − Pw) + Pw/ρ · (1 − 1/F(x, y) − G(t)), with
                          G(t) = y_t·exp(y − y_t − Nμt)·F(x + 1, y_t) / ((x + 1)·F(x, y)),
                          y_t = y·e^(−θt)
  (a caller who finds j waiting is answered with probability x/(x + j + 1) after a wait that is a
  sum of exponentials with rates θ(x + 1) … θ(x + j + 1); summing over j gives the closed form).
  The service level is the share of OFFERED calls answered within t: an abandoned call is a miss.
* ASA (mean wait of answered calls) = ∫ P(wait > t, answered) dt / P(answered), with
  P(wait > t, answered) = Pw/ρ · G(t), by Gauss–Laguerre quadrature scaled to G's decay.
* occupancy = A·(1 − P(Ab)) / N (abandoned callers take no agent time).

As θ → 0 these tend to Erlang C (F(x, y) → 1/(1 − ρ), G(t) → ρ·e^(−(N − A)t/AHT)).

Numerical stability: F is evaluated in log space, from the regularized incomplete gamma function
(log F(s, z) = z − s·log z + lgamma(s + 1) + log P(s, z)) where P(s, z) is representable, and by
its series (terms decrease geometrically there, since z < s) where P(s, z) underflows: large N
and long patience (x in the millions) stay finite. The agent search walks N = 1, 2, … once for
all intervals, as in ``erlang.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from models_ml.wfm.erlang import (
    ArrayLike,
    FloatArray,
    IntArray,
    checked_targets,
    offered_load,
    positions_to_schedule,
)

#: Below this, P(s, z) is computed by scipy but may have lost relative precision: use the series.
_TINY_GAMMA = 1e-250
_LAGUERRE_NODES, _LAGUERRE_WEIGHTS = np.polynomial.laguerre.laggauss(60)


def log_series_f(s: FloatArray, z: FloatArray) -> FloatArray:
    """log F(s, z), F(s, z) = Σ_{j≥0} z^j / ∏_{k=1..j}(s + k) = s·e^z·z^(−s)·γ(s, z) (s > 0)."""
    s, z = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(z, np.float64))
    shape = s.shape
    s, z = s.ravel(), z.ravel()
    out = np.zeros(s.shape)  # F(s, 0) = 1
    positive = z > 0
    with np.errstate(divide="ignore", under="ignore"):
        p = special.gammainc(s, np.where(positive, z, 1.0))
        by_gamma = positive & (p > _TINY_GAMMA)
        sg, zg = s[by_gamma], z[by_gamma]
        # z − s·log z + lgamma(s + 1) = s·(u − log1p(u)) + ½·log(2πs) + Stirling rest, u = z/s − 1:
        # no cancellation between terms of size s when s is in the millions (long patience).
        u = (zg - sg) / sg
        near = np.abs(u) < 0.5  # log1p only near z = s: far from it, u may round to −1
        log_ratio = np.where(near, np.log1p(np.where(near, u, 0.0)), np.log(zg) - np.log(sg))
        out[by_gamma] = (
            sg * (u - log_ratio)
            + 0.5 * np.log(2.0 * np.pi * sg)
            + _stirling_rest(sg)
            + np.log(p[by_gamma])
        )
    by_series = np.flatnonzero(positive & ~by_gamma)
    if by_series.size:
        out[by_series] = np.log(_series_f(s[by_series], z[by_series]))
    return out.reshape(shape)


def _stirling_rest(s: FloatArray) -> FloatArray:
    """lgamma(s + 1) − ((s + ½)·log s − s + ½·log 2π): the Stirling series for s ≥ 30."""
    large = s >= 30.0
    safe = np.where(large, s, 30.0)
    series = 1.0 / (12.0 * safe) - 1.0 / (360.0 * safe**3) + 1.0 / (1260.0 * safe**5)
    small = np.where(large, 1.0, s)
    direct = special.gammaln(small + 1.0) - ((small + 0.5) * np.log(small) - small)
    return np.where(large, series, direct - 0.5 * np.log(2.0 * np.pi))


def _series_f(s: FloatArray, z: FloatArray) -> FloatArray:
    """F(s, z) by its series; used only where P(s, z) underflows, i.e. z well below s."""
    total = np.ones(s.shape)
    term = np.ones(s.shape)
    active = np.arange(s.size)
    k = 0
    while active.size:
        k += 1
        term[active] *= z[active] / (s[active] + k)
        total[active] += term[active]
        active = active[term[active] > 1e-17 * total[active]]
        if k > 10_000_000:  # unreachable for z < s; a guard, not a limit in practice
            raise RuntimeError("Erlang A series did not converge")
    return total


@dataclass(frozen=True)
class ErlangAResult:
    """Per interval (arrays broadcast together)."""

    probability_wait: FloatArray
    abandon_probability: FloatArray
    service_level: FloatArray  # share of offered calls answered within the threshold
    asa_s: FloatArray  # mean wait of answered calls
    occupancy: FloatArray


def erlang_a(
    load: ArrayLike,
    agents: ArrayLike,
    aht_s: ArrayLike,
    patience_s: ArrayLike,
    answer_within_s: ArrayLike,
) -> ErlangAResult:
    """Erlang A measures for ``agents`` servers offered ``load`` Erlangs (vectorised)."""
    a, n, aht, patience, within = (
        np.asarray(v, np.float64)
        for v in np.broadcast_arrays(load, agents, aht_s, patience_s, answer_within_s)
    )
    if np.any(patience <= 0) or np.any(aht <= 0):
        raise ValueError("patience_s and aht_s: must be positive")
    if np.any(n < 1) or np.any(n != np.round(n)):
        raise ValueError("agents: must be whole and at least 1")
    blocking = _erlang_b_many(a, n.astype(np.int64))
    return _measures(a, n, aht, patience, within, blocking)


def _erlang_b_many(load: FloatArray, agents: IntArray) -> FloatArray:
    """Erlang B for per-interval agent counts: one recursion up to the largest N."""
    b = np.ones(load.shape)
    out = np.ones(load.shape)
    for k in range(1, int(agents.max(initial=0)) + 1):
        b = load * b / (k + load * b)
        out = np.where(agents == k, b, out)
    return out


def _measures(
    a: FloatArray,
    n: FloatArray,
    aht: FloatArray,
    patience: FloatArray,
    within: FloatArray,
    blocking: FloatArray,
) -> ErlangAResult:
    """The closed forms above, given Erlang B; a = 0 gives no waiting and full service level."""
    mu = 1.0 / aht
    theta = 1.0 / patience
    lam = a * mu
    x = n * mu / theta
    y = lam / theta
    has_calls = a > 0
    rho = np.where(has_calls, y / x, 1.0)
    log_f = log_series_f(x, y)
    inv_f = np.exp(-log_f)
    # Pw = F·E / (1 + (F − 1)·E) = E / (E + (1 − E)/F): finite for any F.
    pw = np.where(has_calls, blocking / (blocking + (1.0 - blocking) * inv_f), 0.0)
    served_if_waiting = (1.0 - inv_f) / rho  # P(answered | waited)
    abandon = pw * (1.0 - served_if_waiting)
    g_t = _g(x, y, n * mu, theta, log_f, within)
    sl = np.where(has_calls, 1.0 - pw + pw / rho * (1.0 - inv_f - g_t), 1.0)
    # ASA: ∫_0^∞ G(t) dt by Gauss–Laguerre on t = scale·u, scale ~ 1/decay rate of G.
    scale = 1.0 / (theta + np.maximum(n * mu - lam, 0.0))
    nodes = _LAGUERRE_NODES[:, None] * scale.reshape(1, -1)
    g_nodes = _g(
        *(np.broadcast_to(v.reshape(1, -1), nodes.shape) for v in (x, y, n * mu, theta, log_f)),
        nodes,
    )
    integral = (
        (_LAGUERRE_WEIGHTS[:, None] * np.exp(_LAGUERRE_NODES)[:, None] * g_nodes).sum(axis=0)
    ).reshape(a.shape) * scale
    answered = 1.0 - abandon
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = np.where(has_calls & (pw > 0), pw / rho * integral / answered, 0.0)
    occupancy = np.where(has_calls, a * answered / n, 0.0)
    return ErlangAResult(pw, abandon, np.clip(sl, 0.0, 1.0), asa, occupancy)


def _g(
    x: FloatArray,
    y: FloatArray,
    n_mu: FloatArray,
    theta: FloatArray,
    log_f: FloatArray,
    t: FloatArray,
) -> FloatArray:
    """G(t) = y_t·exp(y − y_t − Nμt)·F(x + 1, y_t) / ((x + 1)·F(x, y)), y_t = y·e^(−θt)."""
    y_t = y * np.exp(-theta * t)
    with np.errstate(divide="ignore"):
        # y − y_t = −y·expm1(−θt): y is λ·patience, in the billions for very long patience.
        log_g = (
            np.log(y)
            - theta * t
            - y * np.expm1(-theta * t)
            - n_mu * t
            + log_series_f(x + 1.0, y_t)
            - np.log(x + 1.0)
            - log_f
        )
    return np.where(y_t > 0, np.exp(log_g), 0.0)


@dataclass(frozen=True)
class ErlangAStaffing:
    """Per interval: agents, positions and what they achieve under Erlang A."""

    load: FloatArray
    agents: IntArray
    positions: IntArray
    service_level: FloatArray
    occupancy: FloatArray
    probability_wait: FloatArray
    abandon_probability: FloatArray
    asa_s: FloatArray


def required_agents_erlang_a(
    calls: ArrayLike,
    aht_s: ArrayLike,
    interval_s: ArrayLike,
    answer_within_s: ArrayLike,
    target_service_level: ArrayLike,
    patience_s: ArrayLike,
    max_occupancy: ArrayLike = 1.0,
    shrinkage: ArrayLike = 0.0,
    *,
    max_agents: int = 10_000,
) -> ErlangAStaffing:
    """The smallest N ≥ 1 per interval with SL ≥ target and occupancy ≤ cap (0 with no calls).

    Unlike Erlang C, N ≤ A is allowed (abandonment keeps the queue finite); occupancy counts only
    answered calls' work, A·(1 − P(Ab))/N.
    """
    cap, shrink, target = checked_targets(max_occupancy, shrinkage, target_service_level)
    a = np.atleast_1d(offered_load(calls, aht_s, interval_s))
    if np.any(a < 0):
        raise ValueError("calls and aht_s: must not be negative")
    aht, within, patience, target_b, cap_b = (
        np.broadcast_to(np.asarray(v, np.float64), a.shape).copy()
        for v in (aht_s, answer_within_s, patience_s, target, cap)
    )
    if np.any(patience[a > 0] <= 0):
        raise ValueError("patience_s: must be positive")
    agents = np.zeros(a.shape, np.int64)
    sl = np.where(a == 0, 1.0, 0.0)
    pw, abandon, asa, occupancy = (np.zeros(a.shape) for _ in range(4))
    unsolved = a > 0
    blocking = np.ones(a.shape)
    for n in range(1, max_agents + 1):
        if not unsolved.any():
            break
        blocking = a * blocking / (n + a * blocking)
        idx = np.flatnonzero(unsolved)
        m = _measures(
            a[idx], np.full(idx.size, float(n)), aht[idx], patience[idx], within[idx], blocking[idx]
        )
        ok = (m.service_level >= target_b[idx]) & (m.occupancy <= cap_b[idx] + 1e-12)
        met = idx[ok]
        agents[met], sl[met], pw[met] = n, m.service_level[ok], m.probability_wait[ok]
        abandon[met], asa[met], occupancy[met] = (
            m.abandon_probability[ok],
            m.asa_s[ok],
            m.occupancy[ok],
        )
        unsolved[met] = False
    if unsolved.any():
        raise ValueError(f"no staffing up to {max_agents} agents meets the targets")
    positions = positions_to_schedule(agents, shrink)
    return ErlangAStaffing(a, agents, positions, sl, occupancy, pw, abandon, asa)
