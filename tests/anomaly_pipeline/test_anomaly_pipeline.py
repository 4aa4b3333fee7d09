"""The anomaly assets materialised for real: simulated calls (7 days from Monday 2025-03-03,
3 tenants, seed 11) → lake → ``dbt build +kpi_series_60m`` (DuckDB) → Dagster materialises
anomalies + incidents (models_ml.anomaly.kpi.detect_kpi_anomalies), the remediation suggestions
and the checks.

Incremental: the first run sees the KPI mart cut at 2025-03-06 12:00 (as if the rest had not
arrived yet), the second the whole mart, the third the same again. The simulator's ground truth
of this seed has one carrier outage, northstar from 2025-03-06 19:54 to 22:00 UTC, after the
cut: the second run must find it (every call over northstar fails: its ASR is 0) and suggest
routing away from northstar; the third must change nothing.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from config import Settings
from ingest import DeadLetterStore
from ingest.batch import ingest_file
from pipelines.anomaly import anomaly_assets, anomaly_checks
from pipelines.anomaly.build import ScoringState, series_id
from pipelines.dbt_cli import run_dbt
from pipelines.resources import WarehouseResource
from telephony.simulator import SimulationConfig, simulate, write_result
from warehouse import ParquetLake, write_parquet_atomic
from warehouse.remediation import RemediationStore, SuggestionState, remediation_db_path

CONFIG = SimulationConfig(
    days=7, tenants=3, seed=11, start=date(2025, 3, 3), families=frozenset({"call"})
)
CUT = pd.Timestamp("2025-03-06T12:00:00Z")


def _run(settings: Settings) -> Any:
    run = materialize(
        [*anomaly_assets, *anomaly_checks],
        resources={"warehouse": WarehouseResource(data_dir=str(settings.data_dir))},
        instance=DagsterInstance.ephemeral(),
    )
    assert run.success
    return run


def _marts(settings: Settings) -> dict[str, Any]:
    return {
        name: pq.read_table(settings.marts_dir / f"{name}.parquet")
        for name in ("anomalies", "incidents")
    }


def _metadata(run: Any, key: str) -> dict[str, Any]:
    (event,) = [e for e in run.get_asset_materialization_events() if e.asset_key == AssetKey([key])]
    return {name: value.value for name, value in event.materialization.metadata.items()}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("anomaly_pipeline")
    settings = Settings(data_dir=root / "irisx")
    settings.ensure_dirs()
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    result = simulate(CONFIG)
    written = write_result(result, root / "simulated")
    ingested = ingest_file(Path(written["call"]), lake, DeadLetterStore(settings.deadletter_dir))
    assert ingested.unreadable is None, ingested
    with mock.patch.dict(os.environ):  # dbt runs export IRISX_DATA_DIR: undo afterwards
        completed = run_dbt(
            ["build", "--select", "+kpi_series_60m", "--indirect-selection", "cautious"],
            settings,
            target_path=root / "dbt-target",
        )
        assert completed.returncode == 0, completed.stdout[-3000:]
        mart_path = settings.marts_dir / "kpi_series_60m.parquet"
        full = pq.read_table(mart_path)
        cut = full.filter(pc.less(full.column("bucket_start"), CUT.to_pydatetime()))
        assert 0 < cut.num_rows < full.num_rows
        write_parquet_atomic(cut, mart_path)
        runs = [_run(settings)]
        marts = [_marts(settings)]
        scored_after_first = ScoringState.load(settings.data_dir, 60).scored_through
        write_parquet_atomic(full, mart_path)
        for _ in range(2):
            runs.append(_run(settings))
            marts.append(_marts(settings))
    return {
        "settings": settings,
        "runs": runs,
        "marts": marts,
        "truth": result.ground_truth,
        "full": full.to_pandas(),
        "scored_after_first": scored_after_first,
    }


def test_assets_materialise_and_checks_pass(pipeline: dict[str, Any]) -> None:
    for run in pipeline["runs"]:
        materialised = {e.asset_key for e in run.get_asset_materialization_events()}
        assert materialised == {
            AssetKey(["anomalies"]),
            AssetKey(["incidents"]),
            AssetKey(["remediation_suggestions"]),
        }
        checks = {e.check_name: e for e in run.get_asset_check_evaluations()}
        assert set(checks) == {
            "no_detector_errors",
            "anomaly_keys_unique",
            "incidents_are_consistent",
        }
        assert checks["anomaly_keys_unique"].passed
        assert checks["incidents_are_consistent"].passed
        # The detector check fails exactly when a series' detector raised (recorded, retried).
        errors = checks["no_detector_errors"].metadata["series_with_errors"].value
        assert checks["no_detector_errors"].passed is (errors == 0)


def test_the_injected_carrier_outage_is_found_with_a_suggestion(pipeline: dict[str, Any]) -> None:
    outages = [row for row in pipeline["truth"] if row["kind"] == "carrier_outage"]
    assert [(o["carrier_id"], o["start"][:16], o["end"][:16]) for o in outages] == [
        ("northstar", "2025-03-06T19:54", "2025-03-06T22:00")
    ]
    start, end = pd.Timestamp("2025-03-06T19:54Z"), pd.Timestamp("2025-03-06T22:00Z")
    incidents = pipeline["marts"][1]["incidents"].to_pandas()
    found = incidents[
        (incidents["dimension"] == "carrier")
        & (incidents["dimension_value"] == "northstar")
        & (incidents["kpi"] == "asr")
        & (incidents["start"] < end)
        & (incidents["end"] + pd.Timedelta(minutes=60) > start)
    ]
    assert len(found) >= 1
    assert set(found["direction"]) == {"down"}
    assert found["alert"].all()
    # Its anomalies: every call over northstar failed, ASR 0 against a positive expected rate
    # (per bucket the interval of a few calls may reach 0; the evidence is the run of buckets
    # and the platform-wide series: models_ml.anomaly.kpi).
    anomalies = pipeline["marts"][1]["anomalies"].to_pandas()
    inside = anomalies[
        (anomalies["dimension_value"] == "northstar")
        & (anomalies["kpi"] == "asr")
        # hourly buckets wholly inside the outage (20:00 and 21:00): no call answered
        & (anomalies["bucket_start"] >= start.ceil("60min"))
        & (anomalies["bucket_start"] + pd.Timedelta(minutes=60) <= end)
    ]
    assert len(inside) >= 1
    assert (inside["value"] == 0).all()
    assert (inside["expected"] > 0).all()
    assert inside["explanation"].str.contains("northstar").all()
    store = RemediationStore(remediation_db_path(pipeline["settings"].data_dir))
    suggested = {
        (s.tenant_id, s.incident_id): s
        for s in store.list(state=SuggestionState.PENDING)
        if s.action == "route_away_from_carrier" and s.target == "northstar"
    }
    assert set(zip(found["tenant_id"], found["incident_id"], strict=True)) <= set(suggested)


def test_scoring_is_incremental_and_verdicts_are_final(pipeline: dict[str, Any]) -> None:
    first, second = pipeline["runs"][:2]
    cut_rows = pipeline["full"][pd.to_datetime(pipeline["full"]["bucket_start"], utc=True) < CUT]
    after_cut = pipeline["full"].drop(cut_rows.index)
    assert _metadata(first, "anomalies")["buckets_scored"] == len(cut_rows)
    # Run 2 scored the buckets after the cut, and again from the start the series whose
    # detector raised in run 1 (they kept no watermark: retried; none when nothing raised).
    retried = ~cut_rows.apply(series_id, axis=1).isin(set(pipeline["scored_after_first"]))
    assert _metadata(second, "anomalies")["buckets_scored"] == len(after_cut) + retried.sum()
    before = pipeline["marts"][0]["anomalies"].to_pandas()
    after = pipeline["marts"][1]["anomalies"].to_pandas()
    key = ["tenant_id", "dimension", "dimension_value", "kpi", "bucket_start"]
    # Every anomaly published by run 1 is still there, unchanged.
    kept = before.merge(after, on=key, suffixes=("", "_after"))
    assert len(kept) == len(before)
    assert (kept["value"] == kept["value_after"]).all()
    assert (kept["score"] == kept["score_after"]).all()
    assert (after.loc[~after["anomaly_id"].isin(before["anomaly_id"]), "bucket_start"] >= CUT).all()


def test_a_rerun_over_the_same_data_changes_nothing(pipeline: dict[str, Any]) -> None:
    second, third = pipeline["marts"][1:]
    assert third["anomalies"].equals(second["anomalies"])
    assert third["incidents"].equals(second["incidents"])
    # Nothing new: only series whose detector raised are tried again (none without errors).
    (check,) = [
        e
        for e in pipeline["runs"][1].get_asset_check_evaluations()
        if e.check_name == "no_detector_errors"
    ]
    retried = check.metadata["series_with_errors"].value
    assert _metadata(pipeline["runs"][2], "anomalies")["series_scored"] == retried
    assert _metadata(pipeline["runs"][2], "remediation_suggestions")["new"] == 0
    incidents = third["incidents"].to_pandas()
    assert not incidents["incident_id"].duplicated().any()
    assert (incidents["start"] <= incidents["end"]).all()
