"""The asset check ``no_detector_errors``: a series whose detector raised is recorded, the
assets still materialise, the check fails and names the series; the series is retried next
run. The detection is replaced at its seam (``pipelines.anomaly.assets._detect``) by one that
reports an error for acme's tenant ASR: which series fail is not the pipeline's business."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pytest
from dagster import DagsterInstance, materialize

from config import Settings
from pipelines.anomaly import anomaly_assets, anomaly_checks
from pipelines.anomaly.build import ScoringState
from pipelines.resources import WarehouseResource
from warehouse import write_parquet_atomic

ERROR = "ValueError: no finite scores to calibrate on"


@dataclass(frozen=True)
class Detection:
    anomalies: pd.DataFrame
    incidents: pd.DataFrame
    errors: pd.DataFrame


def failing_on_tenant_asr(rows: pd.DataFrame, *, grain_minutes: int, method: str) -> Detection:
    return Detection(
        pd.DataFrame(),
        pd.DataFrame(),
        pd.DataFrame(
            [{"tenant_id": "acme", "dimension": "tenant", "dimension_value": "all",
              "kpi": "asr", "error": ERROR}]
        ),
    )  # fmt: skip


def kpi_mart() -> pa.Table:
    """Two acme series (tenant ASR, carrier c-1 ASR), hourly 2025-03-03 00:00 .. 07:00, ASR 0.6."""
    buckets = pd.date_range("2025-03-03T00:00Z", periods=8, freq="60min")
    return pa.Table.from_pandas(
        pd.DataFrame(
            [
                {"tenant_id": "acme", "bucket_start": bucket, "grain_minutes": 60,
                 "dimension": dimension, "dimension_value": value, "kpi": "asr",
                 "aggregation": "ratio", "numerator": 3.0, "denominator": 5, "value": 0.6}
                for bucket in buckets
                for dimension, value in (("tenant", "all"), ("carrier", "c-1"))
            ]
        ),
        preserve_index=False,
    )  # fmt: skip


def test_a_detector_error_fails_the_check_not_the_asset(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pipelines.anomaly.assets._detect", failing_on_tenant_asr)
    write_parquet_atomic(kpi_mart(), settings.marts_dir / "kpi_series_60m.parquet")
    run = materialize(
        [*anomaly_assets, *anomaly_checks],
        resources={"warehouse": WarehouseResource(data_dir=str(settings.data_dir))},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert run.success  # a failing check of default severity WARN does not fail the run
    assert (settings.marts_dir / "anomalies.parquet").exists()
    checks = {e.check_name: e for e in run.get_asset_check_evaluations()}
    detector = checks["no_detector_errors"]
    assert detector.passed is False
    assert detector.metadata["series_with_errors"].value == 1
    assert detector.metadata["first_errors"].value == f"acme|tenant|all|asr: {ERROR}"
    assert checks["anomaly_keys_unique"].passed
    # Only the carrier series advanced: the tenant series is retried next run.
    assert ScoringState.load(settings.data_dir, 60).scored_through == {
        "acme|carrier|c-1|asr": pd.Timestamp("2025-03-03T07:00Z")
    }
