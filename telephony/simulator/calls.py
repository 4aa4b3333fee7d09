"""Call detail records as column chunks, and their assembly into the ``call`` table."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from telephony.simulator.carriers import CODECS
from telephony.simulator.clock import US_PER_S
from telephony.simulator.identifiers import codes_to_strings
from telephony.simulator.wire import build_table, constant, floats, ints, money, timestamps

DIRECTIONS: tuple[str, ...] = ("inbound", "outbound", "internal")
INBOUND, OUTBOUND, INTERNAL = range(3)

#: (FreeSWITCH / Q.850 name, Q.850 value or None, the SIP status a switch usually reports).
HANGUP_CAUSES: tuple[tuple[str, int | None, int | None], ...] = (
    ("NORMAL_CLEARING", 16, 200),
    ("ORIGINATOR_CANCEL", None, 487),
    ("NO_ANSWER", 19, 480),
    ("NO_USER_RESPONSE", 18, 408),
    ("USER_BUSY", 17, 486),
    ("UNALLOCATED_NUMBER", 1, 404),
    ("NO_ROUTE_DESTINATION", 3, 404),
    ("CALL_REJECTED", 21, 603),
    ("NORMAL_TEMPORARY_FAILURE", 41, 503),
    ("NORMAL_CIRCUIT_CONGESTION", 34, 503),
    ("NETWORK_OUT_OF_ORDER", 38, 503),
    ("RECOVERY_ON_TIMER_EXPIRE", 102, 408),
    ("SUBSCRIBER_ABSENT", 20, 480),
    ("MEDIA_TIMEOUT", None, None),
)
CAUSE = {name: index for index, (name, _, _) in enumerate(HANGUP_CAUSES)}
_Q850 = np.array([q if q is not None else -1 for _, q, _ in HANGUP_CAUSES], dtype=np.int64)
DEFAULT_SIP = np.array([s if s is not None else -1 for _, _, s in HANGUP_CAUSES], dtype=np.int64)


@dataclass
class CallChunk:
    """Calls from one generator, as columns. Codes index the world's registries; -1 = null."""

    call_id: pa.Array
    from_number: pa.Array
    to_number: pa.Array
    tenant: np.ndarray
    direction: np.ndarray
    start_us: np.ndarray
    answer_us: np.ndarray
    end_us: np.ndarray
    cause: np.ndarray
    sip: np.ndarray
    customer: np.ndarray
    carrier: np.ndarray
    trunk: np.ndarray
    route: np.ndarray
    codec: np.ndarray
    queue: np.ndarray
    agent: np.ndarray
    campaign: np.ndarray
    queue_wait_us: np.ndarray
    hold_s: np.ndarray
    wrap_s: np.ndarray
    pdd_ms: np.ndarray
    cost_micros: np.ndarray
    price_micros: np.ndarray

    @classmethod
    def build(cls, count: int, **columns: object) -> CallChunk:
        """Chunk of ``count`` calls; scalars are broadcast, omitted codes default to null."""
        values = {}
        for spec in fields(cls):
            value = columns.pop(spec.name, None)
            if spec.name in ("call_id", "from_number", "to_number"):
                if value is None:
                    raise ValueError(f"CallChunk.{spec.name} is required")
                values[spec.name] = value
                continue
            default = 0 if spec.name in ("hold_s", "wrap_s") else -1
            array = np.asarray(default if value is None else value, dtype=np.int64)
            values[spec.name] = (
                np.broadcast_to(array, (count,)).copy() if array.ndim == 0 else array
            )
        if columns:
            raise TypeError(f"unknown CallChunk columns: {sorted(columns)}")
        chunk = cls(**values)  # type: ignore[arg-type]
        for name, value in values.items():
            if len(value) != count:
                raise ValueError(f"CallChunk.{name}: {len(value)} values for {count} calls")
        return chunk

    def __len__(self) -> int:
        return len(self.start_us)

    @property
    def billsec(self) -> np.ndarray:
        """Whole seconds from answer to end (0 when unanswered)."""
        return np.where(self.answer_us >= 0, (self.end_us - self.answer_us) // US_PER_S, 0)


def concat_chunks(chunks: list[CallChunk]) -> CallChunk:
    values = {}
    for spec in fields(CallChunk):
        parts = [getattr(chunk, spec.name) for chunk in chunks]
        if spec.name in ("call_id", "from_number", "to_number"):
            values[spec.name] = pa.concat_arrays(parts) if parts else pa.array([], pa.string())
        else:
            values[spec.name] = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    return CallChunk(**values)


@dataclass
class CallRegistries:
    """Labels the codes of a call chunk refer to."""

    tenant_ids: list[str]
    customer_ids: list[str]
    carrier_ids: list[str]
    trunk_ids: list[str]
    route_ids: list[str]
    queue_ids: list[str]
    agent_ids: list[str]
    campaign_ids: list[str]


def call_table(
    calls: CallChunk, labels: CallRegistries, epoch_us: int, rng: np.random.Generator
) -> pa.Table:
    count = len(calls)
    answered = calls.answer_us >= 0
    columns = {
        "tenant_id": codes_to_strings(labels.tenant_ids, calls.tenant),
        "occurred_at": timestamps(calls.end_us + epoch_us),
        "call_id": calls.call_id,
        "direction": codes_to_strings(DIRECTIONS, calls.direction),
        "from_number": calls.from_number,
        "to_number": calls.to_number,
        "start_at": timestamps(calls.start_us + epoch_us),
        "answer_at": timestamps(calls.answer_us + epoch_us, ~answered),
        "end_at": timestamps(calls.end_us + epoch_us),
        "billsec": ints(calls.billsec),
        "hangup_cause": codes_to_strings([name for name, _, _ in HANGUP_CAUSES], calls.cause),
        "q850_code": ints(_Q850[calls.cause], _Q850[calls.cause] < 0),
        "sip_code": ints(calls.sip, calls.sip < 0),
        "customer_id": codes_to_strings(labels.customer_ids, calls.customer),
        "carrier_id": codes_to_strings(labels.carrier_ids, calls.carrier),
        "trunk_id": codes_to_strings(labels.trunk_ids, calls.trunk),
        "route_id": codes_to_strings(labels.route_ids, calls.route),
        "codec": codes_to_strings(CODECS, calls.codec),
        "queue_id": codes_to_strings(labels.queue_ids, calls.queue),
        "agent_id": codes_to_strings(labels.agent_ids, calls.agent),
        "campaign_id": codes_to_strings(labels.campaign_ids, calls.campaign),
        "queue_wait_sec": floats(calls.queue_wait_us / US_PER_S, calls.queue_wait_us < 0),
        "hold_sec": ints(calls.hold_s),
        "wrapup_sec": ints(calls.wrap_s),
        "pdd_ms": ints(calls.pdd_ms, calls.pdd_ms < 0),
        "cost": money(calls.cost_micros, calls.cost_micros < 0),
        "price": money(calls.price_micros, calls.price_micros < 0),
        "currency": constant("USD", count, pa.string()),
    }
    return build_table("call", columns, rng)
