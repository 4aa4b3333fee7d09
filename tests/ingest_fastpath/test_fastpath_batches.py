"""Batches mixing what the fast path vouches for and what it must leave to the contract: the
whole-batch decode falls back record by record, and column checks shared by several fields
(one pattern and length check over all identifier columns) reject only the rows at fault."""

from __future__ import annotations

from typing import Any

from event_samples import call_record

from ingest.contracts import model_for
from ingest.fastpath import validate_fast
from ingest.validate import (
    RecordOptions,
    RecordRejectedError,
    events_to_table,
    prepare_record,
    validate_record,
    validate_records,
)


def _outcomes(records: list[dict[str, Any]]) -> list[str]:
    """Each record's event id, or ``"rejected: <reason>"``; checks the table on the way."""
    options = RecordOptions()
    validated = validate_records("call", records, options)
    accepted = [i for i, o in enumerate(validated.outcomes) if isinstance(o, str)]
    expected_events = [
        validate_record("call", prepare_record(records[i], "call", options)) for i in accepted
    ]
    assert validated.table(accepted).equals(events_to_table(expected_events, model_for("call")))
    return [
        f"rejected: {outcome}" if isinstance(outcome, RecordRejectedError) else outcome
        for outcome in validated.outcomes
    ]


def test_a_cross_field_failure_mid_batch_rejects_only_that_record() -> None:
    records = [
        call_record(0),
        call_record(1, end_at="2024-05-01T09:59:59Z"),  # decodes; the timeline rule fails
        call_record(2),
        call_record(3, answer_at="2024-05-01T10:00:31Z"),  # answered after the end
        call_record(4),
    ]
    assert validate_fast("call", records).positions == [0, 2, 4]
    assert _outcomes(records) == [
        "call-000000",
        "rejected: end_at: must not be before start_at",
        "call-000002",
        "rejected: answer_at: must lie between start_at and end_at",
        "call-000004",
    ]


def test_identifier_checks_shared_by_columns_reject_only_the_rows_at_fault() -> None:
    records = [
        call_record(0, carrier_id="x" * 128, trunk_id="t-1"),
        call_record(1, trunk_id="x" * 129),  # one past the limit
        call_record(2, route_id="r 2"),  # a space: not an identifier character
        call_record(3, carrier_id="t-1", route_id="x" * 128),
        call_record(4, queue_id=""),  # empty: shorter than 1
    ]
    fast = validate_fast("call", records)
    assert fast.positions == [0, 3]
    assert fast.table.column("carrier_id").to_pylist() == ["x" * 128, "t-1"]
    outcomes = _outcomes(records)
    assert [o for o in outcomes if not o.startswith("rejected")] == ["call-000000", "call-000003"]
    assert outcomes[1].startswith("rejected: trunk_id: String should have at most 128")
    assert outcomes[2].startswith("rejected: route_id: String should match pattern")
    assert outcomes[4].startswith("rejected: queue_id: String should have at least 1")
