"""Family resolution, record preparation, validation messages, and the columnar Arrow path."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from ingest_test_support import FS_INBOUND, VALID_EVENTS, call_record

from ingest import (
    RecordOptions,
    RecordRejectedError,
    events_to_table,
    family_from_name,
    prepare_record,
    resolve_family,
    validate_record,
)
from ingest.contracts import FAMILIES, models_to_table
from ingest.families import FamilyError


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("calls.ndjson", "call"),
        ("CDRs.csv.gz", "call"),
        ("a_6f1c2a9e-3b7d-4e21-9c55-0a8f4b2d7e13.cdr.json", "call"),
        ("rtcp.parquet", "rtcp"),
        ("sms-0001.jsonl", "message"),
        ("email.ndjson", "message"),
        ("2024-05_billing.csv", "billing"),
        ("campaigns.parquet", "campaign"),
        ("agent_states.csv", "agent"),
        ("agents.ndjson", "agent"),
        ("in/box/transcripts.ndjson.gz", "transcript"),
        ("events.ndjson", None),
        ("recall.ndjson", None),  # "call" inside a word is not the word "call"
    ],
)
def test_family_from_name(name: str, family: str | None) -> None:
    assert family_from_name(name) == family


def test_resolution_order() -> None:
    fs_cdr = orjson.loads(FS_INBOUND.read_bytes())
    keyed = {"family": "agent"}
    assert resolve_family(keyed, explicit="call", from_name="rtcp") == "call"
    assert resolve_family(keyed, explicit=None, from_name="rtcp") == "agent"
    assert resolve_family({}, explicit=None, from_name="rtcp") == "rtcp"
    assert resolve_family(fs_cdr, explicit=None, from_name=None) == "call"
    assert resolve_family({"event_id": "x"}, explicit=None, from_name=None) is None
    assert resolve_family(None, explicit=None, from_name="rtcp") == "rtcp"
    with pytest.raises(FamilyError, match=r"^family: unknown event family 'calls'"):
        resolve_family({"family": "calls"}, explicit=None, from_name=None)


def test_prepare_drops_nulls_and_the_family_key_without_touching_the_input() -> None:
    received = {**call_record(1, answer_at=None, billsec=0), "family": "call", "hold_sec": None}
    snapshot = dict(received)
    prepared = prepare_record(received, "call", RecordOptions())
    assert "family" not in prepared
    assert "answer_at" not in prepared
    assert "hold_sec" not in prepared  # null → the contract default (0)
    assert received == snapshot
    event = validate_record("call", prepared)
    assert event.hold_sec == 0  # type: ignore[attr-defined]


def test_prepare_fills_tenant_and_normalises_numbers_when_asked() -> None:
    record = call_record(1, from_number="415-555-0123")
    del record["tenant_id"]
    prepared = prepare_record(
        record, "call", RecordOptions(tenant="globex", default_country_code=1)
    )
    assert prepared["tenant_id"] == "globex"
    assert prepared["from_number"] == "+14155550123"
    assert prepared["to_number"] == "+14155550199"
    kept = prepare_record(call_record(2), "call", RecordOptions(tenant="globex"))
    assert kept["tenant_id"] == "acme"  # the record's own tenant wins over the default
    with pytest.raises(RecordRejectedError, match=r"^to_number: '12' is an extension"):
        prepare_record(
            call_record(3, to_number="12"), "call", RecordOptions(default_country_code=1)
        )


def test_freeswitch_cdr_under_another_family_is_rejected() -> None:
    fs_cdr = orjson.loads(FS_INBOUND.read_bytes())
    with pytest.raises(RecordRejectedError, match=r"^family: a FreeSWITCH CDR is a call record"):
        prepare_record(fs_cdr, "agent", RecordOptions())


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"from_number": "4155550123"}, "from_number: String should match pattern"),
        ({"billsec": -1}, "billsec: Input should be greater than or equal to 0"),
        ({"end_at": "2024-05-01T09:59:00Z"}, "end_at: must not be before start_at"),
        ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
        (
            {"billsec": "many", "direction": "up"},
            "direction: Input should be 'inbound', 'outbound' or 'internal'; "
            "billsec: Input should be a valid integer",
        ),
    ],
)
def test_validation_reasons_name_the_fields(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(RecordRejectedError) as caught:
        validate_record("call", call_record(1, **changes))
    assert str(caught.value).startswith(reason)


def test_missing_field_reason() -> None:
    record = call_record(1)
    del record["hangup_cause"]
    with pytest.raises(RecordRejectedError, match=r"^hangup_cause: Field required$"):
        validate_record("call", record)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_columnar_path_builds_the_same_table_as_models_to_table(family: str) -> None:
    model = FAMILIES[family]
    base = VALID_EVENTS[family]
    events = [model.model_validate({**base, "event_id": f"{family}-{i}"}) for i in range(3)]
    expected = models_to_table(events, model)
    actual = events_to_table(events, model)
    assert actual.schema.equals(expected.schema)
    assert actual.equals(expected)
    assert actual.num_rows == 3
