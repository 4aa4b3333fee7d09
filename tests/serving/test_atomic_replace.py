"""The mart is replaced atomically while requests run: every answer is one whole version."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from config import Settings
from serving.app import create_app
from tests.serving.kpi_data import bearer, kpi_row, write_mart
from warehouse import ParquetMartReader

URL = "/v1/kpis/calls/daily"
PARAMS = {"from": "2024-03-01", "to": "2024-03-31"}


def version_rows(version: int) -> list[dict[str, Any]]:
    # Versions differ in row count, values and file size, so a torn read cannot pass as either.
    days = 3 if version == 1 else 30
    rows = [
        kpi_row("acme", date(2024, 3, day), "inbound", 100 * version + day, version, 10 * version)
        for day in range(1, days + 1)
    ]
    rows += [kpi_row("globex", date(2024, 3, 1), "inbound", 5000 + version, 1, 1)] * (40 * version)
    return rows


def expected_offered(version: int) -> list[int]:
    days = 3 if version == 1 else 30
    return [100 * version + day for day in range(1, days + 1)]


class Republisher(threading.Thread):
    """Replaces the mart with version 1, 2, 1, 2, ... until stopped."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(daemon=True)
        self.settings = settings
        self.stop = threading.Event()
        self.replacements = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                write_mart(self.settings.marts_dir, version_rows(1 + self.replacements % 2))
                self.replacements += 1
        except BaseException as exc:  # surfaced by the test
            self.error = exc


def test_requests_during_replacement_see_one_whole_version(settings: Settings) -> None:
    write_mart(settings.marts_dir, version_rows(1))
    from serving.auth import ApiKeyStore

    key = ApiKeyStore(settings.auth_db_path).create("acme")[1]
    writer = Republisher(settings)
    seen: dict[int, int] = {1: 0, 2: 0}
    requests = 0
    with TestClient(create_app(settings)) as client:
        writer.start()
        try:
            deadline = time.monotonic() + 20
            # Until both versions were served several times (proves replacements are picked up).
            while (min(seen.values()) < 5 or requests < 60) and time.monotonic() < deadline:
                response = client.get(URL, params=PARAMS, headers=bearer(key))
                requests += 1
                assert response.status_code == 200, response.text
                offered = [row["offered"] for row in response.json()["rows"]]
                assert offered in (expected_offered(1), expected_offered(2)), offered
                seen[1 if offered == expected_offered(1) else 2] += 1
        finally:
            writer.stop.set()
            writer.join(timeout=10)

    assert writer.error is None
    assert writer.replacements > 10
    assert min(seen.values()) >= 5, seen


def test_concurrent_readers_during_replacement(settings: Settings) -> None:
    """Several threads read through one ParquetMartReader while the file is replaced."""
    write_mart(settings.marts_dir, version_rows(1))
    reader = ParquetMartReader(settings.marts_dir)
    writer = Republisher(settings)
    failures: list[str] = []
    reads = [0]

    def read_many() -> None:
        for _ in range(60):
            try:
                table = reader.read_for_tenant(
                    "agg_call_kpis_daily", "acme", columns=["offered"], order_by=["call_date"]
                )
            except Exception as exc:
                failures.append(repr(exc))
                continue
            offered = table.column("offered").to_pylist()
            if offered not in (expected_offered(1), expected_offered(2)):
                failures.append(f"torn read: {offered}")
            reads[0] += 1

    writer.start()
    try:
        threads = [threading.Thread(target=read_many) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        writer.stop.set()
        writer.join(timeout=10)

    assert writer.error is None
    assert failures == []
    assert reads[0] == 240
    assert writer.replacements > 10
