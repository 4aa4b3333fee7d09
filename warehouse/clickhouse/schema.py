"""ClickHouse column types of the raw tables, derived from the event contracts.

The Arrow schema (``ingest.contracts.family_schema``) gives type and nullability; the pydantic
model tells which string columns are closed enums, stored as ``LowCardinality(String)``.
"""

from __future__ import annotations

import re
import types
import typing
from enum import Enum

import pyarrow as pa

from ingest.contracts import family_schema, model_for

#: Version column of every raw table: ReplacingMergeTree keeps the row with the highest value.
VERSION_COLUMN = "_ingested_at"
VERSION_COLUMN_TYPE = "DateTime64(6, 'UTC')"

#: The event-type-like column of each family, second in the sort key (tenant, type, time).
TYPE_COLUMN: dict[str, str] = {
    "call": "direction",
    "rtcp": "leg",
    "message": "status",
    "billing": "event_type",
    "campaign": "outcome",
    "agent": "state",
    "transcript": "speaker",
}

#: A column name and its ClickHouse type, e.g. ``("cost", "Nullable(Decimal(18, 6))")``.
Column = tuple[str, str]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$")


def check_database_name(database: str) -> str:
    """``database`` if it is a plain identifier we may interpolate into SQL; else ValueError."""
    if not _IDENTIFIER.match(database):
        raise ValueError(
            f"database: {database!r} is not a plain identifier (letters, digits, '_', "
            "not starting with a digit)"
        )
    if database == "default":
        # chDB's default database is an Overlay engine without atomic exchange; raw tables get
        # a database of their own everywhere so both engines behave alike.
        raise ValueError("database: give the raw tables their own database, not 'default'")
    return database


def check_cluster_name(cluster: str) -> str:
    if not _CLUSTER_NAME.match(cluster):
        raise ValueError(f"cluster: {cluster!r} is not a plain cluster name")
    return cluster


def _is_enum_like(annotation: object) -> bool:
    """True when the annotation (under Annotated / Optional) is a string enum or str Literal."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return all(isinstance(value, str) for value in typing.get_args(annotation))
    if origin in (typing.Annotated, typing.Union, types.UnionType):
        arguments = typing.get_args(annotation)
        if origin is typing.Annotated:
            arguments = arguments[:1]
        return any(_is_enum_like(argument) for argument in arguments)
    return isinstance(annotation, type) and issubclass(annotation, Enum)


def clickhouse_type(arrow_type: pa.DataType, *, nullable: bool, low_cardinality: bool) -> str:
    """The ClickHouse type that holds values of ``arrow_type`` without loss."""
    if pa.types.is_string(arrow_type):
        base = "LowCardinality(String)" if low_cardinality else "String"
    elif pa.types.is_int64(arrow_type):
        base = "Int64"
    elif pa.types.is_float64(arrow_type):
        base = "Float64"
    elif pa.types.is_boolean(arrow_type):
        base = "Bool"
    elif pa.types.is_decimal(arrow_type):
        base = f"Decimal({arrow_type.precision}, {arrow_type.scale})"
    elif pa.types.is_timestamp(arrow_type) and arrow_type.unit == "us" and arrow_type.tz == "UTC":
        base = "DateTime64(6, 'UTC')"
    else:
        raise TypeError(f"no ClickHouse type for Arrow type {arrow_type}")
    if not nullable:
        return base
    # ClickHouse spells a nullable enum-like column LowCardinality(Nullable(String)).
    if low_cardinality and base.startswith("LowCardinality("):
        return "LowCardinality(Nullable(String))"
    return f"Nullable({base})"


def contract_columns(family: str) -> tuple[Column, ...]:
    """The raw table's columns for ``family`` as the contract defines them today (without the
    version column). The applied migrations must produce exactly these; a test checks it."""
    model = model_for(family)
    columns = []
    for field in family_schema(family):
        annotation = model.model_fields[field.name].annotation
        columns.append(
            (
                field.name,
                clickhouse_type(
                    field.type, nullable=field.nullable, low_cardinality=_is_enum_like(annotation)
                ),
            )
        )
    return tuple(columns)
