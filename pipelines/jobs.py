"""Jobs: what the schedule, the sensor and the demo run."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

#: Ingest whatever is waiting, then rebuild every dbt model downstream (and run its tests).
refresh_all_job = define_asset_job(
    "refresh_all",
    selection=AssetSelection.all(),
    description="Ingest pending inbox files and rebuild all models and marts.",
)
