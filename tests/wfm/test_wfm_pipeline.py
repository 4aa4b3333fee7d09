"""The WFM assets materialised for real: simulated calls and agent events (17 days from Monday
2025-03-03, two tenants) → lake → dbt build of ``queue_interval_stats`` (DuckDB) → Dagster
materialises forecast_models, forecast_intervals, staffing_requirements, forecast_accuracy and the
plan → dbt reads the plan back through ``stg_irisx__wfm_plan_intervals``.

Expected by construction: the data ends with 2025-03-19 (day 17), so every queue is forecast for
the next day, 2025-03-20, 00:00 … 23:45 UTC (96 intervals); 17 days leave exactly three one-day
backtest origins after two weeks of history (03-17, 03-18, 03-19), so every volume model is
chosen by backtest over 3 folds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from config import Settings
from ingest import DeadLetterStore
from ingest.batch import ingest_file
from pipelines.dbt_cli import run_dbt
from pipelines.definitions import defs
from pipelines.resources import WarehouseResource
from pipelines.wfm import WfmResource, wfm_assets
from telephony.simulator import SimulationConfig, simulate, write_result
from warehouse import ParquetLake
from warehouse.wfm_plan import initialize_plan_intervals, plan_dir

START = date(2025, 3, 3)
ORIGIN = datetime(2025, 3, 20, tzinfo=UTC)
CONFIG = SimulationConfig(
    days=17, tenants=2, seed=3, start=START, scale=0.3, families=frozenset({"call", "agent"})
)
VOLUME_MODELS = ("weekly_average", "intraday_profile")


def _dbt(settings: Settings, root: Path, *select: str) -> None:
    completed = run_dbt(
        ["build", "--select", *select, "--indirect-selection", "cautious"],
        settings,
        target_path=root / "dbt-target",
    )
    assert completed.returncode == 0, completed.stdout[-3000:]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("wfm_pipeline")
    settings = Settings(data_dir=root / "irisx")
    settings.ensure_dirs()
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    initialize_plan_intervals(settings.lake_dir)
    written = write_result(simulate(CONFIG), root / "simulated")
    for family in ("call", "agent"):
        result = ingest_file(Path(written[family]), lake, DeadLetterStore(settings.deadletter_dir))
        assert result.unreadable is None, result
        assert result.written, result
    with mock.patch.dict(os.environ):  # the resource exports IRISX_DATA_DIR: undo afterwards
        _dbt(settings, root, "+queue_interval_stats")
        run = materialize(
            wfm_assets,
            resources={
                "warehouse": WarehouseResource(data_dir=str(settings.data_dir)),
                "wfm": WfmResource(volume_models=",".join(VOLUME_MODELS)),
            },
            instance=DagsterInstance.ephemeral(),
        )
        assert run.success
        _dbt(settings, root, "stg_irisx__wfm_plan_intervals")
        marts = {
            name: pq.read_table(settings.marts_dir / f"{name}.parquet").to_pandas()
            for name in (
                "queue_interval_stats",
                "forecast_models",
                "forecast_intervals",
                "staffing_requirements",
                "forecast_accuracy",
            )
        }
        with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
            staged = con.sql(
                "select tenant_id, queue_id, count(*) as n, min(interval_start) as first "
                "from stg_irisx__wfm_plan_intervals group by all order by all"
            ).fetchall()
        yield {"settings": settings, "run": run, "marts": marts, "staged": staged}


def _queues(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["tenant_id"], frame["queue_id"], strict=True))


def test_every_asset_materialised(pipeline: dict[str, Any]) -> None:
    materialised = {e.asset_key for e in pipeline["run"].get_asset_materialization_events()}
    assert materialised == {
        AssetKey(["forecast_models"]),
        AssetKey(["forecast_intervals"]),
        AssetKey(["staffing_requirements"]),
        AssetKey(["forecast_accuracy"]),
        AssetKey(["lake", "wfm_plan_intervals"]),
    }


def test_the_forecast_covers_the_next_day_for_each_queue(pipeline: dict[str, Any]) -> None:
    stats, forecasts = (
        pipeline["marts"]["queue_interval_stats"],
        pipeline["marts"]["forecast_intervals"],
    )
    queues = _queues(stats[stats["offered"] > 0])
    assert len(queues) == 5  # the simulator's two tenants have 3 + 2 inbound queues
    assert _queues(forecasts) == queues
    expected = list(pd.date_range(ORIGIN, periods=96, freq="15min"))
    for _, rows in forecasts.groupby(["tenant_id", "queue_id"]):
        assert list(pd.to_datetime(rows["interval_start"], utc=True)) == expected
        assert (pd.to_datetime(rows["forecast_origin"], utc=True) == ORIGIN).all()
    bands = forecasts
    assert (bands["volume_lo95"] <= bands["volume_lo80"]).all()
    assert (bands["volume_lo80"] <= bands["volume_hi80"]).all()
    assert (bands["volume_hi80"] <= bands["volume_hi95"]).all()
    assert (bands["aht_mean_sec"] > 0).all()


def test_models_are_chosen_by_backtest(pipeline: dict[str, Any]) -> None:
    models = pipeline["marts"]["forecast_models"]
    volume = models[models["series"] == "volume"]
    for _, rows in volume.groupby(["tenant_id", "queue_id"]):
        # The candidates plus seasonal naive, always scored.
        assert set(rows["model"]) == {"seasonal_naive", *VOLUME_MODELS}
        assert (rows["selected_by"] == "backtest").all()
        assert (rows["backtest_folds"] == 3).all()
        selected = rows[rows["is_selected"]]
        assert len(selected) == 1
        assert selected["mase"].iloc[0] == rows["mase"].min()
    forecasts = pipeline["marts"]["forecast_intervals"]
    chosen = volume[volume["is_selected"]].set_index(["tenant_id", "queue_id"])["model"]
    used = forecasts.groupby(["tenant_id", "queue_id"])["volume_model"].first()
    assert used.to_dict() == chosen.to_dict()


def test_staffing_uses_the_forecast_and_the_targets(pipeline: dict[str, Any]) -> None:
    forecasts = pipeline["marts"]["forecast_intervals"]
    staffing = pipeline["marts"]["staffing_requirements"]
    keys = ["tenant_id", "queue_id", "interval_start"]
    joined = forecasts.merge(staffing, on=keys, validate="one_to_one")
    assert len(joined) == len(forecasts) == len(staffing)
    assert (joined["forecast_calls"] == joined["volume_mean"]).all()
    assert (joined["staffing_model"] == "erlang_c").all()
    assert (
        (staffing[["target_service_level", "max_occupancy", "shrinkage"]] == [0.8, 0.85, 0.3])
        .all()
        .all()
    )
    busy = staffing[staffing["forecast_calls"] > 0]
    assert (busy["agents"] >= 1).all()
    assert (busy["service_level"] >= 0.8).all()
    assert (busy["occupancy"] <= 0.85 + 1e-12).all()
    assert (staffing["positions"] >= staffing["agents"]).all()


def test_accuracy_holds_the_backtest_scores(pipeline: dict[str, Any]) -> None:
    accuracy = pipeline["marts"]["forecast_accuracy"]
    models = pipeline["marts"]["forecast_models"]
    backtest = accuracy[accuracy["evaluation"] == "backtest"]
    keys = ["tenant_id", "queue_id", "series", "model"]
    assert sorted(map(tuple, backtest[keys].to_numpy())) == sorted(
        map(tuple, models[models["mase"].notna()][keys].to_numpy())
    )
    volume = backtest[backtest["series"] == "volume"]
    assert volume["agent_intervals_over"].notna().all()
    assert (volume["intervals"] == 3 * 96).all()
    # No stored forecast has actuals yet on a first run: nothing realised.
    assert (accuracy["evaluation"] == "backtest").all()


def test_the_plan_reaches_dbt(pipeline: dict[str, Any]) -> None:
    settings: Settings = pipeline["settings"]
    staffing = pipeline["marts"]["staffing_requirements"]
    for tenant, rows in staffing.groupby("tenant_id"):
        plan = pq.read_table(
            plan_dir(settings.lake_dir) / str(tenant) / f"wfm-forecast-{tenant}-20250320.parquet"
        ).to_pandas()
        merged = plan.merge(rows, on=["queue_id", "interval_start"], validate="one_to_one")
        assert len(merged) == len(rows)
        assert (merged["planned_agents"] == merged["agents"]).all()
        assert (merged["planned_calls"] == merged["forecast_calls"]).all()
    counts = staffing.groupby(["tenant_id", "queue_id"]).size()
    assert [(t, q, n) for t, q, n, _ in pipeline["staged"]] == [
        (t, q, int(n)) for (t, q), n in counts.items()
    ]
    assert {first for *_, first in pipeline["staged"]} == {ORIGIN}


def test_definitions_schedule_the_wfm_jobs() -> None:
    daily = defs.resolve_schedule_def("wfm_daily_forecast")
    weekly = defs.resolve_schedule_def("wfm_weekly_retrain")
    assert (daily.cron_schedule, daily.job_name) == ("30 3 * * *", "wfm_daily_forecast")
    assert (weekly.cron_schedule, weekly.job_name) == ("30 4 * * 1", "wfm_weekly_retrain")
    graph = defs.get_repository_def().asset_graph
    assert graph.get(AssetKey(["forecast_intervals"])).group_name == "wfm"
    assert (
        AssetKey(["lake", "wfm_plan_intervals"])
        in graph.get(AssetKey(["stg_irisx__wfm_plan_intervals"])).parent_keys
    )
    # The daily refresh rebuilds dbt models but leaves the weekly backtest to its schedule.
    refresh = defs.resolve_job_def("refresh_all").asset_layer.executable_asset_keys
    assert AssetKey(["fct_calls"]) in refresh
    assert AssetKey(["forecast_models"]) not in refresh
    daily = defs.resolve_job_def("wfm_daily_forecast").asset_layer.executable_asset_keys
    assert {key.to_user_string() for key in daily} == {
        "forecast_intervals",
        "staffing_requirements",
        "forecast_accuracy",
        "lake/wfm_plan_intervals",
    }
