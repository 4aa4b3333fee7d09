"""One HTTP batch through the shared ingest core, with the tenant taken from the API key only.

Records that name another tenant are turned into unparsable records carrying the reason before
they reach :func:`ingest.ingest_records`, so they are rejected and dead-lettered by the same code
path as every other bad record, and the rest of the batch is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from ingest.batch import BatchResult, FamilyCounts, batch_id_for, ingest_records, ingest_vouched
from ingest.deadletter import DeadLetter, DeadLetterStore
from ingest.fastpath import FastBatch
from ingest.readers import RawRecord
from ingest.sink import BatchSink


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    unit: str
    reason: str


@dataclass(slots=True)
class TenantBatchResult:
    batch_id: str
    family: str
    counts: FamilyCounts
    rejections: list[Rejection]
    result: BatchResult


class CollectingSink:
    """A :class:`BatchSink` that keeps tables in memory (to publish them instead of writing)."""

    def __init__(self) -> None:
        self.tables: dict[str, pa.Table] = {}

    def write_batch(self, family: str, table: pa.Table, batch_id: str) -> list[Path]:
        self.tables[family] = table
        return []


class _RecordingDeadLetters(DeadLetterStore):
    """The real store, also remembering what it was given (for the per-event answer)."""

    def __init__(self, inner: DeadLetterStore) -> None:
        super().__init__(inner.root)
        self.letters: list[DeadLetter] = []

    def write(self, batch_id: str, letters: Sequence[DeadLetter]) -> Path | None:
        self.letters.extend(letters)
        return super().write(batch_id, letters)


def record_tenant(record: Mapping[str, Any]) -> object:
    """The tenant a record names: ``tenant_id``, or a FreeSWITCH CDR's ``irisx_tenant_id``."""
    if "tenant_id" in record and record["tenant_id"] is not None:
        return record["tenant_id"]
    variables = record.get("variables")
    if isinstance(variables, Mapping):
        return variables.get("irisx_tenant_id")
    return None


def guard_tenant(records: Iterable[RawRecord], tenant: str) -> Iterator[RawRecord]:
    """Records naming a tenant other than ``tenant`` become rejects with that reason."""
    for raw in records:
        record = raw.record
        if record is not None:
            # record_tenant, inlined for the usual record that names its tenant_id.
            named = record.get("tenant_id")
            if named is None:
                named = record_tenant(record)
            if named is not None and named != tenant:
                yield RawRecord(
                    raw.position,
                    None,
                    orjson.dumps(record, default=str).decode(),
                    f"tenant_id: {named!r} is not the API key's tenant {tenant!r}",
                )
                continue
        yield raw


def http_batch_id(body: bytes, family: str, tenant: str) -> str:
    """Same body, family and tenant → same batch id: a retried POST replaces, never adds."""
    content = hashlib.sha256(tenant.encode() + b"\0" + body).hexdigest()
    return batch_id_for(content, family)


def ingest_tenant_batch(
    records: Iterable[RawRecord] | FastBatch,
    *,
    family: str,
    tenant: str,
    batch_id: str,
    source: str,
    sink: BatchSink,
    deadletters: DeadLetterStore,
) -> TenantBatchResult:
    """Validate ``records`` as ``family`` events of ``tenant``; accepted → ``sink``, rejects →
    ``deadletters``; the answer lists each reject's position and reason. ``records`` may be a
    body the fast path already vouched for whole (:func:`ingest.fastpath.validate_json_array`:
    every event is the tenant's, valid and distinct), then all of it is accepted."""
    recording = _RecordingDeadLetters(deadletters)
    if isinstance(records, FastBatch):
        result = ingest_vouched(
            records, sink, recording, batch_id=batch_id, source=source, family=family
        )
    else:
        result = ingest_records(
            guard_tenant(records, tenant),
            sink,
            recording,
            batch_id=batch_id,
            source=source,
            family=family,
            tenant=tenant,
        )
    totals = FamilyCounts()
    for counts in result.counts.values():
        totals.add(counts)
    rejections = [
        Rejection(letter.position.index, letter.position.unit.value, letter.reason)
        for letter in recording.letters
    ]
    return TenantBatchResult(batch_id, family, totals, rejections, result)
