"""Readers: positions, nulls, broken lines, gzip, corrupt inputs."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_test_support import FS_INBOUND, FS_INTERNAL_NDJSON
from pydantic import TypeAdapter, ValidationError

import ingest.readers
from ingest.contracts.common import UtcDatetime
from ingest.readers import (
    PositionUnit,
    SourceFormat,
    UnreadableInputError,
    UnsupportedFormatError,
    detect_format,
    read_bytes,
    read_objects,
    read_path,
    read_stream,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("calls.ndjson", (SourceFormat.NDJSON, False)),
        ("calls.JSONL", (SourceFormat.NDJSON, False)),
        ("calls.ndjson.gz", (SourceFormat.NDJSON, True)),
        ("agents.csv", (SourceFormat.CSV, False)),
        ("agents.csv.gz", (SourceFormat.CSV, True)),
        ("rtcp.parquet", (SourceFormat.PARQUET, False)),
        ("a_1.cdr.json", (SourceFormat.JSON, False)),
    ],
)
def test_detect_format(name: str, expected: tuple[SourceFormat, bool]) -> None:
    assert detect_format(name) == expected


@pytest.mark.parametrize("name", ["calls.txt", "calls.parquet.gz", "calls", "calls.xml"])
def test_unsupported_names_are_refused(name: str) -> None:
    with pytest.raises(UnsupportedFormatError, match="unsupported file type"):
        detect_format(name)


def test_ndjson_positions_are_line_numbers_and_a_broken_line_is_reported() -> None:
    data = b'{"a": 1}\n\n{"a": 2\n[1, 2]\n{"a": 3}\n'
    records = list(read_bytes(data, "x.ndjson", source="in/x.ndjson"))
    assert [(r.position.unit, r.position.index) for r in records] == [
        (PositionUnit.LINE, 1),
        (PositionUnit.LINE, 3),
        (PositionUnit.LINE, 4),
        (PositionUnit.LINE, 5),
    ]
    assert records[0].record == {"a": 1}
    assert records[3].record == {"a": 3}
    broken, array = records[1], records[2]
    assert broken.record is None
    assert broken.text == '{"a": 2'
    assert broken.error is not None
    assert broken.error.startswith("invalid JSON")
    assert array.record is None
    assert array.error == "expected a JSON object, got list"
    assert records[0].position.source == "in/x.ndjson"


def test_gzip_ndjson_reads_like_plain(tmp_path: Path) -> None:
    path = tmp_path / "calls.ndjson.gz"
    path.write_bytes(gzip.compress(b'{"event_id": "e1"}\n{"event_id": "e2"}\n'))
    records = list(read_path(path))
    assert [r.record for r in records] == [{"event_id": "e1"}, {"event_id": "e2"}]
    assert records[1].position.source == str(path)


def test_corrupt_gzip_is_unreadable() -> None:
    data = gzip.compress(b'{"event_id": "e1"}\n' * 1000)
    with pytest.raises(UnreadableInputError, match="gzip"):
        list(read_bytes(data[: len(data) // 2], "calls.ndjson.gz"))
    with pytest.raises(UnreadableInputError, match="gzip"):
        list(read_bytes(b"this is not gzip at all", "calls.ndjson.gz"))


def test_csv_empty_cells_are_null_and_positions_are_start_lines() -> None:
    data = b'event_id,tenant_id,reason,note\ne1,acme,,"two\nlines"\ne2,,lunch,\ne3,acme\n'
    records = list(read_bytes(data, "agents.csv"))
    assert records[0].record == {
        "event_id": "e1",
        "tenant_id": "acme",
        "reason": None,
        "note": "two\nlines",
    }
    assert records[1].record == {
        "event_id": "e2",
        "tenant_id": None,
        "reason": "lunch",
        "note": None,
    }
    # Row 1 starts on line 2 and spans two lines, so row 2 starts on line 4.
    assert [r.position.index for r in records] == [2, 4, 5]
    short = records[2]
    assert short.record is None
    assert short.error == "row has 2 fields, the header has 4"


def test_gzip_csv_with_byte_order_mark() -> None:
    data = gzip.compress("\ufeffevent_id,state\ne1,ready\n".encode())
    records = list(read_bytes(data, "agents.csv.gz"))
    assert [r.record for r in records] == [{"event_id": "e1", "state": "ready"}]


def test_csv_header_with_repeated_column_is_unreadable() -> None:
    with pytest.raises(UnreadableInputError, match="repeats column"):
        list(read_bytes(b"event_id,event_id\n1,2\n", "calls.csv"))


def test_parquet_rows_keep_their_values_and_row_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches, so the index must carry across batch boundaries.
    monkeypatch.setattr(ingest.readers, "PARQUET_BATCH_ROWS", 2)
    when = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    table = pa.table(
        {
            "event_id": ["e0", "e1", "e2", "e3", "e4"],
            "occurred_at": pa.array([when] * 5, pa.timestamp("us", tz="UTC")),
            "cost": pa.array(
                [Decimal("0.5"), None, None, None, Decimal("1.25")], pa.decimal128(18, 6)
            ),
        }
    )
    path = tmp_path / "calls.parquet"
    pq.write_table(table, path, row_group_size=3)
    records = list(read_path(path))
    assert [(r.position.unit, r.position.index) for r in records] == [
        (PositionUnit.ROW, i) for i in range(5)
    ]
    # Timestamps arrive as ISO 8601 with their offset, decimals as exact strings (see
    # readers._batch_rows); both parse back to the very same values.
    assert records[4].record == {
        "event_id": "e4",
        "occurred_at": "2024-05-01T10:00:00.000000+0000",
        "cost": "1.250000",
    }
    assert records[4].record is not None
    assert datetime.fromisoformat(str(records[4].record["occurred_at"])) == when
    assert Decimal(str(records[4].record["cost"])) == Decimal("1.25")
    assert records[1].record is not None
    assert records[1].record["cost"] is None


def test_parquet_naive_timestamps_stay_naive_and_fail_the_contract(tmp_path: Path) -> None:
    table = pa.table({"occurred_at": pa.array([datetime(2024, 5, 1, 10, 0)], pa.timestamp("us"))})
    path = tmp_path / "calls.parquet"
    pq.write_table(table, path)
    [record] = list(read_path(path))
    assert record.record == {"occurred_at": "2024-05-01T10:00:00.000000"}
    with pytest.raises(ValidationError, match="timezone"):
        TypeAdapter(UtcDatetime).validate_python(record.record["occurred_at"])


def test_not_parquet_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "calls.parquet"
    path.write_bytes(b"PAR1 but not really a parquet file")
    with pytest.raises(UnreadableInputError, match="Parquet"):
        list(read_path(path))


def test_json_single_document_array_and_ndjson() -> None:
    single = list(read_bytes(b'{\n  "a": 1\n}\n', "x.json"))
    assert [(r.position.unit, r.position.index, r.record) for r in single] == [
        (PositionUnit.LINE, 1, {"a": 1})
    ]
    array = list(read_bytes(b'[{"a": 1}, 7, {"a": 2}]', "x.json"))
    assert [(r.position.unit, r.position.index) for r in array] == [
        (PositionUnit.ITEM, 0),
        (PositionUnit.ITEM, 1),
        (PositionUnit.ITEM, 2),
    ]
    assert array[1].record is None
    assert array[2].record == {"a": 2}
    lines = list(read_bytes(b'{"a": 1}\n{"a": 2}\n', "x.json"))
    assert [(r.position.index, r.record) for r in lines] == [(1, {"a": 1}), (2, {"a": 2})]


def test_truncated_json_document_is_one_reject_not_one_per_line() -> None:
    records = list(read_bytes(b'{\n  "variables": {\n    "uuid": "x"\n', "cut.cdr.json"))
    assert len(records) == 1
    assert records[0].record is None
    assert records[0].error is not None
    assert records[0].error.startswith("invalid JSON")
    assert records[0].text == '{\n  "variables": {\n    "uuid": "x"\n'


def test_freeswitch_samples_read_as_objects() -> None:
    (single,) = list(read_path(FS_INBOUND))
    assert single.record is not None
    assert single.record["variables"]["uuid"] == "6f1c2a9e-3b7d-4e21-9c55-0a8f4b2d7e13"
    assert (single.position.unit, single.position.index) == (PositionUnit.LINE, 1)
    pair = list(read_path(FS_INTERNAL_NDJSON))
    assert [r.position.index for r in pair] == [1, 2]
    assert all(r.record is not None and "callflow" in r.record for r in pair)


def test_read_objects_for_already_parsed_payloads() -> None:
    records = list(read_objects([{"a": 1}, "oops"], "http:batch"))
    assert records[0].record == {"a": 1}
    assert records[1].record is None
    assert records[1].text == '"oops"'
    assert records[1].position.unit is PositionUnit.ITEM


def test_reading_a_caller_stream_leaves_it_open() -> None:
    stream = io.BytesIO(b"event_id\ne1\n")
    records = list(read_stream(stream, "agents.csv"))
    assert [r.record for r in records] == [{"event_id": "e1"}]
    assert not stream.closed
