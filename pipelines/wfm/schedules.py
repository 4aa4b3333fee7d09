"""WFM jobs and their schedules: forecast daily after the 02:00 refresh, retrain weekly.

- ``wfm_daily_forecast`` (03:30 UTC every day): forecast_intervals, staffing_requirements,
  forecast_accuracy and the plan, with the models the last retrain selected;
- ``wfm_weekly_retrain`` (Monday 04:30 UTC): forecast_models (the backtest and the model choice)
  and everything downstream of it, so the new choice is used at once.

The daily ``refresh_all`` job leaves these assets out (pipelines/jobs.py): a daily refresh must
not re-run the weekly backtest.
"""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from pipelines.scheduling import utc_schedule
from pipelines.wfm.assets import (
    forecast_accuracy,
    forecast_intervals,
    forecast_models,
    staffing_requirements,
    wfm_plan_intervals,
)

_DAILY = [forecast_intervals, staffing_requirements, forecast_accuracy, wfm_plan_intervals]

wfm_daily_forecast_job = define_asset_job(
    "wfm_daily_forecast",
    selection=AssetSelection.assets(*_DAILY),
    description="Forecast the next day(s) per queue, staff them, score past forecasts, "
    "write the plan.",
)
wfm_weekly_retrain_job = define_asset_job(
    "wfm_weekly_retrain",
    selection=AssetSelection.assets(forecast_models, *_DAILY),
    description="Backtest the candidate models per series, select, then forecast with the choice.",
)

wfm_daily_forecast_schedule = utc_schedule(
    "wfm_daily_forecast",
    wfm_daily_forecast_job,
    "30 3 * * *",
    "03:30 UTC: after the 02:00 refresh has rebuilt queue_interval_stats.",
)
wfm_weekly_retrain_schedule = utc_schedule(
    "wfm_weekly_retrain",
    wfm_weekly_retrain_job,
    "30 4 * * 1",
    "Mondays 04:30 UTC: rolling-origin backtest and model choice per series.",
)

wfm_jobs = [wfm_daily_forecast_job, wfm_weekly_retrain_job]
wfm_schedules = [wfm_daily_forecast_schedule, wfm_weekly_retrain_schedule]
