"""Arrow schemas of the lake, derived from the contract models (one source of truth)."""

from __future__ import annotations

import types
import typing
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from uuid import UUID

import pyarrow as pa
from pydantic import AwareDatetime, BaseModel

from ingest.contracts.registry import FAMILIES

#: Money is stored as decimal(18, 6): exact, and wide enough for per-second tariffs.
MONEY_TYPE = pa.decimal128(18, 6)
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")


def _base_type(annotation: object) -> tuple[object, bool]:
    """Strip ``Annotated`` and ``X | None``; return (type, nullable)."""
    nullable = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = nullable or len(args) < len(typing.get_args(annotation))
            if len(args) != 1:
                raise TypeError(f"unsupported union {annotation!r}")
            annotation = args[0]
        elif origin is typing.Literal:
            annotation = type(typing.get_args(annotation)[0])
        else:
            return annotation, nullable


def _arrow_type(python_type: object) -> pa.DataType:
    if isinstance(python_type, type):
        if issubclass(python_type, Enum) or python_type in (str, UUID):
            return pa.string()
        if python_type is bool:
            return pa.bool_()
        if python_type is int:
            return pa.int64()
        if python_type is float:
            return pa.float64()
        if python_type is Decimal:
            return MONEY_TYPE
        if python_type in (datetime, AwareDatetime):
            return TIMESTAMP_TYPE
    raise TypeError(f"no Arrow type for {python_type!r}")


@cache
def arrow_schema(model: type[BaseModel]) -> pa.Schema:
    """Flat Arrow schema of a contract model, in field order."""
    fields = []
    for name, info in model.model_fields.items():
        python_type, nullable = _base_type(info.annotation)
        fields.append(pa.field(name, _arrow_type(python_type), nullable=nullable))
    return pa.schema(fields)


def family_schema(family: str) -> pa.Schema:
    return arrow_schema(FAMILIES[family])


@cache
def _uuid_fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(
        name for name, info in model.model_fields.items() if _base_type(info.annotation)[0] is UUID
    )


def models_to_table(models: typing.Sequence[BaseModel], model: type[BaseModel]) -> pa.Table:
    """Validated models of one family as an Arrow table in the lake schema."""
    uuid_fields = _uuid_fields(model)
    rows = []
    for item in models:
        row = item.model_dump()
        for name in uuid_fields:
            if row[name] is not None:
                row[name] = str(row[name])
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=arrow_schema(model))
