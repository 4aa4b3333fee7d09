"""Erlang A (M/M/N+M) against an independent solution of its birth-death chain, its Erlang C
limit as patience → ∞, stability for large N, the agent search and the CLI."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from scipy.linalg import expm
from typer.testing import CliRunner

from irisx.cli import app
from models_ml.wfm import erlang_c, required_agents, service_level
from models_ml.wfm.erlang_a import erlang_a, required_agents_erlang_a


def chain_solution(
    load: float, agents: int, aht_s: float, patience_s: float, within_s: float, depth: int = 150
) -> dict[str, float]:
    """The M/M/N+M queue solved directly on states 0 … N + depth, without the closed forms.

    Stationary law: balance equations π·Q = 0 of the birth-death generator (birth λ, death
    min(k, N)·μ + (k − N)⁺·θ), solved by least squares with Σπ = 1. A caller who arrives (PASTA)
    in state N + j has j callers ahead; his own wait is a Markov chain on "callers ahead"
    m = j … 0: m → m − 1 at rate Nμ + mθ (a server frees or one ahead abandons), 0 → answered at
    rate Nμ, any m → abandoned at rate θ. P(answered by t) comes from the matrix exponential of
    that chain, the mean time to answer from its fundamental matrix (−Q_T)⁻¹.
    """
    mu, theta = 1.0 / aht_s, 1.0 / patience_s
    lam = load * mu
    size = agents + depth + 1
    q = np.zeros((size, size))
    for k in range(size):
        if k + 1 < size:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = min(k, agents) * mu + max(k - agents, 0) * theta
        q[k, k] = -q[k].sum()
    lhs = np.vstack([q.T, np.ones(size)])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(lhs, rhs, rcond=None)[0]
    queue = np.arange(size) - agents
    pw = pi[agents:].sum()
    abandon = theta * (np.maximum(queue, 0) * pi).sum() / lam  # abandonment flow / arrivals
    # The tagged caller: transient states m = 0 … depth (callers ahead), then answered, abandoned.
    states = depth + 1
    tagged = np.zeros((states + 2, states + 2))
    answered, gone = states, states + 1
    for m in range(states):
        if m > 0:
            tagged[m, m - 1] = agents * mu + m * theta
        else:
            tagged[m, answered] = agents * mu
        tagged[m, gone] = theta
        tagged[m, m] = -tagged[m].sum()
    answered_by_t = expm(tagged * within_s)[:states, answered]
    q_t = tagged[:states, :states]
    p_answer = np.linalg.solve(-q_t, tagged[:states, answered])  # P(answered | m ahead)
    time_to_answer = np.linalg.solve(-q_t, p_answer)  # E[wait · 1{answered} | m ahead]
    waiting = pi[agents:]
    sl = pi[:agents].sum() + (waiting * answered_by_t).sum()
    asa = (waiting * time_to_answer).sum() / (1.0 - abandon)
    return {"pw": pw, "abandon": abandon, "sl": sl, "asa": asa}


@pytest.mark.parametrize(
    ("load", "agents", "aht_s", "patience_s", "within_s"),
    [
        (10.0, 14, 180.0, 120.0, 19.8),  # comfortably staffed
        (10.0, 10, 180.0, 60.0, 20.0),  # N = A: stable only thanks to abandonment
        (20.0, 16, 300.0, 90.0, 30.0),  # understaffed: N < A
        (2.0, 1, 240.0, 600.0, 15.0),  # a single agent
    ],
)
def test_closed_forms_equal_the_birth_death_chain(
    load: float, agents: int, aht_s: float, patience_s: float, within_s: float
) -> None:
    expected = chain_solution(load, agents, aht_s, patience_s, within_s)
    got = erlang_a(load, agents, aht_s, patience_s, within_s)
    assert float(got.probability_wait) == pytest.approx(expected["pw"], rel=1e-7)
    assert float(got.abandon_probability) == pytest.approx(expected["abandon"], rel=1e-7)
    assert float(got.service_level) == pytest.approx(expected["sl"], rel=1e-7)
    assert float(got.asa_s) == pytest.approx(expected["asa"], rel=1e-6)
    # Occupancy: only answered calls use agents, A·(1 − P(Ab))/N.
    assert float(got.occupancy) == pytest.approx(load * (1 - expected["abandon"]) / agents)


@pytest.mark.parametrize(
    ("load", "agents", "aht_s", "within_s"),
    [
        (10.0, 14, 180.0, 19.8),
        (2.0, 3, 240.0, 20.0),
        (95.0, 105, 300.0, 30.0),
        (480.0, 500, 200, 15),
    ],
)
def test_tends_to_erlang_c_as_patience_grows(
    load: float, agents: int, aht_s: float, within_s: float
) -> None:
    """The gap to Erlang C shrinks about tenfold per tenfold patience (it is O(θ)), down to
    10⁻⁸ relative at a patience of 10¹² s; abandonment vanishes."""
    pw_c = float(erlang_c(load, agents)[()])
    sl_c = float(service_level(load, agents, aht_s, within_s))
    asa_c = pw_c * aht_s / (agents - load)
    gaps = []
    for patience in (1e4, 1e6, 1e8, 1e10, 1e12):
        got = erlang_a(load, agents, aht_s, patience, within_s)
        gap = max(
            abs(float(got.probability_wait) / pw_c - 1),
            abs(float(got.service_level) / sl_c - 1),
            abs(float(got.asa_s) / asa_c - 1),
        )
        gaps.append(gap)
        assert float(got.abandon_probability) < 100 * aht_s / patience
    assert all(later < earlier for earlier, later in itertools.pairwise(gaps))
    assert gaps[-1] < 1e-8


def test_large_centres_stay_finite_and_ordered() -> None:
    """5,000 agents, 4,990 Erlangs and patience from 30 s to 10⁹ s: finite probabilities, and
    longer patience means more waiting, less abandonment."""
    patience = np.array([30.0, 300.0, 3e3, 3e4, 1e6, 1e9])
    got = erlang_a(4990.0, 5000, 240.0, patience, 20.0)
    for values in (got.probability_wait, got.abandon_probability, got.service_level):
        assert np.all(np.isfinite(values))
        assert np.all((values >= 0) & (values <= 1))
    assert np.all(np.diff(got.probability_wait) > 0)
    assert np.all(np.diff(got.abandon_probability) < 0)
    assert np.all(np.isfinite(got.asa_s))


def test_staffing_is_the_smallest_meeting_the_target() -> None:
    result = required_agents_erlang_a(300, 200, 1800, 15, 0.9, patience_s=90)
    n = int(result.agents[0])
    a = float(result.load[0])
    assert float(erlang_a(a, n, 200, 90, 15).service_level) >= 0.9
    assert float(erlang_a(a, n - 1, 200, 90, 15).service_level) < 0.9
    # Abandoning callers leave the queue: never more agents than Erlang C asks for.
    assert n <= int(required_agents(300, 200, 1800, 15, 0.9).agents[0])


def test_staffing_with_endless_patience_is_the_erlang_c_reference_case() -> None:
    result = required_agents_erlang_a(100, 180, 1800, 19.8, 0.8, 1e12, 0.85, 0.3)
    assert (int(result.agents[0]), int(result.positions[0])) == (14, 20)
    assert round(float(result.service_level[0]), 3) == 0.888


def test_staffing_vectorised_equals_one_by_one_and_zero_calls() -> None:
    calls = np.array([0, 5, 40, 100, 250, 1000])
    together = required_agents_erlang_a(calls, 240, 1800, 20, 0.8, 120, 0.9, 0.25)
    assert int(together.agents[0]) == 0
    for index, count in enumerate(calls):
        alone = required_agents_erlang_a(int(count), 240, 1800, 20, 0.8, 120, 0.9, 0.25)
        assert together.agents[index] == alone.agents[0]
        assert together.abandon_probability[index] == pytest.approx(alone.abandon_probability[0])


def test_cli_with_patience_uses_erlang_a() -> None:
    result = CliRunner().invoke(
        app,
        ["wfm", "staffing", "--calls", "100", "--interval-minutes", "30", "--aht-seconds", "180",
         "--answer-within-seconds", "19.8", "--service-level", "0.8", "--max-occupancy", "0.85",
         "--shrinkage", "0.3", "--patience-seconds", "120"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["model"] == "erlang_a"
    expected = erlang_a(10.0, body["agents"], 180, 120, 19.8)
    assert body["abandon_probability"] == round(float(expected.abandon_probability), 4)
    assert body["service_level"] >= 0.8
    assert float(erlang_a(10.0, body["agents"] - 1, 180, 120, 19.8).service_level) < 0.8
