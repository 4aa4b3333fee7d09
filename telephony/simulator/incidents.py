"""Injected incidents: scheduled first, then honoured by every generator, and written out as the
ground truth that anomaly detection is scored against."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from telephony.simulator.clock import SECONDS_PER_DAY, US_PER_S, LocalClock, Window

KINDS: tuple[str, ...] = (
    "carrier_outage",
    "quality_degradation",
    "traffic_spike",
    "toll_fraud_burst",
    "sms_delivery_drop",
)
#: Expected occurrences per day of window (per tenant for traffic spikes).
_RATE_PER_DAY = {
    "carrier_outage": 1 / 7,
    "quality_degradation": 1 / 5,
    "traffic_spike": 1 / 15,
    "toll_fraud_burst": 1 / 8,
    "sms_delivery_drop": 1 / 7,
}


@dataclass(frozen=True)
class Incident:
    incident_id: str
    kind: str
    start_us: int  # window-relative
    end_us: int
    tenant: int = -1  # index; -1 = platform-wide
    carrier: int = -1
    provider: str | None = None
    customer: int = -1  # tenant-local customer index
    queue: int = -1  # tenant-local queue index
    params: dict[str, float] = field(default_factory=dict)

    def covers(self, t_us: np.ndarray) -> np.ndarray:
        return (t_us >= self.start_us) & (t_us < self.end_us)


@dataclass
class IncidentBook:
    incidents: list[Incident]

    def of_kind(self, kind: str) -> list[Incident]:
        return [i for i in self.incidents if i.kind == kind]

    def outage_mask(self, carrier: np.ndarray, t_us: np.ndarray) -> np.ndarray:
        """Calls set up over a carrier while it is out."""
        mask = np.zeros(len(carrier), dtype=bool)
        for incident in self.of_kind("carrier_outage"):
            mask |= (carrier == incident.carrier) & incident.covers(t_us)
        return mask

    def degradation(
        self, carrier: np.ndarray, t_us: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(loss multiplier, jitter multiplier, added RTT ms) for calls on a carrier at ``t_us``."""
        loss, jitter, rtt = np.ones(len(carrier)), np.ones(len(carrier)), np.zeros(len(carrier))
        for incident in self.of_kind("quality_degradation"):
            hit = (carrier == incident.carrier) & incident.covers(t_us)
            loss[hit] = np.maximum(loss[hit], incident.params["loss_multiplier"])
            jitter[hit] = np.maximum(jitter[hit], incident.params["jitter_multiplier"])
            rtt[hit] = np.maximum(rtt[hit], incident.params["rtt_add_ms"])
        return loss, jitter, rtt

    def spike_factor(self, tenant: int, t_us: np.ndarray) -> np.ndarray:
        factor = np.ones(len(t_us))
        for incident in self.of_kind("traffic_spike"):
            if incident.tenant == tenant:
                factor[incident.covers(t_us)] *= incident.params["volume_multiplier"]
        return factor

    def delivery_factor(self, provider: np.ndarray, t_us: np.ndarray) -> np.ndarray:
        """Multiplier of the delivery probability of messages (1 = normal)."""
        factor = np.ones(len(provider))
        for incident in self.of_kind("sms_delivery_drop"):
            hit = (provider == incident.provider) & incident.covers(t_us)
            factor[hit] = incident.params["delivery_factor"]
        return factor

    def ground_truth(
        self,
        window: Window,
        tenant_ids: list[str],
        carrier_ids: list[str],
        customer_ids: list[list[str]],
        queue_ids: list[list[str]],
    ) -> list[dict[str, Any]]:
        rows = []
        for incident in sorted(self.incidents, key=lambda i: (i.start_us, i.incident_id)):
            tenant = incident.tenant
            rows.append(
                {
                    "incident_id": incident.incident_id,
                    "kind": incident.kind,
                    "tenant_id": tenant_ids[tenant] if tenant >= 0 else None,
                    "carrier_id": carrier_ids[incident.carrier] if incident.carrier >= 0 else None,
                    "provider": incident.provider,
                    "queue_id": queue_ids[tenant][incident.queue] if incident.queue >= 0 else None,
                    "customer_id": (
                        customer_ids[tenant][incident.customer] if incident.customer >= 0 else None
                    ),
                    "start": window.iso(incident.start_us),
                    "end": window.iso(incident.end_us),
                    "expected_effect": _EFFECTS[incident.kind],
                    "parameters": {k: round(v, 4) for k, v in sorted(incident.params.items())},
                }
            )
        return rows


_EFFECTS = {
    "carrier_outage": (
        "every call set up over the carrier in the window fails with NETWORK_OUT_OF_ORDER "
        "(Q.850 38, SIP 503): the carrier's ASR drops to 0 and its failed-call count jumps"
    ),
    "quality_degradation": (
        "RTCP of calls on the carrier shows packet loss x loss_multiplier, jitter x "
        "jitter_multiplier and RTT + rtt_add_ms: MOS/R-factor fall for that carrier"
    ),
    "traffic_spike": (
        "the tenant's inbound arrivals are x volume_multiplier: queue waits and abandonment rise"
    ),
    "toll_fraud_burst": (
        "the customer places many short answered outbound calls to premium/high-cost prefixes "
        "at night (local time): cost and minutes to premium destinations spike"
    ),
    "sms_delivery_drop": (
        "the provider's SMS delivery rate falls to about delivery_factor x normal; failed "
        "events with carrier error codes rise"
    ),
}


def _count(rng: np.random.Generator, expected: float) -> int:
    """About ``expected`` (give or take one), never zero: every kind shows up in every run."""
    return max(1, round(expected) + int(rng.integers(-1, 2)))


def schedule_incidents(
    rng: np.random.Generator,
    window: Window,
    clocks: list[LocalClock],
    tenant_customers: list[int],
    tenant_queues: list[int],
    n_carriers: int,
    sms_providers: tuple[str, ...],
) -> IncidentBook:
    """At least one incident of every kind; more in proportion to the window's length."""
    days = window.days
    hour = 3600 * US_PER_S
    incidents: list[Incident] = []

    def start_in_day(day: int, earliest_h: float, latest_h: float, length_us: int) -> int:
        start = int((day * SECONDS_PER_DAY + rng.uniform(earliest_h, latest_h) * 3600) * US_PER_S)
        return min(max(0, start), window.end_us - length_us)

    def local_start(clock: LocalClock, day: int, hours: tuple[float, float], length: int) -> int:
        # The local calendar day that contains noon UTC of window day ``day``.
        local_midnight = int(clock.local_day(np.array([day * SECONDS_PER_DAY + 43_200.0]))[0])
        local_s = local_midnight * SECONDS_PER_DAY + rng.uniform(*hours) * 3600
        start = int(clock.to_window_s(local_s) * US_PER_S)
        return min(max(0, start), window.end_us - length)

    outages_by_carrier: dict[int, list[tuple[int, int]]] = {}
    for _ in range(_count(rng, days * _RATE_PER_DAY["carrier_outage"])):
        carrier = int(rng.integers(0, n_carriers))
        length = int(rng.uniform(1.0, 3.0) * hour)
        for _attempt in range(20):
            start = start_in_day(int(rng.integers(0, days)), 6.0, 20.0, length)
            taken = outages_by_carrier.setdefault(carrier, [])
            if all(start >= end + hour or start + length + hour <= begin for begin, end in taken):
                taken.append((start, start + length))
                incidents.append(
                    Incident("", "carrier_outage", start, start + length, carrier=carrier)
                )
                break
    for _ in range(_count(rng, days * _RATE_PER_DAY["quality_degradation"])):
        length = int(rng.uniform(2.0, 6.0) * hour)
        # Within the busier UTC hours, so that the degradation is seen by enough calls.
        start = start_in_day(int(rng.integers(0, days)), 6.0, 18.0, length)
        params = {
            "loss_multiplier": float(rng.uniform(6.0, 12.0)),
            "jitter_multiplier": float(rng.uniform(2.5, 4.0)),
            "rtt_add_ms": float(rng.uniform(60.0, 150.0)),
        }
        incidents.append(
            Incident(
                "",
                "quality_degradation",
                start,
                start + length,
                carrier=int(rng.integers(0, n_carriers)),
                params=params,
            )
        )
    n_tenants = len(clocks)
    for _ in range(_count(rng, days * n_tenants * _RATE_PER_DAY["traffic_spike"])):
        tenant = int(rng.integers(0, n_tenants))
        clock = clocks[tenant]
        weekdays = [d for d in range(days) if _local_weekday(clock, d) < 5] or list(range(days))
        length = int(rng.uniform(1.0, 2.0) * hour)
        start = local_start(clock, int(rng.choice(weekdays)), (9.0, 15.0), length)
        incidents.append(
            Incident(
                "",
                "traffic_spike",
                start,
                start + length,
                tenant=tenant,
                params={"volume_multiplier": 3.0},
            )
        )
    for _ in range(_count(rng, days * _RATE_PER_DAY["toll_fraud_burst"])):
        tenant = int(rng.integers(0, n_tenants))
        # A small, quiet customer whose credentials were stolen (not one of the big accounts).
        customer = int(rng.integers(min(5, tenant_customers[tenant] - 1), tenant_customers[tenant]))
        length = int(rng.uniform(1.0, 3.0) * hour)
        start = local_start(clocks[tenant], int(rng.integers(0, days)), (0.5, 3.5), length)
        incidents.append(
            Incident(
                "",
                "toll_fraud_burst",
                start,
                start + length,
                tenant=tenant,
                customer=customer,
                params={"calls_per_hour": float(rng.uniform(150, 400))},
            )
        )
    for _ in range(_count(rng, days * _RATE_PER_DAY["sms_delivery_drop"])):
        length = int(rng.uniform(2.0, 6.0) * hour)
        start = start_in_day(int(rng.integers(0, days)), 7.0, 19.0, length)
        provider = str(rng.choice(list(sms_providers)))
        incidents.append(
            Incident(
                "",
                "sms_delivery_drop",
                start,
                start + length,
                provider=provider,
                params={"delivery_factor": float(rng.uniform(0.35, 0.6))},
            )
        )
    incidents.sort(key=lambda i: (i.start_us, KINDS.index(i.kind)))
    numbered = [
        Incident(
            f"inc-{k + 1:04d}-{i.kind.replace('_', '-')}",
            i.kind,
            i.start_us,
            i.end_us,
            i.tenant,
            i.carrier,
            i.provider,
            i.customer,
            i.queue,
            i.params,
        )
        for k, i in enumerate(incidents)
    ]
    return IncidentBook(numbered)


def _local_weekday(clock: LocalClock, day: int) -> int:
    return int(clock.weekday(np.array([day * SECONDS_PER_DAY + 43_200.0]))[0])
