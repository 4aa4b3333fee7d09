"""The one Dagster ``Definitions`` object of IRISX (``workspace.yaml`` loads this module).

What it holds depends on the deployment profile (``IRISX_PROFILE``), read once at import:

- ``embedded``: inbox files → Parquet lake (``raw_events`` and its checks) → every dbt model on
  DuckDB in one unpartitioned asset set; the ``refresh_all`` job, its daily schedule and the inbox
  sensor.
- ``server``: raw ClickHouse tables filled by the stream worker (external assets) → the dbt
  project on ClickHouse, the per-day marts partitioned by day and run incrementally
  (``pipelines.marts.daily``); the ``daily_marts`` job and ``landed_data_sensor``.

The two profiles model the same dbt models under the same asset keys (``fct_calls`` is one asset,
partitioned or not), and one Definitions object cannot hold an asset key twice: so the profile
picks one variant at import rather than both living side by side.
"""

from __future__ import annotations

import os

from dagster import Definitions
from dagster_dbt import DbtCliResource

from config import Profile, Settings, get_settings
from pipelines.anomaly import anomaly_assets, anomaly_checks, anomaly_jobs, anomaly_schedules
from pipelines.dbt_cli import dbt_target
from pipelines.jobs import refresh_all_job
from pipelines.lake.assets import lake_rejection_checks, lake_schema_checks, raw_events
from pipelines.lake.sensors import inbox_sensor
from pipelines.marts.assets import irisx_dbt_models
from pipelines.marts.daily import daily_marts_job, irisx_dbt_daily, irisx_dbt_views, raw_table_specs
from pipelines.marts.project import DBT_EXECUTABLE, dbt_project
from pipelines.marts.schedules import daily_refresh_schedule
from pipelines.marts.sensors import landed_data_sensor
from pipelines.progress import progress_logger
from pipelines.resources import IrisxResource, WarehouseResource
from pipelines.wfm import WfmResource, wfm_assets, wfm_jobs, wfm_schedules


def build_resources(data_dir: str | None = None) -> dict[str, object]:
    """Resources of this deployment (profile, warehouse DSN from the settings) for a data folder
    (default: the settings' ``IRISX_DATA_DIR``). The dbt target follows the profile: ``duckdb``,
    ``clickhouse`` (chDB in the data folder) or ``clickhouse_server`` (``IRISX_CLICKHOUSE_DSN``)."""
    configured = get_settings()
    settings = Settings(
        data_dir=data_dir or configured.data_dir,
        profile=configured.profile,
        clickhouse_dsn=configured.clickhouse_dsn,
    )
    return {
        "irisx": IrisxResource(data_dir=str(settings.data_dir)),
        "warehouse": WarehouseResource(
            data_dir=str(settings.data_dir),
            profile=settings.profile.value,
            clickhouse_dsn=settings.clickhouse_dsn,
        ),
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            dbt_executable=str(DBT_EXECUTABLE),
            target=dbt_target(settings),
        ),
        # Per-tenant service targets of the WFM staffing (JSON, see pipelines/wfm/config.py).
        "wfm": WfmResource(tenant_targets_json=os.environ.get("IRISX_WFM_TARGETS", "")),
    }


def _embedded_definitions() -> Definitions:
    return Definitions(
        assets=[raw_events, irisx_dbt_models, *wfm_assets, *anomaly_assets],
        asset_checks=[lake_schema_checks, lake_rejection_checks, *anomaly_checks],
        jobs=[refresh_all_job, *wfm_jobs, *anomaly_jobs],
        schedules=[daily_refresh_schedule, *wfm_schedules, *anomaly_schedules],
        sensors=[inbox_sensor],
        resources=build_resources(),
        loggers={"progress": progress_logger},
    )


def _server_definitions() -> Definitions:
    return Definitions(
        assets=[*raw_table_specs, irisx_dbt_views, irisx_dbt_daily, *wfm_assets, *anomaly_assets],
        asset_checks=anomaly_checks,
        jobs=[daily_marts_job, *wfm_jobs, *anomaly_jobs],
        schedules=[*wfm_schedules, *anomaly_schedules],
        sensors=[landed_data_sensor],
        resources=build_resources(),
        loggers={"progress": progress_logger},
    )


defs = (
    _server_definitions() if get_settings().profile is Profile.SERVER else _embedded_definitions()
)
