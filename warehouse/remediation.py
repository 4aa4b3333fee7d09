"""Remediation suggestions and their approval state (SQLite ``<data_dir>/remediation.sqlite3``).

The anomaly pipeline records a suggestion per incident and rule (``pipelines/anomaly/
remediation.py``); people approve or reject it (``irisx anomalies suggestions``). Nothing here or
anywhere in IRISX executes a suggestion: approving only records who approved it and when, for
whoever operates the network to act on.

Recording is idempotent: a suggestion's id is derived from its incident and rule, and recording
it again (a pipeline rerun) never resets a decision already taken.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path


class SuggestionState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Suggestion:
    suggestion_id: str
    tenant_id: str
    incident_id: str
    rule: str
    action: str
    target: str | None
    description: str
    created_at: datetime
    state: SuggestionState = SuggestionState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None


class SuggestionNotFound(LookupError):  # noqa: N818 - reads as what happened
    pass


class SuggestionAlreadyDecided(ValueError):  # noqa: N818
    pass


_COLUMNS = (
    "suggestion_id, tenant_id, incident_id, rule, action, target, description, created_at, "
    "state, decided_by, decided_at, note"
)


class RemediationStore:
    """Suggestions in one SQLite file (a connection per call: the CLI and the pipeline may
    write at the same time; SQLite serialises them)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            connection.execute(
                "create table if not exists suggestions ("
                " suggestion_id text primary key, tenant_id text not null,"
                " incident_id text not null, rule text not null, action text not null,"
                " target text, description text not null, created_at text not null,"
                " state text not null default 'pending'"
                "   check (state in ('pending', 'approved', 'rejected')),"
                " decided_by text, decided_at text, note text)"
            )
            with connection:
                yield connection
        finally:
            connection.close()

    def record(self, suggestions: Sequence[Suggestion]) -> int:
        """Insert the suggestions not recorded yet; returns how many were new."""
        with self._connect() as connection:
            before = connection.total_changes
            connection.executemany(
                f"insert or ignore into suggestions ({_COLUMNS}) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, 'pending', null, null, null)",
                [
                    (
                        s.suggestion_id,
                        s.tenant_id,
                        s.incident_id,
                        s.rule,
                        s.action,
                        s.target,
                        s.description,
                        s.created_at.astimezone(UTC).isoformat(),
                    )
                    for s in suggestions
                ],
            )
            return connection.total_changes - before

    def list(
        self, *, tenant_id: str | None = None, state: SuggestionState | None = None
    ) -> list[Suggestion]:
        conditions, values = [], []
        if tenant_id is not None:
            conditions.append("tenant_id = ?")
            values.append(tenant_id)
        if state is not None:
            conditions.append("state = ?")
            values.append(state.value)
        where = f" where {' and '.join(conditions)}" if conditions else ""
        with self._connect() as connection:
            rows = connection.execute(
                f"select {_COLUMNS} from suggestions{where} order by created_at, suggestion_id",
                values,
            ).fetchall()
        return [_suggestion(row) for row in rows]

    def get(self, suggestion_id: str) -> Suggestion:
        with self._connect() as connection:
            row = connection.execute(
                f"select {_COLUMNS} from suggestions where suggestion_id = ?", (suggestion_id,)
            ).fetchone()
        if row is None:
            raise SuggestionNotFound(f"no suggestion {suggestion_id!r}")
        return _suggestion(row)

    def decide(
        self,
        suggestion_id: str,
        state: SuggestionState,
        *,
        by: str,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Suggestion:
        """Approve or reject a pending suggestion (records only; nothing is executed)."""
        if state is SuggestionState.PENDING:
            raise ValueError("a decision is 'approved' or 'rejected'")
        if not by.strip():
            raise ValueError("who decides must be named")
        decided_at = (at or datetime.now(UTC)).astimezone(UTC).isoformat()
        with self._connect() as connection:
            changed = connection.execute(
                "update suggestions set state = ?, decided_by = ?, decided_at = ?, note = ? "
                "where suggestion_id = ? and state = 'pending'",
                (state.value, by, decided_at, note, suggestion_id),
            ).rowcount
        if not changed:
            current = self.get(suggestion_id)  # SuggestionNotFound when there is none
            raise SuggestionAlreadyDecided(
                f"suggestion {suggestion_id} is already {current.state.value} "
                f"(by {current.decided_by} at {current.decided_at})"
            )
        return self.get(suggestion_id)


def _suggestion(row: tuple[object, ...]) -> Suggestion:
    (sid, tenant, incident, rule, action, target, description, created, state, by, at, note) = row
    return Suggestion(
        suggestion_id=str(sid),
        tenant_id=str(tenant),
        incident_id=str(incident),
        rule=str(rule),
        action=str(action),
        target=None if target is None else str(target),
        description=str(description),
        created_at=datetime.fromisoformat(str(created)),
        state=SuggestionState(str(state)),
        decided_by=None if by is None else str(by),
        decided_at=None if at is None else datetime.fromisoformat(str(at)),
        note=None if note is None else str(note),
    )


def remediation_db_path(data_dir: Path) -> Path:
    return data_dir / "remediation.sqlite3"
