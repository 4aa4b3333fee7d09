"""Python-computed marts published on the server profile (chDB): created, then replaced whole,
and read back by the API's ClickHouse mart reader for one tenant."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from config import Profile, Settings
from warehouse.marts import ClickHouseMartReader
from warehouse.python_marts import publish_mart, read_mart


def test_publish_replaces_the_clickhouse_mart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "irisx", profile=Profile.SERVER)
    settings.ensure_dirs()
    first = pa.table({"tenant_id": ["acme", "globex"], "agents": [3, 4], "sl": [0.8, None]})
    second = pa.table({"tenant_id": ["acme"], "agents": [5], "sl": [0.9]})
    assert publish_mart(settings, "wfm_demo_mart", first) == "irisx.wfm_demo_mart"
    assert read_mart(settings, "wfm_demo_mart").num_rows == 2
    publish_mart(settings, "wfm_demo_mart", second)  # the exchange path: the table exists
    assert read_mart(settings, "wfm_demo_mart").to_pylist() == [
        {"tenant_id": "acme", "agents": 5, "sl": 0.9}
    ]
    reader = ClickHouseMartReader(settings.warehouse_dsn, chdb_folder=settings.chdb_dir)
    assert reader.read_for_tenant("wfm_demo_mart", "globex").num_rows == 0
    assert reader.read_for_tenant("wfm_demo_mart", "acme").column("agents").to_pylist() == [5]
    assert "wfm_demo_mart" in reader.published()
    assert not any(name.startswith("_publish") for name in reader.published())
