"""``irisx dbt prepare`` / ``irisx dbt build`` and pipelines.dbt_cli, on real dbt runs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbt_test_support import AGG_CALL_KPIS_DAILY_COLUMNS, new_data_dir
from typer.testing import CliRunner

from config import Settings, get_settings
from ingest.contracts import (
    AgentState,
    BillingEventType,
    BillingInterval,
    Channel,
    Codec,
    DialMode,
    DialOutcome,
    Direction,
    HangupCause,
    Leg,
    MessageStatus,
    Speaker,
    family_schema,
)
from ingest.contracts.message import MessageDirection
from ingest.fx_rates import SCHEMA as FX_RATES_SCHEMA
from ingest.subscriptions import SCHEMA as SUBSCRIPTION_PERIODS_SCHEMA
from ingest.wfm_plan import SCHEMA as WFM_PLAN_INTERVALS_SCHEMA
from irisx.cli import app
from pipelines.dbt_cli import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_command, dbt_env, run_dbt

MODELS = {
    "stg_irisx__calls",
    "stg_irisx__rtcp_reports",
    "stg_irisx__messages",
    "stg_irisx__billing_events",
    "stg_irisx__campaign_attempts",
    "stg_irisx__agent_states",
    "stg_irisx__transcript_segments",
    "int_calls_deduplicated",
    "fct_calls",
    "agg_call_kpis_daily",
    "stg_irisx__subscription_periods",
    "int_mrr_customer_months",
    "int_billing_subscription_periods",
    "int_subscription_periods",
    "int_month_end_fx_rates",
    "stg_irisx__fx_rates",
    "int_fx_rates",
    "int_usage_events",
    "int_usage_call_routes",
    "int_usage_customer_months",
    "usage_revenue",
    "margin_by_carrier_route",
    "usage_aware_mrr",
    "mrr_movements_with_usage",
    "int_dunning_invoices",
    "int_daily_spend",
    "payment_recovery",
    "credit_balances",
    "spend_alerts",
    "mrr_by_customer_month",
    "mrr_movements",
    "mrr_bridge",
    "churn_and_retention",
    "cohort_retention",
    "customer_ltv",
    "int_agent_state_spans",
    "int_agent_interval_time",
    "queue_interval_stats",
    "agent_performance_daily",
    "campaign_funnel",
    "int_rtcp_report_quality",
    "int_call_quality_legs",
    "call_quality",
    "call_quality_legs",
    "quality_by_carrier_hour",
    "quality_by_agent_day",
    "carrier_scorecard",
    "quality_alerts",
    "quality_revenue_impact",
    "stg_irisx__wfm_plan_intervals",
    "service_level_variance",
    "kpi_series_5m",
    "kpi_series_15m",
    "kpi_series_60m",
}
FAMILIES = ("call", "rtcp", "message", "billing", "campaign", "agent", "transcript")

#: Every enum column tested with accepted_values, and the contract enum it must mirror.
ENUM_COLUMNS: dict[tuple[str, str], type[StrEnum]] = {
    ("stg_irisx__calls", "direction"): Direction,
    ("stg_irisx__calls", "hangup_cause"): HangupCause,
    ("stg_irisx__calls", "codec"): Codec,
    ("stg_irisx__rtcp_reports", "leg"): Leg,
    ("call_quality_legs", "leg"): Leg,
    ("stg_irisx__rtcp_reports", "codec"): Codec,
    ("stg_irisx__messages", "channel"): Channel,
    ("stg_irisx__messages", "direction"): MessageDirection,
    ("stg_irisx__messages", "message_status"): MessageStatus,
    ("stg_irisx__billing_events", "event_type"): BillingEventType,
    ("stg_irisx__billing_events", "billing_interval"): BillingInterval,
    ("stg_irisx__campaign_attempts", "dial_mode"): DialMode,
    ("stg_irisx__campaign_attempts", "dial_outcome"): DialOutcome,
    ("campaign_funnel", "dial_mode"): DialMode,
    ("stg_irisx__agent_states", "agent_state"): AgentState,
    ("stg_irisx__transcript_segments", "speaker"): Speaker,
    ("fct_calls", "direction"): Direction,
    ("agg_call_kpis_daily", "direction"): Direction,
}
#: accepted_values tests with no contract enum behind them (docs/revenue.md).
OTHER_ACCEPTED_VALUES: dict[tuple[str, str], list[str]] = {
    **{
        (mart, column): values
        for mart in ("kpi_series_5m", "kpi_series_15m", "kpi_series_60m")
        for column, values in (
            ("dimension", ["tenant", "carrier", "queue", "channel", "provider"]),
            ("aggregation", ["sum", "ratio"]),
            (
                "kpi",
                [
                    "call_volume",
                    "asr",
                    "acd_sec",
                    "cost",
                    "mos",
                    "abandon_rate",
                    "message_volume",
                    "sms_delivery_rate",
                    "email_bounce_rate",
                    "spend",
                ],
            ),
        )
    },
    ("mrr_movements", "movement"): ["new", "expansion", "contraction", "churn", "reactivation"],
    ("int_subscription_periods", "source"): ["import", "billing_events"],
    ("int_fx_rates", "rate_source"): ["import", "seed"],
    ("int_dunning_invoices", "outcome"): ["recovered", "written_off", "open"],
    ("usage_revenue", "product"): [
        "voice_outbound",
        "voice_inbound",
        "voice_internal",
        "sms",
        "mms",
        "whatsapp",
        "email",
    ],
    ("mrr_movements_with_usage", "movement"): [
        "new",
        "expansion",
        "contraction",
        "churn",
        "reactivation",
    ],
    ("call_quality", "dominant_impairment"): ["loss", "jitter", "delay", "codec", "none"],
    ("quality_alerts", "metric"): ["mos_p50"],
    ("quality_alerts", "rule"): ["threshold", "baseline", "threshold+baseline"],
    ("quality_alerts", "severity"): ["warning", "critical"],
    ("quality_alerts", "baseline_kind"): ["judged", "early"],
    ("quality_revenue_impact", "mos_band"): ["good", "fair", "poor"],
    ("quality_revenue_impact", "poor_share_band"): ["low", "elevated", "high"],
    ("int_call_quality_legs", "dominant_impairment"): ["loss", "jitter", "delay", "codec", "none"],
    ("call_quality_legs", "dominant_impairment"): ["loss", "jitter", "delay", "codec", "none"],
    ("customer_ltv", "ltv_status"): [
        "ok",
        "no_active_customers",
        "no_customers_at_start",
        "no_churn",
    ],
}


@pytest.fixture
def cli_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Point the CLI's settings (IRISX_DATA_DIR) at a fresh, uninitialised data dir."""
    monkeypatch.setenv("IRISX_DATA_DIR", str(tmp_path / "irisx"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``irisx dbt prepare`` into a private target folder, then its manifest.json."""
    target = tmp_path_factory.mktemp("prepare") / "target"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IRISX_DATA_DIR", str(target.parent / "irisx"))
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["dbt", "prepare", "--target-path", str(target)])
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert str(target / "manifest.json") in result.output
    # prepare needs no data: it must not have created a warehouse or any data folder.
    assert not (target.parent / "irisx").exists()
    return json.loads((target / "manifest.json").read_text())


def test_prepare_writes_a_manifest_with_every_model(manifest: dict[str, Any]) -> None:
    models = {
        node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"
    }
    assert models == MODELS
    sources = {(s["source_name"], s["name"]) for s in manifest["sources"].values()}
    assert sources == {("lake", family) for family in FAMILIES} | {
        ("lake", "subscription_periods"),
        ("lake", "wfm_plan_intervals"),
        ("lake", "fx_rates"),
    }
    unit_tests = {test["name"] for test in manifest["unit_tests"].values()}
    assert unit_tests == {"agg_call_kpis_daily_hand_computed"}


def test_every_model_and_column_is_documented(manifest: dict[str, Any]) -> None:
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            assert node["description"].strip(), node["name"]
            assert node["columns"], node["name"]
            for column in node["columns"].values():
                assert column["description"].strip(), (node["name"], column["name"])


def test_sources_document_exactly_the_contract_columns(manifest: dict[str, Any]) -> None:
    for source in manifest["sources"].values():
        columns = source["columns"]
        assert all(column["description"].strip() for column in columns.values()), source["name"]
        if source["name"] == "subscription_periods":  # imported state, not an event family
            assert list(columns) == SUBSCRIPTION_PERIODS_SCHEMA.names
            assert source["loaded_at_field"] == "imported_at"
            continue
        if source["name"] == "fx_rates":  # imported reference data, not an event family
            assert list(columns) == FX_RATES_SCHEMA.names
            assert source["loaded_at_field"] == "imported_at"
            continue
        if source["name"] == "wfm_plan_intervals":  # imported plans, not an event family
            assert list(columns) == WFM_PLAN_INTERVALS_SCHEMA.names
            assert source["loaded_at_field"] == "imported_at"
            continue
        assert list(columns) == family_schema(source["name"]).names, source["name"]
        assert source["loaded_at_field"] == "occurred_at"
        assert source["freshness"]["warn_after"] == {"count": 24, "period": "hour"}


def test_accepted_values_mirror_the_contract_enums(manifest: dict[str, Any]) -> None:
    tested: dict[tuple[str, str], list[str]] = {}
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        if metadata.get("name") == "accepted_values":
            model = node["attached_node"].rsplit(".", 1)[-1]
            tested[(model, node["column_name"])] = metadata["kwargs"]["values"]
    assert set(tested) == set(ENUM_COLUMNS) | set(OTHER_ACCEPTED_VALUES)
    for key, values in OTHER_ACCEPTED_VALUES.items():
        assert sorted(tested[key]) == sorted(values), key
    for key, enum in ENUM_COLUMNS.items():
        assert sorted(tested[key]) == sorted(member.value for member in enum), key


def test_build_on_an_empty_lake_publishes_zero_rows(cli_data_dir: Settings) -> None:
    # The data dir does not exist yet: `irisx dbt build` must create and initialise the lake.
    target = cli_data_dir.data_dir.parent / "dbt-target"
    result = CliRunner().invoke(app, ["dbt", "build", "--target-path", str(target)])
    assert result.exit_code == 0, (target / "logs" / "dbt.log").read_text()[-6000:]
    assert (cli_data_dir.lake_dir / "raw" / "call" / "_schema.parquet").is_file()
    published = pq.read_table(cli_data_dir.marts_dir / "agg_call_kpis_daily.parquet")
    # dbt-duckdb pads empty results with an all-NULL row; our write_to_file drops it.
    assert published.num_rows == 0
    assert [(field.name, field.type) for field in published.schema] == AGG_CALL_KPIS_DAILY_COLUMNS


def test_a_model_test_catches_a_row_that_bypassed_the_contract(tmp_path: Path) -> None:
    settings, lake = new_data_dir(tmp_path)
    # Written straight to the lake (no contract validation): an unknown direction.
    schema = family_schema("call")
    moment = datetime(2024, 5, 29, 12, 0, tzinfo=UTC)
    row = {name: None for name in schema.names} | {
        "event_id": "bad-1",
        "tenant_id": "acme",
        "occurred_at": moment,
        "schema_version": 1,
        "call_id": "c-bad",
        "direction": "sideways",
        "from_number": "+14155550100",
        "to_number": "+14155550199",
        "start_at": moment,
        "end_at": moment,
        "billsec": 0,
        "hangup_cause": "NO_ANSWER",
        "hold_sec": 0,
        "wrapup_sec": 0,
        "currency": "USD",
    }
    lake.write_batch("call", pa.Table.from_pylist([row], schema=schema), "bad")
    completed = run_dbt(
        ["build", "--select", "stg_irisx__calls"], settings, target_path=tmp_path / "target"
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output[-4000:]
    assert "FAIL 1 accepted_values_stg_irisx__calls_direction" in output
    assert "ERROR=0" not in output


def test_dbt_command_passes_profiles_and_private_target(settings: Settings, tmp_path: Path) -> None:
    command = dbt_command(["build", "--select", "fct_calls"], settings, target_path=tmp_path)
    assert command == [
        str(DBT_EXECUTABLE),
        "build",
        "--select",
        "fct_calls",
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(tmp_path),
        "--log-path",
        str(tmp_path / "logs"),
    ]
    assert DBT_EXECUTABLE.parent == Path(sys.executable).parent
    with pytest.raises(ValueError, match="args"):
        dbt_command([], settings)


def test_dbt_env_gives_dbt_the_absolute_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRISX_DATA_DIR", "/somewhere/else")
    env = dbt_env(Settings(data_dir=Path("relative/data")))
    assert env["IRISX_DATA_DIR"] == str(Path("relative/data").resolve())
    assert env["DBT_PROFILES_DIR"] == str(DBT_PROJECT_DIR)
    assert (DBT_PROJECT_DIR / "profiles.yml").is_file()
    assert (DBT_PROJECT_DIR / "dbt_project.yml").is_file()


def test_dbt_cli_module_does_not_import_dagster() -> None:
    code = "import sys, pipelines.dbt_cli; sys.exit('dagster' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
