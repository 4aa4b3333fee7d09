"""Inbound contact-center traffic.

Arrivals are a non-homogeneous Poisson process (counts per minute) with a business-hours double
peak and weekly seasonality in the tenant's local time. A tenant's queues are then served by one
team of multi-skilled agents, simulated as a discrete-event FIFO system: agents (shifts planned
from the forecast, with breaks, absences and late logins) take the caller at the head of the line
longest-idle first; a caller whose patience runs out first hangs up. Talk time is lognormal, some
calls are put on hold, each has wrap-up.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from telephony.simulator.agents import (
    AgentPool,
    AgentRoster,
    Shift,
    plan_shifts,
    required_agents,
)
from telephony.simulator.calls import CAUSE, INBOUND, CallChunk
from telephony.simulator.clock import US_PER_S, LocalClock, seconds_to_us
from telephony.simulator.geography import e164, national_numbers, random_e164
from telephony.simulator.identifiers import uuid4_strings
from telephony.simulator.tenants import QueueSpec, Tenant
from telephony.simulator.world import World

#: Relative call volume by weekday (Monday first): weekends are much quieter.
WEEKLY_INBOUND = np.array([1.12, 1.05, 1.0, 1.0, 0.92, 0.38, 0.22])
_TOLL_FREE_PREFIXES = (800, 888, 877, 866, 855, 844, 833)
SOURCE_INBOUND = 0
PATIENCE_SHAPE = 1.4
_GAMMA = math.gamma(1 + 1 / PATIENCE_SHAPE)  # Weibull mean = scale * Gamma(1 + 1/shape)
#: Planned shrinkage (breaks, absence); the real one is a little higher, as in real centers.
PLANNED_SHRINKAGE = 0.15


def inbound_shape(hour: np.ndarray) -> np.ndarray:
    """Intraday arrival intensity by local hour: a morning and an afternoon peak, quiet nights."""
    return (
        0.035
        + 1.00 * np.exp(-0.5 * ((hour - 10.3) / 1.3) ** 2)
        + 0.85 * np.exp(-0.5 * ((hour - 14.8) / 1.6) ** 2)
        + 0.22 * np.exp(-0.5 * ((hour - 19.0) / 1.4) ** 2)
    )


def expected_per_minute(
    clock: LocalClock,
    daily_mean: float,
    shape: Callable[[np.ndarray], np.ndarray],
    weekly: np.ndarray,
) -> np.ndarray:
    """Expected arrivals in each window minute; averages ``daily_mean`` per day over a week."""
    hour, weekday = clock.minute_grid()
    day_total = shape(np.arange(1440) / 60.0 + 1 / 120).sum()
    return daily_mean * shape(hour) / day_total * weekly[weekday] / weekly.mean()


def poisson_arrivals(rng: np.random.Generator, rate_per_minute: np.ndarray) -> np.ndarray:
    """Sorted arrival instants (µs) of a Poisson process with a piecewise-constant rate."""
    counts = rng.poisson(rate_per_minute)
    minutes = np.repeat(np.arange(len(rate_per_minute), dtype=np.int64), counts)
    offsets = rng.random(len(minutes)) * 60.0
    return np.sort(seconds_to_us(minutes * 60.0 + offsets))


@dataclass
class InboundRun:
    chunk: CallChunk
    pool: AgentPool
    call_queue: np.ndarray  # global queue index of each call in the chunk


@dataclass
class _QueueCalls:
    """Per-call draws of one queue (before the queues are merged in arrival order)."""

    arrival: np.ndarray
    queue: np.ndarray
    callers: pa.Array
    dids: pa.Array
    carrier: np.ndarray
    trunk: np.ndarray
    codec: np.ndarray
    toll_free: np.ndarray
    patience: np.ndarray
    talk: np.ndarray
    hold_s: np.ndarray
    wrap_s: np.ndarray
    cancel: np.ndarray
    fail_after: np.ndarray


def simulate_inbound(world: World, tenant: Tenant, roster: AgentRoster) -> InboundRun:
    clock = world.clocks[tenant.index]
    minute_us = np.arange(world.window.minutes, dtype=np.int64) * 60 * US_PER_S
    spike = world.incidents.spike_factor(tenant.index, minute_us)
    load = np.zeros(world.window.days * 48)
    parts = []
    for q, queue in enumerate(tenant.queues):
        daily = tenant.daily_calls * tenant.inbound_share * queue.share
        rates = expected_per_minute(clock, daily, inbound_shape, WEEKLY_INBOUND)
        load += rates.reshape(-1, 30).sum(axis=1) * queue.mean_handle_s / 1800.0
        rng = world.streams.rng("inbound", tenant.index, q)
        parts.append(
            _queue_calls(world, tenant, q, queue, poisson_arrivals(rng, rates * spike), rng)
        )
    calls = _merge(parts)
    staff_rng = world.streams.rng("staffing", tenant.index)
    # The planner's forecast is right on average but off by a few percent each day.
    forecast = load * np.repeat(staff_rng.lognormal(0.0, 0.08, size=world.window.days), 48)
    beta = float(np.mean([q.service_beta for q in tenant.queues]))
    need = required_agents(forecast, beta, PLANNED_SHRINKAGE)
    need = np.maximum(1, np.ceil(need * world.config.staffing_level)).astype(np.int64)
    shifts = [
        Shift(roster.assign(start, end), tenant.first_queue, start, login, end, breaks)
        for start, login, end, breaks in plan_shifts(need, staff_rng)
    ]
    pool = AgentPool(shifts)
    chunk = _serve(world, tenant, calls, pool)
    return InboundRun(chunk, pool, calls.queue)


def _queue_calls(
    world: World,
    tenant: Tenant,
    q: int,
    queue: QueueSpec,
    arrivals: np.ndarray,
    rng: np.random.Generator,
) -> _QueueCalls:
    network = world.network
    n = len(arrivals)
    country = tenant.country
    # The queue's published numbers (toll-free in North America), each hosted by one carrier.
    did_carriers = rng.choice(network.inbound_carriers, size=2)
    if queue.toll_free:
        heads = rng.choice(_TOLL_FREE_PREFIXES, size=2).astype(np.int64)
        did_nsn = heads * 10_000_000 + rng.integers(2_000_000, 9_999_999, size=2)
    else:
        did_nsn = national_numbers(rng, country, 2)
    which_did = rng.integers(0, 2, size=n)
    carrier = did_carriers[which_did]
    # Callers: a population with repeat callers (about one call in three is a repeat).
    population = random_e164(rng, np.full(max(20, int(n * 0.7)), tenant.country_index))
    talk_s = np.clip(rng.lognormal(np.log(queue.talk_median_s), queue.talk_sigma, n), 8, 7200)
    # Weibull patience (shape 1.4): few callers give up in the first seconds, unlike exponential.
    patience_s = rng.weibull(PATIENCE_SHAPE, size=n) * queue.patience_mean_s / _GAMMA
    return _QueueCalls(
        arrival=arrivals,
        queue=np.full(n, tenant.first_queue + q),
        callers=population.take(rng.integers(0, len(population), size=n)),
        dids=e164(country, did_nsn).take(which_did),
        carrier=carrier,
        trunk=network.choose_trunks(rng, carrier),
        codec=network.choose_codecs(rng, carrier),
        toll_free=np.full(n, queue.toll_free),
        patience=seconds_to_us(patience_s),
        talk=seconds_to_us(talk_s),
        hold_s=np.where(
            rng.random(n) < queue.hold_prob,
            np.minimum(rng.lognormal(np.log(queue.hold_median_s), 0.6, n), 0.5 * talk_s),
            0.0,
        ).astype(np.int64),
        wrap_s=np.maximum(1, np.rint(rng.lognormal(np.log(queue.wrap_median_s), 0.5, n))).astype(
            np.int64
        ),
        cancel=rng.random(n) < 0.85,  # most abandoning callers hang up (the rest time out)
        fail_after=seconds_to_us(rng.uniform(0.2, 2.0, size=n)),
    )


def _merge(parts: list[_QueueCalls]) -> _QueueCalls:
    arrival = np.concatenate([p.arrival for p in parts])
    order = np.argsort(arrival, kind="stable")
    take = pa.array(order)
    merged = {}
    for name in _QueueCalls.__dataclass_fields__:
        values = [getattr(p, name) for p in parts]
        if isinstance(values[0], pa.Array):
            merged[name] = pa.concat_arrays(values).take(take)
        else:
            merged[name] = np.concatenate(values)[order]
    return _QueueCalls(**merged)


def _serve(world: World, tenant: Tenant, c: _QueueCalls, pool: AgentPool) -> CallChunk:
    """The discrete-event simulation: callers in arrival order, agents longest-idle first."""
    network = world.network
    n = len(c.arrival)
    failed = world.incidents.outage_mask(c.carrier, c.arrival)
    answer = np.full(n, -1, dtype=np.int64)
    end = np.empty(n, dtype=np.int64)
    agent = np.full(n, -1, dtype=np.int64)
    shift_agent = [shift.agent for shift in pool.shifts]
    arrival_list = c.arrival.tolist()
    patience_list = c.patience.tolist()
    talk_list = c.talk.tolist()
    wrap_list = (c.wrap_s * US_PER_S).tolist()
    fail_list = (c.arrival + c.fail_after).tolist()
    failed_list = failed.tolist()
    available, serve = pool.available, pool.serve
    for i in range(n):
        start = arrival_list[i]
        if failed_list[i]:  # the call never reached the platform's queue
            end[i] = fail_list[i]
            continue
        got = available(start)
        if got is None or got[1] - start > patience_list[i]:
            end[i] = start + patience_list[i]
            continue
        sid, pickup = got
        hangup = pickup + talk_list[i]
        serve(sid, pickup, hangup, hangup + wrap_list[i], i)
        answer[i] = pickup
        end[i] = hangup
        agent[i] = shift_agent[sid]
    answered = answer >= 0
    cause = np.where(
        failed,
        CAUSE["NETWORK_OUT_OF_ORDER"],
        np.where(answered | ~c.cancel, CAUSE["NORMAL_CLEARING"], CAUSE["ORIGINATOR_CANCEL"]),
    )
    sip = np.where(failed, 503, np.where(answered, 200, np.where(c.cancel, 487, -1)))
    toll_free = c.toll_free.astype(np.int64)
    chunk = CallChunk.build(
        n,
        call_id=uuid4_strings(world.streams.rng("call_ids", SOURCE_INBOUND, tenant.index), n),
        from_number=c.callers,
        to_number=c.dids,
        tenant=tenant.index,
        direction=INBOUND,
        start_us=c.arrival,
        answer_us=answer,
        end_us=end,
        cause=cause,
        sip=sip,
        # Each queue belongs to one of the tenant's largest customers (the queue's owner).
        customer=tenant.first_customer
        + np.minimum(c.queue - tenant.first_queue, len(tenant.customer_ids) - 1),
        carrier=c.carrier,
        trunk=c.trunk,
        route=network.inbound_route[c.carrier, toll_free],
        codec=np.where(failed, -1, c.codec),
        queue=np.where(failed, -1, c.queue),
        agent=agent,
        queue_wait_us=np.where(failed, -1, np.where(answered, answer, end) - c.arrival),
        hold_s=np.where(answered, c.hold_s, 0),
        wrap_s=np.where(answered, c.wrap_s, 0),
    )
    billsec = chunk.billsec
    chunk.cost_micros = network.inbound_cost_micros(billsec, c.carrier, c.toll_free)
    rate = np.round(np.where(c.toll_free, 0.0250, 0.0085) * tenant.markup / 1.6, 4)
    chunk.price_micros = np.rint(rate * -(-billsec // 60) * 1e6).astype(np.int64)
    return chunk
