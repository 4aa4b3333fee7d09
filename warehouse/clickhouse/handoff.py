"""Sharing one chDB folder between the stream worker and dbt runs.

chDB locks ``<folder>/status``: one process at a time, even to read. With a ClickHouse server
none of this applies. On chDB, a process that needs the folder for a while (a dbt run) files a
*request* (a small file naming its pid) in ``<folder>.requests/`` and opens the folder with
retries; the worker, which otherwise keeps the folder open, looks for requests between batches,
closes its client, and reopens it once no live request is left. Messages wait in JetStream
meanwhile, so nothing is lost, only delayed. A request whose process died is ignored and removed,
so a crashed dbt run never stalls the worker for good.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def requests_dir(chdb_folder: Path) -> Path:
    return chdb_folder.with_name(chdb_folder.name + ".requests")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:  # a zombie (exited, not yet reaped by its parent) holds no lock any more
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def live_requests(chdb_folder: Path) -> list[Path]:
    """Requests whose process still runs; stale ones (dead pid, unreadable) are removed."""
    folder = requests_dir(chdb_folder)
    if not folder.is_dir():
        return []
    alive: list[Path] = []
    for request in folder.iterdir():
        if request.name.startswith("."):
            continue
        try:
            pid = int(request.read_text().strip() or "0")
        except (OSError, ValueError):
            pid = 0
        if pid > 0 and _pid_alive(pid):
            alive.append(request)
        else:
            request.unlink(missing_ok=True)
    return alive


@contextmanager
def chdb_folder_requested(chdb_folder: Path, *, pid: int | None = None) -> Iterator[Path]:
    """Ask holders of ``chdb_folder`` to let go while the block runs (pass the pid of the
    subprocess that will open it, default this process); the request is withdrawn on exit."""
    folder = requests_dir(chdb_folder)
    folder.mkdir(parents=True, exist_ok=True)
    request = folder / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    request.write_text(str(pid or os.getpid()))
    try:
        yield request
    finally:
        request.unlink(missing_ok=True)


def open_chdb_client(dsn: str, *, timeout_s: float, poll_s: float = 0.25) -> Client:
    """A clickhouse-connect client on a chDB folder (``chdb:///folder``), retried every
    ``poll_s`` while another process holds the folder; after ``timeout_s`` the last error is
    raised. Call it inside :func:`chdb_folder_requested` so the holder lets go."""
    import clickhouse_connect

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return clickhouse_connect.get_client(dsn=dsn)
        except Exception:  # the folder is locked by the worker or a dbt run
            if time.monotonic() >= deadline:
                raise
            time.sleep(poll_s)


class FolderYield:
    """The holder's side: ``should_yield()`` is cheap enough to call between every batch."""

    def __init__(self, chdb_folder: Path, *, check_every_s: float = 0.5) -> None:
        self.chdb_folder = chdb_folder
        self.check_every_s = check_every_s
        self._next_check = 0.0

    def should_yield(self) -> bool:
        now = time.monotonic()
        if now < self._next_check:
            return False
        self._next_check = now + self.check_every_s
        return bool(live_requests(self.chdb_folder))

    def wait_until_free(self, *, poll_s: float = 0.2, max_wait_s: float = 3600.0) -> float:
        """Block until no live request is left (or ``max_wait_s``); returns seconds waited."""
        started = time.monotonic()
        while live_requests(self.chdb_folder) and time.monotonic() - started < max_wait_s:
            time.sleep(poll_s)
        self._next_check = 0.0
        return time.monotonic() - started
