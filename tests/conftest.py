"""Fixtures shared by every test area. Area-specific fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import nats
import nats.js.errors
import psycopg
import pytest

from config import Settings
from ingest.contracts import FAMILIES
from ingest.transport import JetStreamConfig, stream_name

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at a fresh, empty data directory."""
    built = Settings(data_dir=tmp_path / "irisx")
    built.ensure_dirs()
    return built


@pytest.fixture
def plain_dsn() -> Iterator[str]:
    """A fresh database per test (safe under pytest -n), dropped afterwards."""
    name = f"hotstore_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(ADMIN_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 not reachable: {error}")
    with admin:
        admin.execute(f"create database {name}")
        try:
            yield f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
        finally:
            admin.execute(f"drop database if exists {name} with (force)")


async def _delete_streams(config: JetStreamConfig) -> None:
    nc = await nats.connect(config.url)
    js = nc.jetstream()
    for family in FAMILIES:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(stream_name(config, family))
    await nc.close()


@pytest.fixture
def js_config() -> Iterator[JetStreamConfig]:
    """JetStream streams of this test only (own prefix and subject root), deleted afterwards."""
    tag = uuid.uuid4().hex[:12]
    # Small streams: the NATS server is shared with parallel test workers and other users.
    config = JetStreamConfig(
        stream_prefix=f"T{tag}", subject_root=f"t{tag}", max_bytes=64 * 1024**2
    )
    yield config
    asyncio.run(_delete_streams(config))
