"""ClickHouseRawStore on chDB: exact round trips, re-delivery dedupe, and refused bad batches."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from clickhouse_connect.driver.client import Client
from event_samples import VALID_EVENTS, call_record

from ingest.contracts import family_schema, model_for, models_to_table
from ingest.sink import BatchSink
from warehouse.clickhouse import ClickHouseRawStore

DATABASE = "irisx_raw_store"


@pytest.fixture
def store(ch_client: Client) -> ClickHouseRawStore:
    built = ClickHouseRawStore(ch_client, DATABASE)
    built.migrate()
    return built


def _table(family: str, records: list[dict[str, Any]]) -> pa.Table:
    model = model_for(family)
    return models_to_table([model.model_validate(record) for record in records], model)


def _read(store: ClickHouseRawStore, family: str) -> list[dict[str, Any]]:
    columns = ", ".join(f"`{name}`" for name in family_schema(family).names)
    result = store.client.query_arrow(
        f"SELECT {columns} FROM {DATABASE}.{family} FINAL ORDER BY event_id"
    )
    return result.to_pylist()


def test_store_is_a_batch_sink(store: ClickHouseRawStore) -> None:
    assert isinstance(store, BatchSink)


@pytest.mark.parametrize("family", sorted(VALID_EVENTS))
def test_every_family_round_trips_exactly(store: ClickHouseRawStore, family: str) -> None:
    table = _table(family, [VALID_EVENTS[family]])
    assert store.write_batch(family, table, "batch-1") == []
    assert _read(store, family) == table.to_pylist()


def test_decimals_utc_timestamps_and_nulls_keep_their_values(store: ClickHouseRawStore) -> None:
    records = [
        call_record(
            1,
            occurred_at="2024-05-01T10:00:30.123456+02:00",
            cost="123456789012.123456",
            price="0.000001",
            queue_wait_sec=1.25,
        ),
        call_record(2, answer_at=None, billsec=0, hangup_cause="NO_ANSWER", codec=None),
    ]
    store.write_batch("call", _table("call", records), "batch-1")
    first, second = _read(store, "call")
    # 10:00:30.123456 at +02:00 is 08:00:30.123456 UTC, to the microsecond.
    assert first["occurred_at"] == datetime(2024, 5, 1, 8, 0, 30, 123456, tzinfo=UTC)
    assert first["cost"] == Decimal("123456789012.123456")
    assert first["price"] == Decimal("0.000001")
    assert first["queue_wait_sec"] == 1.25
    assert first["sip_code"] is None
    assert second["answer_at"] is None
    assert second["codec"] is None
    assert second["cost"] is None
    assert second["hangup_cause"] == "NO_ANSWER"
    assert second["billsec"] == 0


def test_redelivered_batch_leaves_one_row_per_event(store: ClickHouseRawStore) -> None:
    table = _table("call", [call_record(index) for index in range(1, 4)])
    store.write_batch("call", table, "batch-1")
    store.write_batch("call", table, "batch-1")  # re-delivery of the same batch
    assert store.stored_rows("call", final=False) == 6  # both inserts stored until a merge
    assert store.stored_rows("call", final=True) == 3
    assert store.row_counts() == {
        "call": 3,
        "rtcp": 0,
        "message": 0,
        "billing": 0,
        "campaign": 0,
        "agent": 0,
        "transcript": 0,
    }
    versions_before = store.client.query(
        f"SELECT max(_ingested_at), min(_ingested_at) FROM {DATABASE}.call"
    ).result_rows[0]
    store.optimize("call")
    assert store.stored_rows("call", final=False) == 3
    kept = store.client.query(f"SELECT DISTINCT _ingested_at FROM {DATABASE}.call").result_rows
    assert versions_before[0] > versions_before[1]
    assert kept == [(versions_before[0],)]  # the later delivery's version wins


def test_a_repeat_inside_one_batch_waits_for_a_merge(store: ClickHouseRawStore) -> None:
    # Inserts skip the in-block collapse (optimize_on_insert = 0): both rows are stored, and
    # FINAL, like the staging models, counts the event once.
    table = _table("call", [call_record(1), call_record(1), call_record(2)])
    store.write_batch("call", table, "batch-1")
    assert store.stored_rows("call", final=False) == 3
    assert store.stored_rows("call", final=True) == 2
    store.optimize("call")
    assert store.stored_rows("call", final=False) == 2


def test_large_batches_are_split_into_inserts_of_insert_rows(ch_client: Client) -> None:
    store = ClickHouseRawStore(ch_client, DATABASE, insert_rows=2)
    store.migrate()
    # Background merges would fold the parts together before we count them.
    ch_client.command(f"SYSTEM STOP MERGES {DATABASE}.agent")
    records = [{**VALID_EVENTS["agent"], "event_id": f"agent-{i}"} for i in range(5)]
    store.write_batch("agent", _table("agent", records), "batch-1")
    assert store.stored_rows("agent", final=False) == 5
    parts = ch_client.command(
        f"SELECT count() FROM system.parts WHERE database = '{DATABASE}' AND table = 'agent'"
        " AND active"
    )
    assert parts == 3  # 2 + 2 + 1 rows, one part per insert (before merges)


def test_empty_batch_writes_nothing(store: ClickHouseRawStore) -> None:
    empty = family_schema("rtcp").empty_table()
    assert store.write_batch("rtcp", empty, "batch-0") == []
    assert store.stored_rows("rtcp", final=False) == 0


def test_bad_batches_are_refused_whole_naming_the_column(store: ClickHouseRawStore) -> None:
    table = _table("call", [call_record(1, cost="0.5"), call_record(2)])
    cost_index = table.schema.get_field_index("cost")
    as_float = table.set_column(
        cost_index, pa.field("cost", pa.float64()), table.column("cost").cast(pa.float64())
    )
    with pytest.raises(ValueError, match=r"call batch 'b1': column 'cost' is double"):
        store.write_batch("call", as_float, "b1")
    with pytest.raises(ValueError, match=r"missing \['cost'\]"):
        store.write_batch("call", table.drop_columns(["cost"]), "b1")
    tenant_index = table.schema.get_field_index("tenant_id")
    null_tenant = table.set_column(
        tenant_index, table.schema.field("tenant_id"), pa.array(["acme", None], pa.string())
    )
    with pytest.raises(ValueError, match=r"column 'tenant_id' has 1 null value\(s\)"):
        store.write_batch("call", null_tenant, "b1")
    with pytest.raises(KeyError, match="unknown event family 'fax'"):
        store.write_batch("fax", table, "b1")
    assert store.stored_rows("call", final=False) == 0
