"""The API keeps answering from published marts while a pipeline run holds the DuckDB file."""

from __future__ import annotations

import subprocess
import time

import duckdb
from fastapi.testclient import TestClient

from config import Settings
from serving.app import create_app
from serving.auth import ApiKeyStore
from tests.e2e.conftest import IRISX, DemoRun


def test_api_answers_while_dbt_rebuilds_the_marts(demo_run: DemoRun) -> None:
    settings = Settings(data_dir=demo_run.data_dir)
    mart = settings.marts_dir / "agg_call_kpis_daily.parquet"
    [(tenant_id,)] = duckdb.sql(f"select min(tenant_id) from read_parquet('{mart}')").fetchall()
    _, key = ApiKeyStore(settings.auth_db_path).create(tenant_id, name="during-run")
    client = TestClient(create_app(settings))
    headers = {"Authorization": f"Bearer {key}"}
    baseline = client.get("/v1/kpis/calls/daily", headers=headers)
    assert baseline.status_code == 200
    assert baseline.json()["rows"], "the demo tenant has KPI rows"

    run = subprocess.Popen(
        [IRISX, "materialize"],
        env=demo_run.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    answered_while_running = 0
    try:
        while run.poll() is None:
            response = client.get("/v1/kpis/calls/daily", headers=headers)
            assert response.status_code == 200, response.text
            if run.poll() is None:
                answered_while_running += 1
            time.sleep(0.05)
    finally:
        run.wait(timeout=600)
    assert run.returncode == 0
    # The run takes seconds; the API must have served many requests during it.
    assert answered_while_running >= 10
    assert client.get("/v1/kpis/calls/daily", headers=headers).json() == baseline.json()
