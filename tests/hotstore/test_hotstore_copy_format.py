"""Binary COPY from Arrow: hand-worked bytes of the format, exact round trips through
PostgreSQL for every hot family and type edge, and idempotent re-delivery on the COPY path."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import hotstore_events as events
import psycopg
import pyarrow as pa
import pytest
from event_samples import CALL_ID

from warehouse.hotstore import HOT_TABLES, PostgresHotStore
from warehouse.hotstore.copy_binary import PGCOPY_HEADER, PGCOPY_TRAILER, pgcopy_chunks

MONEY = pa.decimal128(18, 6)
MICROS = pa.timestamp("us", tz="UTC")


def payload(table: pa.Table, rows_per_chunk: int = 16_384) -> bytes:
    return b"".join(bytes(chunk) for chunk in pgcopy_chunks(table, rows_per_chunk))


def rows_of(dsn: str, family: str) -> list[tuple[Any, ...]]:
    hot = HOT_TABLES[family]
    with psycopg.connect(dsn) as conn:
        conn.execute("set time zone 'UTC'")
        return conn.execute(
            f"select {', '.join(hot.columns)} from {hot.name} order by event_id"
        ).fetchall()


def expected_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """The input rows as Python values, in event_id order (what a read-back must equal)."""
    return sorted((tuple(row.values()) for row in table.to_pylist()), key=lambda row: row[0])


# -- the format, byte by byte ----------------------------------------------------------------


def test_payload_bytes_match_the_hand_written_format() -> None:
    table = pa.table(
        {
            "n": pa.array([1], pa.int64()),
            "s": pa.array([None], pa.string()),
            "b": pa.array([True]),
            "f": pa.array([-0.5]),
            "t": pa.array(["é"]),
        }
    )
    assert payload(table) == (
        b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
        + b"\x00\x05"  # five fields
        + b"\x00\x00\x00\x08" + b"\x00\x00\x00\x00\x00\x00\x00\x01"
        + b"\xff\xff\xff\xff"  # NULL: length -1, no bytes
        + b"\x00\x00\x00\x01" + b"\x01"
        + b"\x00\x00\x00\x08" + b"\xbf\xe0\x00\x00\x00\x00\x00\x00"  # -0.5, IEEE 754
        + b"\x00\x00\x00\x02" + b"\xc3\xa9"  # é in UTF-8 is two bytes
        + b"\xff\xff"
    )  # fmt: skip
    assert payload(table)[:19] == PGCOPY_HEADER
    assert PGCOPY_TRAILER == b"\xff\xff"


def test_numeric_and_timestamp_bytes_match_hand_encoding() -> None:
    table = pa.table(
        {
            "money": pa.array([Decimal("-1234567.891234")], MONEY),
            "at": pa.array([datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=UTC)], MICROS),
        }
    )
    # -1234567.891234 = -(123 * 10000^1 + 4567 + 8912 / 10000 + 3400 / 10000^2): base-10000
    # digits 123, 4567, 8912, 3400 with weight 1, sign 0x4000 (negative), dscale 6.
    numeric = bytes.fromhex("0004 0001 4000 0006 007b 11d7 22d0 0d48")
    # PostgreSQL counts microseconds from 2000-01-01 00:00 UTC: one microsecond after is 1.
    assert payload(table)[19:] == (
        b"\x00\x02"
        + len(numeric).to_bytes(4, "big") + numeric
        + b"\x00\x00\x00\x08" + (1).to_bytes(8, "big")
        + b"\xff\xff"
    )  # fmt: skip


def test_chunks_and_sliced_tables_encode_the_same_rows() -> None:
    table = events.calls()
    whole = payload(table)
    # One row per chunk and Arrow slices (non-zero offsets into the buffers) change nothing.
    assert payload(table, rows_per_chunk=1) == whole
    tail = table.slice(2)
    rebuilt = pa.Table.from_pylist(tail.to_pylist(), schema=table.schema)
    assert tail.column("event_id").chunk(0).offset == 2
    assert payload(tail) == payload(rebuilt)


def test_unsupported_type_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="d: no binary COPY encoding for Arrow type date32"):
        payload(pa.table({"d": pa.array([0], pa.date32())}))


def _copy_all(conn: psycopg.Connection, table: str, chunks: list[bytes]) -> None:
    with conn.cursor().copy(f"copy {table} from stdin (format binary)") as copy:
        for chunk in chunks:
            copy.write(chunk)


def test_oversized_decimal_is_refused_by_postgresql(plain_dsn: str) -> None:
    # 10^19 (unscaled) is 10^13 at scale 6: beyond numeric(18,6)'s 12 integer digits. Arrow
    # does not check buffers it is given; the column does, and the COPY stores nothing.
    unscaled = 10**19
    data = pa.py_buffer(unscaled.to_bytes(16, "little", signed=True))
    too_big = pa.Array.from_buffers(MONEY, 1, [None, data])
    with psycopg.connect(plain_dsn) as conn:
        conn.execute("create temp table money_only (money numeric(18,6))")
        conn.commit()
        chunks = list(pgcopy_chunks(pa.table({"money": too_big})))
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            _copy_all(conn, "money_only", chunks)
        conn.rollback()
        assert conn.execute("select count(*) from money_only").fetchone() == (0,)


# -- round trips through PostgreSQL ---------------------------------------------------------


def test_type_edges_round_trip_through_copy(plain_dsn: str) -> None:
    money = [
        "-999999999999.999999",
        "999999999999.999999",
        "0",
        "0.000001",
        "-0.000001",
        "1.5",
        "-20000.0001",
        None,
    ]
    moments = [
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # before PostgreSQL's epoch
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(2024, 5, 1, 10, 0, 5, 123456, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # Python's last moment
        datetime(1, 1, 1, tzinfo=UTC),  # and its first
        None,
        datetime(2024, 2, 29, 12, tzinfo=UTC),
    ]
    integers = [-(2**63), 2**63 - 1, 0, -1, 1, 8_388_607, -8_388_608, None]
    floats = [-0.0, math.inf, -math.inf, 1e-300, -2.5, 42.125, None, 3.0]
    texts = ["", "ascii", "Zoë", "東京", "emoji 📞", "tab\tand\nnewline", None, "x" * 10_000]
    flags = [True, False, None, True, False, True, False, None]
    table = pa.table(
        {
            "id": pa.array(range(8), pa.int64()),
            "money": pa.array([None if m is None else Decimal(m) for m in money], MONEY),
            "at": pa.array(moments, MICROS),
            "i": pa.array(integers, pa.int64()),
            "f": pa.array(floats, pa.float64()),
            "s": pa.array(texts, pa.string()),
            "b": pa.array(flags, pa.bool_()),
        }
    )
    with psycopg.connect(plain_dsn, autocommit=True) as conn:
        conn.execute("set time zone 'UTC'")
        conn.execute(
            "create table edges (id bigint, money numeric(18,6), at timestamptz, i bigint,"
            " f double precision, s text, b boolean)"
        )
        with conn.cursor().copy("copy edges from stdin (format binary)") as copy:
            for chunk in pgcopy_chunks(table, rows_per_chunk=3):
                copy.write(chunk)
        back = conn.execute("select money::text, at, i, f, s, b from edges order by id").fetchall()
    # numeric(18,6) keeps six decimals, as text exactly as typed with the scale padded.
    assert [row[0] for row in back] == [
        "-999999999999.999999",
        "999999999999.999999",
        "0.000000",
        "0.000001",
        "-0.000001",
        "1.500000",
        "-20000.000100",
        None,
    ]
    assert [row[1] for row in back] == moments
    assert [row[2] for row in back] == integers
    assert [row[3] for row in back] == floats
    assert math.copysign(1.0, back[0][3]) == -1.0  # -0.0 keeps its sign
    assert [row[4] for row in back] == texts
    assert [row[5] for row in back] == flags


def full_and_sparse(family: str) -> pa.Table:
    """Events of ``family``: first those with every optional field set (non-ASCII text,
    microseconds, zero and extreme values the contract allows), last one with every optional
    field left null."""
    if family == "call":
        full = events.call_record(
            1,
            tenant_id="tenant-zo",
            occurred_at="2024-05-01T10:00:30.000001Z",
            start_at="2024-05-01T10:00:00.654321Z",
            answer_at="2024-05-01T10:00:05.123456Z",
            end_at="2024-05-01T10:00:30.000001Z",
            billsec=0,
            q850_code=0,
            sip_code=699,
            customer_id="kunde-Müller",
            carrier_id="東京-carrier",
            trunk_id="trunk/1",
            route_id="route:ß",
            codec="G722",
            queue_id="q-Zoë",
            agent_id="agent@7",
            campaign_id="camp.1",
            queue_wait_sec=0.000001,
            hold_sec=0,
            wrapup_sec=86_400,
            pdd_ms=0,
            cost="999999999999.999999",
            price="0.000001",
            currency="eur",
        )
        sparse = events.call_record(
            2,
            answer_at=None,
            billsec=0,
            hangup_cause="ORIGINATOR_CANCEL",
            codec=None,
        )
    elif family == "rtcp":
        full = {
            **events.VALID_EVENTS["rtcp"],
            "event_id": "rtcp-1",
            "occurred_at": "2024-05-01T10:00:10.999999Z",
            "ssrc": 2**32 - 1,
            "clock_rate_hz": 16_000,
            "fraction_lost": 0,
            "cumulative_lost": -(2**23),
            "extended_highest_seq": 0,
            "interarrival_jitter": 2**32 - 1,
            "rtt_ms": 0.0,
            "xr_burst_density": 255,
            "xr_gap_density": 0,
            "xr_burst_duration_ms": 65_535,
            "xr_gap_duration_ms": 1,
            "xr_end_system_delay_ms": 20,
            "xr_r_factor": 127,
            "xr_mos_lq": 1.0,
            "xr_mos_cq": 4.41,
        }
        # clock_rate_hz is filled from the codec by the contract, so it is never null.
        sparse = {**events.VALID_EVENTS["rtcp"], "event_id": "rtcp-2", "rtt_ms": None}
    else:
        # reason goes with not_ready only, call_id with on_call only: two events set them all.
        on_call = events.agent_record(
            1,
            occurred_at="2024-05-01T09:00:00.000007Z",
            state="on_call",
            queue_id="file_d_attente-é",
            call_id=CALL_ID,
            scheduled_activity="Pause-café",
        )
        not_ready = events.agent_record(2, state="not_ready", reason="Mittagspause-ü")
        return events.table(family, [on_call, not_ready, events.agent_record(3)])
    return events.table(family, [full, sparse])


@pytest.mark.parametrize("family", ["call", "rtcp", "agent"])
def test_every_hot_family_round_trips_exactly(
    plain_dsn: str, store: PostgresHotStore, family: str
) -> None:
    batch = full_and_sparse(family)
    assert store.insert(family, batch) == batch.num_rows
    back = rows_of(plain_dsn, family)
    assert back == expected_rows(batch)
    # The last event has NULL in every nullable column but clock_rate_hz (filled by the
    # contract): checked by name, so a column encoded as 0 or "" instead would fail. The
    # others together set every nullable column.
    schema = HOT_TABLES[family].schema
    nullable = [field.name for field in schema if field.nullable]
    *full, sparse = (dict(zip(schema.names, row, strict=True)) for row in back)
    expected_nulls = [name for name in nullable if name != "clock_rate_hz"]
    assert [name for name in expected_nulls if sparse[name] is not None] == []
    assert [name for name in nullable if all(row[name] is None for row in full)] == []


def test_call_values_match_hand_values(plain_dsn: str, store: PostgresHotStore) -> None:
    store.insert("call", full_and_sparse("call"))
    with psycopg.connect(plain_dsn) as conn:
        conn.execute("set time zone 'UTC'")
        row = conn.execute(
            "select answer_at, start_at, cost, price, queue_wait_sec, billsec, carrier_id,"
            " customer_id, currency, call_id from calls where event_id = 'call-000001'"
        ).fetchone()
    assert row == (
        datetime(2024, 5, 1, 10, 0, 5, 123456, tzinfo=UTC),
        datetime(2024, 5, 1, 10, 0, 0, 654321, tzinfo=UTC),
        Decimal("999999999999.999999"),
        Decimal("0.000001"),
        0.000001,
        0,
        "東京-carrier",
        "kunde-Müller",
        "EUR",
        "00000000-0000-4000-8000-000000000001",
    )


def test_rtcp_extremes_match_hand_values(plain_dsn: str, store: PostgresHotStore) -> None:
    store.insert("rtcp", full_and_sparse("rtcp"))
    with psycopg.connect(plain_dsn) as conn:
        rows = conn.execute(
            "select ssrc, cumulative_lost, interarrival_jitter, rtt_ms, xr_mos_cq, clock_rate_hz"
            " from rtcp_reports order by event_id"
        ).fetchall()
    assert rows == [
        (4_294_967_295, -8_388_608, 4_294_967_295, 0.0, 4.41, 16_000),
        (3_735_928_559, 12, 160, None, None, 8_000),  # PCMU's clock rate from the contract
    ]


def test_batches_larger_than_one_chunk_round_trip(plain_dsn: str, store: PostgresHotStore) -> None:
    base = events.calls()
    copies = 6_000  # 36,000 rows: three encoding chunks of 16,384
    batch = pa.concat_tables([base] * copies)
    batch = batch.set_column(
        0, "event_id", pa.array([f"ev-{index:06d}" for index in range(batch.num_rows)])
    )
    assert store.insert("call", batch) == 36_000
    back = rows_of(plain_dsn, "call")
    assert len(back) == 36_000
    assert back == expected_rows(batch)


# -- idempotent re-delivery (direct COPY, then the temp-table fallback) ----------------------


def test_redelivery_partial_overlap_and_in_batch_duplicates(
    plain_dsn: str, store: PostgresHotStore
) -> None:
    calls = events.calls()  # six calls over two days
    assert store.insert("call", calls.slice(0, 4)) == 4
    # Re-sent as is: nothing new, nothing changed.
    assert store.insert("call", calls.slice(0, 4)) == 0
    # Overlapping: two known, two new.
    assert store.insert("call", calls.slice(2, 4)) == 2
    assert rows_of(plain_dsn, "call") == expected_rows(calls)
    # An event twice in one batch, not yet stored: kept once.
    late = events.table("call", [events.call_record(9), events.call_record(9)])
    assert store.insert("call", late) == 1
    assert store.insert("call", calls) == 0
    with psycopg.connect(plain_dsn) as conn:
        assert conn.execute("select count(*) from calls").fetchone() == (7,)
    # The failed direct COPY of each re-delivery was undone: the rollup sees every call once.
    store.refresh_rollups(datetime(2024, 5, 1, tzinfo=UTC))
    now = datetime(2024, 5, 1, 10, 4, 30, tzinfo=UTC)
    assert store.live_call_stats("acme", 5, now=now).offered == 5  # c1-c4 and call 9


def test_a_batch_failing_mid_copy_leaves_nothing(plain_dsn: str, store: PostgresHotStore) -> None:
    calls = events.calls()
    # The last of the six costs is 10^19 unscaled (beyond numeric(18,6)): PostgreSQL refuses
    # it inside the COPY, after the partitions were created and the other rows sent.
    values = b"".join(value.to_bytes(16, "little", signed=True) for value in [0] * 5 + [10**19])
    bad_cost = pa.Array.from_buffers(MONEY, 6, [None, pa.py_buffer(values)])
    batch = calls.set_column(calls.schema.get_field_index("cost"), "cost", bad_cost)
    with pytest.raises(psycopg.errors.NumericValueOutOfRange):
        store.insert("call", batch)
    assert rows_of(plain_dsn, "call") == []
    assert store.insert("call", calls) == 6
