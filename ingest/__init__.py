"""Ingest: read raw inputs, validate them against the event contracts, route valid events to a
sink (the lake) and rejects to the dead-letter store.

``ingest.contracts`` holds the contracts; this package imports nothing from later in the data flow
(warehouse, dbt, pipelines, serving): callers pass a :class:`BatchSink` in.
"""

from ingest.batch import (
    UNRESOLVED,
    BatchResult,
    FamilyCounts,
    IngestReport,
    batch_id_for,
    discover_files,
    ingest_bytes,
    ingest_file,
    ingest_paths,
    ingest_records,
    is_ingestible,
)
from ingest.deadletter import DeadLetter, DeadLetterStore
from ingest.families import family_from_name, resolve_family
from ingest.freeswitch import FreeSwitchMappingError, freeswitch_cdr_to_call, is_freeswitch_cdr
from ingest.numbers import NumberFormatError, to_e164
from ingest.readers import (
    Position,
    PositionUnit,
    RawRecord,
    UnreadableInputError,
    UnsupportedFormatError,
    read_bytes,
    read_objects,
    read_path,
    read_stream,
)
from ingest.sink import BatchSink, MaintainedSink, StoreUnavailableError
from ingest.validate import (
    RecordOptions,
    RecordRejectedError,
    events_to_table,
    format_validation_error,
    prepare_record,
    validate_record,
)

__all__ = [
    "UNRESOLVED",
    "BatchResult",
    "BatchSink",
    "DeadLetter",
    "DeadLetterStore",
    "FamilyCounts",
    "FreeSwitchMappingError",
    "IngestReport",
    "MaintainedSink",
    "NumberFormatError",
    "Position",
    "PositionUnit",
    "RawRecord",
    "RecordOptions",
    "RecordRejectedError",
    "StoreUnavailableError",
    "UnreadableInputError",
    "UnsupportedFormatError",
    "batch_id_for",
    "discover_files",
    "events_to_table",
    "family_from_name",
    "format_validation_error",
    "freeswitch_cdr_to_call",
    "ingest_bytes",
    "ingest_file",
    "ingest_paths",
    "ingest_records",
    "is_freeswitch_cdr",
    "is_ingestible",
    "prepare_record",
    "read_bytes",
    "read_objects",
    "read_path",
    "read_stream",
    "resolve_family",
    "to_e164",
    "validate_record",
]
