"""RTCP receiver-report fields (RFC 3550 §6.4.1) and per-call quality from a frame of reports.

Field semantics of one report block (24 bytes, network byte order):
SSRC (32 bits), fraction lost (8-bit fixed point: lost / expected since the previous report,
× 256), cumulative number of packets lost (24-bit signed two's complement: negative when
duplicates arrive), extended highest sequence number (32 bits: cycles × 65536 + highest seq),
interarrival jitter (32 bits, RTP timestamp units), LSR (middle 32 bits of the last SR's NTP
timestamp) and DLSR (delay since that SR): both in 1/65536 s. The sender of the SR computes
RTT = A − LSR − DLSR, A being the middle 32 bits of the NTP time the report arrived (mod 2³²).

``call_quality`` applies the E-model (models_ml.quality.emodel) to every report and aggregates
per call exactly as the dbt model ``call_quality`` does (docs/quality.md), so a test can compare
the two. numpy only.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from models_ml.quality.emodel import (
    DEFAULT_RO,
    codec_impairment,
    delay_impairment,
    effective_equipment_impairment,
    mos_from_r,
    one_way_delay_ms,
)

FloatArray = npt.NDArray[np.float64]
#: Weight of a leg's first report: RFC 3550's minimum RTCP interval (s).
FIRST_REPORT_WEIGHT_S: Final[float] = 5.0
#: Under this many R points no impairment is called dominant.
DOMINANT_MIN_R: Final[float] = 5.0
#: A call is poor below this MOS.
POOR_MOS: Final[float] = 3.6
_BLOCK = struct.Struct("!IB3sIIII")


@dataclass(frozen=True)
class ReportBlock:
    """One RTCP report block with the packet's own units."""

    ssrc: int
    fraction_lost: int
    cumulative_lost: int
    extended_highest_seq: int
    interarrival_jitter: int
    lsr: int
    dlsr: int

    @property
    def fraction_lost_pct(self) -> float:
        return fraction_lost_pct(self.fraction_lost)

    @property
    def sequence_cycles(self) -> int:
        """Wrap-arounds of the 16-bit RTP sequence number (upper 16 bits)."""
        return self.extended_highest_seq >> 16

    @property
    def highest_seq(self) -> int:
        return self.extended_highest_seq & 0xFFFF


def parse_report_block(block: bytes) -> ReportBlock:
    """Decode a 24-byte RTCP report block (RFC 3550 §6.4.1)."""
    if len(block) != _BLOCK.size:
        raise ValueError(f"an RTCP report block is {_BLOCK.size} bytes, got {len(block)}")
    ssrc, fraction, lost24, ext_seq, jitter, lsr, dlsr = _BLOCK.unpack(block)
    return ReportBlock(
        ssrc, fraction, signed_24(int.from_bytes(lost24, "big")), ext_seq, jitter, lsr, dlsr
    )


def signed_24(raw: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The cumulative-lost field's 24-bit two's complement as a signed integer."""
    value = np.asarray(raw, dtype=np.int64) & 0xFFFFFF
    return np.where(value >= 1 << 23, value - (1 << 24), value)


def fraction_lost_pct(fraction: npt.ArrayLike) -> FloatArray:
    """The 8-bit fixed-point fraction lost (binary point at the left) in percent."""
    return np.asarray(fraction, dtype=np.float64) * 100.0 / 256.0


def jitter_ms(jitter_units: npt.ArrayLike, clock_rate_hz: npt.ArrayLike) -> FloatArray:
    """Interarrival jitter from RTP timestamp units to ms (8000 Hz for G.711: 8 units = 1 ms)."""
    return (
        np.asarray(jitter_units, dtype=np.float64)
        * 1000.0
        / np.asarray(clock_rate_hz, dtype=np.float64)
    )


def rtt_ms_from_lsr_dlsr(
    arrival_ntp32: npt.ArrayLike, lsr: npt.ArrayLike, dlsr: npt.ArrayLike
) -> FloatArray:
    """RTT = A − LSR − DLSR in 1/65536 s (mod 2³²), in ms; NaN where LSR is 0 (no SR yet)."""
    a = np.asarray(arrival_ntp32, dtype=np.int64)
    last = np.asarray(lsr, dtype=np.int64)
    delay = np.asarray(dlsr, dtype=np.int64)
    units = (a - last - delay) % (1 << 32)
    return np.where(last == 0, np.nan, units * 1000.0 / 65536.0)


@dataclass(frozen=True)
class CallQuality:
    """One row per call (arrays of one length, calls in ascending ``call_id`` order).

    ``call_id`` and ``worst_leg`` keep the input's key type (integers or text)."""

    call_id: npt.NDArray[np.generic]
    codec: npt.NDArray[np.str_]
    reports: npt.NDArray[np.int64]
    legs: npt.NDArray[np.int64]
    mos: FloatArray
    r_factor: FloatArray
    worst_leg: npt.NDArray[np.generic]
    worst_leg_mos: FloatArray
    min_report_mos: FloatArray
    loss_pct: FloatArray
    jitter_ms: FloatArray
    rtt_ms: FloatArray
    one_way_delay_ms: FloatArray
    is_poor: npt.NDArray[np.bool_]
    dominant_impairment: npt.NDArray[np.str_]

    def rows(self) -> list[dict[str, object]]:
        """Plain Python rows (for tests and JSON)."""
        names = list(self.__dataclass_fields__)
        columns = [getattr(self, name).tolist() for name in names]
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


#: Above this many distinct values ``_factorize`` sorts instead of scanning once per value.
_SCAN_FACTORIZE_MAX = 16


def _factorize(
    values: npt.NDArray[np.generic],
) -> tuple[npt.NDArray[np.generic], npt.NDArray[np.intp]]:
    """Distinct values (sorted) and each element's index into them, for columns of few distinct
    values (codecs): one equality scan per value costs far less than ``np.unique``'s sort of
    millions of strings. Falls back to ``np.unique`` when the values are many."""
    codes = np.full(len(values), -1, dtype=np.intp)
    names: list[object] = []
    pending = np.flatnonzero(codes < 0)
    while len(pending):
        if len(names) == _SCAN_FACTORIZE_MAX:
            names_array, index = np.unique(values, return_inverse=True)
            return names_array, index.reshape(-1)
        value = values[pending[0]]
        codes[values == value] = len(names)
        names.append(value)
        pending = pending[codes[pending] < 0]
    # sorted like np.unique's answer, so callers may rely on code order = value order
    found = np.asarray(names, dtype=values.dtype)
    order = np.argsort(found, kind="stable")
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    return found[order], rank[codes]


def _codec_table(codecs: npt.NDArray[np.str_], plc: bool) -> tuple[FloatArray, ...]:
    """Ie, Bpl, packet and look-ahead per report; NaN for codecs without E-model values."""
    names, index = _factorize(codecs)
    table = np.full((len(names), 4), np.nan)
    for i, name in enumerate(names.tolist()):
        try:
            values = codec_impairment(str(name))
        except ValueError:
            continue
        bpl = values.bpl_with_plc if plc and values.bpl_with_plc is not None else values.bpl
        table[i] = (values.ie, bpl, values.packet_ms, values.lookahead_ms)
    rows = table[index.reshape(-1)]
    return rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]


def _segment_mean(
    starts: npt.NDArray[np.intp], weight: FloatArray, total: FloatArray, value: FloatArray
) -> FloatArray:
    """Weighted mean of each contiguous segment (the rows are sorted by call and leg, so a sum
    over segments is a ``reduceat``: about twice as fast as a ``bincount`` over group ids)."""
    if not len(starts):
        return np.zeros(0)
    return np.add.reduceat(weight * value, starts) / total


def _previous(values: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
    """Each row's predecessor (the first row its own): a shifted copy, cheaper than a gather."""
    if not len(values):
        return values
    return np.concatenate((values[:1], values[:-1]))


def _keys(column: npt.ArrayLike) -> npt.NDArray[np.generic]:
    """Integer or string keys as they are (integers sort fastest); objects (UUIDs) as text."""
    keys = np.asarray(column)
    return keys.astype(str) if keys.dtype == object else keys


def _report_order(
    call_id: npt.NDArray[np.generic], leg: npt.NDArray[np.generic], at_us: npt.NDArray[np.int64]
) -> npt.NDArray[np.intp] | None:
    """The (call, leg, time) order of the reports; None when they already come in it (a
    collector's per-call export does), which spares a sort of every column."""
    if len(call_id) > 1:
        same_call = call_id[1:] == call_id[:-1]
        same_leg = same_call & (leg[1:] == leg[:-1])
        in_order = (call_id[1:] > call_id[:-1]) | (
            same_call & ((leg[1:] > leg[:-1]) | (same_leg & (at_us[1:] >= at_us[:-1])))
        )
        if not in_order.all():
            return np.lexsort((at_us, leg, call_id))
    return None


def call_quality(frame: Mapping[str, npt.ArrayLike], *, plc: bool = False) -> CallQuality:
    """Per-call quality from RTCP reports, vectorised.

    ``frame`` columns (numpy arrays, or pyarrow columns): ``call_id``, ``leg``, ``occurred_at_us``
    (report time, integer µs), ``codec``, ``fraction_lost``, ``cumulative_lost`` (signed),
    ``extended_highest_seq``, ``interarrival_jitter`` (RTP timestamp units), ``clock_rate_hz``,
    ``rtt_ms`` (NaN when the report has none; see ``rtt_ms_from_lsr_dlsr``).

    Per report: loss = Δcumulative lost / Δextended highest seq since the leg's previous report,
    clipped to 0–100 % (the report's fraction lost for a leg's first report or when the sequence
    does not advance); Ta = RTT/2 (0 without RTT) + max(2 × jitter, one packet) + one packet +
    look-ahead; weight = seconds since the leg's previous report (5 s for the first). Reports of
    codecs without E-model values are dropped (a call with none has no row). Legs: time-weighted
    means; the worst leg has the lowest mean MOS (ties: the smaller leg name). Call: means
    weighted by each leg's seconds. Dominant impairment of the worst leg: the largest of loss
    (Ie,eff − Ie), delay (Idd; ``jitter`` when the de-jitter buffer outweighs RTT/2) and codec
    (Ie), ties in that order; ``none`` when the largest is under 5 R points."""
    call_id = _keys(frame["call_id"])
    leg = _keys(frame["leg"])
    at_us = np.asarray(frame["occurred_at_us"], dtype=np.int64)
    codec = np.asarray(frame["codec"]).astype(str)
    ie, bpl, packet, lookahead = _codec_table(codec, plc)
    known = ~np.isnan(ie)

    order = _report_order(call_id, leg, at_us)

    def ordered(column: npt.ArrayLike, dtype: type | None = None) -> npt.NDArray[np.generic]:
        values = np.asarray(column, dtype=dtype)
        return values if order is None else values[order]

    call_id, leg, at_us, codec = ordered(call_id), ordered(leg), ordered(at_us), ordered(codec)
    ie, bpl, packet, lookahead, known = (
        ordered(ie), ordered(bpl), ordered(packet), ordered(lookahead), ordered(known)
    )  # fmt: skip
    lost = ordered(frame["cumulative_lost"], np.float64)
    seq = ordered(frame["extended_highest_seq"], np.float64)
    fraction = fraction_lost_pct(ordered(frame["fraction_lost"]))
    jitter = jitter_ms(ordered(frame["interarrival_jitter"]), ordered(frame["clock_rate_hz"]))
    rtt = ordered(frame["rtt_ms"], np.float64)

    first = np.ones(len(call_id), dtype=bool)
    first[1:] = (call_id[1:] != call_id[:-1]) | (leg[1:] != leg[:-1])
    seq_delta = seq - _previous(seq)
    use_fraction = first | (seq_delta <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta_loss = np.clip((lost - _previous(lost)) * 100.0 / seq_delta, 0.0, 100.0)
    loss = np.where(use_fraction, fraction, delta_loss)
    weight = np.where(first, FIRST_REPORT_WEIGHT_S, (at_us - _previous(at_us)) / 1e6)

    # drop reports without E-model values (after the previous-report look-ups, as in SQL)
    if not known.all():
        call_id, leg, codec = call_id[known], leg[known], codec[known]
        ie, bpl, packet, lookahead = ie[known], bpl[known], packet[known], lookahead[known]
        loss, jitter, rtt, weight = loss[known], jitter[known], rtt[known], weight[known]

    network = np.nan_to_num(rtt, nan=0.0) / 2.0
    buffer_ms = np.maximum(2.0 * jitter, packet)
    ta = one_way_delay_ms(np.nan_to_num(rtt, nan=0.0), jitter, packet, lookahead)
    idd = delay_impairment(ta)
    ie_eff = effective_equipment_impairment(ie, bpl, loss) if len(ie) else np.zeros(0)
    r = DEFAULT_RO - idd - ie_eff
    mos = mos_from_r(r)

    # legs, in (call, leg) order
    leg_first = np.ones(len(call_id), dtype=bool)
    leg_first[1:] = (call_id[1:] != call_id[:-1]) | (leg[1:] != leg[:-1])
    leg_of = np.cumsum(leg_first) - 1
    n_legs = int(leg_first.sum())
    starts = np.flatnonzero(leg_first)
    seconds = np.add.reduceat(weight, starts) if n_legs else np.zeros(0)

    def leg_mean(value: FloatArray) -> FloatArray:
        return _segment_mean(starts, weight, seconds, value)

    leg_mos, leg_r = leg_mean(mos), leg_mean(r)
    leg_loss, leg_jitter, leg_ta = leg_mean(loss), leg_mean(jitter), leg_mean(ta)
    leg_idd, leg_loss_imp = leg_mean(idd), leg_mean(ie_eff - ie)
    leg_buffer, leg_network = leg_mean(buffer_ms), leg_mean(network)
    has_rtt = ~np.isnan(rtt)
    leg_rtt_sum = np.bincount(leg_of, np.where(has_rtt, weight * rtt, 0.0), n_legs)
    leg_rtt_s = np.bincount(leg_of, np.where(has_rtt, weight, 0.0), n_legs)
    leg_ie = np.maximum.reduceat(ie, starts) if n_legs else np.zeros(0)
    leg_min_mos = np.minimum.reduceat(mos, starts) if n_legs else np.zeros(0)
    leg_reports = np.bincount(leg_of, minlength=n_legs)
    leg_call, leg_name = call_id[starts], leg[starts]

    # calls
    call_first = np.ones(n_legs, dtype=bool)
    call_first[1:] = leg_call[1:] != leg_call[:-1]
    call_of = np.cumsum(call_first) - 1
    n_calls = int(call_first.sum())
    call_starts = np.flatnonzero(call_first)

    call_seconds = np.add.reduceat(seconds, call_starts) if n_calls else np.zeros(0)

    def call_mean(value: FloatArray) -> FloatArray:
        return _segment_mean(call_starts, seconds, call_seconds, value)

    # worst leg: lowest mean MOS, then the smaller leg name (legs are sorted by name)
    worst_order = np.lexsort((leg_name, leg_mos, call_of))
    worst = worst_order[
        np.flatnonzero(np.r_[True, call_of[worst_order][1:] != call_of[worst_order][:-1]])
    ]
    codec_names, codec_code = _factorize(codec[leg_first])
    call_codec = (
        codec_names[np.minimum.reduceat(codec_code.reshape(-1), call_starts)]
        if n_calls
        else codec_names
    )

    loss_imp, delay_imp, codec_imp = leg_loss_imp[worst], leg_idd[worst], leg_ie[worst]
    largest = np.maximum(np.maximum(loss_imp, delay_imp), codec_imp)
    dominant = np.where(
        largest < DOMINANT_MIN_R,
        "none",
        np.where(
            (loss_imp >= delay_imp) & (loss_imp >= codec_imp),
            "loss",
            np.where(
                delay_imp >= codec_imp,
                np.where(leg_buffer[worst] > leg_network[worst], "jitter", "delay"),
                "codec",
            ),
        ),
    )
    rtt_s = np.bincount(call_of, leg_rtt_s, n_calls)
    with np.errstate(divide="ignore", invalid="ignore"):
        call_rtt = np.where(rtt_s > 0, np.bincount(call_of, leg_rtt_sum, n_calls) / rtt_s, np.nan)
    call_mos = call_mean(leg_mos)
    return CallQuality(
        call_id=leg_call[call_starts],
        codec=call_codec,
        reports=np.bincount(call_of, leg_reports, n_calls).astype(np.int64),
        legs=np.bincount(call_of, minlength=n_calls).astype(np.int64),
        mos=call_mos,
        r_factor=call_mean(leg_r),
        worst_leg=leg_name[worst],
        worst_leg_mos=leg_mos[worst],
        min_report_mos=np.minimum.reduceat(leg_min_mos, call_starts) if n_calls else np.zeros(0),
        loss_pct=call_mean(leg_loss),
        jitter_ms=call_mean(leg_jitter),
        rtt_ms=call_rtt,
        one_way_delay_ms=call_mean(leg_ta),
        is_poor=call_mos < POOR_MOS,
        dominant_impairment=dominant.astype(str),
    )
