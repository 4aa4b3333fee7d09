"""GET /v1/metrics/definitions from a dbt manifest parsed from this project (dbt parse, real)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from config import Settings
from pipelines.dbt_cli import prepare_manifest
from serving.app import create_app
from serving.auth import ApiKeyStore


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("manifest")
    return prepare_manifest(Settings(data_dir=root / "irisx"), target_path=root / "target")


def _get(settings: Settings) -> object:
    key = ApiKeyStore(settings.auth_db_path).create("acme")[1]
    with TestClient(create_app(settings)) as client:
        return client.get("/v1/metrics/definitions", headers={"X-API-Key": key})


def test_definitions_list_every_marts_metric_with_versions(tmp_path: Path, manifest: Path) -> None:
    settings = Settings(data_dir=tmp_path / "irisx", dbt_manifest_file=manifest)
    response = _get(settings)
    assert response.status_code == 200, response.text
    body = response.json()
    found = {(m["model"], m["name"]): m for m in body["metrics"]}
    for key in [
        ("mrr_by_customer_month", "mrr"),
        ("mrr_bridge", "mrr_bridge"),
        ("churn_and_retention", "net_revenue_retention"),
        ("churn_and_retention", "logo_churn_rate"),
        ("queue_interval_stats", "occupancy"),
        ("agent_performance_daily", "adherence"),
    ]:
        assert key in found, key
        assert found[key]["version"] >= 1
        assert found[key]["definition"].strip()
    assert "customers active" in found[("churn_and_retention", "logo_churn_rate")]["definition"]
    assert response.headers["ETag"] == f'"{body["definitions_hash"]}"'
    assert [(m["model"], m["name"]) for m in body["metrics"]] == sorted(found)


def test_a_changed_definition_changes_the_hash(tmp_path: Path, manifest: Path) -> None:
    before = _get(Settings(data_dir=tmp_path / "a", dbt_manifest_file=manifest)).json()
    document = json.loads(manifest.read_text())
    for node in document["nodes"].values():
        if node.get("name") == "mrr_bridge" and node["resource_type"] == "model":
            meta = node.get("meta") or node["config"]["meta"]
            meta["metrics"][0]["version"] = 2
            meta["metrics"][0]["definition"] = "changed"
    changed = tmp_path / "manifest.json"
    changed.write_text(json.dumps(document))
    after = _get(Settings(data_dir=tmp_path / "b", dbt_manifest_file=changed)).json()
    assert after["definitions_hash"] != before["definitions_hash"]
    bridge = next(m for m in after["metrics"] if m["model"] == "mrr_bridge")
    assert (bridge["version"], bridge["definition"]) == (2, "changed")


def test_missing_manifest_is_a_503_problem(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "irisx", dbt_manifest_file=tmp_path / "none.json")
    response = _get(settings)
    assert response.status_code == 503
    assert response.json()["type"] == "urn:irisx:problem:definitions-unavailable"


def test_the_etag_answers_304_until_a_definition_changes(tmp_path: Path, manifest: Path) -> None:
    settings = Settings(data_dir=tmp_path / "irisx", dbt_manifest_file=manifest)
    key = {"X-API-Key": ApiKeyStore(settings.auth_db_path).create("acme")[1]}
    with TestClient(create_app(settings)) as client:
        etag = client.get("/v1/metrics/definitions", headers=key).headers["ETag"]
        for held in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            unchanged = client.get(
                "/v1/metrics/definitions", headers={**key, "If-None-Match": held}
            )
            assert (unchanged.status_code, unchanged.content) == (304, b""), held
            assert unchanged.headers["ETag"] == etag
        stale = client.get("/v1/metrics/definitions", headers={**key, "If-None-Match": '"old"'})
    assert stale.status_code == 200
    assert stale.json()["metrics"]
