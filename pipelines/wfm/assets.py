"""WFM assets (group ``wfm``): forecasts, staffing, accuracy and the plan, from the
``queue_interval_stats`` mart. Each publishes a mart (``warehouse.python_marts``) the API reads;
``lake/wfm_plan_intervals`` writes the plan that the dbt source of the same key feeds into
``service_level_variance``.

Lineage: queue_interval_stats → forecast_models (weekly) → forecast_intervals (daily) →
staffing_requirements → forecast_accuracy, and forecast_intervals + staffing_requirements →
lake/wfm_plan_intervals → (dbt) stg_irisx__wfm_plan_intervals → service_level_variance.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
from dagster import AssetKey, MaterializeResult, asset

from config import Settings
from pipelines.resources import WarehouseResource
from pipelines.wfm.build import (
    build_forecast_accuracy,
    build_forecast_intervals,
    build_forecast_models,
    build_plan_intervals,
    build_staffing_requirements,
    interval_stats_frame,
)
from pipelines.wfm.config import WfmResource
from warehouse.marts import MartNotPublished
from warehouse.python_marts import publish_mart, read_mart, write_plan

WFM_GROUP = "wfm"
QUEUE_INTERVAL_STATS = AssetKey(["queue_interval_stats"])
#: The dbt source ``lake.wfm_plan_intervals`` (asset key of sources: [source, table]).
PLAN_KEY = AssetKey(["lake", "wfm_plan_intervals"])

FORECAST_MODELS = "forecast_models"
FORECAST_INTERVALS = "forecast_intervals"
STAFFING_REQUIREMENTS = "staffing_requirements"
FORECAST_ACCURACY = "forecast_accuracy"


def _stats(settings: Settings) -> pd.DataFrame:
    return interval_stats_frame(read_mart(settings, "queue_interval_stats"))


def _mart_or_empty(settings: Settings, mart: str) -> pd.DataFrame:
    try:
        return read_mart(settings, mart).to_pandas()
    except MartNotPublished:
        return pd.DataFrame()


def _now() -> datetime:
    return datetime.now(UTC)


def _publish(settings: Settings, mart: str, table: pa.Table, **extra: object) -> MaterializeResult:
    """Publish ``table`` as ``mart``; the materialization says where and how many rows."""
    where = publish_mart(settings, mart, table)
    return MaterializeResult(metadata={"published": where, "rows": table.num_rows, **extra})


@asset(
    name=FORECAST_MODELS,
    group_name=WFM_GROUP,
    deps=[QUEUE_INTERVAL_STATS],
    description="Per tenant, queue and series: candidates' backtest scores and the model chosen "
    "(lowest MASE over one-day rolling origins). Retrained weekly.",
)
def forecast_models(warehouse: WarehouseResource, wfm: WfmResource) -> MaterializeResult:
    settings = warehouse.settings()
    table = build_forecast_models(_stats(settings), wfm.config(), _now())
    selected = table.filter(table.column("is_selected")).num_rows
    return _publish(settings, FORECAST_MODELS, table, selected_series=selected)


@asset(
    name=FORECAST_INTERVALS,
    group_name=WFM_GROUP,
    deps=[QUEUE_INTERVAL_STATS, FORECAST_MODELS],
    description="Per tenant, queue and 15-minute interval: forecast volume and AHT (mean, 80/95 % "
    "intervals) for the next horizon_days from the midnight after the last complete day.",
)
def forecast_intervals(warehouse: WarehouseResource, wfm: WfmResource) -> MaterializeResult:
    settings = warehouse.settings()
    table = build_forecast_intervals(
        _stats(settings),
        _mart_or_empty(settings, FORECAST_MODELS),
        _mart_or_empty(settings, FORECAST_INTERVALS),
        wfm.config(),
        _now(),
    )
    return _publish(settings, FORECAST_INTERVALS, table)


@asset(
    name=STAFFING_REQUIREMENTS,
    group_name=WFM_GROUP,
    deps=[FORECAST_INTERVALS],
    description="Per forecast interval: agents and positions the tenant's service targets need "
    "(Erlang C, or Erlang A with a patience), with the SL, ASA and occupancy they achieve.",
)
def staffing_requirements(warehouse: WarehouseResource, wfm: WfmResource) -> MaterializeResult:
    settings = warehouse.settings()
    forecasts = _mart_or_empty(settings, FORECAST_INTERVALS)
    table = build_staffing_requirements(forecasts, wfm.config())
    return _publish(settings, STAFFING_REQUIREMENTS, table)


@asset(
    name=FORECAST_ACCURACY,
    group_name=WFM_GROUP,
    deps=[QUEUE_INTERVAL_STATS, FORECAST_MODELS, FORECAST_INTERVALS, STAFFING_REQUIREMENTS],
    description="Backtest and realised accuracy per tenant, queue and series: MASE, sMAPE, "
    "coverage of the 80/95 % intervals, and the staffing error (agent-intervals over/under).",
)
def forecast_accuracy(warehouse: WarehouseResource, wfm: WfmResource) -> MaterializeResult:
    settings = warehouse.settings()
    table = build_forecast_accuracy(
        _stats(settings),
        _mart_or_empty(settings, FORECAST_MODELS),
        _mart_or_empty(settings, FORECAST_INTERVALS),
        _mart_or_empty(settings, STAFFING_REQUIREMENTS),
        wfm.config(),
        _now(),
    )
    return _publish(settings, FORECAST_ACCURACY, table)


@asset(
    key=PLAN_KEY,
    group_name=WFM_GROUP,
    deps=[FORECAST_INTERVALS, STAFFING_REQUIREMENTS],
    description="The newest forecast and staffing per tenant written as an interval plan (like "
    "`irisx wfm plan import`): what service_level_variance compares the actuals with.",
)
def wfm_plan_intervals(warehouse: WarehouseResource) -> MaterializeResult:
    settings = warehouse.settings()
    plans = build_plan_intervals(
        _mart_or_empty(settings, FORECAST_INTERVALS),
        _mart_or_empty(settings, STAFFING_REQUIREMENTS),
        _now(),
    )
    written: list[str] = []
    for tenant, (import_id, table) in plans.items():
        written += write_plan(settings, tenant, table, import_id)
    rows = sum(table.num_rows for _, table in plans.values())
    return MaterializeResult(metadata={"written": ", ".join(written), "rows": rows})


wfm_assets = [
    forecast_models,
    forecast_intervals,
    staffing_requirements,
    forecast_accuracy,
    wfm_plan_intervals,
]
#: Keys of the Python WFM assets: the daily refresh leaves them to the WFM schedules.
WFM_ASSET_KEYS = [
    AssetKey([FORECAST_MODELS]),
    AssetKey([FORECAST_INTERVALS]),
    AssetKey([STAFFING_REQUIREMENTS]),
    AssetKey([FORECAST_ACCURACY]),
    PLAN_KEY,
]
