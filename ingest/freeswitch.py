"""FreeSWITCH JSON CDR (``mod_json_cdr`` / ``mod_format_cdr`` JSON) → ``call`` contract fields.

A CDR is one JSON object per call leg, written at hang-up::

    {"core-uuid": ..., "switchname": ...,
     "channel_data": {"state": "CS_REPORTING", "direction": "inbound", ...},
     "variables": {"uuid": ..., "start_uepoch": ..., "hangup_cause": ..., ...},   # all strings
     "app_log": {...},
     "callflow": {"caller_profile": {"caller_id_number": ..., "destination_number": ...}, ...}}

``callflow`` is one object in older releases and a list (one entry per caller profile, e.g. after
a transfer) in newer ones; we take the profile with the lowest ``profile_index``: the number as
originally dialled. Values may be URL-encoded (``encode-values``, on by default), so the values we
read are URL-decoded.

Mapping (first present wins):

=============  ==========================================================================
call field     FreeSWITCH source
=============  ==========================================================================
call_id        ``variables.uuid``, ``variables.call_uuid``, ``caller_profile.uuid``
event_id       the same uuid: the same CDR posted twice is one event (a bridged call's two
               legs have different uuids and stay two records: the contract is per leg)
tenant_id      channel variable ``irisx_tenant_id``, else the ``tenant`` option
start_at       ``start_uepoch`` (µs), ``start_epoch`` (s)
answer_at      ``answer_uepoch``, ``answer_epoch``; 0 means never answered
end_at         ``end_uepoch``, ``end_epoch``; also ``occurred_at`` (when the CDR was written)
billsec        ``billsec``
hangup_cause   ``hangup_cause``; ``q850_code`` from ``hangup_cause_q850``
sip_code       ``sip_term_status``, else the code in ``proto_specific_hangup_cause``
               (``sip:487``) or ``last_bridge_proto_specific_hangup_cause``
from_number    the first of ``caller_profile.caller_id_number``, ``caller_id_number``,
               ``effective_caller_id_number`` that is a phone number (a phone's leg often
               has its extension as caller id and the public number as effective caller id)
to_number      ``caller_profile.destination_number``, ``destination_number`` (same rule)
codec          ``read_codec``, ``rtp_use_codec_name``, ``write_codec`` (codecs the contract
               does not know, e.g. SPEEX, leave it null: the call itself is still valid)
carrier_id     ``irisx_carrier_id``, ``sip_gateway_name``, ``sip_gateway``
customer_id    ``irisx_customer_id``, ``accountcode``
queue_id       ``irisx_queue_id``, ``cc_queue`` (mod_callcenter); ``agent_id`` likewise
               from ``irisx_agent_id``, ``cc_agent``; ``queue_wait_sec`` from
               ``cc_queue_joined_epoch`` to ``cc_queue_answered_epoch``/``_canceled_epoch``
campaign_id    ``irisx_campaign_id``; likewise ``route_id``, ``trunk_id``
hold_sec       ``hold_accum_seconds``
pdd_ms         ``progressmsec``, else ``progress_mediamsec`` (0 = no early response)
=============  ==========================================================================

Direction. FreeSWITCH's ``direction`` is the switch's view of the leg: ``inbound`` = the switch
received the INVITE, ``outbound`` = the switch sent it. IRISX's direction is the tenant's view
(``inbound`` = from the public network to the tenant, ``outbound`` = from the tenant to it):

1. a channel variable ``irisx_direction`` (inbound/outbound/internal) wins;
2. a leg facing a carrier (``sip_gateway_name`` set, or the ``external`` Sofia profile) keeps
   FreeSWITCH's direction: a call received from a carrier is inbound, one sent to it outbound;
3. a leg facing the tenant's own phones (an authenticated user: ``sip_authorized=true`` or
   ``user_name`` set, or the ``internal`` Sofia profile) is flipped: a phone placing a call through
   the switch is an outbound call, the switch ringing a phone delivers an inbound one;
4. otherwise FreeSWITCH's direction is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from ingest.contracts import Codec
from ingest.numbers import NumberFormatError, to_e164

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CODECS = {codec.value: codec.value for codec in Codec} | {"G7231": Codec.G723.value}
_DIRECTIONS = frozenset({"inbound", "outbound", "internal"})


class FreeSwitchMappingError(ValueError):
    """The CDR lacks something the call contract needs; the message names the field."""


def is_freeswitch_cdr(record: Mapping[str, Any]) -> bool:
    """The shape of a FreeSWITCH JSON CDR: ``variables`` plus ``callflow`` or ``channel_data``."""
    return isinstance(record.get("variables"), Mapping) and (
        "callflow" in record or "channel_data" in record
    )


def _text(value: Any) -> str | None:
    """A CDR value as text: URL-decoded, None when absent or empty."""
    if value is None:
        return None
    text = unquote(value) if isinstance(value, str) and "%" in value else str(value)
    text = text.strip()
    return text or None


def _caller_profile(cdr: Mapping[str, Any]) -> Mapping[str, Any]:
    callflow = cdr.get("callflow")
    if isinstance(callflow, list):
        flows = [flow for flow in callflow if isinstance(flow, Mapping)]

        def index(flow: Mapping[str, Any]) -> int:
            try:
                return int(flow.get("profile_index", 0))
            except (TypeError, ValueError):
                return 0

        callflow = min(flows, key=index) if flows else None
    if isinstance(callflow, Mapping):
        profile = callflow.get("caller_profile")
        if isinstance(profile, Mapping):
            return profile
    return {}


class _Cdr:
    """Typed look-ups over one CDR's variables and caller profile."""

    def __init__(self, cdr: Mapping[str, Any]) -> None:
        variables = cdr.get("variables")
        self.variables: Mapping[str, Any] = variables if isinstance(variables, Mapping) else {}
        channel_data = cdr.get("channel_data")
        self.channel_data: Mapping[str, Any] = (
            channel_data if isinstance(channel_data, Mapping) else {}
        )
        self.profile = _caller_profile(cdr)

    def var(self, *names: str) -> str | None:
        for name in names:
            value = _text(self.variables.get(name))
            if value is not None:
                return value
        return None

    def profile_value(self, name: str) -> str | None:
        return _text(self.profile.get(name))

    def integer(self, name: str) -> int | None:
        value = self.var(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise FreeSwitchMappingError(f"variables.{name}: {value!r} is not an integer") from None

    def time(self, field: str, stem: str) -> datetime | None:
        """``<stem>_uepoch`` (µs) or ``<stem>_epoch`` (s); 0 (never happened) gives None."""
        micros = self.integer(f"{stem}_uepoch")
        if micros is None:
            seconds = self.integer(f"{stem}_epoch")
            micros = None if seconds is None else seconds * 1_000_000
        if micros is None or micros == 0:
            return None
        if micros < 0:
            raise FreeSwitchMappingError(f"{field}: variables.{stem}_epoch is negative")
        return _EPOCH + timedelta(microseconds=micros)


def _direction(cdr: _Cdr) -> str:
    explicit = cdr.var("irisx_direction")
    if explicit is not None:
        if explicit.lower() not in _DIRECTIONS:
            raise FreeSwitchMappingError(
                f"direction: irisx_direction {explicit!r} is not inbound, outbound or internal"
            )
        return explicit.lower()
    switch_view = (cdr.var("direction") or _text(cdr.channel_data.get("direction")) or "").lower()
    if switch_view not in ("inbound", "outbound"):
        raise FreeSwitchMappingError(
            f"direction: FreeSWITCH direction {switch_view or None!r} is not inbound or outbound"
        )
    profile = (cdr.var("sofia_profile_name") or "").lower()
    if cdr.var("sip_gateway_name") is not None or profile == "external":
        return switch_view
    faces_user = (
        (cdr.var("sip_authorized") or "").lower() == "true"
        or cdr.var("user_name") is not None
        or profile == "internal"
    )
    if faces_user:
        return "outbound" if switch_view == "inbound" else "inbound"
    return switch_view


def _sip_code(cdr: _Cdr) -> int | None:
    status = cdr.var("sip_term_status")
    if status is not None and status.isdigit():
        return int(status)
    for name in ("proto_specific_hangup_cause", "last_bridge_proto_specific_hangup_cause"):
        cause = cdr.var(name)
        if cause is not None and cause.startswith("sip:") and cause[4:].isdigit():
            return int(cause[4:])
    return None


def _codec(cdr: _Cdr) -> str | None:
    for name in ("read_codec", "rtp_use_codec_name", "write_codec"):
        value = cdr.var(name)
        if value is not None:
            return _CODECS.get(value.upper())
    return None


def _number(field: str, candidates: list[str | None], default_country_code: int | None) -> str:
    """The first candidate that is (or normalises to) E.164; else the first one's problem."""
    present = [value for value in candidates if value is not None]
    if not present:
        raise FreeSwitchMappingError(f"{field}: the CDR has no number for it")
    problems = []
    for value in present:
        try:
            return to_e164(value, default_country_code)
        except NumberFormatError as exc:
            problems.append(str(exc))
    raise FreeSwitchMappingError(f"{field}: {problems[0]}")


def _queue_wait(cdr: _Cdr) -> float | None:
    joined = cdr.integer("cc_queue_joined_epoch")
    left = cdr.integer("cc_queue_answered_epoch") or cdr.integer("cc_queue_canceled_epoch")
    if not joined or not left:
        return None
    return float(left - joined)


def _positive(value: int | None) -> int | None:
    return value if value else None


def freeswitch_cdr_to_call(
    cdr: Mapping[str, Any],
    *,
    tenant: str | None = None,
    default_country_code: int | None = None,
) -> dict[str, Any]:
    """The ``call`` contract fields of one FreeSWITCH JSON CDR (not yet validated).

    Raises :class:`FreeSwitchMappingError` naming the field when something needed is missing.
    """
    if not is_freeswitch_cdr(cdr):
        raise FreeSwitchMappingError("variables: not a FreeSWITCH JSON CDR")
    fs = _Cdr(cdr)
    call_uuid = fs.var("uuid", "call_uuid") or fs.profile_value("uuid")
    if call_uuid is None:
        raise FreeSwitchMappingError("call_id: the CDR has no variables.uuid or call_uuid")
    tenant_id = fs.var("irisx_tenant_id") or tenant
    if tenant_id is None:
        raise FreeSwitchMappingError(
            "tenant_id: no irisx_tenant_id channel variable and no tenant option given"
        )
    start_at = fs.time("start_at", "start")
    end_at = fs.time("end_at", "end")
    if start_at is None:
        raise FreeSwitchMappingError("start_at: the CDR has no start_epoch/start_uepoch")
    if end_at is None:
        raise FreeSwitchMappingError("end_at: the CDR has no end_epoch/end_uepoch")
    answer_at = fs.time("answer_at", "answer")
    hangup_cause = fs.var("hangup_cause")
    if hangup_cause is None:
        raise FreeSwitchMappingError("hangup_cause: the CDR has no variables.hangup_cause")
    billsec = fs.integer("billsec")
    if billsec is None:
        billsec = 0 if answer_at is None else int((end_at - answer_at).total_seconds())

    callers = [
        fs.profile_value("caller_id_number"),
        fs.var("caller_id_number"),
        fs.var("effective_caller_id_number"),
    ]
    callees = [fs.profile_value("destination_number"), fs.var("destination_number")]
    optional: dict[str, Callable[[], Any]] = {
        "q850_code": lambda: fs.integer("hangup_cause_q850"),
        "sip_code": lambda: _sip_code(fs),
        "codec": lambda: _codec(fs),
        "carrier_id": lambda: fs.var("irisx_carrier_id", "sip_gateway_name", "sip_gateway"),
        "customer_id": lambda: fs.var("irisx_customer_id", "accountcode"),
        "trunk_id": lambda: fs.var("irisx_trunk_id"),
        "route_id": lambda: fs.var("irisx_route_id"),
        "queue_id": lambda: fs.var("irisx_queue_id", "cc_queue"),
        "agent_id": lambda: fs.var("irisx_agent_id", "cc_agent"),
        "campaign_id": lambda: fs.var("irisx_campaign_id"),
        "queue_wait_sec": lambda: _queue_wait(fs),
        "hold_sec": lambda: fs.integer("hold_accum_seconds"),
        "pdd_ms": lambda: (
            _positive(fs.integer("progressmsec")) or _positive(fs.integer("progress_mediamsec"))
        ),
    }
    call: dict[str, Any] = {
        "event_id": call_uuid,
        "tenant_id": tenant_id,
        "occurred_at": end_at,
        "call_id": call_uuid,
        "direction": _direction(fs),
        "from_number": _number("from_number", callers, default_country_code),
        "to_number": _number("to_number", callees, default_country_code),
        "start_at": start_at,
        "answer_at": answer_at,
        "end_at": end_at,
        "billsec": billsec,
        "hangup_cause": hangup_cause,
    }
    for field, read in optional.items():
        value = read()
        if value is not None:
            call[field] = value
    return call
