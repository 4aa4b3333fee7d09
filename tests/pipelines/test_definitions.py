"""The one Definitions object loads and wires lake assets, dbt models, checks, schedule, sensor."""

from __future__ import annotations

from dagster import AssetKey

from ingest.contracts import FAMILIES
from pipelines.definitions import defs


def test_definitions_load_with_expected_assets() -> None:
    repo = defs.get_repository_def()
    keys = set(repo.asset_graph.get_all_asset_keys())
    for family in FAMILIES:
        assert AssetKey(["lake", family]) in keys
    assert AssetKey(["stg_irisx__calls"]) in keys
    assert AssetKey(["fct_calls"]) in keys
    assert AssetKey(["agg_call_kpis_daily"]) in keys


def test_dbt_sources_depend_on_lake_assets_and_groups_follow_folders() -> None:
    graph = defs.get_repository_def().asset_graph
    staging = graph.get(AssetKey(["stg_irisx__calls"]))
    assert AssetKey(["lake", "call"]) in staging.parent_keys
    assert staging.group_name == "staging"
    assert graph.get(AssetKey(["agg_call_kpis_daily"])).group_name == "voice_ops"
    assert graph.get(AssetKey(["lake", "call"])).group_name == "lake"


def test_dbt_tests_and_lake_checks_are_asset_checks() -> None:
    graph = defs.get_repository_def().asset_graph
    check_keys = graph.asset_check_keys
    checked_assets = {key.asset_key for key in check_keys}
    assert AssetKey(["agg_call_kpis_daily"]) in checked_assets
    assert AssetKey(["stg_irisx__calls"]) in checked_assets
    names = {key.name for key in check_keys if key.asset_key == AssetKey(["lake", "call"])}
    assert "schema_matches_contract" in names


def test_schedule_and_sensor_target_the_refresh_job() -> None:
    schedule = defs.resolve_schedule_def("daily_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.job_name == "refresh_all"
    assert defs.resolve_sensor_def("inbox_sensor").job_name == "refresh_all"
