"""call_quality (dbt, both targets) from hand-made RTCP reports, checked against hand-worked
values and against models_ml.quality on the same inputs.

Hand-worked (acme):
  k1 (PCMU) leg a: 09:00:05 first report (weight 5 s): fraction_lost 0, jitter 80 units = 10 ms,
     RTT 40 -> Ta = 20 + max(20, 20) + 20 = 60 ms, Idd 0, Ie,eff 0, R 93.2, MOS 4.409286.
     09:00:15 (weight 10 s): cumulative lost 0 -> 10, extended seq 1250 -> 1750: 10/500 = 2 %,
     Ie,eff = 190/6.3 = 30.1587, R 63.0413, MOS 3.256046.
     leg a mean = (4.409286·5 + 3.256046·10) / 15 = 3.640459.
  k1 leg b: 09:00:10 (5 s): jitter 1600 units = 200 ms, RTT 100 -> Ta = 50 + 400 + 20 = 470 ms,
     Idd = 28.903, R 64.297, MOS 3.3194 -> worst leg b; dominant: delay, and the 400 ms buffer
     outweighs the 50 ms network share -> 'jitter'.
  call k1 = (3.640459·15 + 3.3194·5) / 20 = 3.5602 -> poor (< 3.6).
  k2 (G729) one report, no loss, no jitter, no RTT: Ta = 0 + 20 + 20 + 5 = 45, R = 93.2 - 11 =
     82.2, MOS 4.104375; dominant 'codec' (Ie 11 >= 5).
  k3 (G722) has no E-model values: no row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from cdr_builder import at, call_id, cdr

from ingest.contracts import CallRecord, Codec, Direction, Leg, RtcpReport, models_to_table
from models_ml.quality import emodel, one_way_delay_ms
from models_ml.quality.rtcp import call_quality
from tests.both_targets import BothTargets

SELECT = [
    "--select",
    "+quality_by_carrier_hour",
    "+quality_by_agent_day",
    "--indirect-selection",
    "cautious",
]
MARTS = ("call_quality", "quality_by_carrier_hour", "quality_by_agent_day")
DAY = dt.date(2024, 5, 30)
#: k1 and k2 went through carrier-a and were answered by ag1 (quality_by_* group them).
CALLS = [
    cdr(
        name, "acme", Direction.INBOUND, at(DAY, "09:00:00"), billsec=60, wait=5.0, agent="ag1"
    ).model_copy(update={"carrier_id": "carrier-a"})
    for name in ("k1", "k2")
]


def _report(
    name: str, call: str, leg: Leg, codec: Codec, second: int, *, lost: int = 0, seq: int = 1250,
    fraction: int = 0, jitter: int = 0, rtt: float | None = None,
) -> RtcpReport:  # fmt: skip
    return RtcpReport(
        event_id=name,
        tenant_id="acme",
        occurred_at=dt.datetime(2024, 5, 30, 9, 0, second, tzinfo=dt.UTC),
        call_id=call_id(call),
        leg=leg,
        ssrc=1 if leg is Leg.A else 2,
        codec=codec,
        fraction_lost=fraction,
        cumulative_lost=lost,
        extended_highest_seq=seq,
        interarrival_jitter=jitter,
        rtt_ms=rtt,
    )


REPORTS = [
    _report("r1", "k1", Leg.A, Codec.PCMU, 5, jitter=80, rtt=40.0),
    _report("r2", "k1", Leg.A, Codec.PCMU, 15, lost=10, seq=1750, fraction=5, jitter=80, rtt=40.0),
    _report("r3", "k1", Leg.B, Codec.PCMU, 10, jitter=1600, rtt=100.0),
    _report("r4", "k2", Leg.A, Codec.G729, 20),
    _report("r5", "k3", Leg.A, Codec.G722, 20, jitter=50, rtt=10.0),
]


def _keyed(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows by call id (call_quality) or by their second column (the carrier or the agent)."""
    key = "call_id" if rows and "call_id" in rows[0] else None
    return {str(row[key] if key else list(row.values())[1]): row for row in rows}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, Any]]]:
    warehouse = BothTargets(tmp_path_factory.mktemp("call_quality"))
    with warehouse.loading() as load:
        load.write("rtcp", models_to_table(REPORTS, RtcpReport), "reports")
        load.write("call", models_to_table(CALLS, CallRecord), "calls")
    warehouse.build(SELECT)
    marts = warehouse.read(MARTS)
    return {
        target: {name: _keyed(rows) for name, rows in by_mart.items()}
        for target, by_mart in marts.items()
    }


@pytest.mark.parametrize("name", MARTS)
def test_both_targets_give_identical_rows(built: dict[str, Any], name: str) -> None:
    assert built["duckdb"][name]
    assert built["clickhouse"][name] == built["duckdb"][name]


def test_a_codec_without_values_has_no_row(built: dict[str, Any]) -> None:
    assert set(built["duckdb"]["call_quality"]) == {str(call_id("k1")), str(call_id("k2"))}


def test_carrier_hour_and_agent_day(built: dict[str, Any]) -> None:
    # k1 3.5602 (poor) and k2 4.1044: mean 3.8323, p5 = 3.5602 + 0.05 * 0.5442 = 3.5874;
    # jitter k1 (10·5 + 10·10 + 200·5) / 20 = 57.5, k2 0 -> p50 28.75; RTT k1 (40·15 + 100·5)/20
    # = 55, k2 none -> p50 55
    carrier = built["duckdb"]["quality_by_carrier_hour"]["carrier-a"]
    assert carrier["hour_start"] == dt.datetime(2024, 5, 30, 9, tzinfo=dt.UTC)
    assert (carrier["calls"], carrier["poor_calls"], carrier["poor_share"]) == (2, 1, 0.5)
    assert carrier["mos_mean"] == pytest.approx(3.8323, abs=2e-4)
    assert carrier["mos_p5"] == pytest.approx(3.5874, abs=2e-4)
    assert carrier["jitter_ms_p50"] == pytest.approx(28.75)
    assert carrier["rtt_ms_p50"] == pytest.approx(55.0)
    agent = built["duckdb"]["quality_by_agent_day"]["ag1"]
    assert (agent["call_date"], agent["calls"], agent["mos_p50"]) == (DAY, 2, carrier["mos_p50"])


def test_call_k1_is_the_hand_worked_call(built: dict[str, Any]) -> None:
    k1 = built["duckdb"]["call_quality"][str(call_id("k1"))]
    assert (k1["reports"], k1["legs"], k1["worst_leg"]) == (3, 2, "b")
    assert k1["mos"] == pytest.approx(3.5602, abs=2e-4)
    assert k1["worst_leg_mos"] == pytest.approx(3.3194, abs=2e-4)
    assert k1["min_report_mos"] == pytest.approx(3.2560, abs=1e-4)
    assert k1["is_poor"] is True
    assert k1["dominant_impairment"] == "jitter"
    # loss: (0·5 + 2·10 + 0·5) / 20 = 1 %
    assert k1["loss_pct"] == pytest.approx(1.0)


def test_sql_agrees_with_the_python_e_model(built: dict[str, Any]) -> None:
    # the same inputs through models_ml.quality (validated against G.107's published values)
    leg_a = [float(emodel("G.711", loss, one_way_delay_ms(40, 10, 20)).mos) for loss in (0.0, 2.0)]
    leg_b = float(emodel("G.711", 0.0, one_way_delay_ms(100, 200, 20)).mos)
    expected = (leg_a[0] * 5 + leg_a[1] * 10 + leg_b * 5) / 20
    assert built["duckdb"]["call_quality"][str(call_id("k1"))]["mos"] == pytest.approx(
        expected, abs=1e-4
    )
    k2 = built["duckdb"]["call_quality"][str(call_id("k2"))]
    g729 = emodel("G.729", 0.0, one_way_delay_ms(0, 0, 20, 5))
    assert k2["mos"] == pytest.approx(float(g729.mos), abs=1e-4)
    assert k2["r_factor"] == pytest.approx(82.2, abs=1e-4)
    assert (k2["dominant_impairment"], k2["is_poor"]) == ("codec", False)


def test_sql_mart_equals_python_call_quality(built: dict[str, Any]) -> None:
    # every column of call_quality from models_ml.quality.rtcp.call_quality on the same reports
    frame = {
        "call_id": np.array([str(r.call_id) for r in REPORTS]),
        "leg": np.array([r.leg.value for r in REPORTS]),
        "occurred_at_us": np.array(
            [int(r.occurred_at.timestamp()) * 1_000_000 for r in REPORTS], dtype=np.int64
        ),
        "codec": np.array([r.codec.value for r in REPORTS]),
        "fraction_lost": np.array([r.fraction_lost for r in REPORTS]),
        "cumulative_lost": np.array([r.cumulative_lost for r in REPORTS]),
        "extended_highest_seq": np.array([r.extended_highest_seq for r in REPORTS]),
        "interarrival_jitter": np.array([r.interarrival_jitter for r in REPORTS]),
        "clock_rate_hz": np.array([r.clock_rate_hz for r in REPORTS]),
        "rtt_ms": np.array([np.nan if r.rtt_ms is None else r.rtt_ms for r in REPORTS]),
    }
    python = {row["call_id"]: row for row in call_quality(frame).rows()}
    sql = built["duckdb"]["call_quality"]
    assert set(python) == set(sql)
    for key, row in python.items():
        for name, value in row.items():
            found = sql[key][name]
            if isinstance(value, float) and np.isnan(value):
                assert found is None, (key, name)
            elif isinstance(value, float):
                assert found == pytest.approx(value, abs=1e-4), (key, name)
            else:
                assert str(found) == str(value), (key, name)
