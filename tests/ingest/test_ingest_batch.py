"""Batch ingest into a real Parquet lake and dead-letter store; counts checked by hand."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_test_support import (
    FREESWITCH_DIR,
    FS_INBOUND,
    FS_INTERNAL_NDJSON,
    FS_OUTBOUND_NATIONAL,
    agent_record,
    call_record,
)

import ingest.batch
from ingest import (
    UNRESOLVED,
    BatchSink,
    DeadLetterStore,
    PositionUnit,
    discover_files,
    ingest_bytes,
    ingest_paths,
    ingest_records,
    is_ingestible,
    read_objects,
)
from warehouse import ParquetLake

WriteNdjson = Callable[[str, list[Any]], Path]


def _distinct_event_ids(lake: ParquetLake, family: str) -> tuple[int, int]:
    ((rows, distinct),) = duckdb.sql(
        f"select count(*), count(distinct event_id) from read_parquet('{lake.glob(family)}')"
    ).fetchall()
    return rows, distinct


def test_parquet_lake_is_a_batch_sink(lake: ParquetLake) -> None:
    assert isinstance(lake, BatchSink)


def test_counts_lake_rows_and_dead_letters(
    lake: ParquetLake, deadletters: DeadLetterStore, write_ndjson: WriteNdjson
) -> None:
    bad_billsec = call_record(3, billsec=-5)
    path = write_ndjson(
        "calls.ndjson",
        [
            call_record(1),
            call_record(2),
            call_record(1),  # duplicate of line 1: kept once, not an error
            bad_billsec,
            '{"event_id": "call-9", ',  # broken JSON
            call_record(4, tenant_id="Not A Slug"),
        ],
    )
    report = ingest_paths([path], lake, deadletters)
    counts = report.counts("call")
    assert (counts.read, counts.accepted, counts.duplicates, counts.rejected) == (6, 2, 1, 3)
    assert report.ok
    assert lake.row_count("call") == 2
    assert report.counts("agent").read == 0

    letters = sorted(deadletters.read(), key=lambda letter: letter.position.index)
    assert [letter.position.index for letter in letters] == [4, 5, 6]
    assert {letter.source for letter in letters} == {str(path)}
    assert all(letter.position.unit is PositionUnit.LINE for letter in letters)
    assert all(letter.family == "call" for letter in letters)
    billsec, broken, tenant = letters
    assert billsec.reason == "billsec: Input should be greater than or equal to 0"
    assert billsec.raw == bad_billsec  # the record exactly as received
    assert broken.reason.startswith("invalid JSON")
    assert broken.raw == '{"event_id": "call-9", '
    assert tenant.reason.startswith("tenant_id: String should match pattern")
    assert billsec.batch_id == report.batches[0].batch_id
    assert report.batches[0].deadletter_file == deadletters.path_for(billsec.batch_id)


def test_family_key_routes_records_and_unresolved_ones_are_dead_letters(
    lake: ParquetLake, deadletters: DeadLetterStore, write_ndjson: WriteNdjson
) -> None:
    path = write_ndjson(
        "mixed.ndjson",
        [
            {**call_record(1), "family": "call"},
            {**agent_record(1), "family": "agent"},
            {**agent_record(2), "family": "agents"},
            agent_record(3),
        ],
    )
    report = ingest_paths([path], lake, deadletters)
    assert lake.row_count("call") == 1
    assert lake.row_count("agent") == 1
    assert report.counts("agent").accepted == 1
    assert report.counts(UNRESOLVED).rejected == 2
    reasons = sorted(letter.reason for letter in deadletters.read())
    assert reasons[0].startswith("family: cannot tell the event family")
    assert reasons[1].startswith("family: unknown event family 'agents'")
    # The routing key is not stored: the lake has the contract's columns only.
    assert "family" not in pq.read_schema(lake.files("call")[0]).names


def test_same_file_twice_changes_nothing(
    lake: ParquetLake, deadletters: DeadLetterStore, write_ndjson: WriteNdjson
) -> None:
    path = write_ndjson(
        "calls.ndjson",
        [call_record(i) for i in range(5)]
        + [
            call_record(
                9,
                occurred_at="2024-06-01T00:00:30Z",
                start_at="2024-06-01T00:00:00Z",
                answer_at="2024-06-01T00:00:05Z",
                end_at="2024-06-01T00:00:30Z",
            )
        ]
        + [call_record(7, billsec=-1)],
    )
    first = ingest_paths([path], lake, deadletters)
    files_after_first = lake.files("call")
    second = ingest_paths([path], lake, deadletters)
    assert len(files_after_first) == 2  # May and June partitions
    assert lake.files("call") == files_after_first
    assert lake.row_count("call") == 6
    assert deadletters.count() == 1
    assert first.batches[0].batch_id == second.batches[0].batch_id
    assert second.counts("call").accepted == 6


def test_overlapping_files_append_raw_and_dedupe_downstream(
    lake: ParquetLake, deadletters: DeadLetterStore, write_ndjson: WriteNdjson
) -> None:
    first = write_ndjson("calls-1.ndjson", [call_record(i) for i in range(0, 6)])
    second = write_ndjson("calls-2.ndjson", [call_record(i) for i in range(4, 10)])
    report = ingest_paths([first, second], lake, deadletters)
    assert report.totals.accepted == 12
    assert lake.row_count("call") == 12  # append-only raw: ids 4 and 5 twice
    assert _distinct_event_ids(lake, "call") == (12, 10)  # 0..9 once each after dedupe


def test_corrupt_file_goes_whole_to_the_dead_letters(
    lake: ParquetLake, deadletters: DeadLetterStore, tmp_path: Path
) -> None:
    data = gzip.compress(b"".join(orjson.dumps(call_record(i)) + b"\n" for i in range(200)))
    path = tmp_path / "calls.ndjson.gz"
    path.write_bytes(data[:-40])  # truncated: the first records read fine, then it breaks
    report = ingest_paths([path], lake, deadletters)
    assert not report.ok
    ((source, reason),) = report.unreadable
    assert source == str(path)
    assert "gzip" in reason
    assert lake.row_count("call") == 0  # nothing from a half-read file
    (letter,) = deadletters.read()
    assert letter.position.unit is PositionUnit.FILE
    assert letter.reason.startswith("unreadable input: corrupt gzip data")
    assert Path(letter.raw["kept_as"]).read_bytes() == data[:-40]


def test_unsupported_named_file_is_reported_not_read(
    lake: ParquetLake, deadletters: DeadLetterStore, tmp_path: Path
) -> None:
    path = tmp_path / "calls.txt"
    path.write_text("hello")
    report = ingest_paths([path], lake, deadletters)
    assert report.unreadable[0][1].startswith("calls.txt: unsupported file type")


def test_csv_and_parquet_inputs(
    lake: ParquetLake, deadletters: DeadLetterStore, tmp_path: Path
) -> None:
    csv_path = tmp_path / "agent_states.csv"
    csv_path.write_text(
        "event_id,tenant_id,occurred_at,agent_id,state,reason,queue_id\n"
        "a1,acme,2024-05-01T09:00:00Z,agent-7,login,,\n"
        "a2,acme,2024-05-01T09:01:00+02:00,agent-7,not_ready,lunch,support\n"
        "a3,acme,2024-05-01T09:02:00,agent-7,ready,,\n"
    )
    rows = [call_record(i) for i in range(3)]
    table = pa.Table.from_pylist(rows)
    parquet_path = tmp_path / "cdrs.parquet"
    pq.write_table(table, parquet_path)
    report = ingest_paths([csv_path, parquet_path], lake, deadletters)
    assert report.counts("agent").accepted == 2
    assert report.counts("call").accepted == 3
    (letter,) = deadletters.read()
    assert letter.reason.startswith("occurred_at: Input should have timezone info")
    assert (letter.position.unit, letter.position.index) == (PositionUnit.LINE, 4)
    agents = duckdb.sql(
        f"select event_id, reason, queue_id, occurred_at::varchar as at "
        f"from read_parquet('{lake.glob('agent')}') order by event_id"
    ).fetchall()
    assert agents == [
        ("a1", None, None, "2024-05-01 09:00:00+00"),
        ("a2", "lunch", "support", "2024-05-01 07:01:00+00"),  # +02:00 converted to UTC
    ]


def test_freeswitch_folder_with_options(
    lake: ParquetLake, deadletters: DeadLetterStore, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(FREESWITCH_DIR, inbox / "switch")
    (inbox / "switch" / "manifest.json").write_text('{"files": 3}')
    (inbox / "ground_truth.json").write_text("{}")
    report = ingest_paths([inbox], lake, deadletters, tenant="acme", default_country_code=1)
    counts = report.counts("call")
    # 3 files, 4 CDRs: one extension-to-extension call is not a public call.
    assert (counts.read, counts.accepted, counts.rejected) == (4, 3, 1)
    assert len(report.batches) == 3
    ids = duckdb.sql(
        f"select event_id, tenant_id from read_parquet('{lake.glob('call')}') order by event_id"
    ).fetchall()
    assert ids == [
        ("0b7e9d44-5a61-4f0e-b2c3-7d8e9f0a1b2c", "globex"),
        ("6f1c2a9e-3b7d-4e21-9c55-0a8f4b2d7e13", "acme-support"),
        ("c0ffee00-1234-4abc-8def-00000000b0b0", "acme"),
    ]
    (letter,) = deadletters.read()
    assert letter.source == str(inbox / "switch" / FS_INTERNAL_NDJSON.name)
    assert letter.position.index == 2
    assert letter.reason == "from_number: '1001' is an extension, not a phone number"


def test_posting_the_same_cdr_twice_is_one_event(
    lake: ParquetLake, deadletters: DeadLetterStore
) -> None:
    body = FS_INBOUND.read_bytes()
    first = ingest_bytes(body, "cdr.json", lake, deadletters, source="http:/cdr")
    second = ingest_bytes(body, "cdr.json", lake, deadletters, source="http:/cdr")
    assert first.batch_id == second.batch_id
    assert first.counts["call"].accepted == 1
    assert lake.row_count("call") == 1
    # The same CDR inside a different payload is a second batch: raw keeps both, one event_id.
    ingest_bytes(body + b"\n", "cdr.json", lake, deadletters)
    assert _distinct_event_ids(lake, "call") == (2, 1)


def test_identical_files_in_one_call_are_ingested_once(
    lake: ParquetLake, deadletters: DeadLetterStore, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FS_OUTBOUND_NATIONAL, inbox / "one.cdr.json")
    shutil.copy(FS_OUTBOUND_NATIONAL, inbox / "two.cdr.json")
    report = ingest_paths([inbox], lake, deadletters, tenant="acme", default_country_code=1)
    assert [b.same_as for b in report.batches] == [None, str(inbox / "one.cdr.json")]
    assert report.counts("call").accepted == 1


def test_chunked_conversion_keeps_every_row(
    lake: ParquetLake,
    deadletters: DeadLetterStore,
    write_ndjson: WriteNdjson,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ingest.batch, "CHUNK_EVENTS", 3)
    path = write_ndjson("calls.ndjson", [call_record(i) for i in range(10)])
    ingest_paths([path], lake, deadletters)
    assert _distinct_event_ids(lake, "call") == (10, 10)


def test_discovery_skips_side_files_hidden_and_unknown(tmp_path: Path) -> None:
    for name in [
        "a/calls.ndjson",
        "a/b/agents.csv.gz",
        "a/manifest.json",
        "ground_truth.json",
        ".calls.ndjson.tmp",
        "a/.hidden.ndjson",
        "notes.txt",
        "x.cdr.json",
    ]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    found = discover_files([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a/b/agents.csv.gz",
        "a/calls.ndjson",
        "x.cdr.json",
    ]
    assert not is_ingestible(tmp_path / "manifest.json")
    with pytest.raises(FileNotFoundError):
        discover_files([tmp_path / "missing"])


def test_summary_line(
    lake: ParquetLake, deadletters: DeadLetterStore, write_ndjson: WriteNdjson
) -> None:
    path = write_ndjson(
        "calls.ndjson", [call_record(1), call_record(1), call_record(2, billsec=-1)]
    )
    report = ingest_paths([path], lake, deadletters)
    assert report.summary() == "read 3, accepted 1, duplicates 1, rejected 1 (call 1)"


def test_already_parsed_records_for_an_http_endpoint(
    lake: ParquetLake, deadletters: DeadLetterStore
) -> None:
    payload = [call_record(1), agent_record(1), call_record(2, direction="sideways")]
    result = ingest_records(
        read_objects(payload, "http:/v1/events"),
        lake,
        deadletters,
        batch_id="http-0001",
        source="http:/v1/events",
        family=None,
    )
    # No file name and no family key: only the caller can say. Here: nothing tells.
    assert result.counts[UNRESOLVED].rejected == 3
    keyed = [
        {**record, "family": family}
        for record, family in zip(payload, ["call", "agent", "call"], strict=True)
    ]
    result = ingest_records(
        read_objects(keyed, "http:/v1/events"),
        lake,
        deadletters,
        batch_id="http-0001",
        source="http:/v1/events",
    )
    assert (result.counts["call"].accepted, result.counts["call"].rejected) == (1, 1)
    assert result.counts["agent"].accepted == 1
    (letter,) = deadletters.read()  # the same batch id replaced the first attempt's letters
    assert (letter.position.unit, letter.position.index) == (PositionUnit.ITEM, 2)
    assert letter.reason.startswith("direction: Input should be")


def test_parallel_workers_write_the_same_lake_and_report_as_one_process(
    tmp_path: Path, write_ndjson: WriteNdjson
) -> None:
    calls = write_ndjson("call.ndjson", [call_record(i) for i in range(40)])
    agents = write_ndjson("agent.ndjson", [agent_record(i) for i in range(25)] + ["{broken"])
    seen: list[str] = []
    results = {}
    for workers in (1, 2):
        lake = ParquetLake(tmp_path / f"lake{workers}")
        lake.initialize()
        report = ingest_paths(
            [calls, agents],
            lake,
            DeadLetterStore(tmp_path / f"dead{workers}"),
            workers=workers,
            on_batch=lambda batch: seen.append(Path(batch.source).name),
        )
        results[workers] = (
            [(Path(b.source).name, b.batch_id) for b in report.batches],
            {f: (c.accepted, c.rejected) for f, c in report.by_family.items()},
            {f: lake.row_count(f) for f in ("call", "agent")},
        )
    assert results[1] == results[2]
    assert results[1][2] == {"call": 40, "agent": 25}
    assert results[1][1]["agent"] == (25, 1)
    # The callback heard of every file in both runs.
    assert sorted(seen) == sorted(["call.ndjson", "agent.ndjson"] * 2)
