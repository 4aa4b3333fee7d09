"""``simulate(config)``: build the world, run every generator, assemble the event tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from telephony.simulator.agents import (
    ACTIVITIES,
    BREAK_REASONS,
    STATES,
    AgentEvents,
    AgentPool,
    AgentRoster,
)
from telephony.simulator.api_calls import customer_numbers, simulate_api_calls, simulate_toll_fraud
from telephony.simulator.billing import billing_table, plan_billing
from telephony.simulator.calls import CallChunk, CallRegistries, call_table, concat_chunks
from telephony.simulator.carriers import Network
from telephony.simulator.clock import LocalClock, Window
from telephony.simulator.config import SimulationConfig, SimulationResult
from telephony.simulator.dialer import Attempts, ContactBook, attempts_table, run_dialer
from telephony.simulator.identifiers import codes_to_strings
from telephony.simulator.inbound import simulate_inbound
from telephony.simulator.incidents import schedule_incidents
from telephony.simulator.messaging import PROVIDER_IDS, SMS_PROVIDERS, message_table
from telephony.simulator.rtcp import rtcp_table
from telephony.simulator.streams import Streams
from telephony.simulator.tenants import build_tenants
from telephony.simulator.transcripts import transcript_table
from telephony.simulator.wire import FAMILY_NAMES, build_table, timestamps
from telephony.simulator.world import World


def build_world(config: SimulationConfig) -> World:
    window = Window(config.start_date, config.days)
    streams = Streams(config.seed)
    network = Network(streams.rng("network"))
    tenants = build_tenants(config.tenants, config.scale, streams.rng("tenants"))
    clocks = [LocalClock(t.timezone, window) for t in tenants]
    incidents = schedule_incidents(
        streams.rng("incidents"),
        window,
        clocks,
        [len(t.customer_ids) for t in tenants],
        [len(t.queues) for t in tenants],
        len(network.carriers),
        SMS_PROVIDERS,
    )
    return World(config, window, streams, network, tenants, clocks, incidents)


def _event_rng(world: World, family: str) -> np.random.Generator:
    return world.streams.rng("event_ids", FAMILY_NAMES.index(family))


def simulate(config: SimulationConfig) -> SimulationResult:
    world = build_world(config)
    families = config.families
    # Billing comes first: who is subscribed on which day decides who places traffic.
    billing = plan_billing(world)
    world.customer_active = billing.active
    customer_dids: dict[int, pa.Array] = {}
    chunks: list[CallChunk] = []
    # (pool, tenant, chunk number, queue of each call in the chunk or None)
    pools: list[tuple[AgentPool, int, int, np.ndarray | None]] = []
    attempts = Attempts()
    attempt_chunks: list[tuple[int, int]] = []  # (first attempt row, chunk number) per tenant
    books: dict[int, ContactBook] = {}
    tenant_of_campaign: dict[int, int] = {}
    for tenant in world.tenants:
        roster = AgentRoster(world.agent_ids, tenant.tenant_id)
        inbound = simulate_inbound(world, tenant, roster)
        chunks.append(inbound.chunk)
        pools.append((inbound.pool, tenant.index, len(chunks) - 1, inbound.call_queue))
        dialer = run_dialer(world, tenant, roster)
        chunks.append(dialer.chunk)
        pools.extend((pool, tenant.index, len(chunks) - 1, None) for pool in dialer.pools)
        attempt_chunks.append((len(attempts.campaign), len(chunks) - 1))
        for name in vars(attempts):
            getattr(attempts, name).extend(getattr(dialer.attempts, name))
        for campaign, book in zip(dialer.campaigns, dialer.books, strict=True):
            books[campaign.index] = book
            tenant_of_campaign[campaign.index] = tenant.index
        dids = customer_dids[tenant.index] = customer_numbers(world, tenant)
        chunks.append(simulate_api_calls(world, tenant, dids))
        chunks.extend(simulate_toll_fraud(world, tenant, dids))

    offsets = np.cumsum([0] + [len(chunk) for chunk in chunks])
    calls = concat_chunks(chunks)
    registries = CallRegistries(
        tenant_ids=[t.tenant_id for t in world.tenants],
        customer_ids=world.customer_ids,
        carrier_ids=world.network.carrier_ids,
        trunk_ids=world.network.trunk_ids,
        route_ids=world.network.route_ids,
        queue_ids=world.queue_ids,
        agent_ids=world.agent_ids,
        campaign_ids=world.campaign_ids,
    )
    epoch_us = world.window.start_epoch_us
    tables: dict[str, pa.Table] = {
        "call": call_table(calls, registries, epoch_us, _event_rng(world, "call"))
    }
    if "agent" in families:
        events = AgentEvents()
        for k, (pool, tenant_index, chunk_number, call_queue) in enumerate(pools):
            rng = world.streams.rng("agents", k)
            events.add_pool(pool, tenant_index, int(offsets[chunk_number]), rng, call_queue)
        tables["agent"] = _agent_table(world, events, calls.call_id)
    if "campaign" in families:
        # Attempts refer to calls inside their tenant's dialer chunk: make the refs global.
        call_refs = np.asarray(attempts.call, dtype=np.int64)
        bounds = [first for first, _ in attempt_chunks] + [len(call_refs)]
        for (first, chunk_number), stop in zip(attempt_chunks, bounds[1:], strict=True):
            part = call_refs[first:stop]
            call_refs[first:stop] = np.where(part >= 0, part + offsets[chunk_number], -1)
        attempts.call = call_refs.tolist()
        tables["campaign"] = attempts_table(
            world, attempts, calls.call_id, books, tenant_of_campaign, _event_rng(world, "campaign")
        )
    if "rtcp" in families:
        tables["rtcp"] = rtcp_table(
            world, calls, world.streams.rng("rtcp"), _event_rng(world, "rtcp")
        )
    if "transcript" in families:
        intents = [q.intent for t in world.tenants for q in t.queues]
        names = [t.name for t in world.tenants]
        tables["transcript"] = transcript_table(
            world,
            calls,
            intents,
            names,
            world.streams.rng("transcripts"),
            _event_rng(world, "transcript"),
        )
    if "message" in families:
        tables["message"] = message_table(world, customer_dids, _event_rng(world, "message"))
    if "billing" in families:
        tables["billing"] = billing_table(world, billing, _event_rng(world, "billing"))
    tables = {family: tables[family] for family in FAMILY_NAMES if family in tables}
    ground_truth = world.incidents.ground_truth(
        world.window,
        registries.tenant_ids,
        registries.carrier_ids,
        [t.customer_ids for t in world.tenants],
        [[q.queue_id for q in t.queues] for t in world.tenants],
    )
    manifest = _manifest(world, tables)
    return SimulationResult(config, tables, ground_truth, manifest)


def _agent_table(world: World, events: AgentEvents, call_ids: pa.Array) -> pa.Table:
    call = np.asarray(events.call, dtype=np.int64)
    columns = {
        "tenant_id": codes_to_strings([t.tenant_id for t in world.tenants], events.tenant),
        "occurred_at": timestamps(np.asarray(events.t_us, np.int64) + world.window.start_epoch_us),
        "agent_id": codes_to_strings(world.agent_ids, events.agent),
        "state": codes_to_strings(STATES, events.state),
        "reason": codes_to_strings(BREAK_REASONS, events.reason),
        "queue_id": codes_to_strings(world.queue_ids, events.queue),
        "call_id": call_ids.take(pa.array(np.where(call < 0, 0, call), mask=call < 0)),
        "scheduled_activity": codes_to_strings(ACTIVITIES, events.activity),
    }
    return build_table("agent", columns, _event_rng(world, "agent"))


def _manifest(world: World, tables: dict[str, pa.Table]) -> dict[str, Any]:
    window = world.window
    return {
        "generator": "irisx telephony simulator",
        "config": world.config.as_dict(),
        "window": {"start": window.iso(0), "end": window.iso(window.end_us)},
        "counts": {family: tables[family].num_rows for family in FAMILY_NAMES if family in tables},
        "tenants": [
            {
                "tenant_id": t.tenant_id,
                "name": t.name,
                "country": t.country.key,
                "timezone": t.timezone,
                "size": round(t.size, 4),
                "daily_calls": round(t.daily_calls, 1),
                "customers": len(t.customer_ids),
                "queues": [q.queue_id for q in t.queues],
                "agents": sum(1 for a in world.agent_ids if a.startswith(t.tenant_id + "-ag")),
                "campaigns": [c for c in world.campaign_ids if c.startswith(t.tenant_id + "-cmp")],
            }
            for t in world.tenants
        ],
        "carriers": [
            {
                "carrier_id": c.carrier_id,
                "tier": c.tier,
                "trunks": list(c.trunks),
                "loss_pct": round(c.loss_pct, 3),
                "jitter_ms": round(c.jitter_ms, 2),
                "rtt_ms": round(c.rtt_ms, 1),
                "pdd_median_ms": round(c.pdd_median_ms),
                "billing_increment_s": c.increment_s,
                "inbound": c.inbound,
            }
            for c in world.network.carriers
        ],
        "message_providers": list(PROVIDER_IDS),
    }
