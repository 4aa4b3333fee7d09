"""Plain outbound calls placed by customers through the API (no queue, no agent), to many
countries, and the toll-fraud bursts injected on top of them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from telephony.simulator.calls import CAUSE, DEFAULT_SIP, OUTBOUND, CallChunk
from telephony.simulator.carriers import customer_rate_per_min, price_micros
from telephony.simulator.clock import SECONDS_PER_DAY, US_PER_S, seconds_to_us
from telephony.simulator.geography import (
    COUNTRY_INDEX,
    INTERNATIONAL_WEIGHTS,
    PREMIUM_INDICES,
    random_e164,
)
from telephony.simulator.identifiers import uuid4_strings
from telephony.simulator.inbound import expected_per_minute, poisson_arrivals
from telephony.simulator.tenants import Tenant
from telephony.simulator.world import World

WEEKLY_API = np.array([1.05, 1.05, 1.0, 1.0, 0.95, 0.45, 0.35])
SOURCE_API, SOURCE_FRAUD = 2, 3
DIDS_PER_CUSTOMER = 3


def api_shape(hour: np.ndarray) -> np.ndarray:
    """Machine-initiated traffic: broad business-day hump, notifications into the evening."""
    return (
        0.06
        + 1.0 * np.exp(-0.5 * ((hour - 11.0) / 2.2) ** 2)
        + 0.8 * np.exp(-0.5 * ((hour - 15.5) / 2.0) ** 2)
        + 0.25 * np.exp(-0.5 * ((hour - 19.5) / 1.5) ** 2)
    )


def customer_numbers(world: World, tenant: Tenant) -> pa.Array:
    """DIDs of the tenant's customers: customer c owns rows c*3 .. c*3+2."""
    rng = world.streams.rng("tenants", tenant.index, 1)
    count = len(tenant.customer_ids) * DIDS_PER_CUSTOMER
    return random_e164(rng, np.full(count, tenant.country_index))


def _international_destinations(rng: np.random.Generator, count: int) -> np.ndarray:
    keys = list(INTERNATIONAL_WEIGHTS)
    weights = np.array([INTERNATIONAL_WEIGHTS[k] for k in keys], dtype=np.float64)
    picks = rng.choice(len(keys), size=count, p=weights / weights.sum())
    return np.array([COUNTRY_INDEX[k] for k in keys], dtype=np.int64)[picks]


def _pick_customers(world: World, tenant: Tenant, rng: np.random.Generator, start_us: np.ndarray):
    day = np.minimum(start_us // (SECONDS_PER_DAY * US_PER_S), world.window.days - 1)
    customer = np.empty(len(start_us), dtype=np.int64)
    for d in np.unique(day):
        rows = np.flatnonzero(day == d)
        weights = world.active_customers(tenant, int(d))
        customer[rows] = rng.choice(len(weights), size=len(rows), p=weights)
    return customer


def simulate_api_calls(world: World, tenant: Tenant, dids: pa.Array) -> CallChunk:
    rng = world.streams.rng("api_calls", tenant.index)
    clock = world.clocks[tenant.index]
    daily = tenant.daily_calls * tenant.api_share
    start = poisson_arrivals(rng, expected_per_minute(clock, daily, api_shape, WEEKLY_API))
    n = len(start)
    customer = _pick_customers(world, tenant, rng, start)
    domestic = rng.random(n) < 0.75
    dest = np.where(domestic, tenant.country_index, _international_destinations(rng, n))
    # A trickle of legitimate calls to premium destinations (so fraud is not trivially a filter).
    legit_premium = rng.random(n) < 0.001
    dest = np.where(legit_premium, rng.choice(PREMIUM_INDICES, size=n), dest)
    outcome_u = rng.random(n)
    talk_s = np.clip(rng.lognormal(np.log(75.0), 1.0, n), 1.0, 3 * 3600.0)
    ring_s = rng.lognormal(np.log(8.0), 0.5, n)
    return _outbound_chunk(
        world,
        tenant,
        rng,
        dids,
        start,
        customer,
        dest,
        outcome_u,
        talk_s,
        ring_s,
        p_answer_base=np.where(domestic, 0.62, 0.50),
        source=SOURCE_API,
    )


def simulate_toll_fraud(world: World, tenant: Tenant, dids: pa.Array) -> list[CallChunk]:
    chunks = []
    for k, incident in enumerate(world.incidents.of_kind("toll_fraud_burst")):
        if incident.tenant != tenant.index:
            continue
        rng = world.streams.rng("toll_fraud", tenant.index, k)
        hours = (incident.end_us - incident.start_us) / (3600 * US_PER_S)
        n = int(rng.poisson(incident.params["calls_per_hour"] * hours))
        start = np.sort(rng.integers(incident.start_us, incident.end_us, size=n))
        # Fraudsters pump a handful of premium numbers they are paid for.
        targets = rng.choice(PREMIUM_INDICES, size=int(rng.integers(3, 8)))
        dest = targets[rng.integers(0, len(targets), size=n)]
        customer = np.full(n, incident.customer)
        talk_s = np.clip(rng.lognormal(np.log(50.0), 0.6, n), 8.0, 900.0)
        ring_s = rng.uniform(1.0, 4.0, n)
        chunks.append(
            _outbound_chunk(
                world,
                tenant,
                rng,
                dids,
                start,
                customer,
                dest,
                rng.random(n),
                talk_s,
                ring_s,
                p_answer_base=np.full(n, 0.88),
                source=SOURCE_FRAUD,
                source_key=k,
            )
        )
    return chunks


def _outbound_chunk(
    world: World,
    tenant: Tenant,
    rng: np.random.Generator,
    dids: pa.Array,
    start: np.ndarray,
    customer: np.ndarray,
    dest: np.ndarray,
    outcome_u: np.ndarray,
    talk_s: np.ndarray,
    ring_s: np.ndarray,
    *,
    p_answer_base: np.ndarray,
    source: int,
    source_key: int = 0,
) -> CallChunk:
    network = world.network
    n = len(start)
    carrier = network.choose_carriers(rng, dest)
    trunk = network.choose_trunks(rng, carrier)
    codec = network.choose_codecs(rng, carrier)
    pdd_ms = network.pdd_ms(rng, carrier)
    pdd_us = pdd_ms * 1000
    from_numbers = dids.take(customer * DIDS_PER_CUSTOMER + rng.integers(0, DIDS_PER_CUSTOMER, n))
    to_numbers = random_e164(rng, dest)
    out = world.incidents.outage_mask(carrier, start)
    p_answer = np.clip(p_answer_base * network.asr_factor[carrier], 0, 0.97)
    rest = (outcome_u - p_answer) / np.maximum(1e-9, 1.0 - p_answer)  # uniform on the remainder
    answered = ~out & (outcome_u < p_answer)
    no_answer = ~out & ~answered & (rest < 0.50)
    busy = ~out & ~answered & (rest >= 0.50) & (rest < 0.68)
    cancelled = ~out & ~answered & (rest >= 0.68) & (rest < 0.80)
    failed = ~out & ~answered & (rest >= 0.80)
    fail_kind = rng.random(n)
    cause = np.select(
        [
            out,
            answered,
            no_answer,
            busy,
            cancelled,
            failed & (fail_kind < 0.45),
            failed & (fail_kind < 0.65),
            failed & (fail_kind < 0.85),
        ],
        [
            CAUSE["NETWORK_OUT_OF_ORDER"],
            CAUSE["NORMAL_CLEARING"],
            CAUSE["NO_ANSWER"],
            CAUSE["USER_BUSY"],
            CAUSE["ORIGINATOR_CANCEL"],
            CAUSE["UNALLOCATED_NUMBER"],
            CAUSE["NORMAL_TEMPORARY_FAILURE"],
            CAUSE["NORMAL_CIRCUIT_CONGESTION"],
        ],
        default=CAUSE["CALL_REJECTED"],
    )
    ring_us = seconds_to_us(ring_s)
    answer = np.where(answered, start + pdd_us + ring_us, -1)
    end = np.select(
        [out, answered, no_answer, busy, cancelled],
        [
            start + seconds_to_us(rng.uniform(0.1, 1.5, n)),
            answer + seconds_to_us(talk_s),
            start + pdd_us + seconds_to_us(rng.uniform(30.0, 60.0, n)),
            start + pdd_us + seconds_to_us(rng.uniform(0.3, 2.0, n)),
            start + pdd_us + seconds_to_us(rng.uniform(2.0, 20.0, n)),
        ],
        default=start + pdd_us,
    )
    stream = world.streams.rng("call_ids", source, tenant.index, source_key)
    chunk = CallChunk.build(
        n,
        call_id=uuid4_strings(stream, n),
        from_number=from_numbers,
        to_number=to_numbers,
        tenant=tenant.index,
        direction=OUTBOUND,
        start_us=start,
        answer_us=answer,
        end_us=end,
        cause=cause,
        sip=DEFAULT_SIP[cause],
        customer=tenant.first_customer + customer,
        carrier=carrier,
        trunk=trunk,
        route=network.routes(dest, carrier),
        codec=np.where(answered, codec, -1),
        pdd_ms=np.where(out | failed, -1, pdd_ms),
    )
    billsec = chunk.billsec
    chunk.cost_micros = network.outbound_cost_micros(billsec, dest, carrier)
    chunk.price_micros = price_micros(billsec, customer_rate_per_min(dest, tenant.markup))
    return chunk
