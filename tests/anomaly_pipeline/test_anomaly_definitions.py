"""The anomaly assets, checks, job and schedule in the one Definitions object, in both profiles,
loading without warnings from our code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey, Definitions

from pipelines.definitions import defs

DESCRIBE = """
import warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    from dagster import AssetKey, Definitions
    from pipelines.definitions import defs
    Definitions.validate_loadable(defs)
    graph = defs.get_repository_def().asset_graph
ours = [str(w.message) for w in caught if "/pipelines/" in w.filename or "/config/" in w.filename]
print("OUR_WARNINGS", ours)
parents = graph.get(AssetKey(["anomalies"])).parent_keys
print("ANOMALY_PARENTS", sorted(k.to_user_string() for k in parents))
print("HAS_JOB", "anomaly_scoring" in {job.name for job in defs.jobs})
"""


def test_embedded_definitions_hold_the_anomaly_pipeline() -> None:
    Definitions.validate_loadable(defs)
    graph = defs.get_repository_def().asset_graph
    for name in ("anomalies", "incidents", "remediation_suggestions"):
        assert graph.get(AssetKey([name])).group_name == "anomalies"
    assert graph.get(AssetKey(["anomalies"])).parent_keys == {AssetKey(["kpi_series_60m"])}
    assert AssetKey(["incidents"]) in graph.get(AssetKey(["remediation_suggestions"])).parent_keys
    checks = {
        (key.asset_key.to_user_string(), key.name)
        for key in graph.asset_check_keys
        if key.asset_key in (AssetKey(["anomalies"]), AssetKey(["incidents"]))
    }
    assert checks == {
        ("anomalies", "no_detector_errors"),
        ("anomalies", "anomaly_keys_unique"),
        ("incidents", "incidents_are_consistent"),
    }
    schedule = defs.resolve_schedule_def("anomaly_scoring")
    assert (schedule.cron_schedule, schedule.job_name) == ("20 * * * *", "anomaly_scoring")


def test_server_definitions_hold_it_without_our_warnings(tmp_path: Path) -> None:
    env = dict(os.environ, IRISX_PROFILE="server", IRISX_DATA_DIR=str(tmp_path / "irisx"))
    env.pop("IRISX_CLICKHOUSE_DSN", None)
    completed = subprocess.run(
        [sys.executable, "-c", DESCRIBE], env=env, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in completed.stdout.splitlines() if " " in line)
    assert lines["OUR_WARNINGS"] == "[]"
    assert lines["ANOMALY_PARENTS"] == "['kpi_series_60m']"
    assert lines["HAS_JOB"] == "True"
