"""Shared helpers of the ingest tests (a module, so tests can import it by name)."""

from __future__ import annotations

from pathlib import Path

from event_samples import CALL_ID, VALID_EVENTS, agent_record, call_record

FREESWITCH_DIR = Path(__file__).parent / "fixtures" / "freeswitch"
FS_INBOUND = FREESWITCH_DIR / "a_6f1c2a9e-3b7d-4e21-9c55-0a8f4b2d7e13.cdr.json"
FS_OUTBOUND_NATIONAL = FREESWITCH_DIR / "c0ffee00-1234-4abc-8def-00000000b0b0.cdr.json"
FS_INTERNAL_NDJSON = FREESWITCH_DIR / "cdrs-internal.ndjson"


__all__ = [
    "CALL_ID",
    "FREESWITCH_DIR",
    "FS_INBOUND",
    "FS_INTERNAL_NDJSON",
    "FS_OUTBOUND_NATIONAL",
    "VALID_EVENTS",
    "agent_record",
    "call_record",
]
