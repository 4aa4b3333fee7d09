"""Batch ingest: read → resolve family → validate → dedupe within the batch → Arrow → sink.

One input (a file, or an HTTP body) is one batch. Its id is derived from the input's bytes and the
explicit family option, so ingesting the same input again rewrites the same lake files and the same
dead-letter file: no duplicate rows, no duplicate dead letters.

Deduplication. Inside one batch the first event with a given ``event_id`` (per family) is kept and
the others are counted as duplicates (not errors). Across batches nothing is deduplicated: a
different input that repeats some event_ids adds those rows to the raw lake again (the lake is
append-only, events are kept as they arrived) and dbt staging deduplicates on ``event_id``.

A batch is all or nothing towards the sink: events are written only after the whole input was
read. An input that cannot be read at all (corrupt gzip, not Parquet) writes nothing to the lake;
its bytes are kept in the dead-letter store with the reason.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.contracts import FAMILIES, family_schema
from ingest.deadletter import DeadLetter, DeadLetterStore
from ingest.families import FamilyError, check_family, family_from_name, resolve_family
from ingest.fastpath import FastBatch
from ingest.readers import (
    Position,
    PositionUnit,
    RawRecord,
    UnreadableInputError,
    UnsupportedFormatError,
    is_supported,
    read_bytes,
    read_path,
)
from ingest.sink import BatchSink
from ingest.validate import (
    RecordOptions,
    RecordRejectedError,
    ValidatedRecords,
    validate_records,
)

#: Counts of records whose family could not be told.
UNRESOLVED = "unresolved"
#: Records are validated (and become Arrow) this many at a time, which bounds memory on large
#: inputs and lets the fast path work on whole columns.
CHUNK_EVENTS = 10_000
#: Why a record whose family nothing tells is rejected.
NO_FAMILY = (
    "family: cannot tell the event family (no family option, no 'family' key, "
    "a file name that names no family, and not a FreeSWITCH CDR)"
)
#: Files that sit beside data in drop folders but are not events.
SKIPPED_NAMES = frozenset({"ground_truth.json", "manifest.json"})

_record_of = operator.attrgetter("record")


@dataclass
class FamilyCounts:
    """``read == accepted + duplicates + rejected``."""

    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0

    def add(self, other: FamilyCounts) -> None:
        self.read += other.read
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected += other.rejected


@dataclass
class BatchResult:
    """What one input gave."""

    source: str
    batch_id: str
    counts: dict[str, FamilyCounts] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    deadletter_file: Path | None = None
    #: Why the input could not be read at all (then nothing reached the lake).
    unreadable: str | None = None
    #: The earlier source of this run with the very same content (this one was skipped).
    same_as: str | None = None


@dataclass
class IngestReport:
    """What one ``ingest_paths`` call did, per input and in total."""

    batches: list[BatchResult] = field(default_factory=list)

    @property
    def by_family(self) -> dict[str, FamilyCounts]:
        """Counts per family (and :data:`UNRESOLVED`), only those that occurred, sorted."""
        merged: dict[str, FamilyCounts] = {}
        for batch in self.batches:
            for family, counts in batch.counts.items():
                merged.setdefault(family, FamilyCounts()).add(counts)
        return dict(sorted(merged.items()))

    def counts(self, family: str) -> FamilyCounts:
        """Counts of one family (all zero if none of its records were read)."""
        return self.by_family.get(family, FamilyCounts())

    @property
    def totals(self) -> FamilyCounts:
        total = FamilyCounts()
        for counts in self.by_family.values():
            total.add(counts)
        return total

    def summary(self) -> str:
        """One line: totals, per-family accepted counts, unreadable files."""
        total = self.totals
        families = ", ".join(f"{f} {c.accepted}" for f, c in self.by_family.items())
        text = (
            f"read {total.read}, accepted {total.accepted}, duplicates {total.duplicates}, "
            f"rejected {total.rejected}"
        )
        if families:
            text += f" ({families})"
        if self.unreadable:
            text += f"; {len(self.unreadable)} unreadable file(s)"
        return text

    @property
    def written(self) -> list[Path]:
        return [path for batch in self.batches for path in batch.written]

    @property
    def deadletter_files(self) -> list[Path]:
        return [b.deadletter_file for b in self.batches if b.deadletter_file is not None]

    @property
    def unreadable(self) -> list[tuple[str, str]]:
        return [(b.source, b.unreadable) for b in self.batches if b.unreadable is not None]

    @property
    def ok(self) -> bool:
        """Every input could be read (rejected records do not make a run fail)."""
        return not self.unreadable


def batch_id_for(content_sha256: str, family: str | None = None) -> str:
    """The batch id of an input: its content hash and its family (the explicit option, else the
    one its name gives), truncated."""
    digest = hashlib.sha256(f"{content_sha256}\0{family or ''}".encode()).hexdigest()
    return digest[:32]


class _Batch:
    """Accumulates one batch: counts, dead letters, per-family Arrow chunks."""

    def __init__(
        self, batch_id: str, family: str | None, name_family: str | None, options: RecordOptions
    ) -> None:
        self.batch_id = batch_id
        self.family = check_family(family) if family is not None else None
        self.name_family = name_family
        self.options = options
        self.counts: dict[str, FamilyCounts] = {}
        self.letters: list[DeadLetter] = []
        self.rejected_at = datetime.now(UTC)
        self._pending: list[RawRecord] = []
        self._chunks: dict[str, list[pa.Table]] = {}
        self._seen: dict[str, set[str]] = {}

    def _reject(self, raw: RawRecord, family: str | None, reason: str) -> None:
        counts = self.counts.setdefault(family or UNRESOLVED, FamilyCounts())
        counts.read += 1
        counts.rejected += 1
        received = raw.record if raw.record is not None else raw.text
        self.letters.append(
            DeadLetter(self.batch_id, raw.position, family, reason, received, self.rejected_at)
        )

    def add(self, raw: RawRecord) -> None:
        self._pending.append(raw)
        if len(self._pending) >= CHUNK_EVENTS:
            self._flush()

    def _flush(self) -> None:
        """Validate the pending records, family by family, then count, dedupe and dead-letter
        them in input order."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        explicit = self.family  # when given it decides for every record (checked once)
        if explicit is not None:
            records = list(map(_record_of, pending))
            if not any(record is None for record in records):
                # The usual HTTP and file batch: one family, every record parsed.
                validated = validate_records(explicit, records, self.options)
                if not self._accept_all(explicit, validated):
                    plan = [(explicit, slot) for slot in range(len(records))]
                    self._account(pending, plan, {explicit: validated})
                return
        # Per record: its family and its index among that family's records, or (family or None,
        # reason) when it is rejected before validation. Loops are kept tight: they run per record.
        plan: list[tuple[str | None, int | str]] = []
        by_family: dict[str, list[dict[str, Any]]] = {}
        for raw in pending:
            record = raw.record
            family: str | None = explicit
            if family is None:
                try:
                    family = resolve_family(record, explicit=None, from_name=self.name_family)
                except FamilyError as exc:
                    plan.append((None, str(exc)))
                    continue
            if record is None:
                plan.append((family, raw.error or "unparsable input"))
            elif family is None:
                plan.append((None, NO_FAMILY))
            else:
                family_records = by_family.get(family)
                if family_records is None:
                    family_records = by_family[family] = []
                plan.append((family, len(family_records)))
                family_records.append(record)
        self._account(
            pending,
            plan,
            {
                family: validate_records(family, family_records, self.options)
                for family, family_records in by_family.items()
            },
        )

    def add_vouched(self, family: str, vouched: FastBatch) -> None:
        """Take a batch the fast path vouched for whole, its event ids all distinct."""
        rows = range(len(vouched.event_ids))
        validated = ValidatedRecords(
            family, list(vouched.event_ids), vouched, {row: row for row in rows}
        )
        if not self._accept_all(family, validated):
            raise ValueError("a vouched batch must hold distinct event ids not seen before")

    def _accept_all(self, family: str, validated: ValidatedRecords) -> bool:
        """Take every record of ``validated`` at once when the fast path vouched for all of them
        and no event id repeats (within them or earlier in the batch); False: nothing was done,
        :meth:`_account` must go record by record."""
        event_ids = validated.outcomes
        if len(validated.fast_rows) != len(event_ids):
            return False
        fresh = set(event_ids)  # all str: the fast path vouched for every record
        seen = self._seen.setdefault(family, set())
        if len(fresh) != len(event_ids) or not seen.isdisjoint(fresh):
            return False
        seen |= fresh
        counts = self.counts.setdefault(family, FamilyCounts())
        counts.read += len(event_ids)
        counts.accepted += len(event_ids)
        # Rows of the fast table are the records in input order (all of them).
        self._chunks.setdefault(family, []).append(validated.fast.table)
        return True

    def _account(
        self,
        pending: list[RawRecord],
        plan: list[tuple[str | None, int | str]],
        validated: dict[str, ValidatedRecords],
    ) -> None:
        """Count, dedupe and dead-letter ``pending`` in input order, as ``plan`` says."""
        kept: dict[str, list[int]] = {family: [] for family in validated}
        for family in validated:
            self.counts.setdefault(family, FamilyCounts())
            self._seen.setdefault(family, set())
        for raw, (family, slot) in zip(pending, plan, strict=True):
            if isinstance(slot, str) or family is None:
                self._reject(raw, family, str(slot))
                continue
            outcome = validated[family].outcomes[slot]
            if isinstance(outcome, RecordRejectedError):
                self._reject(raw, family, str(outcome))
                continue
            counts = self.counts[family]
            counts.read += 1
            seen = self._seen[family]
            if outcome in seen:
                counts.duplicates += 1
                continue
            seen.add(outcome)
            counts.accepted += 1
            kept[family].append(slot)
        for family, indexes in kept.items():
            if indexes:
                self._chunks.setdefault(family, []).append(validated[family].table(indexes))

    def tables(self) -> Iterator[tuple[str, pa.Table]]:
        """Every family's table, empty ones included: writing an empty table for a family tells
        the sink that this batch (now) has no events of it, so a re-ingest that accepts fewer
        events than before (other options, stricter contract) replaces the earlier rows."""
        self._flush()
        for family in sorted(FAMILIES):
            chunks = self._chunks.get(family)
            yield (
                family,
                (pa.concat_tables(chunks) if chunks else _empty_table(family)),
            )


@cache
def _empty_table(family: str) -> pa.Table:
    """The family's table without rows (built once: building one costs ~80 µs, and every batch
    yields one per family it has no events of; Arrow tables are immutable, so sharing is safe)."""
    return family_schema(family).empty_table()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is built.

    A batch keeps tens of thousands of validated events alive; every automatic collection walks
    them all again, which cost about a third of the run time. The loop makes no reference
    cycles (reference counting frees everything), so pausing loses nothing; it is restored after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def ingest_records(
    records: Iterable[RawRecord],
    sink: BatchSink,
    deadletters: DeadLetterStore,
    *,
    batch_id: str,
    source: str,
    name: str | None = None,
    family: str | None = None,
    tenant: str | None = None,
    default_country_code: int | None = None,
) -> BatchResult:
    """Ingest one batch of raw records (the core every entry point shares).

    ``name`` (a file name) lets the family follow from it. Raises :class:`UnreadableInputError`
    if the records' reader fails as a whole; then nothing was written.
    """
    batch = _Batch(
        batch_id,
        family,
        family_from_name(name) if name is not None else None,
        RecordOptions(tenant=tenant, default_country_code=default_country_code),
    )
    with _gc_paused():
        for raw in records:
            batch.add(raw)
    return _store(batch, sink, deadletters, source)


def ingest_vouched(
    vouched: FastBatch,
    sink: BatchSink,
    deadletters: DeadLetterStore,
    *,
    batch_id: str,
    source: str,
    family: str,
) -> BatchResult:
    """Ingest a batch the fast path vouched for whole, every event accepted
    (:func:`ingest.fastpath.validate_json_array`): written as :func:`ingest_records` writes the
    same events."""
    batch = _Batch(batch_id, family, None, RecordOptions())
    batch.add_vouched(family, vouched)
    return _store(batch, sink, deadletters, source)


def _store(
    batch: _Batch, sink: BatchSink, deadletters: DeadLetterStore, source: str
) -> BatchResult:
    """Every family's table to ``sink``, the dead letters to their store; the batch's result."""
    written: list[Path] = []
    for family_name, table in batch.tables():
        written.extend(sink.write_batch(family_name, table, batch.batch_id))
    letters_file = deadletters.write(batch.batch_id, batch.letters)
    return BatchResult(
        source, batch.batch_id, dict(sorted(batch.counts.items())), written, letters_file
    )


def _unreadable(
    deadletters: DeadLetterStore,
    *,
    batch_id: str,
    source: str,
    name: str,
    data: bytes | None,
    family: str | None,
    reason: str,
) -> BatchResult:
    """Keep an unreadable input whole in the dead-letter store, with the reason."""
    raw: dict[str, object] = {"file": name}
    if data is not None:
        kept = deadletters.keep_file(batch_id, name, data)
        raw |= {"kept_as": str(kept), "bytes": len(data)}
    letter = DeadLetter(
        batch_id,
        Position(source, PositionUnit.FILE, 0),
        family,
        f"unreadable input: {reason}",
        raw,
        datetime.now(UTC),
    )
    return BatchResult(
        source, batch_id, deadletter_file=deadletters.write(batch_id, [letter]), unreadable=reason
    )


def ingest_bytes(
    data: bytes,
    name: str,
    sink: BatchSink,
    deadletters: DeadLetterStore,
    *,
    source: str | None = None,
    family: str | None = None,
    tenant: str | None = None,
    default_country_code: int | None = None,
) -> BatchResult:
    """Ingest an in-memory payload named like a file (``cdr.json``, ``calls.ndjson.gz``): the
    entry point for an HTTP upload or a posted FreeSWITCH CDR."""
    source = source or name
    batch_id = batch_id_for(hashlib.sha256(data).hexdigest(), family or family_from_name(name))
    try:
        return ingest_records(
            read_bytes(data, name, source),
            sink,
            deadletters,
            batch_id=batch_id,
            source=source,
            name=name,
            family=family,
            tenant=tenant,
            default_country_code=default_country_code,
        )
    except UnreadableInputError as exc:
        return _unreadable(
            deadletters,
            batch_id=batch_id,
            source=source,
            name=name,
            data=data,
            family=family,
            reason=str(exc),
        )


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, streamed."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def ingest_file(
    path: Path,
    sink: BatchSink,
    deadletters: DeadLetterStore,
    *,
    family: str | None = None,
    tenant: str | None = None,
    default_country_code: int | None = None,
    content_sha256: str | None = None,
) -> BatchResult:
    """Ingest one file, streamed (``content_sha256`` saves re-hashing a file already hashed)."""
    source = str(path)
    try:
        content_sha256 = content_sha256 or file_sha256(path)
    except OSError as exc:
        return BatchResult(source, "", unreadable=f"cannot open: {exc}")
    batch_id = batch_id_for(content_sha256, family or family_from_name(path.name))
    try:
        return ingest_records(
            read_path(path),
            sink,
            deadletters,
            batch_id=batch_id,
            source=source,
            name=path.name,
            family=family,
            tenant=tenant,
            default_country_code=default_country_code,
        )
    except UnsupportedFormatError as exc:
        return BatchResult(source, batch_id, unreadable=str(exc))
    except UnreadableInputError as exc:
        return _unreadable(
            deadletters,
            batch_id=batch_id,
            source=source,
            name=path.name,
            data=path.read_bytes(),
            family=family,
            reason=str(exc),
        )


def is_ingestible(path: Path) -> bool:
    """A file name that folder discovery picks up: a supported format, not hidden, not a side
    file (``ground_truth.json``, ``manifest.json``)."""
    name = path.name
    return not name.startswith(".") and name not in SKIPPED_NAMES and is_supported(name)


def discover_files(paths: Sequence[Path]) -> list[Path]:
    """The files to ingest: named files as given; folders searched recursively for supported
    files (hidden files, ``ground_truth.json`` and ``manifest.json`` skipped), in sorted order.

    Raises ``FileNotFoundError`` for a path that does not exist.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                candidate
                for candidate in sorted(path.rglob("*"))
                if candidate.is_file() and is_ingestible(candidate)
            )
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return list(dict.fromkeys(found))


def ingest_paths(
    paths: Sequence[Path],
    sink: BatchSink,
    deadletters: DeadLetterStore,
    *,
    family: str | None = None,
    tenant: str | None = None,
    default_country_code: int | None = None,
    workers: int = 1,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> IngestReport:
    """Ingest files and folders (see :func:`discover_files`); one batch per file.

    Files with identical content are ingested once per call (they would write the same batch).
    ``workers`` > 1 ingests files in that many processes, largest first (validation is CPU
    bound and the GIL would serialise threads); the sink and the dead-letter store must then be
    picklable, as ``ParquetLake`` and ``DeadLetterStore`` are. ``on_batch`` is called in this
    process as each file finishes. The report lists batches in input order either way.
    """
    if family is not None:
        check_family(family)
    if workers < 1:
        raise ValueError(f"workers: must be at least 1, got {workers}")
    options = {"family": family, "tenant": tenant, "default_country_code": default_country_code}
    slots: list[BatchResult | None] = []
    jobs: list[tuple[int, Path, str]] = []
    first_source: dict[str, str] = {}
    for path in discover_files(paths):
        try:
            content_sha256 = file_sha256(path)
        except OSError as exc:
            slots.append(BatchResult(str(path), "", unreadable=f"cannot open: {exc}"))
            continue
        batch_id = batch_id_for(content_sha256, family or family_from_name(path.name))
        if batch_id in first_source:
            # Same bytes as an earlier file of this call: it would rewrite the same batch.
            slots.append(BatchResult(str(path), batch_id, same_as=first_source[batch_id]))
            continue
        first_source[batch_id] = str(path)
        jobs.append((len(slots), path, content_sha256))
        slots.append(None)

    def finished(slot: int, result: BatchResult) -> None:
        slots[slot] = result
        if on_batch is not None:
            on_batch(result)

    if workers == 1 or len(jobs) < 2:
        for slot, path, content_sha256 in jobs:
            finished(
                slot,
                ingest_file(path, sink, deadletters, content_sha256=content_sha256, **options),
            )
    else:
        largest_first = sorted(jobs, key=lambda job: job[1].stat().st_size, reverse=True)
        # spawn, not fork: the caller may run threads (Dagster, uvicorn) that fork would copy.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
            pending = {
                pool.submit(
                    ingest_file, path, sink, deadletters, content_sha256=content_sha256, **options
                ): slot
                for slot, path, content_sha256 in largest_first
            }
            for future in as_completed(pending):
                finished(pending[future], future.result())
    report = IngestReport()
    report.batches.extend(result for result in slots if result is not None)
    return report
