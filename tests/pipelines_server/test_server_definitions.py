"""The Definitions in the server profile, the dbt target per profile and its derived environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import Profile, Settings
from pipelines.dbt_cli import (
    clickhouse_server_env,
    dbt_env,
    dbt_env_overrides,
    dbt_target,
    run_dbt,
)

VALIDATE_AND_DESCRIBE = """
import warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    from pipelines.definitions import defs
    graph = defs.get_repository_def().asset_graph
ours = [str(w.message) for w in caught if "/pipelines/" in w.filename or "/config/" in w.filename]
print("OUR_WARNINGS", ours)
daily = graph.get(__import__("dagster").AssetKey(["agg_call_kpis_daily"]))
print("DAILY_PARTITIONED", daily.partitions_def is not None)
print("JOBS", sorted(job.name for job in defs.jobs))
print("SENSORS", sorted(sensor.name for sensor in defs.sensors))
print("DBT_TARGET", defs.resources["dbt"].target)
"""


def server_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        IRISX_PROFILE="server",
        IRISX_DATA_DIR=str(tmp_path / "irisx"),
        DAGSTER_HOME=str(tmp_path / "dagster"),
    )
    env.pop("IRISX_CLICKHOUSE_DSN", None)
    (tmp_path / "dagster").mkdir()
    return env


def test_server_definitions_load_without_warnings(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", VALIDATE_AND_DESCRIBE],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in completed.stdout.splitlines() if " " in line)
    assert lines["OUR_WARNINGS"] == "[]"
    assert lines["DAILY_PARTITIONED"] == "True"
    assert lines["JOBS"] == (
        "['anomaly_scoring', 'daily_marts', 'wfm_daily_forecast', 'wfm_weekly_retrain']"
    )
    assert lines["SENSORS"] == "['landed_data_sensor']"
    assert lines["DBT_TARGET"] == "clickhouse"


def test_dagster_validates_the_server_definitions(tmp_path: Path) -> None:
    dagster = Path(sys.executable).parent / "dagster"
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "pipelines.definitions"],
        env=server_env(tmp_path),
        cwd=tmp_path,  # it keeps a temporary instance folder in the working directory
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    assert "All code locations passed validation" in output
    assert "/pipelines/" not in output  # no warning or traceback points at our code


def test_dbt_target_follows_profile_and_dsn(tmp_path: Path) -> None:
    assert dbt_target(Settings(data_dir=tmp_path, profile=Profile.EMBEDDED)) == "duckdb"
    assert dbt_target(Settings(data_dir=tmp_path, profile=Profile.SERVER)) == "clickhouse"
    server = Settings(data_dir=tmp_path, profile=Profile.SERVER, clickhouse_dsn="http://ch1:8123/")
    assert dbt_target(server) == "clickhouse_server"


def test_clickhouse_server_env_from_dsn() -> None:
    assert clickhouse_server_env("https://bob:s%40cret@ch1.example:9443/") == {
        "DBT_CLICKHOUSE_HOST": "ch1.example",
        "DBT_CLICKHOUSE_PORT": "9443",
        "DBT_CLICKHOUSE_USER": "bob",
        "DBT_CLICKHOUSE_PASSWORD": "s@cret",
        "DBT_CLICKHOUSE_SECURE": "true",
    }
    defaults = clickhouse_server_env("http://ch1/")
    assert (defaults["DBT_CLICKHOUSE_PORT"], defaults["DBT_CLICKHOUSE_USER"]) == ("8123", "default")
    assert defaults["DBT_CLICKHOUSE_SECURE"] == "false"
    with pytest.raises(ValueError, match="expected http"):
        clickhouse_server_env("chdb:///var/lib/chdb")


def test_dbt_env_has_server_variables_only_with_a_server(tmp_path: Path) -> None:
    chdb = Settings(data_dir=tmp_path, profile=Profile.SERVER)
    assert set(dbt_env_overrides(chdb)) == {"IRISX_DATA_DIR", "DBT_PROFILES_DIR"}
    server = Settings(data_dir=tmp_path, profile=Profile.SERVER, clickhouse_dsn="http://ch9:8123/")
    assert dbt_env(server)["DBT_CLICKHOUSE_HOST"] == "ch9"


def test_clickhouse_server_target_parses(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "irisx",
        profile=Profile.SERVER,
        clickhouse_dsn="https://reader:pw@ch1.example:8443/",
    )
    completed = run_dbt(
        ["parse", "--target", "clickhouse_server"], settings, target_path=tmp_path / "target"
    )
    assert completed.returncode == 0, (completed.stdout + completed.stderr)[-3000:]
    assert (tmp_path / "target" / "manifest.json").is_file()
