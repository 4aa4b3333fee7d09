"""Validation through the contracts, and the columnar path from validated events to Arrow.

The pydantic contracts in ``ingest.contracts`` are the single source of truth: every record is
validated once by its family's model. Rejections carry one reason naming the field(s), formatted
as ``"field: message; field: message"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pyarrow as pa
from pydantic import ValidationError

from ingest.contracts import EventBase, arrow_schema, model_for, models_to_table
from ingest.families import FAMILY_KEY
from ingest.freeswitch import FreeSwitchMappingError, freeswitch_cdr_to_call, is_freeswitch_cdr
from ingest.numbers import NumberFormatError, to_e164

#: Phone-number fields that ``default_country_code`` may normalise, per family.
PHONE_FIELDS: dict[str, tuple[str, ...]] = {
    "call": ("from_number", "to_number"),
    "campaign": ("to_number",),
}

_VALUE_ERROR_PREFIX = "Value error, "


class RecordRejectedError(ValueError):
    """A record that does not enter the lake; ``str(exc)`` is the reason (names the field)."""


@dataclass(frozen=True, slots=True)
class RecordOptions:
    """Defaults applied to records before validation.

    ``tenant`` fills ``tenant_id`` where a record has none (and is the tenant of FreeSWITCH CDRs
    without an ``irisx_tenant_id`` variable); ``default_country_code`` turns national numbers in
    :data:`PHONE_FIELDS` into E.164.
    """

    tenant: str | None = None
    default_country_code: int | None = None


def format_validation_error(error: ValidationError) -> str:
    """``"field: message; ..."`` from a pydantic error (model-level errors already name theirs)."""
    parts = []
    for item in error.errors(include_url=False):
        message = item["msg"]
        if message.startswith(_VALUE_ERROR_PREFIX):
            message = message[len(_VALUE_ERROR_PREFIX) :]
        location = ".".join(str(part) for part in item["loc"])
        parts.append(f"{location}: {message}" if location else message)
    return "; ".join(parts)


def prepare_record(
    record: Mapping[str, Any], family: str, options: RecordOptions
) -> dict[str, Any]:
    """The contract input for ``record``: routing key removed, nulls dropped (so that contract
    defaults apply: a CSV cell or Parquet null means "not given"), FreeSWITCH CDRs mapped,
    defaults filled. Never mutates ``record`` (it is kept as received for the dead-letter store).
    """
    if is_freeswitch_cdr(record):
        if family != "call":
            raise RecordRejectedError(f"family: a FreeSWITCH CDR is a call record, not {family!r}")
        try:
            return freeswitch_cdr_to_call(
                record, tenant=options.tenant, default_country_code=options.default_country_code
            )
        except FreeSwitchMappingError as exc:
            raise RecordRejectedError(str(exc)) from None
    prepared = {
        key: value for key, value in record.items() if value is not None and key != FAMILY_KEY
    }
    if options.tenant is not None and "tenant_id" not in prepared:
        prepared["tenant_id"] = options.tenant
    if options.default_country_code is not None:
        for field in PHONE_FIELDS.get(family, ()):
            value = prepared.get(field)
            if isinstance(value, str) and not value.strip().startswith("+"):
                try:
                    prepared[field] = to_e164(value, options.default_country_code)
                except NumberFormatError as exc:
                    raise RecordRejectedError(f"{field}: {exc}") from None
    return prepared


def validate_record(family: str, prepared: Mapping[str, Any]) -> EventBase:
    """The validated event, or :class:`RecordRejectedError` with the formatted reason."""
    try:
        return model_for(family).model_validate(prepared)
    except ValidationError as exc:
        raise RecordRejectedError(format_validation_error(exc)) from None


def events_to_table(events: Sequence[EventBase], model: type[EventBase]) -> pa.Table:
    """Validated events as an Arrow table in the lake schema, built column by column.

    Yields the same table as ``ingest.contracts.models_to_table`` (a test checks it) about twice
    as fast: it transposes the events' field values instead of ``model_dump``-ing rows.
    """
    schema = arrow_schema(model)
    if not events:
        return schema.empty_table()
    # Pydantic keeps field values in __dict__, in field order (= schema order, checked here).
    if tuple(events[0].__dict__) != tuple(schema.names):
        return models_to_table(events, model)
    columns = zip(*(tuple(event.__dict__.values()) for event in events), strict=True)
    arrays = []
    for field, values in zip(schema, columns, strict=True):
        if pa.types.is_string(field.type):
            # StrEnum members are str; UUIDs are not and are stored in their canonical text form.
            values = tuple(str(v) if isinstance(v, UUID) else v for v in values)
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)
