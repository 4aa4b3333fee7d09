"""Raw-event ingest: inbox files → validated Parquet lake (+ dead letters), one asset per family."""

import os
from pathlib import Path

import pyarrow.parquet as pq
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    AssetSpec,
    Config,
    MaterializeResult,
    multi_asset,
    multi_asset_check,
)
from pydantic import Field

from ingest import BatchResult, ingest_paths
from ingest.contracts import FAMILIES, family_schema
from pipelines.lake.inbox import archive, pending_files
from pipelines.resources import IrisxResource

LAKE_GROUP = "lake"

#: Asset key of each family's raw table; dbt sources ``lake.<family>`` map onto these.
RAW_ASSET_KEYS = {family: AssetKey(["lake", family]) for family in FAMILIES}


class IngestConfig(Config):
    """Which files to ingest. Empty: every pending file in the inbox."""

    paths: list[str] = Field(default_factory=list)


@multi_asset(
    specs=[
        AssetSpec(
            key,
            group_name=LAKE_GROUP,
            description=f"Raw {family} events: append-only Parquet, validated by the contract",
            kinds={"parquet"},
        )
        for family, key in RAW_ASSET_KEYS.items()
    ],
    name="raw_events",
)
def raw_events(context: AssetExecutionContext, config: IngestConfig, irisx: IrisxResource):
    """Validate inbox files, write accepted events to the lake and rejects to the dead letters."""
    settings = irisx.settings()
    settings.ensure_dirs()
    files = (
        [Path(p) for p in config.paths]
        if config.paths
        else [item.path for item in pending_files(settings.inbox_dir, settle_seconds=0)]
    )

    def observe(batch: BatchResult) -> None:
        # One observation per family a file fed: progress displays and the UI show per-file counts.
        name = Path(batch.source).name
        if batch.unreadable:
            context.log.warning(f"{name}: unreadable ({batch.unreadable}); kept in dead letters")
        for family, counts in batch.counts.items():
            if family in RAW_ASSET_KEYS:
                context.log_event(
                    AssetObservation(
                        asset_key=RAW_ASSET_KEYS[family],
                        metadata={
                            "source": name,
                            "accepted": counts.accepted,
                            "duplicates": counts.duplicates,
                            "rejected": counts.rejected,
                        },
                    )
                )

    report = ingest_paths(
        files,
        irisx.lake(),
        irisx.dead_letters(),
        workers=max(1, min(len(files), os.cpu_count() or 1)),
        on_batch=observe,
    )
    for path in files:
        if path.is_relative_to(settings.inbox_dir) and path.exists():
            archive(settings.inbox_dir, path)
    context.log.info(f"ingested {len(files)} file(s): {report.summary()}")
    for family, key in RAW_ASSET_KEYS.items():
        counts = report.counts(family)
        yield MaterializeResult(
            asset_key=key,
            metadata={
                "files": len(files),
                "accepted": counts.accepted,
                "duplicates": counts.duplicates,
                "rejected": counts.rejected,
                "lake_rows": irisx.lake().row_count(family),
            },
        )


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            "schema_matches_contract",
            asset=key,
            description="Every lake file of this family has the contract's Arrow schema",
        )
        for key in RAW_ASSET_KEYS.values()
    ],
    can_subset=True,
)
def lake_schema_checks(context: AssetCheckExecutionContext, irisx: IrisxResource):
    """Schema drift check: reads only Parquet footers, so it stays cheap as the lake grows."""
    lake = irisx.lake()
    for family, key in RAW_ASSET_KEYS.items():
        if key not in {spec.asset_key for spec in context.selected_asset_check_keys}:
            continue
        expected = family_schema(family)
        drifted = [
            str(path)
            for path in lake.files(family)
            if not pq.read_schema(path).remove_metadata().equals(expected)
        ]
        yield AssetCheckResult(
            asset_key=key,
            check_name="schema_matches_contract",
            passed=not drifted,
            severity=AssetCheckSeverity.ERROR,
            metadata={"files_checked": len(lake.files(family)), "drifted": drifted[:20]},
        )


#: Share of rejected records above which the latest ingest of a family is flagged.
MAX_REJECTED_SHARE = 0.01


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            "rejected_share_below_1pct",
            asset=key,
            description="At most 1 % of the records of the latest ingest went to dead letters",
        )
        for key in RAW_ASSET_KEYS.values()
    ],
    can_subset=True,
)
def lake_rejection_checks(context: AssetCheckExecutionContext):
    """A producer that starts sending bad records shows up here (and in the dead letters)."""
    selected = {spec.asset_key for spec in context.selected_asset_check_keys}
    for key in RAW_ASSET_KEYS.values():
        if key not in selected:
            continue
        event = context.instance.get_latest_materialization_event(key)
        metadata = (
            event.asset_materialization.metadata if event and event.asset_materialization else {}
        )
        accepted = int(getattr(metadata.get("accepted"), "value", 0) or 0)
        rejected = int(getattr(metadata.get("rejected"), "value", 0) or 0)
        share = rejected / (accepted + rejected) if accepted + rejected else 0.0
        yield AssetCheckResult(
            asset_key=key,
            check_name="rejected_share_below_1pct",
            passed=share <= MAX_REJECTED_SHARE,
            severity=AssetCheckSeverity.WARN,
            metadata={"accepted": accepted, "rejected": rejected, "rejected_share": share},
        )
