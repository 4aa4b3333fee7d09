"""Server profile: the dbt project as daily-partitioned assets on ClickHouse.

The per-day models (dbt tag ``daily``: ``fct_calls``, ``agg_call_kpis_daily``) are partitioned by
UTC day: partition ``2024-05-30`` holds the rows whose ``call_date`` is that day. A run of one
partition, or of a range in a single run (``BackfillPolicy.single_run()``), is one ``dbt build``
with the vars ``window_start`` (first day, inclusive) and ``window_end`` (day after the last,
exclusive): on ClickHouse those models are incremental (``delete_insert``), so only the window's
rows are recomputed and replace what the table held for them (see ``dbt/README.md``,
"Incremental runs on ClickHouse"). Everything else (staging and intermediate views) is one
unpartitioned asset set; the ``daily_marts`` job rebuilds it too so that a run on a fresh
warehouse finds the views it reads (views cost milliseconds to create).

Raw tables ``irisx_raw.<family>`` are external assets (``lake/<family>``): the stream worker
(``irisx worker``) fills them, and ``landed_data_sensor`` turns what it landed into runs.

Backfills: in the UI select ``fct_calls`` and ``agg_call_kpis_daily``, "Materialize" and pick a
partition range (one run, one dbt invocation); from the CLI ``IRISX_PROFILE=server dagster asset
materialize -m pipelines.definitions --select 'fct_calls,agg_call_kpis_daily' --partition-range
2024-05-01...2024-05-31``.
"""

import json
from collections.abc import Iterator, Mapping
from typing import Any, Final

from dagster import (
    AssetExecutionContext,
    AssetSelection,
    AssetSpec,
    BackfillPolicy,
    DailyPartitionsDefinition,
    define_asset_job,
)
from dagster_dbt import DbtCliResource, dbt_assets

from ingest.contracts import FAMILIES
from pipelines.lake.assets import LAKE_GROUP, RAW_ASSET_KEYS
from pipelines.marts.assets import dbt_translator
from pipelines.marts.project import dbt_project, manifest_path
from pipelines.resources import WarehouseResource

#: dbt tag of the per-day models (set by the macro daily_incremental_config) and its selector.
DAILY_TAG: Final = "daily"
DAILY_SELECT: Final = f"tag:{DAILY_TAG}"

#: First day a partition exists for; earlier data is only reached by a full ``dbt build``.
#: Early enough for the simulator's and the tests' data.
DAILY_PARTITIONS_START: Final = "2024-01-01"

#: UTC days; ``end_offset=1`` makes today a partition, so today's calls reach the marts today
#: (by default Dagster's last daily partition is yesterday, the last complete day).
daily_partitions = DailyPartitionsDefinition(
    start_date=DAILY_PARTITIONS_START, end_offset=1, timezone="UTC"
)

#: The raw ClickHouse tables the dbt sources ``lake.<family>`` read in the server profile.
raw_table_specs = [
    AssetSpec(
        key,
        group_name=LAKE_GROUP,
        description=f"Raw {family} events in ClickHouse table irisx_raw.{family}, written by the "
        "stream worker (irisx worker); the landing log says which days got data",
        kinds={"clickhouse"},
    )
    for family, key in RAW_ASSET_KEYS.items()
]


def window_vars(context: AssetExecutionContext) -> dict[str, str]:
    """The dbt vars of a run's partition (range): ``[window_start, window_end)`` as ISO dates."""
    window = context.partition_time_window
    return {
        "window_start": window.start.date().isoformat(),
        "window_end": window.end.date().isoformat(),
    }


def families_feeding(manifest: Mapping[str, Any], select_tag: str) -> frozenset[str]:
    """Raw event families whose sources lie upstream of the models tagged ``select_tag``: only
    new data of those families changes a daily model."""
    nodes = manifest["nodes"]
    pending = [key for key, node in nodes.items() if select_tag in node.get("tags", [])]
    seen: set[str] = set()
    families: set[str] = set()
    while pending:
        key = pending.pop()
        if key in seen:
            continue
        seen.add(key)
        if key.startswith("source."):
            families.add(manifest["sources"][key]["name"])
        elif key in nodes:
            pending.extend(nodes[key]["depends_on"]["nodes"])
    return frozenset(families & set(FAMILIES))


@dbt_assets(
    manifest=manifest_path(),
    dagster_dbt_translator=dbt_translator,
    project=dbt_project,
    exclude=DAILY_SELECT,
    name="irisx_dbt_views",
)
def irisx_dbt_views(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """``dbt build`` of the unpartitioned models (staging, intermediate views) and their tests."""
    with warehouse.dbt_session():
        yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=manifest_path(),
    dagster_dbt_translator=dbt_translator,
    project=dbt_project,
    select=DAILY_SELECT,
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    name="irisx_dbt_daily",
)
def irisx_dbt_daily(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """``dbt build`` of the per-day models for this run's days only, and their tests."""
    args = ["build", "--vars", json.dumps(window_vars(context))]
    with warehouse.dbt_session():
        yield from dbt.cli(args, context=context).stream()


#: What the landed-data sensor runs: the views, then the partition (range) of the daily models.
daily_marts_job = define_asset_job(
    "daily_marts",
    selection=AssetSelection.assets(irisx_dbt_daily, irisx_dbt_views),
    description="Rebuild the daily marts for the run's days (incremental on ClickHouse).",
)

#: Families whose landed days start a daily_marts run.
DAILY_FAMILIES: Final = families_feeding(json.loads(manifest_path().read_text()), DAILY_TAG)
