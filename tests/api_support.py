"""Fixtures and helpers the API test modules share: hand-made marts published both ways, the
app's test client, and API keys.

A module that serves the same rows from both profiles defines a module-scoped ``data_dir``
fixture (usually ``publish_both_ways(...)``) and imports ``settings`` (run once per profile),
``client``, ``acme`` and ``globex`` from here; a module that builds its own ``settings`` imports
only ``client``, ``acme`` and ``globex``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from config import Profile, Settings
from serving.app import create_app
from serving.auth import ApiKeyStore
from tests.chdb_marts import publish_to_chdb
from warehouse import write_parquet_atomic


def publish_parquet(settings: Settings, marts: Mapping[str, pa.Table]) -> None:
    """Each mart as ``<marts_dir>/<mart>.parquet``, as the embedded profile publishes it."""
    for mart, table in marts.items():
        write_parquet_atomic(table, settings.marts_dir / f"{mart}.parquet")


def publish_both_ways(
    tmp_path_factory: pytest.TempPathFactory, name: str, marts: Mapping[str, pa.Table]
) -> Path:
    """A fresh data dir with ``marts`` published as Parquet files and as chDB tables."""
    settings = Settings(data_dir=tmp_path_factory.mktemp(name) / "irisx")
    settings.ensure_dirs()
    publish_parquet(settings, marts)
    publish_to_chdb(settings.chdb_dir, dict(marts))
    return settings.data_dir


def api_key(settings: Settings, tenant: str) -> dict[str, str]:
    """The header of a new API key of ``tenant``."""
    return {"X-API-Key": ApiKeyStore(settings.auth_db_path).create(tenant)[1]}


@pytest.fixture(scope="module", params=[Profile.EMBEDDED, Profile.SERVER])
def settings(request: pytest.FixtureRequest, data_dir: Path) -> Settings:
    """The module's data dir in each profile: the same rows from Parquet and from chDB."""
    return Settings(data_dir=data_dir, profile=request.param)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def acme(settings: Settings) -> dict[str, str]:
    return api_key(settings, "acme")


@pytest.fixture(scope="module")
def globex(settings: Settings) -> dict[str, str]:
    return api_key(settings, "globex")


def problem_field(response: httpx.Response) -> str:
    """The parameter a 422 validation problem names first (asserting it is one)."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    field: str = response.json()["errors"][0]["field"]
    return field


def assert_unpublished_and_keyed(tmp_path: Path, profile: Profile, paths: list[str]) -> None:
    """On a fresh data dir (nothing published) each path needs a key (401 without one) and
    answers 503 mart-not-published with one."""
    empty = Settings(data_dir=tmp_path / "irisx", profile=profile)
    empty.ensure_dirs()
    headers = api_key(empty, "acme")
    with TestClient(create_app(empty)) as fresh:
        for path in paths:
            assert fresh.get(path.partition("?")[0]).status_code == 401
            response = fresh.get(path, headers=headers)
            assert response.status_code == 503, response.text
            assert response.json()["type"] == "urn:irisx:problem:mart-not-published"
