"""RTCP receiver reports for answered calls: a few per leg (about every 30 s, at least one, at
most 20), with the packet fields' own units and occasional RTCP XR VoIP metrics (RFC 3611).

Per report: ``fraction_lost`` is lost/expected since the previous report in 1/256 units,
``cumulative_lost`` only grows, ``extended_highest_seq`` advances by the packets sent (50 per
second at 20 ms packetisation), ``interarrival_jitter`` is in RTP timestamp units (ms x clock
rate / 1000) and the XR R-factor / MOS follow the ITU-T G.107 E-model from the same loss/delay.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from telephony.simulator.calls import CallChunk
from telephony.simulator.carriers import CODEC_CLOCK_RATE_HZ, CODEC_PACKETS_PER_S, CODECS
from telephony.simulator.clock import US_PER_S
from telephony.simulator.identifiers import codes_to_strings
from telephony.simulator.wire import build_table, floats, ints, timestamps
from telephony.simulator.world import World

REPORT_EVERY_S = 30.0
MAX_REPORTS_PER_LEG = 20
#: G.113 equipment impairment Ie and packet-loss robustness Bpl per codec (with PLC).
_IE = np.array([0.0, 0.0, 0.0, 11.0, 15.0, 0.0])
_BPL = np.array([25.1, 25.1, 25.1, 19.0, 16.1, 20.0])
_CODEC_DELAY_MS = np.array([20.0, 20.0, 20.0, 25.0, 67.5, 26.5])


def mos_from_r(r: np.ndarray) -> np.ndarray:
    """ITU-T G.107 mapping from R to MOS (1 .. 4.5)."""
    r = np.clip(r, 0.0, 100.0)
    mos = 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)
    return np.clip(mos, 1.0, 4.5)


def rtcp_table(
    world: World, calls: CallChunk, rng: np.random.Generator, ids: np.random.Generator
) -> pa.Table:
    answered = np.flatnonzero(calls.answer_us >= 0)
    answer = calls.answer_us[answered]
    end = calls.end_us[answered]
    carrier = calls.carrier[answered]
    codec = calls.codec[answered]
    duration_s = (end - answer) / US_PER_S
    reports = np.clip(np.floor(duration_s / REPORT_EVERY_S), 1, MAX_REPORTS_PER_LEG).astype(int)
    loss_mult, jitter_mult, rtt_add = world.incidents.degradation(carrier, answer)
    network = world.network
    base_loss = np.array([c.loss_pct for c in network.carriers])[carrier] / 100.0
    base_jitter = np.array([c.jitter_ms for c in network.carriers])[carrier]
    base_rtt = np.array([c.rtt_ms for c in network.carriers])[carrier]

    # One row per (call, leg): leg a = the caller's side, leg b = the callee's side.
    calls_legs = np.repeat(np.arange(len(answered)), 2)
    leg = np.tile(np.array([0, 1]), len(answered))
    n_legs = len(calls_legs)
    leg_loss = np.clip(
        base_loss[calls_legs] * rng.lognormal(0.0, 0.6, n_legs) * loss_mult[calls_legs], 0, 0.4
    )
    leg_jitter = (
        base_jitter[calls_legs] * rng.lognormal(0.0, 0.35, n_legs) * jitter_mult[calls_legs]
    )
    leg_rtt = base_rtt[calls_legs] * rng.lognormal(0.0, 0.15, n_legs) + rtt_add[calls_legs]
    ssrc = rng.integers(0, 2**32, size=n_legs, dtype=np.int64)
    first_seq = rng.integers(0, 2**16, size=n_legs, dtype=np.int64)
    with_xr = rng.random(n_legs) < 0.3

    # One row per report.
    per_leg = reports[calls_legs]
    row_leg = np.repeat(np.arange(n_legs), per_leg)
    starts = np.cumsum(per_leg) - per_leg
    k = np.arange(len(row_leg)) - np.repeat(starts, per_leg)  # report number within its leg
    call_row = calls_legs[row_leg]
    span_us = (end - answer)[call_row]
    n_rep = per_leg[row_leg]
    at_us = answer[call_row] + (span_us * (k + 1)) // n_rep
    previous_us = answer[call_row] + (span_us * k) // n_rep
    codec_row = codec[call_row]
    pps = CODEC_PACKETS_PER_S[codec_row]
    sent_before = np.floor(pps * (previous_us - answer[call_row]) / US_PER_S).astype(np.int64)
    sent_until = np.floor(pps * (at_us - answer[call_row]) / US_PER_S).astype(np.int64)
    expected = np.maximum(sent_until - sent_before, 1)
    p_lost = np.clip(leg_loss[row_leg] * rng.lognormal(0.0, 0.5, len(row_leg)), 0.0, 0.6)
    lost = rng.binomial(expected, p_lost)
    cumulative = np.cumsum(lost)
    cumulative -= np.repeat(cumulative[starts] - lost[starts], per_leg)
    fraction = np.minimum(255, (256 * lost) // expected)
    clock = CODEC_CLOCK_RATE_HZ[codec_row]
    jitter_ms = leg_jitter[row_leg] * rng.lognormal(0.0, 0.25, len(row_leg))
    jitter_units = np.rint(jitter_ms * clock / 1000.0).astype(np.int64)
    rtt_ms = np.round(leg_rtt[row_leg] * rng.lognormal(0.0, 0.08, len(row_leg)), 1)

    # RTCP XR VoIP metrics on some legs, computed from the same loss and delay.
    xr = with_xr[row_leg]
    loss_pct = 100.0 * lost / expected
    ie_eff = _IE[codec_row] + (95.0 - _IE[codec_row]) * loss_pct / (loss_pct + _BPL[codec_row])
    jitter_buffer_ms = np.clip(2.0 * jitter_ms, 20.0, 200.0)
    one_way_ms = rtt_ms / 2 + jitter_buffer_ms + _CODEC_DELAY_MS[codec_row]
    delay_impairment = 0.024 * one_way_ms + 0.11 * np.maximum(one_way_ms - 177.3, 0.0)
    r_factor = np.clip(93.2 - ie_eff - delay_impairment, 0.0, 100.0)
    burst_share = np.clip(0.4 + rng.random(len(row_leg)) * 0.4, 0, 1)
    density = lost / expected
    columns = {
        "tenant_id": codes_to_strings(
            [t.tenant_id for t in world.tenants], calls.tenant[answered][call_row]
        ),
        "occurred_at": timestamps(at_us + world.window.start_epoch_us),
        "call_id": calls.call_id.take(pa.array(answered[call_row])),
        "leg": codes_to_strings(("a", "b"), leg[row_leg]),
        "ssrc": ints(ssrc[row_leg]),
        "codec": codes_to_strings(CODECS, codec_row),
        "clock_rate_hz": ints(clock),
        "fraction_lost": ints(fraction),
        "cumulative_lost": ints(cumulative),
        "extended_highest_seq": ints(first_seq[row_leg] + sent_until),
        "interarrival_jitter": ints(jitter_units),
        "rtt_ms": floats(rtt_ms),
        "xr_burst_density": ints(np.minimum(255, np.rint(256 * np.minimum(1, density * 6))), ~xr),
        "xr_gap_density": ints(np.minimum(255, np.rint(256 * density * (1 - burst_share))), ~xr),
        "xr_burst_duration_ms": ints(
            np.where(lost > 0, 20 * (1 + lost // 4), 0).clip(0, 65535), ~xr
        ),
        "xr_gap_duration_ms": ints(np.minimum(65535, (at_us - previous_us) // 1000), ~xr),
        "xr_end_system_delay_ms": ints(np.rint(jitter_buffer_ms + _CODEC_DELAY_MS[codec_row]), ~xr),
        "xr_r_factor": ints(np.rint(r_factor), ~xr),
        "xr_mos_lq": floats(np.round(mos_from_r(93.2 - ie_eff), 2), ~xr),
        "xr_mos_cq": floats(np.round(mos_from_r(r_factor), 2), ~xr),
    }
    return build_table("rtcp", columns, ids)
