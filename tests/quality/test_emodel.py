"""E-model against published values (FORMULAS.md, G.107) and hand-computed delay cases, with
monotonicity properties and the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from irisx.cli import app
from models_ml.quality import (
    delay_impairment,
    effective_equipment_impairment,
    emodel,
    mos_from_r,
    one_way_delay_ms,
)


def test_defaults_give_r_93_2_and_mos_4_41() -> None:
    terms = emodel("G.711", 0.0, 0.0)
    assert float(terms.r_factor) == pytest.approx(93.2)
    assert round(float(terms.mos), 2) == 4.41  # G.107: 1 + 3.262 + 0.1473 = 4.409


def test_worked_example_g711_2pct_random_loss() -> None:
    # FORMULAS.md: Ie,eff = 95·2/(2 + 4.3) = 190/6.3 = 30.16, R = 63.04, MOS ≈ 3.26
    terms = emodel("PCMU", 2.0, 80.0)
    assert float(terms.ie_eff) == pytest.approx(190 / 6.3)
    assert float(terms.r_factor) == pytest.approx(93.2 - 190 / 6.3)
    assert round(float(terms.mos), 2) == 3.26
    assert float(terms.idd) == 0.0  # 80 ms <= 100 ms


def test_plc_and_codec_tables() -> None:
    # G.711 with PLC: 95·2/(2 + 25.1) = 7.01; G.729: 11 + 84·2/(2 + 19) = 19.0;
    # G.723.1: 15 + 80·2/(2 + 16.1) = 23.84
    assert float(emodel("G.711", 2, 0, plc=True).ie_eff) == pytest.approx(190 / 27.1)
    assert float(emodel("G.729", 2, 0).ie_eff) == pytest.approx(11 + 168 / 21)
    assert float(emodel("G.723.1", 2, 0).ie_eff) == pytest.approx(15 + 160 / 18.1)
    with pytest.raises(ValueError, match="no E-model values"):
        emodel("iLBC", 1, 0)


def test_bursty_loss_hurts_more_than_random() -> None:
    # BurstR 2: 95·2/(2/2 + 4.3) = 190/5.3 = 35.85 (random: 30.16)
    assert float(effective_equipment_impairment(0, 4.3, 2, 2)) == pytest.approx(190 / 5.3)


@pytest.mark.parametrize(
    ("ta", "idd"),
    [
        (100.0, 0.0),
        # x = 1: 25·(2^(1/6) − 3·(1 + 3^-6)^(1/6) + 2) = 25·(1.122462 − 3.000686 + 2) = 3.044
        (200.0, 3.044),
        # x = 2: 25·(65^(1/6) − 3·(1 + (2/3)^6)^(1/6) + 2) = 25·(2.005175 − 3.042373 + 2) = 24.07
        (400.0, 24.07),
    ],
)
def test_delay_impairment_hand_computed(ta: float, idd: float) -> None:
    assert float(delay_impairment(ta)) == pytest.approx(idd, abs=0.01)


def test_mos_clamps_and_one_way_delay_rule() -> None:
    assert mos_from_r(np.array([-5.0, 0.0, 120.0])).tolist() == [1.0, 1.0, 4.5]
    # the Annex B polynomial gives 0.9997 at R 6.47: held at the bottom of the scale
    assert float(mos_from_r(6.47)) == 1.0
    # rtt 100 → 50; jitter 15 ms → buffer 30 (> one 20 ms packet); + 20 ms packet + 5 look-ahead
    assert float(one_way_delay_ms(100, 15, 20, 5)) == 105.0
    # low jitter: the buffer holds at least one packet
    assert float(one_way_delay_ms(0, 2, 20)) == 40.0


def test_vectorised_equals_scalar() -> None:
    loss = np.array([0.0, 0.5, 3.0, 12.0])
    delay = np.array([50.0, 150.0, 300.0, 600.0])
    vector = emodel("G.729", loss, delay).mos
    scalars = [float(emodel("G.729", a, b).mos) for a, b in zip(loss, delay, strict=True)]
    assert vector.tolist() == pytest.approx(scalars, rel=1e-12)


losses = st.floats(0, 100, allow_nan=False)
delays = st.floats(0, 2000, allow_nan=False)


@given(a=losses, b=losses, delay=delays, burst=st.floats(1, 8))
def test_mos_never_rises_with_more_loss(a: float, b: float, delay: float, burst: float) -> None:
    low, high = sorted((a, b))
    assert emodel("G.711", high, delay, burst_ratio=burst).mos <= (
        emodel("G.711", low, delay, burst_ratio=burst).mos + 1e-12
    )


@given(a=delays, b=delays, loss=losses)
def test_mos_never_rises_with_more_delay(a: float, b: float, loss: float) -> None:
    low, high = sorted((a, b))
    assert emodel("G.729", loss, high).mos <= emodel("G.729", loss, low).mos + 1e-12


def test_cli_prints_every_term() -> None:
    result = CliRunner().invoke(
        app,
        ["quality", "mos", "--codec", "G.711", "--loss-pct", "2", "--burst-ratio", "1",
         "--one-way-delay-ms", "80"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["r_factor"], body["mos"], body["ie_eff"], body["idd"]) == (63.04, 3.26, 30.16, 0)
    assert math.isclose(body["ro"], 93.2)
    plc = json.loads(
        CliRunner()
        .invoke(app, ["quality", "mos", "--codec", "G.711", "--loss-pct", "2", "--plc"])
        .output
    )
    assert plc["bpl"] == 25.1
    bad = CliRunner().invoke(app, ["quality", "mos", "--codec", "AMR"])
    assert bad.exit_code == 2
