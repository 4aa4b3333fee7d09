"""The one Dagster ``Definitions`` object of IRISX (``workspace.yaml`` loads this module)."""

from __future__ import annotations

from dagster import Definitions
from dagster_dbt import DbtCliResource

from config import get_settings
from pipelines.jobs import refresh_all_job
from pipelines.lake.assets import lake_rejection_checks, lake_schema_checks, raw_events
from pipelines.lake.sensors import inbox_sensor
from pipelines.marts.assets import irisx_dbt_models
from pipelines.marts.project import DBT_EXECUTABLE, dbt_project
from pipelines.marts.schedules import daily_refresh_schedule
from pipelines.progress import progress_logger
from pipelines.resources import IrisxResource


def build_resources(data_dir: str | None = None) -> dict[str, object]:
    """Resources for a data folder (default: the settings' ``IRISX_DATA_DIR``)."""
    return {
        "irisx": IrisxResource(data_dir=data_dir or str(get_settings().data_dir)),
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            dbt_executable=str(DBT_EXECUTABLE),
            target="duckdb",
        ),
    }


defs = Definitions(
    assets=[raw_events, irisx_dbt_models],
    asset_checks=[lake_schema_checks, lake_rejection_checks],
    jobs=[refresh_all_job],
    schedules=[daily_refresh_schedule],
    sensors=[inbox_sensor],
    resources=build_resources(),
    loggers={"progress": progress_logger},
)
