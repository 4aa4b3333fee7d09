"""The wire format the simulator writes: one Arrow schema per event family, field for field the
event contracts' lake schema (timestamps in UTC microseconds, money as decimal(18, 6)).

The simulator comes before ingest in the data flow and must not import it, so the schemas are
spelled out here; ``tests/telephony`` checks them against ``ingest.contracts.family_schema``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telephony.simulator.identifiers import uuid4_strings

TIMESTAMP = pa.timestamp("us", tz="UTC")
MONEY = pa.decimal128(18, 6)
_S, _I, _F, _B = pa.string(), pa.int64(), pa.float64(), pa.bool_()


def _schema(*fields: tuple[str, pa.DataType, bool]) -> pa.Schema:
    base = [
        ("event_id", _S, False),
        ("tenant_id", _S, False),
        ("occurred_at", TIMESTAMP, False),
        ("schema_version", _I, False),
    ]
    return pa.schema([pa.field(n, t, nullable=nullable) for n, t, nullable in (*base, *fields)])


# fmt: off
WIRE_SCHEMAS: dict[str, pa.Schema] = {
    "call": _schema(
        ("call_id", _S, False), ("direction", _S, False), ("from_number", _S, False),
        ("to_number", _S, False), ("start_at", TIMESTAMP, False), ("answer_at", TIMESTAMP, True),
        ("end_at", TIMESTAMP, False), ("billsec", _I, False), ("hangup_cause", _S, False),
        ("q850_code", _I, True), ("sip_code", _I, True), ("customer_id", _S, True),
        ("carrier_id", _S, True), ("trunk_id", _S, True), ("route_id", _S, True),
        ("codec", _S, True), ("queue_id", _S, True), ("agent_id", _S, True),
        ("campaign_id", _S, True), ("queue_wait_sec", _F, True), ("hold_sec", _I, False),
        ("wrapup_sec", _I, False), ("pdd_ms", _I, True), ("cost", MONEY, True),
        ("price", MONEY, True), ("currency", _S, False),
    ),
    "rtcp": _schema(
        ("call_id", _S, False), ("leg", _S, False), ("ssrc", _I, False), ("codec", _S, False),
        ("clock_rate_hz", _I, True), ("fraction_lost", _I, False),
        ("cumulative_lost", _I, False), ("extended_highest_seq", _I, False),
        ("interarrival_jitter", _I, False), ("rtt_ms", _F, True),
        ("xr_burst_density", _I, True), ("xr_gap_density", _I, True),
        ("xr_burst_duration_ms", _I, True), ("xr_gap_duration_ms", _I, True),
        ("xr_end_system_delay_ms", _I, True), ("xr_r_factor", _I, True),
        ("xr_mos_lq", _F, True), ("xr_mos_cq", _F, True),
    ),
    "message": _schema(
        ("message_id", _S, False), ("channel", _S, False), ("direction", _S, False),
        ("status", _S, False), ("from_address", _S, False), ("to_address", _S, False),
        ("provider", _S, False), ("customer_id", _S, True), ("campaign_id", _S, True),
        ("segments", _I, True), ("price", MONEY, True), ("currency", _S, False),
        ("error_code", _S, True), ("url", _S, True),
    ),
    "billing": _schema(
        ("event_type", _S, False), ("customer_id", _S, False), ("subscription_id", _S, True),
        ("plan_id", _S, True), ("interval", _S, True), ("interval_count", _I, False),
        ("quantity", _I, False), ("amount", MONEY, True), ("currency", _S, False),
        ("discount_percent", _F, True), ("discount_amount", MONEY, True),
        ("trial_end", TIMESTAMP, True), ("period_start", TIMESTAMP, True),
        ("period_end", TIMESTAMP, True), ("invoice_id", _S, True), ("dunning_step", _I, True),
        ("reason", _S, True), ("included_usage_amount", MONEY, True),
    ),
    "campaign": _schema(
        ("campaign_id", _S, False), ("attempt_id", _S, False), ("contact_id", _S, False),
        ("to_number", _S, False), ("attempt_number", _I, False), ("dial_mode", _S, False),
        ("outcome", _S, False), ("disposition", _S, True), ("right_party_contact", _B, False),
        ("converted", _B, False), ("call_id", _S, True), ("agent_id", _S, True),
        ("variant", _S, True),
    ),
    "agent": _schema(
        ("agent_id", _S, False), ("state", _S, False), ("reason", _S, True),
        ("queue_id", _S, True), ("call_id", _S, True), ("scheduled_activity", _S, True),
    ),
    "transcript": _schema(
        ("call_id", _S, False), ("segment_index", _I, False), ("speaker", _S, False),
        ("start_offset_ms", _I, False), ("end_offset_ms", _I, False), ("text", _S, False),
        ("language", _S, False), ("confidence", _F, True),
    ),
}
# fmt: on

FAMILY_NAMES: tuple[str, ...] = tuple(WIRE_SCHEMAS)


def timestamps(epoch_us: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Absolute epoch microseconds as ``timestamp[us, UTC]``; ``null`` marks missing values."""
    values = np.asarray(epoch_us, dtype=np.int64)
    return pa.array(values, type=TIMESTAMP, mask=_mask(null))


def money(micros: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Exact decimal(18, 6) from integer micro-units (no float round trip)."""
    values = np.asarray(micros, dtype=np.int64)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = np.where(values < 0, -1, 0)  # sign extension into the high 64 bits
    array = pa.Array.from_buffers(MONEY, len(values), [None, pa.py_buffer(words)])
    mask = _mask(null)
    if mask is None:
        return array
    return pc.if_else(pa.array(mask), pa.scalar(None, MONEY), array)


def ints(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), type=_I, mask=_mask(null))


def floats(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.float64), type=_F, mask=_mask(null))


def constant(value: object, count: int, type_: pa.DataType) -> pa.Array:
    return pa.array([value], type=type_).take(pa.array(np.zeros(count, dtype=np.int64)))


def _mask(null: np.ndarray | None) -> np.ndarray | None:
    if null is None:
        return None
    null = np.asarray(null, dtype=bool)
    return null if null.any() else None


def build_table(
    family: str, columns: Mapping[str, pa.Array | np.ndarray], rng: np.random.Generator
) -> pa.Table:
    """A family table in wire order; fills ``event_id`` (random UUIDs) and ``schema_version``."""
    schema = WIRE_SCHEMAS[family]
    count = len(columns["tenant_id"])
    arrays = []
    for wire_field in schema:
        name = wire_field.name
        if name == "event_id":
            array: pa.Array | np.ndarray = uuid4_strings(rng, count)
        elif name == "schema_version":
            array = constant(1, count, _I)
        else:
            try:
                array = columns[name]
            except KeyError:
                raise KeyError(f"{family}: column {name!r} was not generated") from None
        if not isinstance(array, pa.Array):
            array = pa.array(array, type=wire_field.type)
        if array.type != wire_field.type:
            array = array.cast(wire_field.type)
        if len(array) != count:
            raise ValueError(f"{family}.{name}: {len(array)} values for {count} rows")
        arrays.append(array)
    table = pa.Table.from_arrays(arrays, schema=schema)
    return table.sort_by([("occurred_at", "ascending"), ("event_id", "ascending")])
