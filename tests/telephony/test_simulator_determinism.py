"""Same inputs, same bytes; different seed, different data; components draw independently."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telephony.simulator import SimulationConfig, simulate, write_result
from telephony.simulator.identifiers import prefixed_numbers, uuid4_strings

SMALL = {"days": 2, "tenants": 2, "start": date(2024, 6, 3), "scale": 0.25}


def test_same_seed_writes_identical_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_result(simulate(SimulationConfig(seed=21, **SMALL)), first)
    write_result(simulate(SimulationConfig(seed=21, **SMALL)), second)
    names = sorted(p.name for p in first.iterdir())
    assert len(names) == 9  # seven families, ground truth, manifest
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_different_seed_gives_different_traffic() -> None:
    one = simulate(SimulationConfig(seed=1, families=frozenset({"call"}), **SMALL))
    two = simulate(SimulationConfig(seed=2, families=frozenset({"call"}), **SMALL))
    assert not one.tables["call"].equals(two.tables["call"])
    assert one.tables["call"]["call_id"][0] != two.tables["call"]["call_id"][0]


def test_other_families_do_not_shift_the_calls() -> None:
    """Each component has its own random stream: generating RTCP, messages etc. or not leaves
    the CDRs untouched."""
    everything = simulate(SimulationConfig(seed=4, **SMALL))
    calls_only = simulate(SimulationConfig(seed=4, families=frozenset({"call"}), **SMALL))
    assert calls_only.tables["call"].equals(everything.tables["call"])
    assert calls_only.ground_truth == everything.ground_truth


def test_scale_multiplies_inbound_volume() -> None:
    """Inbound arrivals scale linearly (fraud bursts and minimum dialer shifts do not)."""
    config = {**SMALL, "tenants": 1, "families": frozenset({"call"})}

    def inbound(scale: float) -> int:
        calls = simulate(SimulationConfig(seed=8, **{**config, "scale": scale})).tables["call"]
        return sum(1 for d in calls["direction"].to_pylist() if d == "inbound")

    assert 1.8 < inbound(0.5) / inbound(0.25) < 2.2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"days": 0}, "days"),
        ({"tenants": 0}, "tenants"),
        ({"scale": -1.0}, "scale"),
        ({"seed": -3}, "seed"),
        ({"families": frozenset({"rtcp"})}, "families"),
        ({"families": frozenset({"call", "cdr"})}, "families"),
    ],
)
def test_bad_config_names_the_field(changes: dict, field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}:"):
        SimulationConfig(**changes)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(0, 50))
def test_uuid_strings_are_canonical_version_4(seed: int, count: int) -> None:
    texts = uuid4_strings(np.random.default_rng(seed), count).to_pylist()
    assert len(texts) == count
    for text in texts:
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert str(parsed) == text


@given(values=st.lists(st.integers(0, 10**9 - 1), max_size=40))
def test_prefixed_numbers_match_string_formatting(values: list[int]) -> None:
    got = prefixed_numbers("+44", np.array(values, dtype=np.int64), 9).to_pylist()
    assert got == [f"+44{value:09d}" for value in values]
