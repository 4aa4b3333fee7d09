"""``irisx apikey`` and ``irisx serve`` through the real CLI."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from config import Settings, get_settings
from irisx.cli import app as cli
from serving.auth import ApiKeyStore
from tests.serving.kpi_data import bearer

URL = "/v1/kpis/calls/daily"
PARAMS = {"from": "2024-03-01", "to": "2024-03-02"}


@pytest.fixture
def runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI reads get_settings(): point it at this test's data folder."""
    monkeypatch.setenv("IRISX_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def printed_key(output: str) -> str:
    match = re.search(r"^api_key: (irx_\S+)$", output, flags=re.MULTILINE)
    assert match is not None, output
    return match.group(1)


@pytest.mark.usefixtures("published")
def test_apikey_create_prints_a_key_that_authenticates(
    runner: CliRunner, client: TestClient, settings: Settings
) -> None:
    result = runner.invoke(cli, ["apikey", "create", "--tenant", "acme", "--name", "bi-tool"])

    assert result.exit_code == 0, result.output
    assert "will not be shown again" in result.output
    key = printed_key(result.stdout)
    stored = ApiKeyStore(settings.auth_db_path).authenticate(key)
    assert stored is not None
    assert (stored.tenant_id, stored.name) == ("acme", "bi-tool")
    response = client.get(URL, params=PARAMS, headers=bearer(key))
    assert response.status_code == 200
    assert response.json()["tenant_id"] == "acme"


def test_apikey_list_and_revoke(runner: CliRunner, settings: Settings) -> None:
    key = printed_key(runner.invoke(cli, ["apikey", "create", "--tenant", "acme"]).stdout)
    key_id = key.split("_")[1]

    listed = runner.invoke(cli, ["apikey", "list"])
    assert listed.exit_code == 0
    assert key_id in listed.stdout
    assert "acme" in listed.stdout
    assert key.split("_", 2)[2] not in listed.stdout  # the secret is never printed again

    revoked = runner.invoke(cli, ["apikey", "revoke", key_id])
    assert revoked.exit_code == 0
    assert f"revoked {key_id}" in revoked.stdout
    assert ApiKeyStore(settings.auth_db_path).authenticate(key) is None
    again = runner.invoke(cli, ["apikey", "revoke", key_id])
    assert "already revoked" in again.stdout

    unknown = runner.invoke(cli, ["apikey", "revoke", "0123456789abcdef"])
    assert unknown.exit_code == 1
    assert "no API key with key_id '0123456789abcdef'" in unknown.output


def test_apikey_create_rejects_a_bad_tenant(runner: CliRunner, settings: Settings) -> None:
    result = runner.invoke(cli, ["apikey", "create", "--tenant", "Not A Slug"])

    assert result.exit_code == 2
    assert "tenant_id 'Not A Slug'" in result.output
    assert "api_key:" not in result.output
    assert ApiKeyStore(settings.auth_db_path).list() == []


def test_irisx_serve_answers_http(settings: Settings, published: Path) -> None:
    key = ApiKeyStore(settings.auth_db_path).create("acme")[1]
    env = {**os.environ, "IRISX_DATA_DIR": str(settings.data_dir)}
    command = [sys.executable, "-c", "from irisx.cli import main; main()", "serve", "--port", "0"]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        base = _wait_for_url(server, timeout_s=30)
        health = httpx.get(f"{base}/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        kpis = httpx.get(f"{base}{URL}", params=PARAMS, headers=bearer(key), timeout=10)
        assert kpis.status_code == 200
        assert [row["offered"] for row in kpis.json()["rows"]] == [10, 20, 5]
    finally:
        server.terminate()
        server.wait(timeout=15)


def _wait_for_url(server: subprocess.Popen[str], timeout_s: float) -> str:
    """The address uvicorn prints once it listens (port 0: the kernel picked a free one)."""
    lines: queue.Queue[str] = queue.Queue()
    assert server.stderr is not None
    stream = server.stderr

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError(f"server did not start: {''.join(seen)}") from None
        seen.append(line)
        match = re.search(r"running on (http://\S+)", line)
        if match:
            return match.group(1)


def test_serve_with_several_workers_needs_a_fixed_port(runner: CliRunner) -> None:
    # Each uvicorn worker process would pick its own free port: refused before serving.
    result = runner.invoke(cli, ["serve", "--workers", "2", "--port", "0"])
    assert result.exit_code == 2
    assert "--workers > 1 needs a fixed port" in result.output
