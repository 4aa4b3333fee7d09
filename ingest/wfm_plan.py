"""Interval plans imported from a CSV: the planned side of ``service_level_variance`` (docs/wfm.md).

One row is what the plan expected of one queue in one 15-minute interval (UTC)::

    queue_id,interval_start,planned_calls,planned_aht_sec,planned_agents[,planned_service_level]

``planned_agents`` are agents on the phones (net of breaks and other shrinkage), as the staffing
maths outputs them; ``planned_service_level`` (optional, 0-1) is what the plan promised, kept for
reference (the variance mart starts from the Erlang C service level of the planned inputs).
Imports accumulate: a later import of the same tenant, queue and interval supersedes the earlier
one (re-forecasts), which staging resolves by ``imported_at``. Like subscription periods these are
state, not events, so they live beside the contracts. ``irisx wfm plan import FILE --tenant T``
writes them; the forecast pipeline can write the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from ingest.contracts.common import Identifier
from ingest.csv_import import (
    CsvFileError,
    file_import_id,
    read_csv_rows,
    rows_table,
    valid_tenant,
)
from ingest.deadletter import DeadLetter

#: The dead-letter ``family`` of rejected plan rows (not an event family).
KIND = "wfm_plan_intervals"
INTERVAL_SECONDS = 900  # the grain of queue_interval_stats, which the plan is compared with
REQUIRED_COLUMNS = (
    "queue_id",
    "interval_start",
    "planned_calls",
    "planned_aht_sec",
    "planned_agents",
)
OPTIONAL_COLUMNS = ("planned_service_level",)

#: Columns of the raw table (lake Parquet files and ClickHouse ``irisx_raw.wfm_plan_intervals``).
SCHEMA = pa.schema(
    [
        pa.field("tenant_id", pa.string(), nullable=False),
        pa.field("queue_id", pa.string(), nullable=False),
        pa.field("interval_start", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("planned_calls", pa.float64(), nullable=False),
        pa.field("planned_aht_sec", pa.float64(), nullable=False),
        pa.field("planned_agents", pa.float64(), nullable=False),
        pa.field("planned_service_level", pa.float64()),
        # Which import the row came from; staging keeps each interval's latest import.
        pa.field("import_id", pa.string(), nullable=False),
        pa.field("imported_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


class PlanInterval(BaseModel):
    """One CSV row: the plan of one queue for the 15 minutes from ``interval_start``."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    queue_id: Identifier
    interval_start: AwareDatetime = Field(description="UTC, on :00, :15, :30 or :45")
    planned_calls: float = Field(ge=0, allow_inf_nan=False)
    planned_aht_sec: float = Field(gt=0, allow_inf_nan=False)
    planned_agents: float = Field(ge=0, le=100_000, allow_inf_nan=False)
    planned_service_level: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)

    @field_validator("planned_service_level", mode="before")
    @classmethod
    def _empty_is_missing(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("interval_start")
    @classmethod
    def _on_the_grid(cls, value: datetime) -> datetime:
        value = value.astimezone(UTC)
        if value.microsecond or value.second or value.minute % (INTERVAL_SECONDS // 60):
            raise ValueError("must start a 15-minute interval (:00, :15, :30 or :45)")
        return value


class PlanFileError(CsvFileError):
    """The file as a whole cannot be imported (not UTF-8, missing or unknown columns)."""


@dataclass
class PlanImport:
    """The outcome of reading one tenant's plan CSV: accepted intervals and dead letters."""

    tenant_id: str
    source: str
    #: Derived from the tenant and the file's bytes: the same file imports under the same id.
    import_id: str
    imported_at: datetime
    intervals: list[PlanInterval] = field(default_factory=list)
    rejects: list[DeadLetter] = field(default_factory=list)

    def to_table(self) -> pa.Table:
        """The accepted intervals as the raw table's Arrow schema."""
        return rows_table(
            self.intervals,
            SCHEMA,
            {
                "tenant_id": self.tenant_id,
                "import_id": self.import_id,
                "imported_at": self.imported_at,
            },
        )


def read_plan_intervals(
    data: bytes, *, tenant_id: str, source: str, now: datetime | None = None
) -> PlanImport:
    """Validate a plan CSV (UTF-8, header row) for one tenant. A row is rejected (dead letter
    with its 1-based line) when it fails the row model or repeats a queue and interval of an
    earlier row of the file."""
    tenant = valid_tenant(tenant_id)
    result = PlanImport(
        tenant_id=tenant,
        source=source,
        import_id=file_import_id("wfm-plan", data, tenant),
        imported_at=now or datetime.now(UTC),
    )
    seen: dict[tuple[str, datetime], int] = {}

    def first_of_its_interval(line: int, interval: PlanInterval) -> str | None:
        key = (interval.queue_id, interval.interval_start)
        if key in seen:
            return f"queue {key[0]} at {key[1].isoformat()}: already on line {seen[key]}"
        seen[key] = line
        return None

    result.intervals, result.rejects = read_csv_rows(
        data,
        source=source,
        row_model=PlanInterval,
        required=REQUIRED_COLUMNS,
        optional=OPTIONAL_COLUMNS,
        accept=first_of_its_interval,
        kind=KIND,
        batch_id=result.import_id,
        rejected_at=result.imported_at,
        file_error=PlanFileError,
    )
    return result
