"""dbt models as Dagster assets: sources map onto the lake assets, groups follow dbt folders."""

from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from pipelines.marts.project import dbt_project, manifest_path
from pipelines.resources import IrisxResource


class IrisxDbtTranslator(DagsterDbtTranslator):
    """Owns asset keys and groups of dbt resources.

    - source ``lake.<family>`` → ``lake/<family>``: the raw_events asset that writes it;
    - models keep their name as key; group = ``staging`` / ``intermediate`` / the marts area
      (``marts/voice_ops/*`` → ``voice_ops``).
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "lake"
        folders = dbt_resource_props["fqn"][1:-1]  # drop project name and model name
        if not folders:
            return "dbt"
        if folders[0] == "marts" and len(folders) > 1:
            return folders[1]
        return folders[0]


dbt_translator = IrisxDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=manifest_path(), dagster_dbt_translator=dbt_translator, project=dbt_project)
def irisx_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, irisx: IrisxResource):
    """``dbt build``: runs the selected models and their tests (reported as asset checks)."""
    irisx.export_for_dbt()
    yield from dbt.cli(["build"], context=context).stream()
