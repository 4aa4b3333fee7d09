"""Erlang B/C staffing against the FORMULAS.md reference case (pyworkforce's own test) and hand
values, with properties and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from irisx.cli import app
from models_ml.wfm import erlang_b, erlang_c, offered_load, required_agents, service_level


def test_reference_case() -> None:
    # 100 calls / 30 min, AHT 3 min, within 0.33 min, SL 0.8, cap 0.85, shrinkage 0.3
    # → 14 agents, 20 positions, SL 0.888, occupancy 0.714, Pw 0.174
    result = required_agents(100, 180, 1800, 19.8, 0.8, 0.85, 0.3)
    assert float(result.load[0]) == 10.0
    assert (int(result.agents[0]), int(result.positions[0])) == (14, 20)
    assert round(float(result.service_level[0]), 3) == 0.888
    assert round(float(result.occupancy[0]), 3) == 0.714
    assert round(float(result.probability_wait[0]), 3) == 0.174


def test_hand_computed_erlang_b_and_c() -> None:
    # A = 2, N = 3: B(1) = 2/3, B(2) = (4/3)/(10/3) = 0.4, B(3) = 0.8/3.8 = 4/19
    assert float(erlang_b(2.0, 3)) == pytest.approx(4 / 19)
    # Pw = 3·(4/19) / (3 − 2·(15/19)) = (12/19)/(27/19) = 4/9
    assert float(erlang_c(2.0, 3)[()]) == pytest.approx(4 / 9)
    # N <= A: everyone waits, SL 0
    assert float(erlang_c(3.0, 3)[()]) == 1.0
    assert float(service_level(3.0, 3, 180, 20)) == 0.0


def test_zero_calls_need_no_agents_and_bad_inputs_are_refused() -> None:
    result = required_agents([0, 100], 180, 1800, 20, 0.8)
    assert result.agents.tolist()[0] == 0
    assert result.positions.tolist()[0] == 0
    for bad in ({"shrinkage": 1.0}, {"max_occupancy": 0.0}):
        with pytest.raises(ValueError, match="must be in"):
            required_agents(100, 180, 1800, 20, 0.8, **bad)


def test_vectorised_over_intervals_equals_one_by_one() -> None:
    calls = np.array([5, 40, 100, 250, 1000, 3])
    together = required_agents(calls, 240, 1800, 20, 0.8, 0.9, 0.25)
    for index, count in enumerate(calls):
        alone = required_agents(int(count), 240, 1800, 20, 0.8, 0.9, 0.25)
        assert together.agents[index] == alone.agents[0]
        assert together.service_level[index] == pytest.approx(alone.service_level[0])


def test_the_answer_is_the_smallest_meeting_the_target() -> None:
    result = required_agents(300, 200, 1800, 15, 0.9)
    n = int(result.agents[0])
    a = float(offered_load(300, 200, 1800))
    assert float(service_level(a, n, 200, 15)) >= 0.9
    assert float(service_level(a, n - 1, 200, 15)) < 0.9


@given(load=st.floats(0.1, 200), extra=st.integers(1, 40), more=st.integers(1, 10))
def test_more_agents_never_lower_service_level(load: float, extra: int, more: int) -> None:
    n = int(np.ceil(load)) + extra
    assert (
        float(service_level(load, n + more, 180, 20))
        >= float(service_level(load, n, 180, 20)) - 1e-12
    )


def test_cli_prints_the_reference_case() -> None:
    result = CliRunner().invoke(
        app,
        ["wfm", "staffing", "--calls", "100", "--interval-minutes", "30", "--aht-seconds", "180",
         "--answer-within-seconds", "19.8", "--service-level", "0.8", "--max-occupancy", "0.85",
         "--shrinkage", "0.3"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["agents"], body["positions"]) == (14, 20)
    assert (body["service_level"], body["occupancy"], body["probability_wait"]) == (
        0.8879, 0.7143, 0.1741,
    )  # fmt: skip


def test_occupancy_exactly_at_the_cap_is_allowed() -> None:
    """A = 111 × 510 / 1800 = 31.45 Erlangs; with a 0.85 cap, N = 36 gives 31.45/36 = 0.874 > cap
    and N = 37 gives 31.45/37 = 0.85 exactly (0.8500000000000001 in floating point), allowed.
    SL(37) ≥ 1 − exp(−(37 − 31.45)·20/510) = 1 − exp(−0.2176) = 0.196 ≥ the 0.1 target (Pw ≤ 1),
    so the answer is 37 agents (pyworkforce 0.5.1 gives 38 here: docs/benchmarks.md)."""
    result = required_agents(111, 510, 1800, 20, 0.1, max_occupancy=0.85)
    assert int(result.agents[0]) == 37
