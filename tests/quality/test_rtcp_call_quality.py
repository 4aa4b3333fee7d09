"""RTCP report-block fields (RFC 3550 §6.4.1) and per-call quality in Python
(models_ml.quality.rtcp) on the hand-worked calls of test_call_quality_mart.py.

Hand-worked (the same inputs as the dbt mart's test):
  k1 (PCMU) leg a: first report (5 s): loss 0, jitter 80 units / 8000 Hz = 10 ms, RTT 40 ->
     Ta = 20 + max(20, 20) + 20 = 60 ms, R 93.2, MOS 4.409286; second (10 s later): cumulative
     lost 0 -> 10 over extended seq 1250 -> 1750 = 2 %, Ie,eff 190/6.3 = 30.1587, R 63.0413,
     MOS 3.256046; leg a mean (4.409286·5 + 3.256046·10)/15 = 3.640459.
  k1 leg b (5 s): jitter 1600 units = 200 ms, RTT 100 -> Ta = 50 + 400 + 20 = 470 ms, Idd 28.903,
     R 64.297, MOS 3.3194 -> worst leg b, dominant 'jitter' (400 ms buffer > 50 ms network).
  k1 call: (3.640459·15 + 3.3194·5)/20 = 3.5602 -> poor.  RTT (40·15 + 100·5)/20 = 55 ms.
  k2 (G729): no loss, no jitter, no RTT: Ta = 0 + 20 + 20 + 5 = 45, R 82.2, MOS 4.104375, 'codec'.
  k3 (G722): no E-model values, no row.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from models_ml.quality.rtcp import (
    call_quality,
    fraction_lost_pct,
    jitter_ms,
    parse_report_block,
    rtt_ms_from_lsr_dlsr,
    signed_24,
)


def test_report_block_fields_rfc3550() -> None:
    # fraction 0x40 = 64/256 = 25 %; cumulative lost 0xFFFFFE = -2 (duplicates);
    # extended seq 0x0002_0010: 2 cycles, highest seq 16; jitter 160 units; LSR, DLSR
    block = (
        struct.pack("!IB", 0xDEADBEEF, 0x40)
        + bytes([0xFF, 0xFF, 0xFE])
        + struct.pack("!IIII", 0x0002_0010, 160, 0x1234_8000, 0x0000_8000)
    )
    parsed = parse_report_block(block)
    assert parsed.ssrc == 0xDEADBEEF
    assert parsed.fraction_lost_pct == 25.0
    assert parsed.cumulative_lost == -2
    assert (parsed.sequence_cycles, parsed.highest_seq) == (2, 16)
    assert parsed.extended_highest_seq == 2 * 65536 + 16
    assert float(jitter_ms(parsed.interarrival_jitter, 8000)) == 20.0  # 160 / 8 per ms
    with pytest.raises(ValueError, match="24 bytes"):
        parse_report_block(block[:20])


def test_field_conversions() -> None:
    assert signed_24([0x7FFFFF, 0x800000, 0xFFFFFF, 5]).tolist() == [8388607, -8388608, -1, 5]
    assert fraction_lost_pct([0, 1, 255]).tolist() == [0.0, 100 / 256, 25500 / 256]
    # RFC 3550 §6.4.1's example: A = 0xb710_8000 (46864.500 s), LSR = 0xb705_2000 (46853.125 s),
    # DLSR = 0x0005_4000 (5.250 s) -> RTT = 6.125 s = 6125 ms
    assert float(rtt_ms_from_lsr_dlsr(0xB710_8000, 0xB705_2000, 0x0005_4000)) == 6125.0
    # across the 32-bit wrap: A = 0x0000_1000, LSR = 0xFFFF_F000, DLSR 0 -> 0x2000/65536 s = 125 ms
    assert float(rtt_ms_from_lsr_dlsr(0x0000_1000, 0xFFFF_F000, 0)) == 125.0
    assert np.isnan(rtt_ms_from_lsr_dlsr(1000, 0, 0))  # no SR received yet


def _frame() -> dict[str, np.ndarray]:
    s = 1_000_000
    rows = [  # call, leg, second, codec, fraction, lost, seq, jitter units, clock, rtt
        ("k1", "a", 15, "PCMU", 5, 10, 1750, 80, 8000, 40.0),  # out of order on purpose
        ("k1", "a", 5, "PCMU", 0, 0, 1250, 80, 8000, 40.0),
        ("k1", "b", 10, "PCMU", 0, 0, 1250, 1600, 8000, 100.0),
        ("k2", "a", 20, "G729", 0, 0, 1250, 0, 8000, np.nan),
        ("k3", "a", 20, "G722", 0, 0, 1250, 50, 16000, 10.0),
    ]
    names = ["call_id", "leg", "second", "codec", "fraction_lost", "cumulative_lost",
             "extended_highest_seq", "interarrival_jitter", "clock_rate_hz", "rtt_ms"]  # fmt: skip
    frame = {name: np.array([row[i] for row in rows]) for i, name in enumerate(names)}
    frame["occurred_at_us"] = frame.pop("second").astype(np.int64) * s
    return frame


def test_call_quality_hand_worked() -> None:
    result = call_quality(_frame())
    rows = {row["call_id"]: row for row in result.rows()}
    assert set(rows) == {"k1", "k2"}
    k1, k2 = rows["k1"], rows["k2"]
    assert k1["mos"] == pytest.approx(3.5602, abs=1e-4)
    assert (k1["worst_leg"], k1["dominant_impairment"], k1["is_poor"]) == ("b", "jitter", True)
    assert k1["worst_leg_mos"] == pytest.approx(3.3194, abs=1e-4)
    assert k1["min_report_mos"] == pytest.approx(3.256046, abs=1e-6)
    assert (k1["reports"], k1["legs"]) == (3, 2)
    assert k1["rtt_ms"] == pytest.approx(55.0)
    # loss (0·5 + 2·10 + 0·5)/20 = 1 %; Ta (60·5 + 60·10 + 470·5)/20 = 162.5 ms
    assert k1["loss_pct"] == pytest.approx(1.0)
    assert k1["one_way_delay_ms"] == pytest.approx(162.5)
    assert k2["mos"] == pytest.approx(4.104375, abs=1e-6)
    assert k2["r_factor"] == pytest.approx(82.2)
    assert (k2["dominant_impairment"], k2["is_poor"], k2["codec"]) == ("codec", False, "G729")
    assert np.isnan(k2["rtt_ms"])


def test_sequence_reset_uses_fraction_lost() -> None:
    frame = _frame()
    # k1 leg a's second report with a sequence that went backwards: fraction 5/256 = 1.953 %
    frame["extended_highest_seq"][0] = 1000
    rows = {row["call_id"]: row for row in call_quality(frame).rows()}
    assert rows["k1"]["loss_pct"] == pytest.approx((5 * 100 / 256) * 10 / 20)


def _comparable(rows: list[dict[str, object]]) -> dict[object, dict[str, object]]:
    """Rows by call id, NaN as None (NaN never equals itself)."""
    return {
        row["call_id"]: {
            k: None if isinstance(v, float) and np.isnan(v) else v for k, v in row.items()
        }
        for row in rows
    }


def test_reports_already_in_call_order_give_the_same_answer() -> None:
    """The sorted input skips the sort (a fast path); the answer must not depend on it."""
    frame = _frame()
    order = np.lexsort((frame["occurred_at_us"], frame["leg"], frame["call_id"]))
    in_order = {name: column[order] for name, column in frame.items()}
    assert _comparable(call_quality(in_order).rows()) == _comparable(call_quality(frame).rows())


def test_many_codecs_and_the_call_codec_is_the_smallest_name() -> None:
    """Over 16 distinct codec names the factorisation falls back to a sort; a call whose legs
    use two codecs reports the alphabetically smaller one either way."""
    frame = _frame()
    unknown = [f"X{i:02d}" for i in range(20)]  # no E-model values: their reports drop out
    extra = len(unknown)
    grown = {
        name: np.concatenate((column, np.repeat(column[-1:], extra)))
        for name, column in frame.items()
    }
    grown["codec"] = np.concatenate((frame["codec"], np.array(unknown))).astype(str)
    grown["call_id"] = np.concatenate((frame["call_id"], np.array([f"u{i}" for i in range(extra)])))
    grown["codec"][2] = "G729"  # k1 leg b on G.729, leg a on PCMU -> the call says G729
    few = dict(frame, codec=grown["codec"][: len(frame["codec"])])
    many_rows = _comparable(call_quality(grown).rows())
    few_rows = _comparable(call_quality(few).rows())
    assert set(many_rows) == set(few_rows) == {"k1", "k2"}
    assert many_rows == few_rows
    assert many_rows["k1"]["codec"] == "G729"
