"""Hot store fixtures: a throwaway database on the machine's PostgreSQL (plain path) and a
PGlite + TimescaleDB server started from scripts/timescaledb (TimescaleDB path)."""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from warehouse.hotstore import PostgresHotStore

SERVER_DIR = Path(__file__).resolve().parents[2] / "scripts" / "timescaledb"


def _installed_server_dir() -> Path:
    """npm ci of scripts/timescaledb into a cache outside the repo, keyed by the lockfile so a
    changed pin reinstalls; installed into a temp folder and renamed, so parallel workers never
    see a half-written install."""
    lock = (SERVER_DIR / "package-lock.json").read_bytes()
    cache_root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    target = cache_root / "irisx" / f"timescaledb-{hashlib.sha256(lock).hexdigest()[:16]}"
    if (target / "node_modules").is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".install-"))
    for name in ("package.json", "package-lock.json", "server.mjs"):
        shutil.copy2(SERVER_DIR / name, staging / name)
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=staging,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"npm ci failed: {result.stderr.strip()[-500:]}")
    try:
        staging.rename(target)
    except OSError:  # another worker finished first
        shutil.rmtree(staging, ignore_errors=True)
    # server.mjs may have changed without the lockfile changing: always run the repo's copy.
    shutil.copy2(SERVER_DIR / "server.mjs", target / "server.mjs")
    return target


@pytest.fixture
def store(plain_dsn: str) -> Iterator[PostgresHotStore]:
    """A migrated plain-flavour store on a throwaway database of the machine's PostgreSQL
    (tests/hotstore/test_hotstore_timescaledb.py has its own, on PGlite)."""
    with PostgresHotStore(plain_dsn, retention_days=7) as hot:
        assert hot.flavour == "plain"
        hot.migrate()
        yield hot


@pytest.fixture(scope="session")
def timescaledb_dsn() -> Iterator[str]:
    """Start PGlite with TimescaleDB on a free port; skip (with the error) if it cannot run."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not installed: cannot run the PGlite TimescaleDB server")
    try:
        server_dir = _installed_server_dir()
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
        pytest.skip(f"cannot install the PGlite TimescaleDB server: {error}")
    shutil.copy2(SERVER_DIR / "server.mjs", server_dir / "server.mjs")
    process = subprocess.Popen(
        ["node", "server.mjs", "0"],
        cwd=server_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        port = _wait_for_port(process, timeout_s=60.0)
        # PGlite's socket server asks for a password and accepts any.
        yield (
            f"host=127.0.0.1 port={port} user=postgres password=postgres"
            " dbname=postgres sslmode=disable"
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(process: subprocess.Popen[str], timeout_s: float) -> int:
    """Read the server's output on a thread so a silent, hung server cannot block past the
    deadline; returns the port from its "LISTENING <port>" line."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stdout:
            lines.put(line.rstrip())
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if line.startswith("LISTENING "):
            return int(line.split()[1])
    process.kill()
    pytest.skip(f"PGlite TimescaleDB server did not start: {' | '.join(seen[-5:]) or 'no output'}")
