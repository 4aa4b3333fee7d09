"""landed_data_sensor: landing entries → daily_marts runs for the right days, never twice."""

from __future__ import annotations

import os
import time
from datetime import date

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    RunRequest,
    SensorResult,
    SkipReason,
    build_sensor_context,
)

from config import Settings
from pipelines.marts.daily import irisx_dbt_views
from pipelines.marts.sensors import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    day_ranges,
    landed_data_sensor,
    prune_cursor,
)
from pipelines.resources import IrisxResource
from warehouse.landing import LandingLog


@pytest.fixture(autouse=True)
def entries_settle_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sensor reads entries once they are a second old (tests/warehouse checks that); here
    they are read as soon as written, to keep these tests quick."""
    monkeypatch.setattr(LandingLog, "settle_s", 0.0)


def evaluate(
    settings: Settings, cursor: str | None, instance: DagsterInstance | None = None
) -> SensorResult | SkipReason:
    context = build_sensor_context(
        instance=instance or DagsterInstance.ephemeral(),
        cursor=cursor,
        resources={"irisx": IrisxResource(data_dir=str(settings.data_dir))},
    )
    return landed_data_sensor(context)


def days_of(request: RunRequest) -> tuple[str, str]:
    if request.partition_key is not None:
        return (request.partition_key, request.partition_key)
    return (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG])


def test_day_ranges_join_consecutive_days() -> None:
    days = [date(2024, 5, 3), date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 9)]
    assert day_ranges(days) == [
        (date(2024, 5, 1), date(2024, 5, 3)),
        (date(2024, 5, 9), date(2024, 5, 9)),
    ]


def test_landed_days_become_partition_runs_with_one_day_lookback(settings: Settings) -> None:
    log = LandingLog(settings.landing_dir)
    log.record("call", [date(2024, 5, 31)])
    log.record("call", [date(2024, 5, 30), date(2024, 6, 10)])
    log.record("agent", [date(2024, 7, 1)])  # no daily model reads agents: no run for it
    log.record("call", [date(2023, 6, 1)])  # before the first partition: left to a full build
    result = evaluate(settings, None)
    assert isinstance(result, SensorResult)
    # 05-30 and 05-31 with a day of lookback: 05-29..05-31 in one run; 06-10: 06-09..06-10.
    assert sorted(days_of(request) for request in result.run_requests) == [
        ("2024-05-29", "2024-05-31"),
        ("2024-06-09", "2024-06-10"),
    ]
    assert len({request.run_key for request in result.run_requests}) == 2
    assert result.cursor == log.read_since(None).cursor

    # Evaluated again from its cursor: nothing new, nothing requested.
    assert isinstance(evaluate(settings, result.cursor), SkipReason)

    # A new entry after the cursor: only its day (and lookback) is requested.
    log.record("call", [date(2024, 8, 2)])
    later = evaluate(settings, result.cursor)
    assert isinstance(later, SensorResult)
    [request] = later.run_requests
    assert days_of(request) == ("2024-08-01", "2024-08-02")
    assert request.run_key not in {r.run_key for r in result.run_requests}
    assert later.cursor is not None
    assert later.cursor > (result.cursor or "")


def test_views_join_the_run_until_this_instance_has_built_them(settings: Settings) -> None:
    LandingLog(settings.landing_dir).record("call", [date(2024, 5, 30)])
    daily = {AssetKey(["fct_calls"]), AssetKey(["agg_call_kpis_daily"])}
    instance = DagsterInstance.ephemeral()
    first = evaluate(settings, None, instance)
    assert isinstance(first, SensorResult)
    assert set(first.run_requests[0].asset_selection or []) == daily | set(irisx_dbt_views.keys)
    assert AssetKey(["int_calls_deduplicated"]) in irisx_dbt_views.keys

    for key in irisx_dbt_views.keys:
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))
    again = evaluate(settings, None, instance)
    assert isinstance(again, SensorResult)
    assert set(again.run_requests[0].asset_selection or []) == daily


def test_entries_are_pruned_once_read_and_old(settings: Settings) -> None:
    log = LandingLog(settings.landing_dir)
    old = log.record("call", [date(2024, 5, 1)])
    assert old is not None
    # Make the first entry 25 hours old by renaming it (names start with the write time in ns).
    aged = f"{time.time_ns() - 25 * 3600 * 10**9:020d}" + old[20:]
    os.rename(settings.landing_dir / old, settings.landing_dir / aged)
    recent = log.record("call", [date(2024, 5, 2)])
    assert recent is not None
    # Read by a committed tick up to the recent entry: only the old one may go.
    assert prune_cursor(recent, time.time_ns()) < recent
    first = evaluate(settings, None)
    assert isinstance(first, SensorResult)
    assert sorted(p.name for p in settings.landing_dir.iterdir()) == sorted([aged, recent])
    assert isinstance(evaluate(settings, first.cursor), SkipReason)
    assert [p.name for p in settings.landing_dir.iterdir()] == [recent]
