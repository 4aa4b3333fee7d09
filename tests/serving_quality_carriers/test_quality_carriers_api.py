"""/v1/quality/carriers, /alerts and /revenue-impact over hand-made published marts, in the
embedded profile (Parquet files) and the server profile (chDB tables ``irisx.<mart>``).

The rows are the ones tests/quality/test_carrier_quality_marts.py works out by hand and checks
against dbt (acme's carrier-a on 2024-05-01 and 02, globex's carrier-x alert, umbrella's months),
plus one row per mart of another tenant that acme's key must never see.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from config import Profile, Settings
from tests.api_support import api_key as _key
from tests.api_support import assert_unpublished_and_keyed, problem_field, publish_both_ways

TEXT, DAY, INT, FLOAT = pa.string(), pa.date32(), pa.int64(), pa.float64()
MONEY, RATIO = pa.decimal128(18, 6), pa.decimal128(38, 6)
TIME = pa.timestamp("us", tz="UTC")
ENDPOINTS = ("carriers", "alerts", "revenue-impact")


def d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.000001"))


def _table(columns: list[tuple[str, pa.DataType]], rows: list[dict[str, Any]]) -> pa.Table:
    schema = pa.schema(columns)
    return pa.Table.from_pylist([{name: row.get(name) for name in schema.names} for row in rows],
                                schema=schema)  # fmt: skip


SCORECARD_COLUMNS = [
    ("tenant_id", TEXT), ("carrier_id", TEXT), ("call_date", DAY), ("currency", TEXT),
    ("calls", INT), ("attempts", INT), ("answered_attempts", INT),
    ("network_effective_attempts", INT), ("asr", RATIO), ("ner", RATIO), ("acd_sec", RATIO),
    ("pdd_ms_p50", FLOAT), ("pdd_ms_p95", FLOAT), ("quality_calls", INT), ("mos_mean", FLOAT),
    ("mos_p5", FLOAT), ("poor_calls", INT), ("poor_share", RATIO), ("rated_seconds", INT),
    ("rated_revenue", MONEY), ("rated_cost", MONEY), ("cost_per_minute", RATIO),
    ("revenue_per_minute", RATIO), ("margin_per_minute", RATIO), ("margin_pct", RATIO),
    ("score", FLOAT), ("score_rank", INT), ("ranked_carriers", INT), ("asr_change", RATIO),
    ("ner_change", RATIO), ("mos_mean_change", FLOAT), ("poor_share_change", RATIO),
    ("cost_per_minute_change", RATIO), ("margin_per_minute_change", RATIO),
    ("score_change", FLOAT), ("rank_change", INT),
]  # fmt: skip
_A1 = {
    "tenant_id": "acme", "carrier_id": "carrier-a", "call_date": date(2024, 5, 1),
    "currency": "USD", "calls": 5, "attempts": 4, "answered_attempts": 2,
    "network_effective_attempts": 3, "asr": d("0.5"), "ner": d("0.75"), "acd_sec": d("90"),
    "pdd_ms_p50": 2000.0, "pdd_ms_p95": 2900.0, "quality_calls": 2, "mos_mean": 3.845,
    "mos_p5": 3.3371, "poor_calls": 1, "poor_share": d("0.5"), "rated_seconds": 210,
    "rated_revenue": d("1.83"), "rated_cost": d("0.81"), "cost_per_minute": d("0.231429"),
    "revenue_per_minute": d("0.522857"), "margin_per_minute": d("0.291429"),
    "margin_pct": d("0.557377"), "score": 68.5117, "score_rank": 1, "ranked_carriers": 2,
}  # fmt: skip
_B1 = {
    **_A1, "carrier_id": "carrier-b", "calls": 2, "attempts": 2, "answered_attempts": 1,
    "network_effective_attempts": 2, "ner": d("1"), "acd_sec": d("60"), "pdd_ms_p50": 1250.0,
    "pdd_ms_p95": 1475.0, "quality_calls": 1, "mos_mean": 4.4093, "mos_p5": 4.4093,
    "poor_calls": 0, "poor_share": d("0"), "rated_seconds": 60, "rated_revenue": d("0.6"),
    "rated_cost": d("0.5"), "cost_per_minute": d("0.5"), "revenue_per_minute": d("0.6"),
    "margin_per_minute": d("0.1"), "margin_pct": d("0.166667"), "score": 57.0376,
    "score_rank": 2,
}  # fmt: skip
_A2 = {
    **_A1, "call_date": date(2024, 5, 2), "calls": 1, "attempts": 1, "answered_attempts": 1,
    "network_effective_attempts": 1, "asr": d("1"), "ner": d("1"), "acd_sec": d("60"),
    "pdd_ms_p50": None, "pdd_ms_p95": None, "quality_calls": 1, "mos_mean": 4.4093,
    "mos_p5": 4.4093, "poor_calls": 0, "poor_share": d("0"), "rated_seconds": 60,
    "rated_revenue": d("0.6"), "rated_cost": d("0.3"), "cost_per_minute": d("0.3"),
    "revenue_per_minute": d("0.6"), "margin_per_minute": d("0.3"), "margin_pct": d("0.5"),
    "score": 73.7043, "score_rank": 1, "ranked_carriers": 1, "asr_change": d("0.5"),
    "ner_change": d("0.25"), "mos_mean_change": 0.5643, "poor_share_change": d("-0.5"),
    "cost_per_minute_change": d("0.068571"), "margin_per_minute_change": d("0.008571"),
    "score_change": 5.1926, "rank_change": 0,
}  # fmt: skip
_GLOBEX_DAY = {**_A1, "tenant_id": "globex", "carrier_id": "carrier-g"}

ALERT_COLUMNS = [
    ("alert_id", TEXT), ("tenant_id", TEXT), ("carrier_id", TEXT), ("metric", TEXT),
    ("rule", TEXT), ("severity", TEXT), ("window_start", TIME), ("window_end", TIME),
    ("alert_date", DAY), ("flagged_hours", INT), ("worst_hour_start", TIME),
    ("observed_mos", FLOAT), ("baseline_kind", TEXT), ("baseline_mos", FLOAT),
    ("baseline_hours", INT), ("baseline_calls", INT), ("baseline_limit_mos", FLOAT),
    ("warning_mos", FLOAT), ("critical_mos", FLOAT),
    ("evidence_calls", INT), ("evidence_poor_calls", INT), ("evidence_poor_share", RATIO),
]  # fmt: skip
_ACME_ALERT = {
    "alert_id": "acme:carrier-x:mos_p50:1715313600000000", "tenant_id": "acme",
    "carrier_id": "carrier-x", "metric": "mos_p50", "rule": "threshold+baseline",
    "severity": "critical", "window_start": datetime(2024, 5, 10, 4, tzinfo=UTC),
    "window_end": datetime(2024, 5, 10, 7, tzinfo=UTC), "alert_date": date(2024, 5, 10),
    "flagged_hours": 2, "worst_hour_start": datetime(2024, 5, 10, 6, tzinfo=UTC),
    "observed_mos": 1.4692, "baseline_kind": "judged", "baseline_mos": 4.4093,
    "baseline_hours": 5, "baseline_calls": 25, "baseline_limit_mos": 3.8093,
    "warning_mos": 3.0, "critical_mos": 2.0,
    "evidence_calls": 4, "evidence_poor_calls": 4, "evidence_poor_share": d("1"),
}  # fmt: skip
_ACME_WARNING = {
    **_ACME_ALERT, "alert_id": "acme:carrier-y:mos_p50:1715562000000000",
    "carrier_id": "carrier-y", "rule": "threshold", "severity": "warning",
    "window_start": datetime(2024, 5, 13, 1, tzinfo=UTC),
    "window_end": datetime(2024, 5, 13, 2, tzinfo=UTC), "alert_date": date(2024, 5, 13),
    "flagged_hours": 1, "worst_hour_start": datetime(2024, 5, 13, 1, tzinfo=UTC),
    "observed_mos": 2.9, "baseline_kind": None, "baseline_mos": None, "baseline_hours": 0,
    "baseline_calls": 0, "baseline_limit_mos": None,
    "evidence_calls": 10, "evidence_poor_calls": 7, "evidence_poor_share": d("0.7"),
}  # fmt: skip
_GLOBEX_ALERT = {**_ACME_ALERT, "tenant_id": "globex", "alert_id": "globex:carrier-x:x"}

IMPACT_COLUMNS = [
    ("tenant_id", TEXT), ("month", DAY), ("quality_calls", INT), ("mos_mean", FLOAT),
    ("mos_p5", FLOAT), ("poor_calls", INT), ("poor_share", RATIO), ("mos_band", TEXT),
    ("poor_share_band", TEXT), ("customers_at_start", INT), ("churned_customers", INT),
    ("logo_churn_rate", RATIO), ("gross_revenue_retention", RATIO),
    ("net_revenue_retention", RATIO), ("voice_calls", INT), ("voice_billed_minutes", RATIO),
    ("previous_voice_billed_minutes", RATIO), ("voice_minutes_change", RATIO),
]  # fmt: skip
_APRIL = {
    "tenant_id": "acme", "month": date(2024, 4, 1), "quality_calls": 2, "mos_mean": 4.4093,
    "mos_p5": 4.4093, "poor_calls": 0, "poor_share": d("0"), "mos_band": "good",
    "poor_share_band": "low", "customers_at_start": 0, "churned_customers": 0,
    "voice_calls": 2, "voice_billed_minutes": d("2"), "previous_voice_billed_minutes": d("0"),
}  # fmt: skip
# May: 1 of 2 customers churned: logo churn 0.5; MRR 150 -> 100: GRR = NRR = 100 / 150.
_MAY = {
    **_APRIL, "month": date(2024, 5, 1), "quality_calls": 3, "mos_mean": 3.0531,
    "mos_p5": 1.6504, "poor_calls": 2, "poor_share": d("0.666667"), "mos_band": "poor",
    "poor_share_band": "high", "customers_at_start": 2, "churned_customers": 1,
    "logo_churn_rate": d("0.5"), "gross_revenue_retention": d("0.666667"),
    "net_revenue_retention": d("0.666667"), "voice_calls": 3, "voice_billed_minutes": d("3"),
    "previous_voice_billed_minutes": d("2"), "voice_minutes_change": d("0.5"),
}  # fmt: skip
_GLOBEX_MONTH = {**_APRIL, "tenant_id": "globex"}

HAND_MARTS = {
    "carrier_scorecard": _table(SCORECARD_COLUMNS, [_A1, _B1, _A2, _GLOBEX_DAY]),
    "quality_alerts": _table(ALERT_COLUMNS, [_ACME_ALERT, _ACME_WARNING, _GLOBEX_ALERT]),
    "quality_revenue_impact": _table(IMPACT_COLUMNS, [_APRIL, _MAY, _GLOBEX_MONTH]),
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_both_ways(tmp_path_factory, "quality_carriers", HAND_MARTS)


def _body(client: TestClient, path: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(f"/v1/quality/{path}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_scorecard_rows_by_day_then_carrier(client: TestClient, settings: Settings) -> None:
    body = _body(client, "carriers?from=2024-05-01&to=2024-05-02", _key(settings, "acme"))
    assert (body["tenant_id"], body["date_from"], body["date_to"]) == (
        "acme", "2024-05-01", "2024-05-02",
    )  # fmt: skip
    rows = body["rows"]
    assert [(r["call_date"], r["carrier_id"], r["score_rank"]) for r in rows] == [
        ("2024-05-01", "carrier-a", 1), ("2024-05-01", "carrier-b", 2),
        ("2024-05-02", "carrier-a", 1),
    ]  # fmt: skip
    first = rows[0]
    assert (first["asr"], first["ner"], first["acd_sec"]) == ("0.500000", "0.750000", "90.000000")
    assert (first["mos_mean"], first["score"], first["margin_per_minute"]) == (
        3.845, 68.5117, "0.291429",
    )  # fmt: skip
    assert first["asr_change"] is None
    assert first["rank_change"] is None
    assert (rows[2]["asr_change"], rows[2]["score_change"], rows[2]["pdd_ms_p50"]) == (
        "0.500000", 5.1926, None,
    )  # fmt: skip


def test_scorecard_filters_and_default_window(client: TestClient, settings: Settings) -> None:
    acme = _key(settings, "acme")
    only_b = _body(client, "carriers?from=2024-05-01&to=2024-05-31&carrier_id=carrier-b", acme)
    assert [r["carrier_id"] for r in only_b["rows"]] == ["carrier-b"]
    assert _body(client, "carriers?from=2024-05-01&currency=EUR", acme)["rows"] == []
    # Without a range: the 30 days up to acme's latest day (2024-05-02).
    body = _body(client, "carriers", acme)
    assert (body["date_from"], body["date_to"], len(body["rows"])) == (
        "2024-04-03", "2024-05-02", 3,
    )  # fmt: skip


def test_alerts_name_carrier_window_metric_and_evidence(
    client: TestClient, settings: Settings
) -> None:
    acme = _key(settings, "acme")
    rows = _body(client, "alerts?from=2024-05-01&to=2024-05-31", acme)["rows"]
    assert [(r["carrier_id"], r["severity"], r["rule"]) for r in rows] == [
        ("carrier-x", "critical", "threshold+baseline"), ("carrier-y", "warning", "threshold"),
    ]  # fmt: skip
    alert = rows[0]
    assert (alert["window_start"], alert["window_end"]) == (
        "2024-05-10T04:00:00Z", "2024-05-10T07:00:00Z",
    )  # fmt: skip
    assert (alert["metric"], alert["observed_mos"], alert["baseline_mos"]) == (
        "mos_p50", 1.4692, 4.4093,
    )  # fmt: skip
    assert (alert["evidence_calls"], alert["evidence_poor_share"]) == (4, "1.000000")
    critical = _body(client, "alerts?from=2024-05-01&to=2024-05-31&severity=critical", acme)
    assert [r["alert_id"] for r in critical["rows"]] == [alert["alert_id"]]
    assert (
        _body(client, "alerts?from=2024-05-11&to=2024-05-31", acme)["rows"][0]["baseline_mos"]
        is None
    )


def test_revenue_impact_per_month(client: TestClient, settings: Settings) -> None:
    body = _body(client, "revenue-impact?from=2024-04&to=2024-05", _key(settings, "acme"))
    assert [(r["month"], r["mos_band"], r["poor_share_band"]) for r in body["rows"]] == [
        ("2024-04-01", "good", "low"), ("2024-05-01", "poor", "high"),
    ]  # fmt: skip
    may = body["rows"][1]
    assert (may["net_revenue_retention"], may["voice_minutes_change"]) == ("0.666667", "0.500000")
    assert body["rows"][0]["voice_minutes_change"] is None
    default = _body(client, "revenue-impact", _key(settings, "acme"))
    assert (default["month_from"], default["month_to"]) == ("2023-06-01", "2024-05-01")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_another_tenants_key_never_sees_these_rows(
    client: TestClient, settings: Settings, path: str
) -> None:
    body = _body(client, f"{path}?from=2024-04-01&to=2024-05-31"
                 if path != "revenue-impact" else f"{path}?from=2024-04&to=2024-05",
                 _key(settings, "globex"))  # fmt: skip
    assert body["tenant_id"] == "globex"
    assert len(body["rows"]) == 1
    assert _body(client, path, _key(settings, "initech"))["rows"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("carriers?tenant_id=globex", "tenant_id"),
        ("carriers?from=2024-5-1", "from"),
        ("carriers?from=2024-05-02&to=2024-05-01", "to"),
        ("carriers?currency=usd", "currency"),
        ("alerts?severity=minor", "severity"),
        ("alerts?from=2023-01-01&to=2024-05-31", "to"),
        ("revenue-impact?from=2024-13", "from"),
        ("revenue-impact?tenant_id=globex", "tenant_id"),
    ],
)
def test_bad_queries_are_validation_problems(
    client: TestClient, settings: Settings, query: str, field: str
) -> None:
    response = client.get(f"/v1/quality/{query}", headers=_key(settings, "acme"))
    assert problem_field(response) == field


@pytest.mark.parametrize("profile", [Profile.EMBEDDED, Profile.SERVER])
def test_unpublished_marts_are_503_and_keys_are_required(tmp_path: Path, profile: Profile) -> None:
    assert_unpublished_and_keyed(
        tmp_path,
        profile,
        [f"/v1/quality/{name}?from=2024-05-01&to=2024-05-02"
         if name != "revenue-impact" else f"/v1/quality/{name}" for name in ENDPOINTS],
    )  # fmt: skip
