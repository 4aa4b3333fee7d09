"""Hot store tables derived from the ingest contracts (one source of truth for columns)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa

from ingest.contracts import family_schema

#: Arrow type of the lake → PostgreSQL type of the hot store.
_PG_TYPES: dict[pa.DataType, str] = {
    pa.string(): "text",
    pa.int64(): "bigint",
    pa.float64(): "double precision",
    pa.bool_(): "boolean",
    pa.timestamp("us", tz="UTC"): "timestamptz",
    pa.decimal128(18, 6): "numeric(18,6)",
}


def pg_type(arrow_type: pa.DataType) -> str:
    try:
        return _PG_TYPES[arrow_type]
    except KeyError:
        raise TypeError(f"no PostgreSQL type for Arrow type {arrow_type}") from None


@dataclass(frozen=True)
class HotTable:
    """One raw hot-store table: the contract family it holds and its partition time column.
    The key is (event_id, time column): partitioned tables need the partition column in every
    unique key, and event_id makes re-delivery of a batch idempotent. (Created in that order;
    on plain PostgreSQL migration 12 puts the time first, see ``_time_first_keys``.)"""

    family: str
    name: str
    time_column: str

    @cached_property
    def schema(self) -> pa.Schema:
        return family_schema(self.family)

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    def create_sql(self, partition_by_range: bool) -> str:
        columns = ",\n    ".join(
            f"{field.name} {pg_type(field.type)}{'' if field.nullable else ' not null'}"
            for field in self.schema
        )
        suffix = f" partition by range ({self.time_column})" if partition_by_range else ""
        return (
            f"create table if not exists {self.name} (\n    {columns},\n"
            f"    primary key (event_id, {self.time_column})\n){suffix}"
        )


#: The families the hot store keeps, by family name; others are ignored by ``write_batch``.
HOT_TABLES: dict[str, HotTable] = {
    "call": HotTable("call", "calls", "start_at"),
    "rtcp": HotTable("rtcp", "rtcp_reports", "occurred_at"),
    "agent": HotTable("agent", "agent_states", "occurred_at"),
}
