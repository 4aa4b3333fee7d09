"""The fast edge path decides exactly as the contracts do: same accepted values (same Arrow
table), same rejections with the same reasons, same order, for every family."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from event_samples import CALL_ID, call_record, sample_event
from pydantic import Field

from ingest import DeadLetter, DeadLetterStore, RawRecord, read_objects, read_path
from ingest.batch import ingest_records
from ingest.contracts import FAMILIES, EventBase, model_for
from ingest.fastpath import (
    FastBatch,
    UnsupportedContractError,
    _derive_field,
    fast_contract,
    validate_fast,
    validate_json_array,
)
from ingest.validate import (
    RecordOptions,
    RecordRejectedError,
    events_to_table,
    prepare_record,
    validate_record,
    validate_records,
)
from ingest.webhooks import CollectingSink, ingest_tenant_batch
from telephony.simulator import SimulationConfig, simulate, write_result

NO_OPTIONS = RecordOptions()


def contract_outcome(
    family: str, record: dict[str, Any], options: RecordOptions = NO_OPTIONS
) -> EventBase | str:
    """What the contract path alone says: the event, or the rejection reason."""
    try:
        return validate_record(family, prepare_record(record, family, options))
    except RecordRejectedError as exc:
        return str(exc)


def assert_same_decisions(
    family: str, records: list[dict[str, Any]], options: RecordOptions = NO_OPTIONS
) -> list[EventBase | str]:
    """Both paths agree record by record; accepted rows are equal in the table."""
    expected = [contract_outcome(family, record, options) for record in records]
    validated = validate_records(family, records, options)
    assert len(validated.outcomes) == len(records)
    accepted = []
    for index, (outcome, want) in enumerate(zip(validated.outcomes, expected, strict=True)):
        if isinstance(want, str):
            assert isinstance(outcome, RecordRejectedError), (index, records[index], want)
            assert str(outcome) == want, records[index]
        else:
            assert outcome == want.event_id, (index, records[index], outcome)
            accepted.append(index)
    events = [want for want in expected if not isinstance(want, str)]
    assert validated.table(accepted).equals(events_to_table(events, model_for(family)))
    return expected


event = sample_event


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Simulator output of every family in its wire form (the NDJSON it writes)."""
    out = tmp_path_factory.mktemp("sim")
    config = SimulationConfig(days=1, tenants=2, seed=11, start=date(2024, 3, 4))
    written = write_result(simulate(config), out, fmt="ndjson")
    return {
        family: [orjson.loads(line) for line in written[family].read_bytes().splitlines()]
        for family in FAMILIES
    }


def test_every_family_has_a_fast_path() -> None:
    for family in FAMILIES:
        contract = fast_contract(family)
        assert [field.name for field in contract.fields] == list(model_for(family).model_fields)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_simulator_output_gives_identical_tables(
    family: str, simulated: dict[str, list[dict[str, Any]]]
) -> None:
    records = simulated[family]
    assert len(records) > 20, family  # enough to mean something
    # The fast path vouches for all of them (so it really is what built the table) ...
    fast = validate_fast(family, records)
    assert fast.positions == list(range(len(records)))
    # ... and its table is the contract path's, value for value.
    events = [validate_record(family, prepare_record(r, family, NO_OPTIONS)) for r in records]
    assert fast.table.equals(events_to_table(events, model_for(family)))
    assert fast.table.schema == events_to_table(events, model_for(family)).schema
    assert_same_decisions(family, records)


@pytest.mark.parametrize("family", ["call", "billing"])
def test_parquet_files_are_vouched_for_too(family: str, tmp_path: Path) -> None:
    # The Parquet reader hands timestamps over as "...+0000" and decimals as exact text.
    config = SimulationConfig(days=1, tenants=1, seed=5, start=date(2024, 3, 4))
    written = write_result(simulate(config), tmp_path, fmt="parquet")
    records = [raw.record for raw in read_path(written[family])]
    assert records
    assert str(records[0]["occurred_at"]).endswith("+0000")
    assert validate_fast(family, records).positions == list(range(len(records)))  # type: ignore[arg-type]
    assert_same_decisions(family, records)  # type: ignore[arg-type]


def test_derived_defaults_come_from_the_contract() -> None:
    # q850_code from the hang-up cause (NORMAL_CLEARING = 16, USER_BUSY = 17) when not given;
    # RTCP clock rate from the codec (OPUS 48 kHz, PCMU 8 kHz).
    calls = [call_record(1), call_record(2, hangup_cause="USER_BUSY"), call_record(3, q850_code=5)]
    fast = validate_fast("call", calls)
    assert fast.table.column("q850_code").to_pylist() == [16, 17, 5]
    reports = [event("rtcp", codec="OPUS"), event("rtcp"), event("rtcp", clock_rate_hz=16000)]
    fast = validate_fast("rtcp", reports)
    assert fast.table.column("clock_rate_hz").to_pylist() == [48000, 8000, 16000]


BLOCKED_WITH_CALL = {
    "outcome": "blocked_dnc",
    "disposition": ...,
    "converted": False,
    "right_party_contact": False,
}

#: (family, changes): invalid records, and valid ones in forms the fast path leaves to the
#: contract. Every one must get the contract's decision and reason.
CASES: list[tuple[str, dict[str, Any]]] = [
    # wrong types
    ("call", {"billsec": "25"}),
    ("call", {"billsec": 25.0}),
    ("call", {"billsec": 25.5}),
    ("call", {"billsec": True}),
    ("call", {"billsec": [25]}),
    ("call", {"direction": 1}),
    ("call", {"queue_wait_sec": "1.5"}),
    ("call", {"from_number": 14155550123}),
    ("campaign", {"converted": "true"}),
    ("campaign", {"converted": 1}),
    ("rtcp", {"rtt_ms": "fast"}),
    ("agent", {"schema_version": True}),
    ("agent", {"schema_version": 2}),
    ("agent", {"schema_version": "1"}),
    # bad enums
    ("call", {"direction": "sideways"}),
    ("call", {"direction": "INBOUND"}),
    ("call", {"direction": " inbound"}),
    ("call", {"hangup_cause": "HUNG_UP"}),
    ("call", {"codec": "SPEEX"}),
    ("rtcp", {"leg": "c"}),
    ("message", {"status": "read"}),
    ("billing", {"event_type": "subscription_paused"}),
    ("campaign", {"outcome": "hung_up"}),
    ("agent", {"state": "busy"}),
    ("transcript", {"speaker": "narrator"}),
    # out-of-range numbers
    ("call", {"billsec": -1}),
    ("call", {"q850_code": 128}),
    ("call", {"sip_code": 99}),
    ("call", {"sip_code": 700}),
    ("call", {"queue_wait_sec": -0.5}),
    ("call", {"hold_sec": -3}),
    ("rtcp", {"ssrc": 2**32}),
    ("rtcp", {"ssrc": -1}),
    ("rtcp", {"cumulative_lost": -(2**23) - 1}),
    ("rtcp", {"cumulative_lost": -(2**23)}),
    ("rtcp", {"clock_rate_hz": 0}),
    ("rtcp", {"xr_mos_lq": 0.5}),
    ("rtcp", {"xr_mos_lq": 5}),
    ("rtcp", {"fraction_lost": 256}),
    ("billing", {"interval_count": 366}),
    ("billing", {"discount_percent": 120}),
    ("billing", {"quantity": -1}),
    ("campaign", {"attempt_number": 0}),
    ("transcript", {"confidence": 1.5}),
    ("transcript", {"start_offset_ms": -10}),
    ("transcript", {"segment_index": 2**63 - 1}),
    # timestamps
    ("call", {"occurred_at": "2024-05-01T10:00:00"}),
    ("call", {"occurred_at": "2024-05-01 10:00:30Z"}),
    ("call", {"occurred_at": "2024-05-01T10:00:30z"}),
    ("call", {"occurred_at": "2024-05-01T10:00:30.1234567Z"}),
    ("call", {"occurred_at": "2024-05-01T10:00:30.5+02:00"}),
    ("call", {"occurred_at": "2024-05-01T10:00:30-0130"}),
    ("call", {"occurred_at": "2024-02-30T10:00:30Z"}),
    ("call", {"occurred_at": "2024-05-01T23:59:60Z"}),
    ("call", {"occurred_at": "2024-05-01T24:00:00Z"}),
    ("call", {"occurred_at": 1714557630}),
    ("call", {"occurred_at": "2024-05-01"}),
    ("call", {"occurred_at": " 2024-05-01T10:00:30Z"}),
    ("call", {"start_at": "2024-05-01T12:00:00+02:00", "answer_at": "2024-05-01T06:00:05-04:00"}),
    ("billing", {"trial_end": "2024-05-01T10:00:00"}),
    # E.164 and other patterns
    ("call", {"from_number": "4155550123"}),
    ("call", {"to_number": "+0123456789"}),
    ("call", {"to_number": "+1415555012345678"}),
    ("call", {"to_number": "+14155550199\n"}),
    ("call", {"to_number": " +14155550199 "}),
    ("campaign", {"to_number": "555-0102"}),
    ("call", {"carrier_id": "ünï-carrier"}),
    ("call", {"carrier_id": "carrier²"}),
    ("call", {"carrier_id": "has space"}),
    ("call", {"carrier_id": ""}),
    ("call", {"carrier_id": "x" * 129}),
    ("call", {"carrier_id": "x" * 128}),
    ("call", {"carrier_id": "\u00a0carrier"}),
    ("agent", {"tenant_id": "Acme Corp"}),
    ("agent", {"event_id": ""}),
    ("agent", {"event_id": "has space"}),
    ("agent", {"event_id": "evt-1\n"}),
    ("call", {"currency": "usd"}),
    ("call", {"currency": "dollars"}),
    ("call", {"currency": "EU"}),
    ("transcript", {"language": "english"}),
    ("transcript", {"language": "pt-BR"}),
    ("transcript", {"text": ""}),
    ("transcript", {"text": "   "}),
    ("transcript", {"text": " padded text\u3000"}),
    ("transcript", {"text": "x" * 10_001}),
    ("message", {"error_code": ""}),
    ("message", {"error_code": "e" * 65}),
    ("message", {"from_address": "\x1c+14155550100"}),
    # UUIDs
    ("call", {"call_id": "8D3E6F2A-1B4C-4D5E-9F60-718293A4B5C6"}),
    ("call", {"call_id": "8d3e6f2a1b4c4d5e9f60718293a4b5c6"}),
    ("call", {"call_id": "{8d3e6f2a-1b4c-4d5e-9f60-718293a4b5c6}"}),
    ("call", {"call_id": "00000000-0000-0000-0000-000000000000"}),
    ("call", {"call_id": "not-a-uuid"}),
    # decimals
    ("call", {"cost": "-0.01"}),
    ("call", {"cost": "-0.0"}),
    ("call", {"cost": "0.1234567"}),
    ("call", {"cost": "1.0000000"}),
    ("call", {"cost": "1e2"}),
    ("call", {"cost": "1234567890123"}),
    ("call", {"cost": "123456789012.5"}),
    ("call", {"cost": 0.0125}),
    ("call", {"cost": 2}),
    ("call", {"cost": "NaN"}),
    ("call", {"cost": " 0.5"}),
    ("billing", {"amount": "-5"}),
    ("billing", {"event_type": "invoice_refunded", "invoice_id": "inv-9", "amount": "-49.00"}),
    # cross-field rules (timeline, shapes)
    ("call", {"end_at": "2024-05-01T09:59:59Z", "answer_at": ...}),
    ("call", {"answer_at": "2024-05-01T09:59:59Z", "billsec": 0}),
    ("call", {"answer_at": "2024-05-01T10:00:31Z", "billsec": 0}),
    ("call", {"billsec": 26}),
    ("call", {"billsec": 27}),
    ("call", {"answer_at": None, "billsec": 3}),
    ("call", {"answer_at": None, "billsec": 0}),
    ("message", {"channel": "email"}),
    ("message", {"to_address": "bob@example.com"}),
    ("message", {"status": "opened"}),
    ("message", {"channel": "email", "from_address": "a@x.example", "to_address": "b@y.example"}),
    ("billing", {"amount": ...}),
    ("billing", {"subscription_id": ...}),
    ("billing", {"event_type": "invoice_paid"}),
    ("billing", {"event_type": "dunning_step", "invoice_id": "inv-1"}),
    ("billing", {"period_start": "2024-05-01T00:00:00Z", "period_end": "2024-04-30T00:00:00Z"}),
    ("campaign", {"right_party_contact": False}),
    ("campaign", {"outcome": "voicemail", "disposition": ..., "converted": False}),
    ("campaign", BLOCKED_WITH_CALL),
    ("agent", {"state": "ready"}),
    ("agent", {"state": "on_call", "reason": ..., "call_id": CALL_ID}),
    ("agent", {"state": "ready", "reason": ..., "call_id": CALL_ID}),
    ("transcript", {"start_offset_ms": 5000, "end_offset_ms": 4999}),
    # unknown and missing fields, nulls, routing key
    ("call", {"colour": "blue"}),
    ("rtcp", {"leg": ...}),
    ("call", {"hangup_cause": ...}),
    ("call", {"end_at": ...}),
    ("message", {"provider": ...}),
    ("billing", {"customer_id": ...}),
    ("agent", {"event_id": ...}),
    ("transcript", {"text": None}),
    ("call", {"hold_sec": None, "currency": None, "schema_version": None}),
    ("call", {"family": "call"}),
    ("call", {"tenant_id": ...}),
    ("call", {"tenant_id": None}),
]


@pytest.mark.parametrize(("family", "changes"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_same_decision_and_reason_as_the_contract(family: str, changes: dict[str, Any]) -> None:
    assert_same_decisions(family, [event(family, **changes)])


def test_the_tenant_option_fills_missing_tenants_only() -> None:
    missing = call_record(1)
    del missing["tenant_id"]
    records = [missing, call_record(2, tenant_id=None), call_record(3, tenant_id="globex")]
    outcomes = assert_same_decisions("call", records, RecordOptions(tenant="acme"))
    assert [o.tenant_id for o in outcomes if not isinstance(o, str)] == ["acme", "acme", "globex"]
    # A tenant option that breaks the contract's pattern is the contract's to reject.
    assert_same_decisions("call", records, RecordOptions(tenant="Not A Slug"))


def test_contract_valid_forms_are_accepted_even_when_the_fast_path_declines() -> None:
    # Upper-case UUID, lower-case currency, padded number: valid, normalised by the contract.
    records = [
        call_record(1, call_id="8D3E6F2A-1B4C-4D5E-9F60-718293A4B5C6"),
        call_record(2, currency="eur"),
        call_record(3, from_number=" +14155550123 "),
    ]
    assert validate_fast("call", records).positions == []
    validated = validate_records("call", records, NO_OPTIONS)
    table = validated.table([0, 1, 2])
    assert table.column("call_id").to_pylist()[0] == "8d3e6f2a-1b4c-4d5e-9f60-718293a4b5c6"
    assert table.column("currency").to_pylist()[1] == "EUR"
    assert table.column("from_number").to_pylist()[2] == "+14155550123"


class RecordingDeadLetters(DeadLetterStore):
    """The real store, also keeping the letters it was given (in order)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.letters: list[DeadLetter] = []

    def write(self, batch_id: str, letters: Sequence[DeadLetter]) -> Path | None:
        self.letters.extend(letters)
        return super().write(batch_id, letters)


def test_mixed_batch_keeps_order_positions_and_reasons(tmp_path: Path) -> None:
    body: list[Any] = [
        call_record(0),
        call_record(1, billsec=-1),  # rejected
        call_record(2, currency="eur"),  # valid; only the contract vouches for it
        call_record(0),  # duplicate event_id
        "not an object",  # unparsable item
        call_record(4, direction="sideways"),  # rejected
        call_record(5, answer_at=None, billsec=0),
        call_record(6, colour="blue"),  # rejected
        call_record(7),
    ]
    sink = CollectingSink()
    deadletters = RecordingDeadLetters(tmp_path / "dead")
    result = ingest_records(
        read_objects(body, "http"), sink, deadletters, batch_id="b1", source="http", family="call"
    )
    counts = result.counts["call"]
    assert (counts.read, counts.accepted, counts.duplicates, counts.rejected) == (9, 4, 1, 4)
    table = sink.tables["call"]
    assert table.column("event_id").to_pylist() == [
        "call-000000", "call-000002", "call-000005", "call-000007"
    ]  # fmt: skip
    assert table.column("currency").to_pylist() == ["USD", "EUR", "USD", "USD"]
    # The very table the contract path builds for the accepted records, in input order.
    accepted = [body[i] for i in (0, 2, 6, 8)]
    events = [validate_record("call", prepare_record(r, "call", NO_OPTIONS)) for r in accepted]
    assert table.equals(events_to_table(events, model_for("call")))
    letters = deadletters.letters
    assert [letter.position.index for letter in letters] == [1, 4, 5, 7]
    assert [letter.reason for letter in letters] == [
        contract_outcome("call", body[1]),
        "expected a JSON object, got str",
        contract_outcome("call", body[5]),
        contract_outcome("call", body[7]),
    ]
    assert letters[0].reason.startswith("billsec: ")
    assert letters[2].reason.startswith("direction: ")
    assert letters[3].reason.startswith("colour: ")


def test_a_batch_arrow_refuses_goes_to_the_contract_whole() -> None:
    # A datetime object (a Python caller) passes msgspec but is not text for Arrow's parser:
    # the contract decides, and accepts it like any aware datetime.
    aware = datetime(2024, 5, 1, 10, 0, 30, tzinfo=UTC)
    records = [call_record(1), call_record(2, occurred_at=aware)]
    assert validate_fast("call", records).positions == []
    assert_same_decisions("call", records)


def test_an_odd_timestamp_leaves_only_its_own_record_to_the_contract() -> None:
    # Seven fraction digits: pydantic truncates to .123456, msgspec would round to .123457 and
    # Arrow refuses the text. The strict form check keeps it off the fast path, alone.
    records = [call_record(i) for i in range(5)]
    records[2]["occurred_at"] = "2024-05-01T10:00:30.1234567Z"
    assert validate_fast("call", records).positions == [0, 1, 3, 4]
    outcomes = assert_same_decisions("call", records)
    odd = outcomes[2]
    assert not isinstance(odd, str)
    assert odd.occurred_at == datetime(2024, 5, 1, 10, 0, 30, 123456, tzinfo=UTC)


def test_ints_arrow_cannot_store_are_not_vouched_for() -> None:
    # The contract accepts any int; the lake stores int64. Such a record stays on the contract
    # path (which fails to store it, as it always did) instead of being vouched for.
    too_big = event("transcript", segment_index=2**63)
    assert validate_fast("transcript", [too_big]).positions == []
    assert validate_fast("transcript", [event("transcript")]).positions == [0]


def test_unsupported_constraints_are_refused_not_ignored() -> None:
    class Odd(EventBase):
        family = "odd"
        count: int = Field(multiple_of=3)

    info = Odd.model_fields["count"]
    with pytest.raises(UnsupportedContractError):
        _derive_field("count", info, pa.int64(), strip=True)


def test_raw_record_wrapping_is_not_copied_or_changed() -> None:
    record = call_record(1)
    snapshot = copy.deepcopy(record)
    (raw,) = list(read_objects([record], "http"))
    assert isinstance(raw, RawRecord)
    validate_records("call", [raw.record], NO_OPTIONS)  # type: ignore[list-item]
    assert record == snapshot


# --- the bytes path: a JSON array body vouched for whole (validate_json_array) -----------------


def assert_vouched_like_the_contract(
    family: str, records: list[dict[str, Any]], tenant: str = "acme"
) -> FastBatch | None:
    """``validate_json_array`` on the records' JSON body vouches only when the contract accepts
    every record as the tenant's, each event id once; then its table is the contract's."""
    vouched = validate_json_array(family, orjson.dumps(records), tenant)
    options = RecordOptions(tenant=tenant)
    outcomes = [contract_outcome(family, record, options) for record in records]
    events = [outcome for outcome in outcomes if not isinstance(outcome, str)]
    whole = (
        len(events) == len(records)
        and all(event.tenant_id == tenant for event in events)
        and len({event.event_id for event in events}) == len(events)
    )
    if not whole:
        assert vouched is None, (records, outcomes)
    elif vouched is not None:
        assert vouched.positions == list(range(len(records)))
        assert vouched.event_ids == [event.event_id for event in events]
        assert vouched.table.equals(events_to_table(events, model_for(family)))
    return vouched


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_json_bodies_of_simulator_output_are_vouched_for_whole(
    family: str, simulated: dict[str, list[dict[str, Any]]]
) -> None:
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    for record in simulated[family]:
        by_tenant.setdefault(record["tenant_id"], []).append(record)
    assert len(by_tenant) == 2
    for tenant, records in by_tenant.items():
        vouched = assert_vouched_like_the_contract(family, records, tenant)
        assert vouched is not None  # the bytes path really built the table checked above


@pytest.mark.parametrize(("family", "changes"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_json_body_is_vouched_only_when_the_contract_accepts_it(
    family: str, changes: dict[str, Any]
) -> None:
    # The odd record between two good ones: one odd record keeps the whole body off the bytes
    # path (the records path then gives each its own decision).
    first, odd, last = event(family), event(family, **changes), event(family)
    first["event_id"] = f"{first['event_id']}-1"
    last["event_id"] = f"{last['event_id']}-3"
    assert_vouched_like_the_contract(family, [first, odd, last])


def test_json_bodies_the_bytes_path_leaves_to_the_records_path() -> None:
    calls = [call_record(1), call_record(2)]
    assert validate_json_array("call", orjson.dumps(calls), "acme") is not None
    # another tenant's event, a repeated event id, not an array, no events, not JSON, a decimal
    # sent as a JSON number (the records path leaves it to the contract too)
    assert validate_json_array("call", orjson.dumps(calls), "globex") is None
    assert validate_json_array("call", orjson.dumps([calls[0], calls[0]]), "acme") is None
    assert validate_json_array("call", orjson.dumps(calls[0]), "acme") is None
    assert validate_json_array("call", b"[]", "acme") is None
    assert validate_json_array("call", b'[{"event_id": "x"', "acme") is None
    assert validate_json_array("call", orjson.dumps([call_record(3, cost=0.5)]), "acme") is None
    # A missing tenant is the key's, as the records path fills it.
    missing = call_record(4)
    del missing["tenant_id"]
    vouched = assert_vouched_like_the_contract("call", [missing, call_record(5)])
    assert vouched is not None
    assert vouched.table.column("tenant_id").to_pylist() == ["acme", "acme"]


def test_a_vouched_body_is_stored_as_its_records_would_be(tmp_path: Path) -> None:
    calls = [call_record(i) for i in range(4)]
    body = orjson.dumps(calls)
    vouched = validate_json_array("call", body, "acme")
    assert vouched is not None
    results = []
    for name, records in (("bytes", vouched), ("records", list(read_objects(calls, "http")))):
        sink = CollectingSink()
        result = ingest_tenant_batch(
            records,
            family="call",
            tenant="acme",
            batch_id="b1",
            source="http",
            sink=sink,
            deadletters=DeadLetterStore(tmp_path / name),
        )
        results.append((result.counts, result.rejections, sink.tables))
    assert results[0][0] == results[1][0]
    assert (results[0][0].accepted, results[0][0].rejected) == (4, 0)
    assert results[0][1] == results[1][1] == []
    assert sorted(results[0][2]) == sorted(results[1][2]) == sorted(FAMILIES)
    for family in FAMILIES:
        assert results[0][2][family].equals(results[1][2][family]), family
