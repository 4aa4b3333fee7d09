"""Workforce-management pipeline: forecasts, staffing, accuracy and the plan (docs/wfm.md)."""

from pipelines.wfm.assets import WFM_ASSET_KEYS, wfm_assets
from pipelines.wfm.config import WfmConfig, WfmResource
from pipelines.wfm.schedules import wfm_jobs, wfm_schedules

__all__ = ["WFM_ASSET_KEYS", "WfmConfig", "WfmResource", "wfm_assets", "wfm_jobs", "wfm_schedules"]
