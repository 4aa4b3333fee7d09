"""Fast edge validation: many records of one family to the contract's Arrow table at once.

The pydantic contracts stay the single source of truth. From each contract model this module
derives, once per family:

* a msgspec ``Struct`` that type-checks a record in C: field names, required/optional, closed
  enums (as ``Literal`` values), int/float bounds (``ge``/``le``/``gt``), bools, tz-aware
  datetimes, Decimals, no unknown fields;
* column checks run in Arrow (RE2) over the whole batch: the contract's string patterns and
  lengths, strict RFC 3339 timestamps, plain decimal text, canonical UUIDs, no surrounding
  whitespace (the contract strips it; the fast path only vouches for text that is already
  stripped).

Cross-field rules and derived defaults come from the contract itself
(:meth:`ingest.contracts.EventBase.cross_field_rules`), called per record on the decoded Struct.

The fast path only *vouches*: a record it accepts is one the contract accepts with the very
same values (the equivalence tests hold it to that). Anything else — a failed check, a form the
fast path does not know (lower-case currency, ``"25"`` for an int, a naive timestamp, a
FreeSWITCH CDR) — is left to the contract model, which then accepts it or gives the exact
rejection reason. Decisions and reasons are therefore the contract's by construction.

Why these choices (measured on a 2-core machine, 1,000 simulated call records): msgspec
pattern checks call Python's ``re`` once per value (~0.4 µs each), RE2 over a column is ~10x
cheaper; Arrow builds timestamp and decimal columns from text ~5x faster than from Python
``datetime``/``Decimal`` objects.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Annotated, Any, Literal
from uuid import UUID

import annotated_types
import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import AfterValidator, AwareDatetime, StringConstraints
from pydantic.fields import FieldInfo

from ingest.contracts import EventBase, arrow_schema, model_for
from ingest.contracts.common import to_utc
from ingest.families import FAMILY_KEY

#: Characters Python's ``str.isspace`` accepts (a superset of what the contract's stripping
#: removes), as an RE2 class: text starting or ending with one of them is left to the contract.
_SPACE = r"\t-\r\x1c- \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_STRIPPED = rf"^[^{_SPACE}](?s:.*[^{_SPACE}])?$"
#: RFC 3339 with an explicit offset (``+HHMM`` too: the Parquet reader writes it), the form
#: every parser involved (msgspec, Arrow, pydantic) reads the same way.
_TIMESTAMP = (
    r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])$"
)
#: The text ``str(UUID(...))`` gives back unchanged.
_CANONICAL_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
#: ASCII without lower-case letters: text that upper-casing leaves unchanged.
_UPPER_ASCII = r"^[\x00-\x60\x7b-\x7f]*$"

#: Arrow stores ints as int64: larger ones are left to the contract (as they were before).
_INT64_BOUNDS = {"ge": -(2**63), "le": 2**63 - 1}


class UnsupportedContractError(TypeError):
    """A contract uses a constraint the fast path cannot derive (so it would be ignored)."""


@dataclass(frozen=True, slots=True)
class _Field:
    """How one contract field is decoded, checked and stored."""

    name: str
    arrow_type: pa.DataType
    #: The record's own text is what Arrow parses (timestamps, decimals).
    from_text: bool
    #: RE2 patterns the text must match (on the decoded value, or the raw text if from_text).
    patterns: tuple[str, ...]
    min_length: int | None
    max_length: int | None
    #: None is not acceptable here after defaults and the tenant option are applied.
    required: bool


@dataclass(frozen=True, slots=True)
class FastContract:
    """What the fast path derived from one family's contract model."""

    model: type[EventBase]
    struct: type[msgspec.Struct]
    fields: tuple[_Field, ...]
    schema: pa.Schema
    #: A JSON array body straight to ``struct`` values (no dicts in between).
    json_decoder: msgspec.json.Decoder[list[Any]]
    #: The same body to the text of the fields Arrow parses (``from_text``), nothing else.
    text_decoder: msgspec.json.Decoder[list[Any]]


def _unwrap(annotation: object) -> tuple[object, list[object], bool]:
    """(base type, constraint metadata, nullable) of a field annotation."""
    metadata: list[object] = []
    nullable = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = typing.get_args(annotation)
            for item in extra:
                # Field(...) inside Annotated (Money) carries its constraints as metadata.
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                raise UnsupportedContractError(f"union {annotation!r}")
            nullable = True
            annotation = args[0]
        else:
            return annotation, metadata, nullable


def _never_matches_space(pattern: str) -> bool:
    """True when ``pattern`` provably matches no whitespace character (then text it matches
    needs no separate strip check): every atom is a non-space literal, a range without space, or
    RE2's ASCII ``\\w``/``\\d``. Anything this does not understand counts as "may match"."""
    from re import _constants as c  # type: ignore[attr-defined]  # the stdlib's own parser
    from re import _parser

    def safe(items: object) -> bool:
        for op, arg in items:  # type: ignore[attr-defined]
            if op is c.LITERAL:
                ok = not chr(arg).isspace()
            elif op is c.RANGE:
                low, high = arg
                ok = high - low < 1024 and not any(chr(x).isspace() for x in range(low, high + 1))
            elif op is c.CATEGORY:
                ok = arg in (c.CATEGORY_WORD, c.CATEGORY_DIGIT)
            elif op is c.IN:
                ok = safe(arg)
            elif op is c.AT:
                ok = True
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
                ok = safe(arg[2])
            elif op is c.SUBPATTERN:
                ok = safe(arg[3])
            elif op is c.BRANCH:
                ok = all(safe(branch) for branch in arg[1])
            else:
                ok = False
            if not ok:
                return False
        return True

    try:
        return safe(_parser.parse(pattern))
    except Exception:  # a pattern the stdlib cannot parse: assume the worst
        return False


def _derive_field(
    name: str, info: FieldInfo, arrow_type: pa.DataType, strip: bool
) -> tuple[_Field, object, object]:
    """The field's checks, its Struct type, and its Struct default (``msgspec.NODEFAULT``).

    Contract patterns are used as they are: pydantic's engine and RE2 both anchor ``$`` at the
    end of the text, and RE2's ``\\w`` is ASCII, a subset of pydantic's Unicode ``\\w``.
    """
    base, metadata, nullable = _unwrap(info.annotation)
    metadata = [*info.metadata, *metadata]
    bounds: dict[str, object] = {}
    patterns: list[str] = []
    min_length = max_length = None
    max_digits = decimal_places = None
    text_field = False
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            bounds["ge"] = item.ge
        elif isinstance(item, annotated_types.Le):
            bounds["le"] = item.le
        elif isinstance(item, annotated_types.Gt):
            bounds["gt"] = item.gt
        elif isinstance(item, annotated_types.MinLen):
            min_length = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            max_length = item.max_length
        elif isinstance(item, StringConstraints):
            if item.strict or item.to_lower or item.ascii_only:
                raise UnsupportedContractError(f"{name}: {item!r}")
            strip = strip or bool(item.strip_whitespace)
            if item.pattern is not None:
                patterns.append(str(item.pattern))
            if item.to_upper:
                # Only text that upper-casing leaves unchanged is vouched for.
                patterns.append(_UPPER_ASCII)
            min_length = item.min_length if item.min_length is not None else min_length
            max_length = item.max_length if item.max_length is not None else max_length
        elif type(item).__name__ == "_PydanticGeneralMetadata":
            extra = dict(vars(item))
            if "pattern" in extra:
                patterns.append(str(extra.pop("pattern")))
            max_digits = extra.pop("max_digits", None)
            decimal_places = extra.pop("decimal_places", None)
            if extra:
                raise UnsupportedContractError(f"{name}: {extra!r}")
        elif isinstance(item, AfterValidator) and item.func is to_utc:
            pass  # UtcDatetime: Arrow stores the UTC instant whatever the offset
        else:
            raise UnsupportedContractError(f"{name}: {item!r}")
    from_text = False
    struct_type: object
    if isinstance(base, type) and issubclass(base, Enum):
        struct_type = Literal[tuple(member.value for member in base)]  # type: ignore[valid-type]
    elif typing.get_origin(base) is Literal:
        struct_type = base
    elif base is str:
        struct_type = str
        text_field = True
    elif base is UUID:
        struct_type = str  # stored as text; only the canonical form is vouched for
        patterns.append(_CANONICAL_UUID)
    elif base in (datetime, AwareDatetime):
        struct_type = Annotated[datetime, msgspec.Meta(tz=True)]
        patterns.append(_TIMESTAMP)
        from_text = True
    elif base is Decimal:
        if max_digits is None or decimal_places is None or set(bounds) - {"ge"}:
            raise UnsupportedContractError(
                f"{name}: decimal without digits/places or with {bounds}"
            )
        sign = "" if bounds.get("ge") == 0 else "-?"
        whole = max_digits - decimal_places
        patterns.append(rf"^{sign}[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{decimal_places}}})?$")
        struct_type = Decimal
        from_text = True
        bounds = {}
    elif base is bool:
        struct_type = bool
    elif base is int:
        limits = {**_INT64_BOUNDS, **bounds}
        if "gt" in limits:
            limits.pop("ge")
        struct_type = Annotated[int, msgspec.Meta(**limits)]
        bounds = {}
    elif base is float:
        struct_type = Annotated[float, msgspec.Meta(**bounds)] if bounds else float
        bounds = {}
    else:
        raise UnsupportedContractError(f"{name}: type {base!r}")
    if bounds or ((min_length or max_length) and not text_field):
        raise UnsupportedContractError(f"{name}: {bounds or 'length'} on {base!r}")
    if text_field and strip and not any(_never_matches_space(pattern) for pattern in patterns):
        patterns.append(_STRIPPED)
    default: object = msgspec.NODEFAULT
    if nullable:
        struct_type = struct_type | None  # type: ignore[operator]
        default = None
        if info.default is not None:
            raise UnsupportedContractError(f"{name}: nullable with default {info.default!r}")
    elif not info.is_required():
        default = info.default.value if isinstance(info.default, Enum) else info.default
    field = _Field(
        name, arrow_type, from_text, tuple(patterns), min_length, max_length, not nullable
    )
    return field, struct_type, default


@cache
def fast_contract(family: str) -> FastContract:
    """The fast path of ``family`` (derived once). Raises :class:`UnsupportedContractError` if
    the contract has a constraint it cannot derive."""
    model = model_for(family)
    schema = arrow_schema(model)
    strip = bool(model.model_config.get("str_strip_whitespace"))
    fields: list[_Field] = []
    struct_fields: list[tuple[str, object, object]] = []
    for (name, info), arrow_field in zip(model.model_fields.items(), schema, strict=True):
        field, struct_type, default = _derive_field(name, info, arrow_field.type, strip)
        fields.append(field)
        if name == "tenant_id":
            # RecordOptions.tenant fills a missing tenant: None is checked per column instead.
            struct_type, default = struct_type | None, None  # type: ignore[operator]
        struct_fields.append(
            (name, struct_type) if default is msgspec.NODEFAULT else (name, struct_type, default)
        )
    # The routing key may be present; its value was resolved before (and is dropped).
    struct_fields.append((FAMILY_KEY, Any, None))
    struct = msgspec.defstruct(
        f"Fast{model.__name__}", struct_fields, kw_only=True, forbid_unknown_fields=True
    )
    # Text fields only: a value that is not a string (a JSON number for a decimal) fails the
    # decode, as it fails Arrow's string column in the records path.
    text_struct = msgspec.defstruct(
        f"FastText{model.__name__}",
        [(field.name, str | None, None) for field in fields if field.from_text],
        kw_only=True,
    )
    return FastContract(
        model,
        struct,
        tuple(fields),
        schema,
        msgspec.json.Decoder(list[struct]),  # type: ignore[valid-type]
        msgspec.json.Decoder(list[text_struct]),  # type: ignore[valid-type]
    )


@dataclass(slots=True)
class FastBatch:
    """What the fast path vouched for: ``positions`` (indexes into the records given, in
    order), their event ids, and their rows of the contract table, in the same order."""

    positions: list[int]
    event_ids: list[str]
    table: pa.Table


def validate_fast(
    family: str, records: Sequence[Mapping[str, Any]], tenant: str | None = None
) -> FastBatch:
    """Vouch for as many of ``records`` (raw, as received) as possible; see the module doc.

    ``tenant`` is :attr:`ingest.validate.RecordOptions.tenant` (fills a missing ``tenant_id``).
    Records not listed in the result's ``positions`` must go through the contract model.
    """
    contract = fast_contract(family)
    rules: Callable[[Any], dict[str, Any]] = contract.model.cross_field_rules
    astuple = msgspec.structs.astuple
    positions: list[int]
    decoded: list[tuple[Any, ...]]
    derived: list[tuple[int, dict[str, Any]]]
    try:
        # The usual batch: every record passes. One convert call for all of them (and no
        # per-record Python) is ~10% cheaper than the loop below, which finds the ones that fail.
        events = msgspec.convert(records, list[contract.struct])  # type: ignore[valid-type]
        updates = list(map(rules, events))
    except Exception:  # some record the fast path cannot vouch for: find which, one by one
        positions, decoded, derived = _decode_each(contract, records)
    else:
        positions = list(range(len(events)))
        decoded = list(map(astuple, events))
        derived = [(row, changes) for row, changes in enumerate(updates) if changes]
    if not positions:
        return FastBatch([], [], contract.schema.empty_table())
    every_record = len(positions) == len(records)
    texts = {
        field.name: (
            [record.get(field.name) for record in records]
            if every_record
            else [records[position].get(field.name) for position in positions]
        )
        for field in contract.fields
        if field.from_text
    }
    try:
        return _columns(contract, texts, positions, decoded, derived, tenant)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        # Values Arrow will not take as they are (e.g. datetime objects from a Python caller):
        # the contract decides each record of this batch.
        return FastBatch([], [], contract.schema.empty_table())


def validate_json_array(family: str, data: bytes, tenant: str) -> FastBatch | None:
    """Vouch for a whole JSON array body of ``tenant``'s events, decoded straight from the bytes.

    The HTTP ingest's usual body: msgspec decodes it into the contract's Struct values in C,
    with no Python dict per record (parsing to dicts and converting them cost more than every
    check together). Returns None unless every record is vouched for, names ``tenant`` (a
    missing ``tenant_id`` is filled with it) and has an event id of its own: the caller then
    takes the records path (:func:`validate_fast` after parsing, then the contract), which gives
    each record its decision and reason. On a body it vouches for, the table is the one the
    records path builds from the parsed body (the equivalence tests hold it to that).
    """
    try:
        contract = fast_contract(family)
    except UnsupportedContractError:
        return None
    rules: Callable[[Any], dict[str, Any]] = contract.model.cross_field_rules
    astuple = msgspec.structs.astuple
    try:
        events = contract.json_decoder.decode(data)
        updates = list(map(rules, events))
        text_rows = contract.text_decoder.decode(data)
    except Exception:  # not an array, a record the fast path cannot vouch for, a broken rule
        return None
    if not events:
        return None
    names = [field.name for field in contract.fields if field.from_text]
    columns = list(zip(*map(astuple, text_rows), strict=True)) if names else []
    texts = dict(zip(names, columns, strict=True))
    positions = list(range(len(events)))
    derived = [(row, changes) for row, changes in enumerate(updates) if changes]
    try:
        batch = _columns(contract, texts, positions, list(map(astuple, events)), derived, tenant)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return None
    if len(batch.positions) != len(events) or len(set(batch.event_ids)) != len(events):
        return None
    if not pc.all(pc.equal(batch.table.column("tenant_id"), tenant)).as_py():
        return None
    return batch


def _decode_each(
    contract: FastContract, records: Sequence[Mapping[str, Any]]
) -> tuple[list[int], list[tuple[Any, ...]], list[tuple[int, dict[str, Any]]]]:
    """(positions vouched for, their decoded field values, derived updates by row)."""
    convert = msgspec.convert
    struct = contract.struct
    rules: Callable[[Any], dict[str, Any]] = contract.model.cross_field_rules
    positions: list[int] = []
    decoded: list[tuple[Any, ...]] = []
    derived: list[tuple[int, dict[str, Any]]] = []
    astuple = msgspec.structs.astuple
    for index, record in enumerate(records):
        try:
            event = convert(record, struct)
            updates = rules(event)
        except Exception:  # whatever the fast path cannot vouch for goes to the contract
            continue
        if updates:
            derived.append((len(positions), updates))
        positions.append(index)
        decoded.append(astuple(event))
    return positions, decoded, derived


def _columns(
    contract: FastContract,
    texts: Mapping[str, Sequence[Any]],
    positions: list[int],
    decoded: list[tuple[Any, ...]],
    derived: list[tuple[int, dict[str, Any]]],
    tenant: str | None,
) -> FastBatch:
    # One column per contract field, in schema order (then the ignored routing key).
    columns: list[Sequence[Any]] = list(zip(*decoded, strict=True))
    names = [field.name for field in contract.fields]
    for row, updates in derived:
        for name, value in updates.items():
            column = columns[names.index(name)]
            if not isinstance(column, list):
                column = columns[names.index(name)] = list(column)
            if column[row] is None:
                column[row] = value
    arrays: list[pa.Array] = []
    # Checks are grouped by what they check (patterns and length bounds): one RE2 call per
    # pattern over all the group's columns, since compiling a pattern costs as much as matching
    # it against a thousand values, and every check runs once per distinct text.
    groups: dict[tuple[tuple[str, ...], int | None, int | None], list[pa.Array]] = {}
    failed = np.zeros(len(positions), dtype=bool)
    for index, field in enumerate(contract.fields):
        values = columns[index]
        if field.from_text:
            # The record's own text (aligned with ``positions``), which Arrow parses.
            values = texts[field.name]
        elif field.name == "tenant_id" and tenant is not None and None in values:
            values = [tenant if value is None else value for value in values]
        array = pa.array(values, type=pa.string() if field.from_text else field.arrow_type)
        arrays.append(array)
        if field.required and array.null_count:
            failed |= _flags(array.is_null())
        if field.patterns or field.min_length is not None or field.max_length is not None:
            key = (field.patterns, field.min_length, field.max_length)
            groups.setdefault(key, []).append(array)
    for (patterns, min_length, max_length), checked in groups.items():
        values = checked[0] if len(checked) == 1 else pa.concat_arrays(checked)
        # Ids, carriers, currencies repeat across records: check each distinct text once.
        distinct = pc.unique(values)
        passed: pa.Array | None = None
        for pattern in patterns:
            matched = pc.match_substring_regex(distinct, pattern)
            passed = matched if passed is None else pc.and_(passed, matched)
        if min_length is not None or max_length is not None:
            lengths = pc.utf8_length(distinct)
            if min_length is not None:
                longer = pc.greater_equal(lengths, min_length)
                passed = longer if passed is None else pc.and_(passed, longer)
            if max_length is not None:
                shorter = pc.less_equal(lengths, max_length)
                passed = shorter if passed is None else pc.and_(passed, shorter)
        # Nulls pass here: whether a null is acceptable is the required check's business.
        ok = pc.fill_null(passed, True)
        if _flags(ok).all():
            continue
        bad = pc.is_in(values, value_set=distinct.filter(pc.invert(ok)))
        failed |= _flags(bad).reshape(len(checked), len(positions)).any(axis=0)
    event_ids = columns[names.index("event_id")]
    if failed.any():
        keep = ~failed
        positions = [p for p, ok in zip(positions, keep.tolist(), strict=True) if ok]
        event_ids = [e for e, ok in zip(event_ids, keep.tolist(), strict=True) if ok]
        arrays = [array.filter(pa.array(keep)) for array in arrays]
    arrays = [
        pc.cast(array, field.arrow_type) if field.from_text else array
        for field, array in zip(contract.fields, arrays, strict=True)
    ]
    table = pa.Table.from_arrays(arrays, schema=contract.schema)
    return FastBatch(positions, list(event_ids), table)


def _flags(mask: pa.Array) -> np.ndarray:
    """A boolean Arrow array without nulls as a numpy bool array."""
    return mask.to_numpy(zero_copy_only=False)
