"""The raw_events asset and its checks, materialized for real on a small inbox."""

from __future__ import annotations

from pathlib import Path

import orjson
from dagster import AssetKey, DagsterInstance, materialize
from event_samples import agent_record, call_record

from config import Settings
from ingest import DeadLetterStore
from pipelines.lake.assets import lake_rejection_checks, lake_schema_checks, raw_events
from pipelines.resources import IrisxResource
from warehouse import ParquetLake


def _write_ndjson(path: Path, records: list[object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else orjson.dumps(r).decode() for r in records]
    path.write_text("\n".join(lines) + "\n")


def _materialize(settings: Settings, instance: DagsterInstance):
    return materialize(
        [raw_events, lake_schema_checks, lake_rejection_checks],
        resources={"irisx": IrisxResource(data_dir=str(settings.data_dir))},
        instance=instance,
    )


def test_inbox_files_reach_the_lake_and_checks_judge_the_rejects(settings: Settings) -> None:
    # 50 good calls; agents: 20 good and 2 broken (2 / 22 = 9 % rejected: above the 1 % bar).
    _write_ndjson(settings.inbox_dir / "drop" / "call.ndjson", [call_record(i) for i in range(50)])
    _write_ndjson(
        settings.inbox_dir / "agent.ndjson",
        [agent_record(i) for i in range(20)] + ["{not json", agent_record(99, state="asleep")],
    )
    instance = DagsterInstance.ephemeral()
    result = _materialize(settings, instance)
    assert result.success

    lake = ParquetLake(settings.lake_dir)
    assert lake.row_count("call") == 50
    assert lake.row_count("agent") == 20
    assert DeadLetterStore(settings.deadletter_dir).count() == 2
    # Ingested files leave the inbox.
    assert (settings.inbox_dir / "processed" / "drop" / "call.ndjson").exists()
    assert not (settings.inbox_dir / "agent.ndjson").exists()

    metadata = {
        event.asset_key: event.step_materialization_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert metadata[AssetKey(["lake", "agent"])]["rejected"].value == 2
    assert metadata[AssetKey(["lake", "call"])]["accepted"].value == 50

    verdicts = {
        (e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()
    }
    assert verdicts[("call", "schema_matches_contract")] is True
    assert verdicts[("call", "rejected_share_below_1pct")] is True
    assert verdicts[("agent", "rejected_share_below_1pct")] is False

    # A second run finds nothing new: the lake is unchanged and the share check passes again.
    again = _materialize(settings, instance)
    assert again.success
    assert lake.row_count("call") == 50
    assert {
        e.asset_key.path[-1]: e.passed
        for e in again.get_asset_check_evaluations()
        if e.check_name == "rejected_share_below_1pct"
    }["agent"] is True
