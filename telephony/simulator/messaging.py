"""SMS, MMS, WhatsApp and email traffic as lifecycle events.

Every outbound message is ``queued`` then ``sent`` (the price is charged on ``sent``) and then
``delivered`` or ``failed`` (email: ``delivered`` or ``bounced``), with provider-specific rates,
latencies and error codes. Email adds ``opened``, ``clicked``, ``unsubscribed`` and ``complained``;
SMS links can be ``clicked`` and a STOP reply ``unsubscribed``. Some SMS get an inbound reply.
Transactional traffic follows the business day; marketing blasts go out in bursts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telephony.simulator.api_calls import DIDS_PER_CUSTOMER, api_shape
from telephony.simulator.clock import SECONDS_PER_DAY, US_PER_S, seconds_to_us
from telephony.simulator.geography import COUNTRIES, COUNTRY_INDEX, random_e164
from telephony.simulator.identifiers import codes_to_strings, prefixed_numbers, uuid4_strings
from telephony.simulator.inbound import expected_per_minute, poisson_arrivals
from telephony.simulator.tenants import Tenant
from telephony.simulator.wire import build_table, constant, ints, money, timestamps
from telephony.simulator.world import World

CHANNELS: tuple[str, ...] = ("sms", "mms", "whatsapp", "email")
SMS, MMS, WHATSAPP, EMAIL = range(4)
STATUSES: tuple[str, ...] = (
    "queued",
    "sent",
    "delivered",
    "failed",
    "bounced",
    "opened",
    "clicked",
    "unsubscribed",
    "complained",
)
QUEUED, SENT, DELIVERED, FAILED, BOUNCED, OPENED, CLICKED, UNSUBSCRIBED, COMPLAINED = range(9)
WEEKLY_MESSAGES = np.array([1.05, 1.05, 1.0, 1.0, 1.0, 0.55, 0.4])


@dataclass(frozen=True)
class Provider:
    provider_id: str
    channel: int
    delivery_rate: float  # share of sent messages delivered (email: not bounced)
    send_latency_s: float  # median queued -> sent
    deliver_latency_s: float  # median sent -> delivered / failed
    share: float  # of its channel's traffic


PROVIDERS: tuple[Provider, ...] = (
    Provider("smsgate", SMS, 0.975, 0.8, 4.0, 0.5),
    Provider("textly", SMS, 0.955, 1.2, 6.0, 0.3),
    Provider("relaymsg", SMS, 0.930, 1.6, 9.0, 0.2),
    Provider("smsgate", MMS, 0.945, 1.5, 8.0, 0.7),
    Provider("textly", MMS, 0.930, 2.0, 10.0, 0.3),
    Provider("wa-cloud", WHATSAPP, 0.985, 0.6, 2.0, 1.0),
    Provider("mailfast", EMAIL, 0.975, 2.0, 6.0, 0.6),
    Provider("postbox", EMAIL, 0.965, 3.0, 9.0, 0.4),
)
PROVIDER_IDS: tuple[str, ...] = tuple(sorted({p.provider_id for p in PROVIDERS}))
SMS_PROVIDERS: tuple[str, ...] = ("smsgate", "textly", "relaymsg")
_CHANNEL_MIX = np.array([0.55, 0.03, 0.15, 0.27])
_SMS_ERRORS = ("30003", "30005", "30006", "30007", "30008")  # unreachable, unknown, landline, ...
_SMS_ERROR_P = np.array([0.40, 0.20, 0.15, 0.15, 0.10])
_WA_ERRORS = ("131026", "131047", "131049")
_EMAIL_BOUNCES = ("550 5.1.1 user unknown", "552 5.2.2 mailbox full", "554 5.7.1 rejected")
_EMAIL_DOMAINS = (
    "mail.example",
    "inbox.example",
    "webmail.example",
    "corp.example.com",
    "post.example.net",
)
_LINKS = (
    "https://links.example/offer",
    "https://links.example/track",
    "https://links.example/survey",
    "https://links.example/pay",
)


@dataclass
class _Messages:
    """Message-level columns of one tenant (before lifecycle events are expanded)."""

    message_id: pa.Array
    channel: np.ndarray
    provider: np.ndarray  # index into PROVIDER_IDS
    inbound: np.ndarray
    from_address: pa.Array
    to_address: pa.Array
    customer: np.ndarray  # global customer index
    campaign: np.ndarray  # index into the blast registry, -1 for transactional
    segments: np.ndarray  # -1 for email
    price_micros: np.ndarray
    queued_us: np.ndarray


def message_table(
    world: World, customer_dids: dict[int, pa.Array], ids: np.random.Generator
) -> pa.Table:
    blast_ids: list[str] = []
    parts: list[dict[str, pa.Array]] = []
    for tenant in world.tenants:
        rng = world.streams.rng("messaging", tenant.index)
        messages = _tenant_messages(world, tenant, customer_dids[tenant.index], blast_ids, rng)
        parts.append(_lifecycle(world, tenant, messages, blast_ids, rng))
    columns = {name: pa.concat_arrays([part[name] for part in parts]) for name in parts[0]}
    return build_table("message", columns, ids)


def _tenant_messages(
    world: World, tenant: Tenant, dids: pa.Array, blast_ids: list[str], rng: np.random.Generator
) -> _Messages:
    clock = world.clocks[tenant.index]
    daily = tenant.daily_messages
    queued = poisson_arrivals(
        rng, expected_per_minute(clock, daily * 0.8, api_shape, WEEKLY_MESSAGES)
    )
    channel = rng.choice(4, size=len(queued), p=_CHANNEL_MIX)
    campaign = np.full(len(queued), -1)
    # Marketing blasts: on some weekdays a burst of SMS or email goes out over ~20 minutes.
    blast_times, blast_channel, blast_campaign = [], [], []
    for day in clock.local_days():
        if (day + 3) % 7 >= 5 or rng.random() > 0.35:
            continue
        hour = 10.0 if rng.random() < 0.6 else 17.0
        begin = clock.to_window_s(day * SECONDS_PER_DAY + hour * 3600) * US_PER_S
        size = int(rng.poisson(daily * 0.5))
        if begin < 0 or begin >= world.window.end_us or size == 0:
            continue
        blast_ids.append(f"{tenant.tenant_id}-blast{len(blast_ids) + 1:03d}")
        blast_times.append(begin + rng.uniform(0, 1200, size) * US_PER_S)
        blast_channel.append(np.full(size, SMS if rng.random() < 0.6 else EMAIL))
        blast_campaign.append(np.full(size, len(blast_ids) - 1))
    if blast_times:
        queued = np.concatenate([queued, np.concatenate(blast_times).astype(np.int64)])
        channel = np.concatenate([channel, *blast_channel])
        campaign = np.concatenate([campaign, *blast_campaign])
    n = len(queued)
    day = np.minimum(queued // (SECONDS_PER_DAY * US_PER_S), world.window.days - 1)
    customer = np.empty(n, dtype=np.int64)
    for d in np.unique(day):
        rows = np.flatnonzero(day == d)
        weights = world.active_customers(tenant, int(d))
        customer[rows] = rng.choice(len(weights), size=len(rows), p=weights)
    provider = _choose_providers(channel, rng)
    email = channel == EMAIL
    international = rng.random(n) < 0.08
    dest = np.where(
        international,
        rng.choice([COUNTRY_INDEX[k] for k in ("US", "GB", "MX", "IN", "BR", "DE")], size=n),
        tenant.country_index,
    )
    phones = random_e164(rng, dest)
    sender = dids.take(customer * DIDS_PER_CUSTOMER + rng.integers(0, DIDS_PER_CUSTOMER, n))
    recipients = pc.binary_join_element_wise(
        prefixed_numbers("user", rng.integers(0, 10**6, n), 6),
        pa.array(np.array(_EMAIL_DOMAINS)[rng.integers(0, len(_EMAIL_DOMAINS), n)]),
        "@",
    )
    customer_ids = pa.array(tenant.customer_ids).take(pa.array(customer))
    senders_email = pc.binary_join_element_wise("no-reply@", customer_ids, ".example", "")
    email_mask = pa.array(email)
    # Message bodies: mostly one segment; longer and non-GSM (UCS-2) texts take more.
    length = np.clip(rng.lognormal(np.log(95), 0.6, n), 5, 1200).astype(np.int64)
    unicode = rng.random(n) < 0.15
    per_segment = np.where(
        unicode, np.where(length <= 70, 70, 67), np.where(length <= 160, 160, 153)
    )
    segments = np.where(email, -1, np.where(channel == SMS, -(-length // per_segment), 1))
    segments = np.minimum(segments, 10)
    sms_cost = np.array([c.sms_cost for c in COUNTRIES])[dest]
    unit = np.select(
        [channel == SMS, channel == MMS, channel == WHATSAPP],
        [sms_cost * 1.45, np.maximum(0.02, sms_cost * 3.0), np.full(n, 0.0147)],
        default=0.00085,
    )
    price = np.rint(unit * np.maximum(segments, 1) * tenant.markup / 1.45 * 1e6).astype(np.int64)
    order = np.argsort(queued, kind="stable")
    message_id = uuid4_strings(rng, n)

    def sort(array: np.ndarray) -> np.ndarray:
        return array[order]

    take = pa.array(order)
    return _Messages(
        message_id=message_id,
        channel=sort(channel),
        provider=sort(provider),
        inbound=np.zeros(n, dtype=bool),
        from_address=pc.if_else(email_mask, senders_email, sender).take(take),
        to_address=pc.if_else(email_mask, recipients, phones).take(take),
        customer=sort(tenant.first_customer + customer),
        campaign=sort(campaign),
        segments=sort(segments),
        price_micros=sort(price),
        queued_us=sort(queued),
    )


def _choose_providers(channel: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    provider = np.empty(len(channel), dtype=np.int64)
    for code in range(4):
        rows = np.flatnonzero(channel == code)
        options = [p for p in PROVIDERS if p.channel == code]
        shares = np.array([p.share for p in options])
        picks = rng.choice(len(options), size=len(rows), p=shares / shares.sum())
        provider[rows] = np.array([PROVIDER_IDS.index(p.provider_id) for p in options])[picks]
    return provider


def _provider_param(channel: np.ndarray, provider: np.ndarray, field: str) -> np.ndarray:
    table = {(p.channel, PROVIDER_IDS.index(p.provider_id)): getattr(p, field) for p in PROVIDERS}
    keys = channel * 100 + provider
    out = np.empty(len(channel))
    for (c, p), value in table.items():
        out[keys == c * 100 + p] = value
    return out


def _lifecycle(
    world: World,
    tenant: Tenant,
    m: _Messages,
    blast_ids: list[str],
    rng: np.random.Generator,
) -> dict[str, pa.Array]:
    n = len(m.queued_us)
    email = m.channel == EMAIL
    sms_like = (m.channel == SMS) | (m.channel == MMS)
    send_latency = _provider_param(m.channel, m.provider, "send_latency_s")
    deliver_latency = _provider_param(m.channel, m.provider, "deliver_latency_s")
    rate = _provider_param(m.channel, m.provider, "delivery_rate")
    sent_us = m.queued_us + seconds_to_us(send_latency * rng.lognormal(0, 0.5, n))
    # A few are rejected before sending (opted-out recipient, invalid number): no price.
    rejected = rng.random(n) < 0.004
    provider_ids = np.array(PROVIDER_IDS, dtype=object)[m.provider]
    rate = rate * world.incidents.delivery_factor(np.where(sms_like, provider_ids, None), sent_us)
    final_us = sent_us + seconds_to_us(deliver_latency * rng.lognormal(0, 0.7, n))
    delivered = ~rejected & (rng.random(n) < rate)
    # Each event: (message rows, instant, status, error code or None, url or None, priced).
    events: list[tuple[np.ndarray, np.ndarray, int, pa.Array | None, pa.Array | None]] = []
    all_rows = np.arange(n)
    events.append((all_rows, m.queued_us, QUEUED, None, None))
    sent = ~rejected
    events.append((all_rows[sent], sent_us[sent], SENT, None, None))
    # Rejection codes: opted-out recipient (SMS/MMS), undeliverable (WhatsApp), suppressed (email).
    reject_codes = pa.array(["21610", "21610", "131026", "suppressed"]).take(
        pa.array(m.channel[rejected], type=pa.int64())
    )
    events.append((all_rows[rejected], m.queued_us[rejected] + 200_000, FAILED, reject_codes, None))
    events.append((all_rows[delivered], final_us[delivered], DELIVERED, None, None))
    lost = sent & ~delivered
    lost_sms = lost & sms_like
    lost_wa = lost & (m.channel == WHATSAPP)
    lost_email = lost & email
    events.append(
        (
            all_rows[lost_sms],
            final_us[lost_sms],
            FAILED,
            _pick(rng, _SMS_ERRORS, int(lost_sms.sum()), _SMS_ERROR_P),
            None,
        )
    )
    events.append(
        (
            all_rows[lost_wa],
            final_us[lost_wa],
            FAILED,
            _pick(rng, _WA_ERRORS, int(lost_wa.sum())),
            None,
        )
    )
    events.append(
        (
            all_rows[lost_email],
            final_us[lost_email],
            BOUNCED,
            _pick(rng, _EMAIL_BOUNCES, int(lost_email.sum()), np.array([0.7, 0.2, 0.1])),
            None,
        )
    )
    # Engagement.
    u = rng.random((n, 4))
    opened = delivered & email & (u[:, 0] < 0.26)
    opened_us = final_us + seconds_to_us(rng.lognormal(np.log(5400), 1.2, n))
    events.append((all_rows[opened], opened_us[opened], OPENED, None, None))
    clicked = (opened & (u[:, 1] < 0.18)) | (delivered & ~email & (u[:, 1] < 0.03))
    clicked_from = np.where(email, opened_us, final_us)
    clicked_us = clicked_from + seconds_to_us(rng.lognormal(np.log(90), 1.0, n))
    events.append(
        (
            all_rows[clicked],
            clicked_us[clicked],
            CLICKED,
            None,
            _pick(rng, _LINKS, int(clicked.sum())),
        )
    )
    unsubscribed = delivered & (u[:, 2] < np.where(email, 0.004, 0.005))
    unsub_us = np.where(opened, opened_us, final_us) + seconds_to_us(rng.uniform(30, 3600, n))
    events.append((all_rows[unsubscribed], unsub_us[unsubscribed], UNSUBSCRIBED, None, None))
    complained = delivered & email & (u[:, 3] < 0.0008)
    complained_us = final_us + seconds_to_us(rng.lognormal(np.log(7200), 1.0, n))
    events.append((all_rows[complained], complained_us[complained], COMPLAINED, None, None))

    rows = np.concatenate([e[0] for e in events])
    when = np.concatenate([e[1] for e in events])
    status = np.concatenate([np.full(len(e[0]), e[2]) for e in events])
    errors = pa.concat_arrays(
        [e[3] if e[3] is not None else pa.nulls(len(e[0]), pa.string()) for e in events]
    )
    urls = pa.concat_arrays(
        [e[4] if e[4] is not None else pa.nulls(len(e[0]), pa.string()) for e in events]
    )
    price = np.where(status == SENT, m.price_micros[rows], -1)
    columns = {
        "tenant_id": constant(tenant.tenant_id, len(rows), pa.string()),
        "occurred_at": timestamps(when + world.window.start_epoch_us),
        "message_id": m.message_id.take(pa.array(rows)),
        "channel": codes_to_strings(CHANNELS, m.channel[rows]),
        "direction": constant("outbound", len(rows), pa.string()),
        "status": codes_to_strings(STATUSES, status),
        "from_address": m.from_address.take(pa.array(rows)),
        "to_address": m.to_address.take(pa.array(rows)),
        "provider": codes_to_strings(PROVIDER_IDS, m.provider[rows]),
        "customer_id": codes_to_strings(world.customer_ids, m.customer[rows]),
        "campaign_id": codes_to_strings(blast_ids, m.campaign[rows]),
        "segments": ints(m.segments[rows], m.segments[rows] < 0),
        "price": money(price, price < 0),
        "currency": constant("USD", len(rows), pa.string()),
        "error_code": errors,
        "url": urls,
    }
    replies = _replies(world, tenant, m, delivered & (m.channel == SMS), final_us, rng)
    return {name: pa.concat_arrays([columns[name], replies[name]]) for name in columns}


def _replies(
    world: World,
    tenant: Tenant,
    m: _Messages,
    eligible: np.ndarray,
    delivered_us: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, pa.Array]:
    """Inbound SMS replies to some delivered messages (one ``delivered`` event each)."""
    rows = np.flatnonzero(eligible & (rng.random(len(eligible)) < 0.04))
    k = len(rows)
    when = delivered_us[rows] + seconds_to_us(rng.lognormal(np.log(240), 1.0, k))
    take = pa.array(rows)
    return {
        "tenant_id": constant(tenant.tenant_id, k, pa.string()),
        "occurred_at": timestamps(when + world.window.start_epoch_us),
        "message_id": uuid4_strings(rng, k),
        "channel": constant("sms", k, pa.string()),
        "direction": constant("inbound", k, pa.string()),
        "status": constant("delivered", k, pa.string()),
        "from_address": m.to_address.take(take),
        "to_address": m.from_address.take(take),
        "provider": codes_to_strings(PROVIDER_IDS, m.provider[rows]),
        "customer_id": codes_to_strings(world.customer_ids, m.customer[rows]),
        "campaign_id": pa.nulls(k, pa.string()),
        "segments": ints(np.ones(k)),
        "price": money(np.full(k, int(0.0079 * tenant.markup / 1.45 * 1e6))),
        "currency": constant("USD", k, pa.string()),
        "error_code": pa.nulls(k, pa.string()),
        "url": pa.nulls(k, pa.string()),
    }


def _pick(
    rng: np.random.Generator, values: tuple[str, ...], count: int, p: np.ndarray | None = None
) -> pa.Array:
    picks = rng.choice(len(values), size=count, p=p)
    return pa.array(list(values), pa.string()).take(pa.array(picks, type=pa.int64()))
