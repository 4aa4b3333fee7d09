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

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from ingest.contracts.common import Identifier, TenantId
from ingest.deadletter import DeadLetter
from ingest.readers import Position, PositionUnit

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


class _Tenant(BaseModel):
    tenant_id: TenantId


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


class PlanFileError(ValueError):
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
        count = len(self.intervals)
        return pa.Table.from_pydict(
            {
                "tenant_id": [self.tenant_id] * count,
                "queue_id": [p.queue_id for p in self.intervals],
                "interval_start": [p.interval_start for p in self.intervals],
                "planned_calls": [p.planned_calls for p in self.intervals],
                "planned_aht_sec": [p.planned_aht_sec for p in self.intervals],
                "planned_agents": [p.planned_agents for p in self.intervals],
                "planned_service_level": [p.planned_service_level for p in self.intervals],
                "import_id": [self.import_id] * count,
                "imported_at": [self.imported_at] * count,
            },
            schema=SCHEMA,
        )


def _reason(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'row'}: {error['msg']}"
        for error in exc.errors()
    )


def read_plan_intervals(
    data: bytes, *, tenant_id: str, source: str, now: datetime | None = None
) -> PlanImport:
    """Validate a plan CSV (UTF-8, header row) for one tenant. A row is rejected (dead letter
    with its 1-based line) when it fails the row model or repeats a queue and interval of an
    earlier row of the file."""
    tenant = _Tenant(tenant_id=tenant_id).tenant_id
    digest = hashlib.sha256(tenant.encode() + b"\0" + data).hexdigest()[:32]
    result = PlanImport(
        tenant_id=tenant,
        source=source,
        import_id=f"wfm-plan-{tenant}-{digest}",
        imported_at=now or datetime.now(UTC),
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlanFileError(f"{source}: not UTF-8 text ({exc})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        raise PlanFileError(
            f"{source}: header must name {', '.join(REQUIRED_COLUMNS)} (and optionally "
            f"planned_service_level); missing {missing}, unknown {unknown}"
        )
    reader.fieldnames = header
    seen: dict[tuple[str, datetime], int] = {}
    for row in reader:
        line = reader.line_num
        reason = None
        try:
            if None in row:  # DictReader files surplus cells under the key None
                raise ValueError(
                    f"{len(row[None]) + len(header)} cells, the header has {len(header)}"
                )
            interval = PlanInterval.model_validate(row)
        except ValidationError as exc:
            reason = _reason(exc)
        except ValueError as exc:
            reason = str(exc)
        else:
            key = (interval.queue_id, interval.interval_start)
            if key in seen:
                reason = f"queue {key[0]} at {key[1].isoformat()}: already on line {seen[key]}"
        if reason is not None:
            result.rejects.append(
                DeadLetter(
                    batch_id=result.import_id,
                    position=Position(source, PositionUnit.LINE, line),
                    family=KIND,
                    reason=reason,
                    raw=dict(row),
                    rejected_at=result.imported_at,
                )
            )
            continue
        seen[(interval.queue_id, interval.interval_start)] = line
        result.intervals.append(interval)
    return result
