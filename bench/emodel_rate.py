"""How fast MOS is computed per RTCP report (issue 5's benchmark): 10,000,000 reports.

Each report gives loss (fraction_lost / 256 → %), jitter (RTP timestamp units / 8000 Hz → ms) and
RTT (ms); the E-model (models_ml.quality) turns them into Ta (RTT/2 + de-jitter buffer +
packetisation), Idd, Ie,eff, R and MOS with numpy over the whole frame. The baseline, in the same
process, is the same maths as a plain-Python loop (``math``, one report at a time) over 200,000
reports; both give the same MOS on those reports.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from bench import BenchResult, best_of
from models_ml.quality import call_quality, emodel, one_way_delay_ms

REPORTS = 10_000_000
BASELINE_REPORTS = 200_000
CLOCK_HZ = 8000.0


def _reports(count: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    fraction_lost = np.minimum(rng.geometric(0.35, count) - 1, 255).astype(np.float64)
    jitter_units = rng.gamma(2.0, 40.0, count)
    rtt_ms = rng.gamma(3.0, 30.0, count)
    return fraction_lost, jitter_units, rtt_ms


def _vectorised(fraction_lost: np.ndarray, jitter: np.ndarray, rtt: np.ndarray) -> np.ndarray:
    loss_pct = fraction_lost * (100.0 / 256.0)
    ta = one_way_delay_ms(rtt, jitter * (1000.0 / CLOCK_HZ), 20.0)
    return emodel("G.711", loss_pct, ta).mos


def _plain_python(fraction_lost: list[float], jitter: list[float], rtt: list[float]) -> list[float]:
    out = []
    for lost, units, trip in zip(fraction_lost, jitter, rtt, strict=True):
        ppl = lost * 100.0 / 256.0
        jitter_ms = units * 1000.0 / CLOCK_HZ
        ta = trip / 2.0 + max(2.0 * jitter_ms, 20.0) + 20.0
        ie_eff = 0.0 + 95.0 * ppl / (ppl + 4.3)
        idd = 0.0
        if ta > 100.0:
            x = math.log2(ta / 100.0)
            idd = 25.0 * ((1 + x**6) ** (1 / 6) - 3 * (1 + (x / 3) ** 6) ** (1 / 6) + 2)
        r = 93.2 - idd - ie_eff
        mos = 1.0 if r < 0 else 4.5 if r > 100 else 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)
        out.append(max(1.0, mos))
    return out


REPORTS_PER_LEG = 5


def _frame(fraction_lost: np.ndarray, jitter: np.ndarray, rtt: np.ndarray) -> dict[str, Any]:
    """The reports as calls: 2 legs × 5 reports 30 s apart per call, cumulative counters."""
    count = len(fraction_lost)
    per_call = 2 * REPORTS_PER_LEG
    k = np.arange(count) % REPORTS_PER_LEG
    expected = 1500  # 30 s at 50 packets/s
    lost = np.floor(fraction_lost * expected / 256).astype(np.int64)
    start = np.arange(count) - k
    cumulative = np.cumsum(lost) - np.cumsum(lost)[start] + lost[start]
    return {
        "call_id": np.arange(count) // per_call,
        "leg": (np.arange(count) // REPORTS_PER_LEG) % 2,
        "occurred_at_us": (k.astype(np.int64) + 1) * 30_000_000,
        "codec": np.full(count, "PCMU"),
        "fraction_lost": fraction_lost.astype(np.int64),
        "cumulative_lost": cumulative,
        "extended_highest_seq": (k + 1) * expected,
        "interarrival_jitter": np.rint(jitter).astype(np.int64),
        "clock_rate_hz": np.full(count, 8000),
        "rtt_ms": rtt,
    }


def _plain_python_calls(frame: dict[str, Any]) -> dict[int, float]:
    """Per-call time-weighted MOS, one report at a time (reports arrive in call/leg/time order)."""
    sums: dict[int, list[float]] = {}
    previous: tuple[int, int, int, int, int] | None = None
    columns = [frame[name].tolist() for name in (
        "call_id", "leg", "occurred_at_us", "fraction_lost", "cumulative_lost",
        "extended_highest_seq", "interarrival_jitter", "rtt_ms")]  # fmt: skip
    for call, leg, at, fraction, lost, seq, units, trip in zip(*columns, strict=True):
        if previous is None or previous[:2] != (call, leg) or seq <= previous[4]:
            ppl = fraction * 100.0 / 256.0
        else:
            ppl = min(100.0, max(0.0, (lost - previous[3]) * 100.0 / (seq - previous[4])))
        weight = (
            5.0 if previous is None or previous[:2] != (call, leg) else (at - previous[2]) / 1e6
        )
        previous = (call, leg, at, lost, seq)
        ta = trip / 2.0 + max(2.0 * units / 8.0, 20.0) + 20.0
        idd = 0.0
        if ta > 100.0:
            x = math.log2(ta / 100.0)
            idd = 25.0 * ((1 + x**6) ** (1 / 6) - 3 * (1 + (x / 3) ** 6) ** (1 / 6) + 2)
        r = 93.2 - idd - 95.0 * ppl / (ppl + 4.3)
        mos = 1.0 if r < 0 else 4.5 if r > 100 else 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)
        acc = sums.setdefault(call, [0.0, 0.0])
        acc[0] += max(1.0, mos) * weight
        acc[1] += weight
    return {call: total / seconds for call, (total, seconds) in sums.items()}


def run() -> BenchResult:
    fraction_lost, jitter, rtt = _reports(REPORTS)
    vector_s = best_of(3, lambda: _vectorised(fraction_lost, jitter, rtt))
    sample = [column[:BASELINE_REPORTS].tolist() for column in (fraction_lost, jitter, rtt)]
    began = time.perf_counter()
    naive = _plain_python(*sample)
    naive_s = time.perf_counter() - began
    check = _vectorised(
        fraction_lost[:BASELINE_REPORTS], jitter[:BASELINE_REPORTS], rtt[:BASELINE_REPORTS]
    )
    worst = float(np.max(np.abs(check - np.asarray(naive))))
    frame = _frame(fraction_lost, jitter, rtt)
    calls_s = best_of(1, lambda: call_quality(frame))
    small = {name: column[:BASELINE_REPORTS] for name, column in frame.items()}
    began = time.perf_counter()
    naive_calls = _plain_python_calls(small)
    naive_calls_s = time.perf_counter() - began
    per_call = call_quality(small)
    worst_call = max(
        abs(naive_calls[int(call)] - float(mos))
        for call, mos in zip(per_call.call_id, per_call.mos, strict=True)
    )
    calls_rate, naive_calls_rate = REPORTS / calls_s, BASELINE_REPORTS / naive_calls_s
    vector_rate = REPORTS / vector_s
    naive_rate = BASELINE_REPORTS / naive_s
    return BenchResult(
        title="E-model MOS per RTCP report (one process)",
        columns=["method", "reports", "seconds", "reports/s", "ratio"],
        rows=[
            [
                "numpy (models_ml.quality)",
                f"{REPORTS:,}",
                f"{vector_s:.2f}",
                f"{vector_rate:,.0f}",
                f"{vector_rate / naive_rate:.0f}x",
            ],
            [
                "plain-Python loop (baseline)",
                f"{BASELINE_REPORTS:,}",
                f"{naive_s:.2f}",
                f"{naive_rate:,.0f}",
                "1x",
            ],
            [
                "per call: numpy call_quality",
                f"{REPORTS:,}",
                f"{calls_s:.2f}",
                f"{calls_rate:,.0f}",
                f"{calls_rate / naive_calls_rate:.0f}x",
            ],
            [
                "per call: plain-Python loop (baseline)",
                f"{BASELINE_REPORTS:,}",
                f"{naive_calls_s:.2f}",
                f"{naive_calls_rate:,.0f}",
                "1x",
            ],
        ],
        notes=[
            f"largest MOS difference between the two on the baseline's reports: {worst:.1e}",
            f"per call ({2 * REPORTS_PER_LEG} reports a call, 2 legs, time-weighted MOS, worst "
            f"leg, dominant impairment): largest call-MOS difference {worst_call:.1e}",
        ],
    )
