"""Fixtures for the ingest tests: a real Parquet lake and dead-letter store in a tmp folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from config import Settings
from ingest import DeadLetterStore
from warehouse import ParquetLake


@pytest.fixture
def lake(settings: Settings) -> ParquetLake:
    built = ParquetLake(settings.lake_dir)
    built.initialize()
    return built


@pytest.fixture
def deadletters(settings: Settings) -> DeadLetterStore:
    return DeadLetterStore(settings.deadletter_dir)


@pytest.fixture
def write_ndjson(tmp_path: Path) -> Callable[[str, list[Any]], Path]:
    """Write records (dicts, or raw strings for broken lines) as NDJSON under tmp_path/input."""

    def write(name: str, records: list[Any]) -> Path:
        path = tmp_path / "input" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [r if isinstance(r, str) else orjson.dumps(r).decode() for r in records]
        path.write_text("\n".join(lines) + "\n")
        return path

    return write
