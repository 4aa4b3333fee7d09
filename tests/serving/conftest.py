"""Serving fixtures: a real Parquet mart with known rows, a real SQLite key store, the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config import Settings
from serving.app import create_app
from serving.auth import ApiKeyStore
from tests.serving.kpi_data import ACME_ROWS, GLOBEX_ROWS, write_mart


@pytest.fixture
def published(settings: Settings) -> Path:
    """The call KPI mart, tenants interleaved so that file order never separates them."""
    a, g = ACME_ROWS, GLOBEX_ROWS
    return write_mart(settings.marts_dir, [a[0], g[0], a[1], g[1], a[2], a[3], a[4]])


@pytest.fixture
def key_store(settings: Settings) -> ApiKeyStore:
    return ApiKeyStore(settings.auth_db_path)


@pytest.fixture
def acme_key(key_store: ApiKeyStore) -> str:
    return key_store.create("acme", name="acme-bi")[1]


@pytest.fixture
def globex_key(key_store: ApiKeyStore) -> str:
    return key_store.create("globex")[1]


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client
