"""Remediation rules, the suggestion store and ``irisx anomalies suggestions``: suggestions are
recorded once per incident and rule, decided once, and never executed (there is nothing that
could execute one: the store records state, the CLI prints it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from config import get_settings
from irisx.cli import app
from pipelines.anomaly.remediation import rule_context, suggest
from warehouse.remediation import (
    RemediationStore,
    SuggestionAlreadyDecided,
    SuggestionNotFound,
    SuggestionState,
    remediation_db_path,
)

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def incident(incident_id: str, dimension: str, value: str, kpi: str, direction: str, **extra):
    return {
        "incident_id": incident_id,
        "tenant_id": "acme",
        "dimension": dimension,
        "dimension_value": value,
        "kpi": kpi,
        "direction": direction,
        "alert": True,
        "explanation": "why",
        **extra,
    }


def provider_rows() -> pd.DataFrame:
    """acme's SMS providers: sms-a delivers 0.5 on average ((0.4 + 0.6) / 2), sms-b 0.9,
    sms-c 0.8; globex has only sms-a."""
    rows = [
        ("acme", "sms-a", 0.4), ("acme", "sms-a", 0.6), ("acme", "sms-b", 0.9),
        ("acme", "sms-c", 0.8), ("globex", "sms-a", 0.95),
    ]  # fmt: skip
    return pd.DataFrame(
        [
            {"tenant_id": t, "dimension": "provider", "dimension_value": p,
             "kpi": "sms_delivery_rate", "value": v}
            for t, p, v in rows
        ]
    )  # fmt: skip


def test_rules_map_incidents_to_actions() -> None:
    incidents = pd.DataFrame(
        [
            incident("i1", "carrier", "c-7", "asr", "down"),
            incident("i2", "carrier", "c-7", "mos", "down"),
            incident("i3", "provider", "sms-a", "sms_delivery_rate", "down"),
            incident("i4", "tenant", "all", "spend", "up"),
            incident("i5", "queue", "q-1", "abandon_rate", "up"),
            incident("i6", "carrier", "c-7", "asr", "up"),  # ASR up: nothing to remediate
            incident("i7", "carrier", "c-8", "asr", "down", alert=False),  # a repeat in cooldown
            {
                **incident("i8", "provider", "sms-a", "sms_delivery_rate", "down"),
                "tenant_id": "globex",
            },
        ]
    )
    found = {
        (s.incident_id, s.rule): (s.action, s.target)
        for s in suggest(incidents, rule_context(provider_rows()), NOW)
    }
    assert found == {
        ("i1", "carrier_outage"): ("route_away_from_carrier", "c-7"),
        ("i2", "carrier_quality"): ("route_away_from_carrier", "c-7"),
        # sms-b has the best mean delivery rate among acme's other providers (0.9 > 0.8).
        ("i3", "sms_delivery_drop"): ("fail_over_sms_provider", "sms-b"),
        ("i4", "spend_burst"): ("suspend_outbound_international", None),
        ("i5", "queue_abandonment"): ("add_queue_staffing", "q-1"),
        # globex has no other provider: a suggestion without a target.
        ("i8", "sms_delivery_drop"): ("fail_over_sms_provider", None),
    }


def test_suggestion_ids_are_stable() -> None:
    incidents = pd.DataFrame([incident("i1", "carrier", "c-7", "asr", "down")])
    first = suggest(incidents, rule_context(pd.DataFrame()), NOW)
    again = suggest(incidents, rule_context(pd.DataFrame()), NOW.replace(hour=13))
    assert [s.suggestion_id for s in first] == [s.suggestion_id for s in again]


def test_store_records_once_and_decides_once(tmp_path: Path) -> None:
    store = RemediationStore(tmp_path / "remediation.sqlite3")
    incidents = pd.DataFrame(
        [
            incident("i1", "carrier", "c-7", "asr", "down"),
            incident("i5", "queue", "q-1", "abandon_rate", "up"),
        ]
    )
    suggestions = suggest(incidents, rule_context(pd.DataFrame()), NOW)
    assert store.record(suggestions) == 2
    first = suggestions[0].suggestion_id
    approved = store.decide(first, SuggestionState.APPROVED, by="noc-alice", at=NOW)
    assert (approved.state, approved.decided_by, approved.decided_at) == (
        SuggestionState.APPROVED,
        "noc-alice",
        NOW,
    )
    # A rerun of the pipeline records nothing new and keeps the decision.
    assert store.record(suggestions) == 0
    assert store.get(first).state is SuggestionState.APPROVED
    with pytest.raises(SuggestionAlreadyDecided, match="already approved"):
        store.decide(first, SuggestionState.REJECTED, by="noc-bob")
    with pytest.raises(SuggestionNotFound):
        store.decide("nope", SuggestionState.APPROVED, by="noc-bob")
    assert [s.incident_id for s in store.list(state=SuggestionState.PENDING)] == ["i5"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The CLI reads get_settings() (cached): point it at this test's data folder."""
    monkeypatch.setenv("IRISX_DATA_DIR", str(tmp_path / "irisx"))
    get_settings.cache_clear()
    yield tmp_path / "irisx"
    get_settings.cache_clear()


def test_cli_lists_approves_and_rejects(data_dir: Path) -> None:
    store = RemediationStore(remediation_db_path(data_dir))
    incidents = pd.DataFrame(
        [
            incident("i1", "carrier", "c-7", "asr", "down"),
            incident("i5", "queue", "q-1", "abandon_rate", "up"),
        ]
    )
    suggestions = suggest(incidents, rule_context(pd.DataFrame()), NOW)
    store.record(suggestions)
    runner = CliRunner()

    listed = runner.invoke(app, ["anomalies", "suggestions", "list", "--state", "pending"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert sorted(row["action"] for row in rows) == [
        "add_queue_staffing",
        "route_away_from_carrier",
    ]

    first, second = (s.suggestion_id for s in suggestions)
    approved = runner.invoke(app, ["anomalies", "suggestions", "approve", first, "--by", "alice"])
    assert approved.exit_code == 0, approved.output
    assert json.loads(approved.output)["state"] == "approved"
    rejected = runner.invoke(
        app, ["anomalies", "suggestions", "reject", second, "--by", "bob", "--note", "staffed"]
    )
    assert json.loads(rejected.output)["note"] == "staffed"
    again = runner.invoke(app, ["anomalies", "suggestions", "approve", second, "--by", "alice"])
    assert again.exit_code == 2
    assert "already rejected" in again.output
    pending = runner.invoke(app, ["anomalies", "suggestions", "list", "--state", "pending"])
    assert pending.output == ""
    bad = runner.invoke(app, ["anomalies", "suggestions", "list", "--state", "done"])
    assert bad.exit_code == 2
