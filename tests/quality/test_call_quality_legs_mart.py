"""call_quality_legs (dbt, both targets): the per-leg figures and E-model terms behind
call_quality, from the hand-made reports of test_call_quality_mart (its docstring has the
per-report working).

Hand-worked per leg (time-weighted, weights 5 s for a leg's first report, then the gap):
  k1 a: 2 reports, 15 s. Reports R 93.2 (5 s) and 63.0413 (10 s): R (466 + 630.413) / 15 =
        73.0942; MOS (4.409286·5 + 3.256046·10) / 15 = 3.6405; loss (0 + 2·10) / 15 = 1.3333 %;
        jitter 10 ms, RTT 40 -> network 20, buffer max(2·10, 20) = 20, Ta 60, Idd 0; Ie 0,
        Ie,eff - Ie (0 + 30.1587·10) / 15 = 20.1058 -> dominant loss.
  k1 b: 1 report, 5 s: jitter 200 ms, RTT 100 -> network 50, buffer 400, Ta 470, Idd 28.903,
        R 64.297, MOS 3.3194 -> dominant delay, buffer > network -> jitter.
  k2 a: 1 report, 5 s, G.729: no RTT (null; Ta counts 0) -> Ta 0 + 20 + 20 + 5 = 45, Idd 0,
        Ie 11 -> R 82.2, MOS 4.1044, dominant codec.
Every leg: R = 93.2 - Idd - Ie - (Ie,eff - Ie) (means of linear terms). The call's MOS is the
seconds-weighted mean of its legs': k1 (3.6405·15 + 3.3194·5) / 20 = 3.5602.
"""

from __future__ import annotations

from typing import Any

import pytest
from cdr_builder import call_id

from ingest.contracts import CallRecord, RtcpReport, models_to_table
from tests.both_targets import BothTargets, assert_same_column_types
from tests.quality.test_call_quality_mart import CALLS, REPORTS

MARTS = ("call_quality", "call_quality_legs")
SELECT = ["--select", "+call_quality_legs", "+call_quality", "--indirect-selection", "cautious"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[BothTargets, dict[str, Any]]:
    warehouse = BothTargets(tmp_path_factory.mktemp("call_quality_legs"))
    with warehouse.loading() as load:
        load.write("rtcp", models_to_table(REPORTS, RtcpReport), "reports")
        load.write("call", models_to_table(CALLS, CallRecord), "calls")
    warehouse.build(SELECT)
    return warehouse, warehouse.read(MARTS)


def _legs(marts: dict[str, Any], target: str = "duckdb") -> dict[tuple[str, str], Any]:
    return {(row["call_id"], row["leg"]): row for row in marts[target]["call_quality_legs"]}


def test_both_targets_give_identical_legs(built: tuple[BothTargets, dict[str, Any]]) -> None:
    warehouse, marts = built
    assert _legs(marts, "clickhouse") == _legs(marts)
    assert_same_column_types(warehouse.column_types(["call_quality_legs"]), "call_quality_legs")


def test_legs_are_the_hand_worked_legs(built: tuple[BothTargets, dict[str, Any]]) -> None:
    legs = _legs(built[1])
    k1, k2 = str(call_id("k1")), str(call_id("k2"))
    assert set(legs) == {(k1, "a"), (k1, "b"), (k2, "a")}  # k3 (G722): no E-model values
    names = ["reports", "seconds", "r_factor", "mos", "loss_pct", "jitter_ms", "rtt_ms"]
    names += ["network_delay_ms", "jitter_buffer_ms", "one_way_delay_ms", "idd", "ie"]
    names += ["loss_impairment"]
    expected = {
        (k1, "a"): [2, 15.0, 73.0942, 3.6405, 1.3333, 10.0, 40.0, 20.0, 20.0, 60.0, 0.0, 0.0,
                    20.1058],
        (k1, "b"): [1, 5.0, 64.297, 3.3194, 0.0, 200.0, 100.0, 50.0, 400.0, 470.0, 28.903, 0.0,
                    0.0],
        (k2, "a"): [1, 5.0, 82.2, 4.1044, 0.0, 0.0, None, 0.0, 20.0, 45.0, 0.0, 11.0, 0.0],
    }  # fmt: skip
    for key, values in expected.items():
        for name, value in zip(names, values, strict=True):
            found = legs[key][name]
            if value is None:
                assert found is None, (key, name)
            else:
                assert found == pytest.approx(value, abs=2e-3), (key, name)
    assert [legs[key]["dominant_impairment"] for key in expected] == ["loss", "jitter", "codec"]


def test_legs_explain_the_call(built: tuple[BothTargets, dict[str, Any]]) -> None:
    marts = built[1]
    legs = _legs(marts)
    for row in legs.values():  # R = 93.2 - Idd - Ie,eff, Ie,eff = Ie + loss impairment
        terms = 93.2 - row["idd"] - row["ie"] - row["loss_impairment"]
        assert row["r_factor"] == pytest.approx(terms, abs=5e-4)
    calls = {row["call_id"]: row for row in marts["duckdb"]["call_quality"]}
    for call, row in calls.items():
        mine = [leg for (leg_call, _), leg in legs.items() if leg_call == call]
        seconds = sum(leg["seconds"] for leg in mine)
        weighted = sum(leg["mos"] * leg["seconds"] for leg in mine) / seconds
        assert row["mos"] == pytest.approx(weighted, abs=2e-4)
        worst = min(mine, key=lambda leg: (leg["mos"], leg["leg"]))
        assert (row["worst_leg"], row["dominant_impairment"]) == (
            worst["leg"],
            worst["dominant_impairment"],
        )
    assert calls[str(call_id("k1"))]["dominant_impairment"] == "jitter"  # as before the refactor
