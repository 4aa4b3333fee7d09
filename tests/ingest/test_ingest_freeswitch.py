"""FreeSWITCH JSON CDR → call contract, checked against values worked out from the samples."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from ingest_test_support import FS_INBOUND, FS_INTERNAL_NDJSON, FS_OUTBOUND_NATIONAL

from ingest import (
    FreeSwitchMappingError,
    NumberFormatError,
    freeswitch_cdr_to_call,
    is_freeswitch_cdr,
    to_e164,
    validate_record,
)
from ingest.contracts import CallRecord


def _load(path: Any) -> dict[str, Any]:
    return orjson.loads(path.read_bytes())


def _ndjson(path: Any) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _call(cdr: dict[str, Any], **options: Any) -> CallRecord:
    event = validate_record("call", freeswitch_cdr_to_call(cdr, **options))
    assert isinstance(event, CallRecord)
    return event


def test_inbound_answered_cdr_from_a_carrier() -> None:
    call = _call(_load(FS_INBOUND))
    assert call.event_id == "6f1c2a9e-3b7d-4e21-9c55-0a8f4b2d7e13"
    assert str(call.call_id) == call.event_id
    assert call.tenant_id == "acme-support"  # irisx_tenant_id channel variable
    assert call.direction.value == "inbound"  # received from the carrier gateway
    # URL-encoded values are decoded; the original dialled number is profile_index 1.
    assert call.from_number == "+14155550142"
    assert call.to_number == "+18005550199"
    # start_uepoch / answer_uepoch / end_uepoch, microseconds kept.
    assert call.start_at == datetime(2024, 5, 14, 9, 30, 0, 250000, tzinfo=UTC)
    assert call.answer_at == datetime(2024, 5, 14, 9, 30, 4, 750000, tzinfo=UTC)
    assert call.end_at == datetime(2024, 5, 14, 9, 32, 31, 750000, tzinfo=UTC)
    assert call.occurred_at == call.end_at
    assert call.billsec == 147
    assert call.hangup_cause.value == "NORMAL_CLEARING"
    assert call.q850_code == 16
    assert call.sip_code == 200
    assert call.carrier_id == "telnyx-us-east"
    assert call.customer_id == "cust-0042"
    assert call.codec is not None
    assert call.codec.value == "PCMU"
    assert call.queue_id == "support@default"
    assert call.agent_id == "agent-1007"
    assert call.queue_wait_sec == 18.0  # 1715679023 - 1715679005
    assert call.hold_sec == 12
    assert call.pdd_ms is None  # progressmsec 0: no early response on an inbound leg


def test_outbound_unanswered_cdr_with_national_numbers() -> None:
    call = _call(_load(FS_OUTBOUND_NATIONAL), tenant="acme", default_country_code=1)
    assert call.tenant_id == "acme"  # no irisx_tenant_id variable: the option
    assert call.direction.value == "outbound"  # the switch sent it to the carrier
    assert call.from_number == "+14155550100"
    assert call.to_number == "+12125550187"
    assert call.answer_at is None  # answer_epoch 0
    assert call.billsec == 0
    assert call.end_at == datetime(2024, 5, 14, 13, 5, 40, 500000, tzinfo=UTC)
    assert call.hangup_cause.value == "NO_ANSWER"
    assert call.q850_code == 19
    assert call.sip_code == 480  # from proto_specific_hangup_cause "sip:480"
    assert call.pdd_ms == 2300
    assert call.carrier_id == "bandwidth-1"
    assert call.customer_id == "cust-7"  # accountcode
    assert call.codec is not None
    assert call.codec.value == "G729"


def test_national_numbers_without_a_country_code_are_rejected_naming_the_field() -> None:
    with pytest.raises(FreeSwitchMappingError, match=r"^from_number: '4155550100' is not E\.164"):
        freeswitch_cdr_to_call(_load(FS_OUTBOUND_NATIONAL), tenant="acme")


def test_missing_tenant_is_rejected_naming_the_field() -> None:
    with pytest.raises(FreeSwitchMappingError, match=r"^tenant_id: no irisx_tenant_id"):
        freeswitch_cdr_to_call(_load(FS_OUTBOUND_NATIONAL), default_country_code=1)


def test_phone_leg_is_flipped_to_the_tenant_view_and_uses_the_public_caller_id() -> None:
    first, extension_call = _ndjson(FS_INTERNAL_NDJSON)
    call = _call(first)
    # FreeSWITCH saw an inbound leg from a registered phone: the tenant placed an outbound call.
    assert call.direction.value == "outbound"
    # caller_id_number is the extension "1001"; effective_caller_id_number is the public number.
    assert call.from_number == "+13125550111"
    assert call.to_number == "+442079460123"
    assert call.billsec == 459
    assert call.codec is not None
    assert call.codec.value == "G722"
    assert call.pdd_ms == 1850
    with pytest.raises(FreeSwitchMappingError, match=r"^from_number: '1001' is an extension"):
        freeswitch_cdr_to_call(extension_call)


def test_seconds_epochs_are_used_without_microsecond_ones() -> None:
    cdr = _load(FS_INBOUND)
    for name in ("start_uepoch", "answer_uepoch", "end_uepoch"):
        del cdr["variables"][name]
    call = _call(cdr)
    assert call.start_at == datetime(2024, 5, 14, 9, 30, 0, tzinfo=UTC)
    assert call.answer_at == datetime(2024, 5, 14, 9, 30, 4, tzinfo=UTC)
    assert call.end_at == datetime(2024, 5, 14, 9, 32, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"irisx_direction": "internal"}, "internal"),
        ({"sip_gateway_name": None, "sofia_profile_name": "internal"}, "outbound"),
        (
            {"sip_gateway_name": None, "sofia_profile_name": "lan", "direction": "outbound"},
            "outbound",
        ),
    ],
)
def test_direction_rules(changes: dict[str, Any], expected: str) -> None:
    cdr = _load(FS_INBOUND)
    for name, value in changes.items():
        if value is None:
            cdr["variables"].pop(name, None)
        else:
            cdr["variables"][name] = value
    assert _call(cdr).direction.value == expected


def test_bad_irisx_direction_is_rejected() -> None:
    cdr = _load(FS_INBOUND)
    cdr["variables"]["irisx_direction"] = "sideways"
    with pytest.raises(FreeSwitchMappingError, match=r"^direction: irisx_direction 'sideways'"):
        freeswitch_cdr_to_call(cdr)


def test_unknown_codec_leaves_codec_empty_but_keeps_the_call() -> None:
    cdr = _load(FS_INBOUND)
    for name in ("read_codec", "write_codec", "rtp_use_codec_name"):
        cdr["variables"][name] = "SPEEX"
    assert _call(cdr).codec is None


def test_the_contract_still_judges_the_mapped_record() -> None:
    cdr = _load(FS_INBOUND)
    cdr["variables"]["billsec"] = "400"  # more than answer-to-end (147 s)
    with pytest.raises(ValueError, match=r"^billsec: 400s exceeds"):
        _call(cdr)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("uuid", "^call_id: "),
        ("hangup_cause", "^hangup_cause: "),
        ("end_epoch", "^end_at: "),
    ],
)
def test_missing_essentials_name_the_field(missing: str, message: str) -> None:
    cdr = copy.deepcopy(_load(FS_INBOUND))
    variables = cdr["variables"]
    del variables[missing]
    if missing == "uuid":
        del variables["call_uuid"]
        for flow in cdr["callflow"]:
            del flow["caller_profile"]["uuid"]
    if missing == "end_epoch":
        del variables["end_uepoch"]
    with pytest.raises(FreeSwitchMappingError, match=message):
        freeswitch_cdr_to_call(cdr)


def test_shape_detection() -> None:
    assert is_freeswitch_cdr(_load(FS_INBOUND))
    assert is_freeswitch_cdr({"variables": {}, "channel_data": {}})
    assert not is_freeswitch_cdr({"variables": {}})
    assert not is_freeswitch_cdr({"event_id": "x", "callflow": []})


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("+14155550123", None, "+14155550123"),
        ("+1 (415) 555-0123", None, "+14155550123"),
        ("004420794601 23", None, "+442079460123"),
        ("4155550123", 1, "+14155550123"),
        ("14155550123", 1, "+14155550123"),
        ("011442079460123", 1, "+442079460123"),
        ("02079460123", 44, "+442079460123"),
        ("00442079460123", 44, "+442079460123"),
    ],
)
def test_to_e164(value: str, country: int | None, expected: str) -> None:
    assert to_e164(value, country) == expected


@pytest.mark.parametrize(
    ("value", "country", "message"),
    [
        ("4155550123", None, "not E.164"),
        ("415555012", 1, "10-digit North American"),
        ("1001", 44, "extension"),
        ("sip:alice", 1, "not a phone number"),
    ],
)
def test_to_e164_refusals(value: str, country: int | None, message: str) -> None:
    with pytest.raises(NumberFormatError, match=message):
        to_e164(value, country)
