"""Jobs: what the schedule, the sensor and the demo run."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from pipelines.wfm.assets import WFM_ASSET_KEYS

#: Ingest whatever is waiting, then rebuild every dbt model downstream (and run its tests).
#: The Python WFM assets run on their own schedules (pipelines/wfm/schedules.py).
refresh_all_job = define_asset_job(
    "refresh_all",
    selection=AssetSelection.all() - AssetSelection.assets(*WFM_ASSET_KEYS),
    description="Ingest pending inbox files and rebuild all models and marts.",
)
