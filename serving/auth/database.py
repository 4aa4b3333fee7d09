"""The auth SQLite file (``Settings.auth_db_path``): API keys and webhook secrets.

Created on first use with owner-only permissions, in WAL mode so that the API's reads never wait
for the CLI writing a key or a secret. Each store adds its own tables (``create table if not
exists``) through :meth:`AuthDatabase.connection`.

Each thread keeps one connection open: opening the file per call cost ~0.2 ms of a key lookup
that takes ~5 µs on an open connection. Every transaction still reads the latest commit (WAL
readers see what other connections committed before they began), so a revoked key is refused
on the next request.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path


class AuthDatabase:
    """One SQLite file; ``schema`` (a script of idempotent statements) runs once per instance."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self.schema = schema
        self._ready = False
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """One transaction on this thread's connection: committed on success, rolled back on
        error. Rows are ``Row``s."""
        self._ensure_schema()
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=10.0)
            connection.row_factory = sqlite3.Row
            self._local.connection = connection
        with connection:
            yield connection

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Owner-only file: it holds key digests and webhook secrets.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            with closing(sqlite3.connect(self.path, timeout=10.0)) as connection:
                connection.execute("pragma journal_mode=wal")
                connection.executescript(self.schema)
                connection.commit()
            self._ready = True
