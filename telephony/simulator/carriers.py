"""Carriers, trunks and routes: who terminates a call, at what quality and what it costs.

Each carrier has a quality profile (packet loss, jitter, round-trip time, codec mix), an answer-
seizure modifier, a post-dial-delay distribution, a cost level and a billing increment. Routes are
(carrier, destination) pairs; least-cost routing prefers cheap carriers but spreads traffic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telephony.simulator.geography import COUNTRIES

CODECS: tuple[str, ...] = ("PCMU", "PCMA", "G722", "G729", "G723", "OPUS")
#: RTP packets per second: 20 ms packetisation, 30 ms for G.723.1.
CODEC_PACKETS_PER_S = np.array([50.0, 50.0, 50.0, 50.0, 1000.0 / 30.0, 50.0])
CODEC_CLOCK_RATE_HZ = np.array([8000, 8000, 8000, 8000, 8000, 48000], dtype=np.int64)

_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("bluewave", "premium"),
    ("northstar", "standard"),
    ("voxlink", "budget"),
    ("meridian", "standard"),
    ("crosspoint", "budget"),
    ("atlas-tel", "premium"),
)

# Tier ranges: loss %, jitter ms, RTT ms, PDD median ms, ASR factor, cost factor.
# fmt: off
_TIERS: dict[str, dict[str, tuple[float, float]]] = {
    "premium": {"loss": (0.05, 0.25), "jitter": (2.0, 5.0), "rtt": (30, 80), "pdd": (1200, 1900),
                "asr": (1.02, 1.06), "cost": (1.10, 1.28)},
    "standard": {"loss": (0.2, 0.6), "jitter": (4.0, 9.0), "rtt": (60, 140), "pdd": (1800, 2800),
                 "asr": (0.97, 1.01), "cost": (0.95, 1.05)},
    "budget": {"loss": (0.6, 1.6), "jitter": (8.0, 18.0), "rtt": (110, 220), "pdd": (2600, 4200),
               "asr": (0.88, 0.95), "cost": (0.78, 0.90)},
}
# fmt: on
_CODEC_MIX: dict[str, tuple[float, ...]] = {
    "premium": (0.40, 0.15, 0.20, 0.05, 0.00, 0.20),
    "standard": (0.45, 0.20, 0.05, 0.25, 0.02, 0.03),
    "budget": (0.30, 0.10, 0.00, 0.50, 0.10, 0.00),
}


@dataclass(frozen=True)
class Carrier:
    carrier_id: str
    index: int
    tier: str
    loss_pct: float
    jitter_ms: float
    rtt_ms: float
    pdd_median_ms: float
    asr_factor: float
    cost_factor: float
    increment_s: int  # carrier bills in blocks of this many seconds
    codec_weights: tuple[float, ...]
    trunks: tuple[str, ...]
    first_trunk: int  # global index of trunks[0]
    inbound: bool  # also provides DIDs (inbound numbers)


class Network:
    """Carriers, their trunks and the route table."""

    def __init__(self, rng: np.random.Generator) -> None:
        count = int(rng.integers(4, 7))
        carriers: list[Carrier] = []
        trunk_ids: list[str] = []
        for index, (name, tier) in enumerate(_CANDIDATES[:count]):
            ranges = _TIERS[tier]

            def draw(key: str, ranges: dict[str, tuple[float, float]] = ranges) -> float:
                low, high = ranges[key]
                return float(rng.uniform(low, high))

            trunks = tuple(f"{name}-tr{k + 1}" for k in range(int(rng.integers(2, 4))))
            carriers.append(
                Carrier(
                    carrier_id=name,
                    index=index,
                    tier=tier,
                    loss_pct=draw("loss"),
                    jitter_ms=draw("jitter"),
                    rtt_ms=draw("rtt"),
                    pdd_median_ms=draw("pdd"),
                    asr_factor=draw("asr"),
                    cost_factor=draw("cost"),
                    increment_s=int(rng.choice([1, 6, 60], p=[0.5, 0.35, 0.15])),
                    codec_weights=_CODEC_MIX[tier],
                    trunks=trunks,
                    first_trunk=len(trunk_ids),
                    inbound=tier != "budget",
                )
            )
            trunk_ids.extend(trunks)
        self.carriers = carriers
        self.trunk_ids = trunk_ids
        self.carrier_ids = [c.carrier_id for c in carriers]
        n_dest, n_car = len(COUNTRIES), len(carriers)
        covered = np.ones((n_dest, n_car), dtype=bool)
        for d, country in enumerate(COUNTRIES):
            if country.premium:
                # Premium ranges are reachable through the budget and standard carriers only.
                covered[d] = [c.tier != "premium" for c in carriers]
        noise = rng.uniform(0.9, 1.1, size=(n_dest, n_car))
        base = np.array([c.voice_cost for c in COUNTRIES])[:, None]
        self.cost_per_min = base * np.array([c.cost_factor for c in carriers])[None, :] * noise
        # Least-cost routing with spread: weight ~ cost^-4, zero where a carrier has no route.
        weights = np.where(covered, self.cost_per_min**-4.0, 0.0)
        self.route_prob = weights / weights.sum(axis=1, keepdims=True)
        self.route_cum = np.cumsum(self.route_prob, axis=1)
        self.route_index = np.full((n_dest, n_car), -1, dtype=np.int64)
        route_ids: list[str] = []
        for d, country in enumerate(COUNTRIES):
            for c, carrier in enumerate(carriers):
                if covered[d, c]:
                    self.route_index[d, c] = len(route_ids)
                    route_ids.append(f"{carrier.carrier_id}-out-{country.key.lower()}")
        # Inbound (DID) routes: local and toll-free numbers per carrier.
        self.inbound_route = np.full((n_car, 2), -1, dtype=np.int64)
        for c, carrier in enumerate(carriers):
            for kind, label in enumerate(("local", "tollfree")):
                self.inbound_route[c, kind] = len(route_ids)
                route_ids.append(f"{carrier.carrier_id}-in-{label}")
        self.route_ids = route_ids
        self.inbound_carriers = [c.index for c in carriers if c.inbound]
        self._codec_cum = np.cumsum(np.array([c.codec_weights for c in carriers]), axis=1)
        self._n_trunks = np.array([len(c.trunks) for c in carriers])
        self._first_trunk = np.array([c.first_trunk for c in carriers])
        self._pdd = np.array([c.pdd_median_ms for c in carriers])
        self.asr_factor = np.array([c.asr_factor for c in carriers])
        self.increment_s = np.array([c.increment_s for c in carriers], dtype=np.int64)
        self.cost_factor = np.array([c.cost_factor for c in carriers])

    # --- per-call choices (vectorised) ---------------------------------------------------------
    def choose_carriers(self, rng: np.random.Generator, dest: np.ndarray) -> np.ndarray:
        u = rng.random(len(dest))
        cum = self.route_cum[dest]
        return np.minimum((u[:, None] > cum).sum(axis=1), len(self.carriers) - 1)

    def choose_trunks(self, rng: np.random.Generator, carrier: np.ndarray) -> np.ndarray:
        return self._first_trunk[carrier] + rng.integers(0, self._n_trunks[carrier])

    def choose_codecs(self, rng: np.random.Generator, carrier: np.ndarray) -> np.ndarray:
        u = rng.random(len(carrier))
        return np.minimum((u[:, None] > self._codec_cum[carrier]).sum(axis=1), len(CODECS) - 1)

    def pdd_ms(self, rng: np.random.Generator, carrier: np.ndarray) -> np.ndarray:
        return np.rint(self._pdd[carrier] * rng.lognormal(0.0, 0.35, len(carrier))).astype(np.int64)

    def routes(self, dest: np.ndarray, carrier: np.ndarray) -> np.ndarray:
        return self.route_index[dest, carrier]

    # --- rating ----------------------------------------------------------------------------------
    def outbound_cost_micros(
        self, billsec: np.ndarray, dest: np.ndarray, carrier: np.ndarray
    ) -> np.ndarray:
        """Wholesale cost in micro-USD: the carrier's per-minute rate in its billing increments."""
        increment = self.increment_s[carrier]
        billed = -(-billsec // increment) * increment
        return np.rint(self.cost_per_min[dest, carrier] * billed / 60.0 * 1e6).astype(np.int64)

    def inbound_cost_micros(
        self, billsec: np.ndarray, carrier: np.ndarray, toll_free: np.ndarray
    ) -> np.ndarray:
        rate = np.where(toll_free, 0.0120, 0.0030) * self.cost_factor[carrier]
        return np.rint(rate * billsec / 60.0 * 1e6).astype(np.int64)


def customer_rate_per_min(dest: np.ndarray, markup: float) -> np.ndarray:
    """The tenant's retail price per minute by destination (rounded to 0.0001, at least 0.006)."""
    base = np.array([c.voice_cost for c in COUNTRIES])[dest]
    premium = np.array([c.premium for c in COUNTRIES])[dest]
    # Premium destinations are passed through with a thin margin; the rest carry the markup.
    rate = np.where(premium, base * 1.3, np.maximum(base * markup, 0.006))
    return np.round(rate, 4)


def price_micros(billsec: np.ndarray, rate_per_min: np.ndarray) -> np.ndarray:
    """Retail price in micro-USD: whole minutes, rounded up (60/60 billing)."""
    minutes = -(-billsec // 60)
    return np.rint(rate_per_min * minutes * 1e6).astype(np.int64)
