"""A batch of one explicit family goes whole-chunk when it can (every record vouched for by the
fast path, no repeated event id): counts, dead letters and rows must be exactly those of the
record-by-record path, across chunk boundaries too. Expected values are worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest
from ingest_test_support import agent_record, call_record

import ingest.batch
from ingest import DeadLetterStore, ingest_records, read_objects
from ingest.contracts import family_schema
from ingest.webhooks import CollectingSink


def _ingest(
    records: list[dict[str, Any]], deadletters: DeadLetterStore, family: str | None
) -> tuple[ingest.batch.BatchResult, CollectingSink]:
    sink = CollectingSink()
    result = ingest_records(
        read_objects(records, "test"),
        sink,
        deadletters,
        batch_id="chunks",
        source="test",
        family=family,
    )
    return result, sink


def test_chunks_with_repeats_and_a_reject_count_as_record_by_record(
    deadletters: DeadLetterStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.batch, "CHUNK_EVENTS", 3)
    # Chunks of 3: [0 1 2] clean; [3 1 4] repeats 1 from the first chunk; [5 6 bad] has a
    # reject; [7 7] repeats within itself.
    numbers = [0, 1, 2, 3, 1, 4, 5, 6, 99, 7, 7]
    records = [
        call_record(n, billsec=-1) if n == 99 else call_record(n, billsec=25) for n in numbers
    ]
    result, sink = _ingest(records, deadletters, "call")
    counts = result.counts["call"]
    assert (counts.read, counts.accepted, counts.duplicates, counts.rejected) == (11, 8, 2, 1)
    assert sink.tables["call"].column("event_id").to_pylist() == [f"call-{n:06d}" for n in range(8)]
    (letter,) = deadletters.read()
    assert letter.position.index == 8
    assert letter.reason.startswith("billsec:")
    # The record-by-record path (family from a family key, not the option) agrees.
    keyed = [{**record, "family": "call"} for record in records]
    slow, slow_sink = _ingest(keyed, deadletters, None)
    assert slow.counts == result.counts
    assert slow_sink.tables["call"].equals(sink.tables["call"])


def test_clean_chunks_are_taken_whole_and_other_families_are_empty(
    deadletters: DeadLetterStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.batch, "CHUNK_EVENTS", 2)
    result, sink = _ingest([call_record(n) for n in range(5)], deadletters, "call")
    counts = result.counts["call"]
    assert (counts.read, counts.accepted, counts.duplicates, counts.rejected) == (5, 5, 0, 0)
    assert list(result.counts) == ["call"]
    assert sink.tables["call"].num_rows == 5
    assert sink.tables["agent"].num_rows == 0
    assert sink.tables["agent"].schema == family_schema("agent")
    assert deadletters.read() == []


def test_an_unparsable_record_sends_the_chunk_record_by_record(
    deadletters: DeadLetterStore,
) -> None:
    # An agent record under the call family is rejected by the contract; the list item that is
    # not an object never reaches validation.
    records: list[Any] = [call_record(1), "not an object", agent_record(2), call_record(1)]
    sink = CollectingSink()
    result = ingest_records(
        read_objects(records, "test"),
        sink,
        deadletters,
        batch_id="mixed",
        source="test",
        family="call",
    )
    counts = result.counts["call"]
    assert (counts.read, counts.accepted, counts.duplicates, counts.rejected) == (4, 1, 1, 2)
    assert sorted(letter.position.index for letter in deadletters.read()) == [1, 2]
