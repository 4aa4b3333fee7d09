"""The E-model (ITU-T G.107) reduced to the terms a provider measures: packet loss (random or
bursty), codec, and one-way delay. Every function takes scalars or numpy arrays (vectorised over
calls); no framework imports.

R = Ro − Idd − Ie,eff with the other terms at G.107's defaults (Ro = 93.2 gives R 93.2, MOS 4.41
with no impairment). Values and formulas: ../shared/reference/FORMULAS.md, G.107 (06/2015) §7,
Annex B, and G.113 Appendix I for the codec Ie/Bpl.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

ArrayLike = float | npt.ArrayLike
FloatArray = npt.NDArray[np.float64]

#: G.107's basic signal-to-noise ratio with every other term at its default.
DEFAULT_RO: Final[float] = 93.2
#: Idd's mT (ms) and sT of G.107 §7.3 at their defaults.
_DELAY_MT_MS: Final[float] = 100.0


@dataclass(frozen=True)
class CodecImpairment:
    """E-model values of a codec (G.113 Appendix I) and its delay on the path.

    ``packet_ms`` is the audio per RTP packet and ``lookahead_ms`` the encoder's look-ahead: both
    add to the one-way delay (one packet is buffered at the sender)."""

    name: str
    ie: float
    bpl: float
    bpl_with_plc: float | None
    packet_ms: float
    lookahead_ms: float


#: G.113 Appendix I, Table I.3 (Ie) and Table I.4 (Bpl). G.711 without PLC: Bpl 4.3; with the
#: G.711 Appendix I PLC: 25.1. G.729(A) with VAD: Ie 11, Bpl 19; G.723.1 6.3 kbit/s: Ie 15,
#: Bpl 16.1 (these codecs conceal loss themselves: one Bpl). Packetisation: 20 ms for G.711 and
#: G.729 (two 10 ms frames, 5 ms look-ahead, G.729 §3), 30 ms for G.723.1 (one frame, 7.5 ms
#: look-ahead, G.723.1 §2).
CODECS: Final[dict[str, CodecImpairment]] = {
    "G.711": CodecImpairment("G.711", 0.0, 4.3, 25.1, 20.0, 0.0),
    "G.729": CodecImpairment("G.729", 11.0, 19.0, None, 20.0, 5.0),
    "G.723.1": CodecImpairment("G.723.1", 15.0, 16.1, None, 30.0, 7.5),
}
#: Names the platform uses for the same codecs (RTP payload names, the contract's Codec enum).
_ALIASES: Final[dict[str, str]] = {
    "PCMU": "G.711",
    "PCMA": "G.711",
    "G711": "G.711",
    "G729": "G.729",
    "G.729A": "G.729",
    "G723": "G.723.1",
    "G.723": "G.723.1",
    "G7231": "G.723.1",
}


def codec_impairment(codec: str) -> CodecImpairment:
    """The codec's E-model values; ValueError naming the known codecs otherwise."""
    key = codec.strip().upper()
    found = CODECS.get(key) or CODECS.get(_ALIASES.get(key, ""))
    if found is None:
        known = ", ".join([*CODECS, *_ALIASES])
        raise ValueError(f"codec {codec!r}: no E-model values known (known: {known})")
    return found


def effective_equipment_impairment(
    ie: ArrayLike, bpl: ArrayLike, loss_pct: ArrayLike, burst_ratio: ArrayLike = 1.0
) -> FloatArray:
    """Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl) (G.107 eq. 7-29).

    ``loss_pct`` is the packet loss in percent (0..100); ``burst_ratio`` 1 for random loss, > 1
    for bursty loss (G.107 Annex A: average burst length observed / expected for random loss)."""
    ie_a, bpl_a = np.asarray(ie, dtype=np.float64), np.asarray(bpl, dtype=np.float64)
    ppl, burst = np.asarray(loss_pct, dtype=np.float64), np.asarray(burst_ratio, dtype=np.float64)
    if np.any(ppl < 0) or np.any(ppl > 100):
        raise ValueError("loss_pct: packet loss must be between 0 and 100 %")
    if np.any(burst < 1):
        raise ValueError("burst_ratio: must be at least 1 (1 = random loss)")
    return ie_a + (95.0 - ie_a) * ppl / (ppl / burst + bpl_a)


def delay_impairment(one_way_delay_ms: ArrayLike) -> FloatArray:
    """Idd of G.107 §7.3 (mT = 100 ms, sT = 1): 0 up to 100 ms, else with x = log2(Ta / 100)
    Idd = 25 · ((1 + x⁶)^(1/6) − 3 · (1 + (x/3)⁶)^(1/6) + 2)."""
    ta = np.asarray(one_way_delay_ms, dtype=np.float64)
    if np.any(ta < 0):
        raise ValueError("one_way_delay_ms: delay cannot be negative")
    idd = np.zeros(ta.shape)
    # Only delays over mT have an impairment; most calls have none, so the powers run on few.
    over = ta > _DELAY_MT_MS
    x = np.log2(ta[over] / _DELAY_MT_MS)
    x6 = x**6
    idd[over] = 25.0 * ((1.0 + x6) ** (1 / 6) - 3.0 * (1.0 + x6 / 729.0) ** (1 / 6) + 2.0)
    return idd


def mos_from_r(r_factor: ArrayLike) -> FloatArray:
    """G.107 Annex B: MOS = 1 + 0.035 R + 7·10⁻⁶ R (R − 60)(100 − R), 1 below R 0, 4.5 above 100.

    The polynomial dips below 1 for 0 < R < 6.5 (0.9997 at R 6.47); MOS is held at 1 there, the
    bottom of the scale, which also keeps MOS monotone in R (a property test found the dip)."""
    r = np.asarray(r_factor, dtype=np.float64)
    mos = np.maximum(1.0, 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r))
    return np.where(r < 0, 1.0, np.where(r > 100, 4.5, mos))


def one_way_delay_ms(
    rtt_ms: ArrayLike, jitter_ms: ArrayLike, packet_ms: ArrayLike, lookahead_ms: ArrayLike = 0.0
) -> FloatArray:
    """Ta for Idd from what RTCP measures (docs/quality.md, "One-way delay"):

    network RTT / 2 + a de-jitter buffer of twice the interarrival jitter, at least one packet
    (adaptive buffers settle near 2× jitter; none runs below one packet) + one packet of
    packetisation at the sender + the codec's look-ahead."""
    rtt = np.asarray(rtt_ms, dtype=np.float64)
    jitter = np.asarray(jitter_ms, dtype=np.float64)
    packet = np.asarray(packet_ms, dtype=np.float64)
    buffer_ms = np.maximum(2.0 * jitter, packet)
    return rtt / 2.0 + buffer_ms + packet + np.asarray(lookahead_ms, dtype=np.float64)


@dataclass(frozen=True)
class EModelTerms:
    """R, MOS and the terms that lowered R (arrays of one shape, or 0-d arrays)."""

    r_factor: FloatArray
    mos: FloatArray
    ro: float
    idd: FloatArray
    ie_eff: FloatArray

    def as_dict(self) -> dict[str, float]:
        """Scalars (for one call) as plain floats, rounded for people."""
        return {
            "r_factor": round(float(self.r_factor), 2),
            "mos": round(float(self.mos), 2),
            "ro": self.ro,
            "idd": round(float(self.idd), 2),
            "ie_eff": round(float(self.ie_eff), 2),
        }


def emodel(
    codec: str,
    loss_pct: ArrayLike,
    one_way_delay: ArrayLike,
    *,
    burst_ratio: ArrayLike = 1.0,
    plc: bool = False,
) -> EModelTerms:
    """R and MOS of calls with one codec: Ie,eff from loss (Bpl with PLC where the codec has one
    apart) and Idd from the absolute one-way delay Ta in ms, taken as is."""
    values = codec_impairment(codec)
    bpl = values.bpl_with_plc if plc and values.bpl_with_plc is not None else values.bpl
    ie_eff = effective_equipment_impairment(values.ie, bpl, loss_pct, burst_ratio)
    idd = delay_impairment(one_way_delay)
    r = DEFAULT_RO - idd - ie_eff
    return EModelTerms(r_factor=r, mos=mos_from_r(r), ro=DEFAULT_RO, idd=idd, ie_eff=ie_eff)
