"""/v1/revenue/ltv, /usage, /usage-movements, /payment-recovery, /credits and /spend-alerts over
hand-made published marts (tests/serving_revenue/hand_marts.py: the rows and their arithmetic).

Every test runs twice over the same rows: in the embedded profile (Parquet files) and in the
server profile (ClickHouse tables ``irisx.<mart>`` on chDB), with the same expected answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from config import Profile, Settings
from irisx.cli import app as cli
from serving.app import create_app
from tests.api_support import (
    api_key,
    assert_unpublished_and_keyed,
    problem_field,
    publish_both_ways,
)
from tests.chdb_marts import chdb_folder_held, publish_to_chdb
from tests.serving_revenue.hand_marts import HAND_MARTS
from warehouse import ClickHouseMartReader, ParquetMartReader

ENDPOINTS = ("ltv", "usage", "usage-movements", "payment-recovery", "credits", "spend-alerts")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made marts published both ways: Parquet files and chDB tables."""
    return publish_both_ways(tmp_path_factory, "revenue_more", HAND_MARTS)


def _rows(client: TestClient, path: str, headers: dict[str, str]) -> list[dict[str, object]]:
    response = client.get(f"/v1/revenue/{path}", headers=headers)
    assert response.status_code == 200, response.text
    rows: list[dict[str, object]] = response.json()["rows"]
    return rows


def test_the_profile_picks_where_marts_are_read(client: TestClient, settings: Settings) -> None:
    reader = client.app.state.mart_reader  # type: ignore[attr-defined]
    expected = ClickHouseMartReader if settings.profile is Profile.SERVER else ParquetMartReader
    assert type(reader) is expected


def test_ltv_per_month_with_the_reason_when_it_is_null(
    client: TestClient, acme: dict[str, str]
) -> None:
    rows = _rows(client, "ltv?from=2024-02&to=2024-03", acme)

    assert [
        (r["month"], r["window_months"], r["arpa"], r["monthly_logo_churn_rate"], r["ltv"])
        for r in rows
    ] == [
        ("2024-02-01", 2, "110.000000", "0.333333", "330.000000"),
        ("2024-03-01", 3, "114.285714", "0.200000", "571.428571"),
    ]
    assert {r["ltv_status"] for r in rows} == {"ok"}
    # Default window: the 12 months up to acme's latest month (2024-03), so January too.
    body = client.get("/v1/revenue/ltv", headers=acme).json()
    assert (body["month_from"], body["month_to"]) == ("2023-04-01", "2024-03-01")
    january = body["rows"][0]
    assert (january["month"], january["arpa"], january["ltv"]) == ("2024-01-01", "100.000000", None)
    assert january["monthly_logo_churn_rate"] is None
    assert january["ltv_status"] == "no_customers_at_start"


def test_usage_aware_mrr_per_customer(client: TestClient, acme: dict[str, str]) -> None:
    rows = _rows(client, "usage?from=2024-01&to=2024-03", acme)

    assert [(r["customer_id"], r["month"]) for r in rows] == [
        ("c1", "2024-01-01"), ("c1", "2024-02-01"), ("c1", "2024-03-01"), ("c2", "2024-03-01"),
    ]  # fmt: skip
    c1 = [(r["usage_run_rate"], r["overage"], r["total_mrr"]) for r in rows[:3]]
    assert c1 == [
        ("30.000000", "10.000000", "130.000000"),
        ("45.000000", "40.000000", "145.000000"),
        ("45.000000", "0.000000", "145.000000"),
    ]
    assert rows[1]["unrated_usage_units"] == 2
    c2 = rows[3]
    assert (c2["usage_revenue"], c2["run_rate_months"], c2["usage_run_rate"]) == (
        "12.500000",
        0,
        None,
    )
    assert (c2["included_usage_amount"], c2["overage"], c2["total_mrr"]) == (None, None, "0.000000")
    one = _rows(client, "usage?from=2024-03&to=2024-03&customer_id=c2", acme)
    assert [r["customer_id"] for r in one] == ["c2"]


def test_usage_movements_filter_by_kind(client: TestClient, acme: dict[str, str]) -> None:
    rows = _rows(client, "usage-movements?from=2024-01&to=2024-03", acme)
    assert [(r["month"], r["customer_id"], r["movement"], r["amount"]) for r in rows] == [
        ("2024-01-01", "c1", "new", "130.000000"),
        ("2024-02-01", "c1", "expansion", "15.000000"),
    ]
    expansion = _rows(client, "usage-movements?from=2024-01&to=2024-03&movement=expansion", acme)
    assert [(r["previous_total_mrr"], r["total_mrr"]) for r in expansion] == [
        ("130.000000", "145.000000")
    ]


def test_payment_recovery_by_month_and_currency(client: TestClient, acme: dict[str, str]) -> None:
    rows = _rows(client, "payment-recovery?from=2024-01&to=2024-03", acme)

    assert [(r["failure_month"], r["currency"]) for r in rows] == [
        ("2024-02-01", "EUR"), ("2024-02-01", "USD"),
    ]  # fmt: skip
    eur, usd = rows
    assert (eur["recovery_rate"], eur["mean_days_to_recover"], eur["median_days_to_recover"]) == (
        "0.000000", None, None,
    )  # fmt: skip
    assert (usd["failed_invoices"], usd["recovered_invoices"], usd["open_invoices"]) == (4, 2, 1)
    assert (usd["recovery_rate"], usd["mean_days_to_recover"], usd["median_days_to_recover"]) == (
        "0.500000", "4.500000", "4.5",
    )  # fmt: skip
    assert (usd["failed_amount"], usd["amount_recovery_rate"]) == ("400.000000", "0.500000")
    only_usd = _rows(client, "payment-recovery?from=2024-01&to=2024-03&currency=USD", acme)
    assert [r["currency"] for r in only_usd] == ["USD"]


def test_credits_cover_every_day_of_the_months(client: TestClient, acme: dict[str, str]) -> None:
    february = _rows(client, "credits?from=2024-02&to=2024-02", acme)
    # Both February days, the leap day included: the range ends on the month's last day.
    assert [(r["balance_date"], r["closing_balance"]) for r in february] == [
        ("2024-02-28", "300.000000"), ("2024-02-29", "270.000000"),
    ]  # fmt: skip
    assert (february[0]["runway_days"], february[0]["projected_depletion_date"]) == (None, None)
    assert (february[1]["daily_burn_rate"], february[1]["runway_days"]) == (
        "1.000000", "270.000000",
    )  # fmt: skip
    assert february[1]["projected_depletion_date"] == "2024-11-25"
    body = client.get("/v1/revenue/credits", headers=acme).json()
    assert (body["month_from"], body["month_to"]) == ("2023-04-01", "2024-03-01")
    march = body["rows"][-1]
    assert (march["balance_date"], march["used_amount"], march["expired_amount"]) == (
        "2024-03-01", "60.000000", "10.000000",
    )  # fmt: skip
    assert (march["runway_days"], march["projected_depletion_date"]) == ("66.666667", "2024-05-06")
    assert _rows(client, "credits?from=2024-02&to=2024-03&currency=EUR", acme) == []


def test_spend_alerts_in_threshold_order(client: TestClient, acme: dict[str, str]) -> None:
    rows = _rows(client, "spend-alerts?from=2024-03&to=2024-03", acme)

    assert [
        (r["threshold_percent"], r["crossed_on"], r["days_left_in_month"],
         r["forecast_month_end_spend"], r["next_threshold_amount"],
         r["forecast_crosses_next_threshold"], r["forecast_exceeds_budget"])
        for r in rows
    ] == [
        (50, "2024-03-10", 21, "1570.000000", "800.000000", True, True),
        (80, "2024-03-15", 16, "1450.000000", "1000.000000", True, True),
        (100, "2024-03-20", 11, "1335.000000", None, None, True),
    ]  # fmt: skip
    assert rows[0]["trailing_7d_daily_mean"] == "50.000000"
    assert {r["currency"] for r in rows} == {"USD"}


def test_every_new_endpoint_answers_only_the_callers_tenant(
    client: TestClient, globex: dict[str, str]
) -> None:
    """globex's rows, all in March 2024 (hand_marts.py): LTV 2024-03 without churn data; g1's
    usage at a committed 10.50 and its 'new' usage movement; one USD invoice recovered; 50 EUR
    credit; one 50 % EUR alert whose forecast 85 passes the next threshold (80) but not the
    budget (100)."""
    answers = {
        name: client.get(f"/v1/revenue/{name}?from=2024-01&to=2024-03", headers=globex).json()
        for name in ENDPOINTS
    }

    assert {body["tenant_id"] for body in answers.values()} == {"globex"}
    assert [(r["month"], r["ltv_status"]) for r in answers["ltv"]["rows"]] == [
        ("2024-03-01", "no_customers_at_start")
    ]
    assert [(r["customer_id"], r["total_mrr"]) for r in answers["usage"]["rows"]] == [
        ("g1", "10.500000")
    ]
    assert [(r["movement"], r["amount"]) for r in answers["usage-movements"]["rows"]] == [
        ("new", "10.500000")
    ]
    recovery = answers["payment-recovery"]["rows"]
    assert [(r["currency"], r["recovery_rate"], r["refunded_amount"]) for r in recovery] == [
        ("USD", "1.000000", "5.000000")
    ]
    assert [(r["currency"], r["closing_balance"]) for r in answers["credits"]["rows"]] == [
        ("EUR", "50.000000")
    ]
    alerts = answers["spend-alerts"]["rows"]
    assert [
        (r["threshold_percent"], r["forecast_month_end_spend"],
         r["forecast_crosses_next_threshold"], r["forecast_exceeds_budget"])
        for r in alerts
    ] == [(50, "85.000000", True, False)]  # fmt: skip
    # acme's customer is not found through globex's key, even by name.
    assert _rows(client, "usage?from=2024-01&to=2024-03&customer_id=c1", globex) == []


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("ltv?tenant_id=acme", "tenant_id"),
        ("usage?from=2024-13", "from"),
        ("usage-movements?movement=upgrade", "movement"),
        ("payment-recovery?currency=usd", "currency"),
        ("credits?currency=EURO", "currency"),
        ("credits?from=2024-05&to=2024-04", "to"),
        ("spend-alerts?threshold=50", "threshold"),
    ],
)
def test_bad_queries_are_validation_problems(
    client: TestClient, acme: dict[str, str], path: str, field: str
) -> None:
    assert problem_field(client.get(f"/v1/revenue/{path}", headers=acme)) == field


@pytest.mark.parametrize("profile", [Profile.EMBEDDED, Profile.SERVER])
def test_unpublished_marts_are_503_and_keys_are_required(tmp_path: Path, profile: Profile) -> None:
    assert_unpublished_and_keyed(tmp_path, profile, [f"/v1/revenue/{name}" for name in ENDPOINTS])


def test_server_profile_answers_503_with_retry_after_while_chdb_is_held(tmp_path: Path) -> None:
    """A dbt run (here: a process that never lets go) holds the chDB folder past the reader's
    wait: the API says to retry later instead of hanging or failing with a 500."""
    server = Settings(data_dir=tmp_path / "irisx", profile=Profile.SERVER)
    server.ensure_dirs()
    publish_to_chdb(server.chdb_dir, {"customer_ltv": HAND_MARTS["customer_ltv"]})
    headers = api_key(server, "acme")
    app = create_app(server)
    app.state.mart_reader = ClickHouseMartReader(
        server.warehouse_dsn, chdb_folder=server.chdb_dir, open_timeout_s=1
    )
    with chdb_folder_held(server.chdb_dir, yields=False), TestClient(app) as held:
        response = held.get("/v1/revenue/ltv?from=2024-01&to=2024-03", headers=headers)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json()["type"] == "urn:irisx:problem:marts-unavailable"
    assert str(server.chdb_dir) not in response.text  # no path or host in the answer
    with TestClient(app) as free:  # once it is free again, the same app answers
        rows = free.get("/v1/revenue/ltv?from=2024-01&to=2024-03", headers=headers).json()["rows"]
    assert [row["month"] for row in rows] == ["2024-01-01", "2024-02-01", "2024-03-01"]


def test_each_revenue_endpoint_has_its_own_named_page_schema(client: TestClient) -> None:
    """A client generator gets one named type per endpoint (not MonthPage_MrrRow_)."""
    document = client.get("/openapi.json").json()
    pages = {
        path.removeprefix("/v1/revenue/"): item["get"]["responses"]["200"]["content"][
            "application/json"
        ]["schema"]["$ref"].removeprefix("#/components/schemas/")
        for path, item in document["paths"].items()
        if path.startswith("/v1/revenue/")
    }

    assert pages == {
        "mrr": "MrrPage",
        "movements": "MovementPage",
        "bridge": "BridgePage",
        "churn": "ChurnPage",
        "cohorts": "CohortPage",
        "ltv": "LtvPage",
        "usage": "UsagePage",
        "usage-movements": "UsageMovementPage",
        "payment-recovery": "PaymentRecoveryPage",
        "credits": "CreditBalancePage",
        "spend-alerts": "SpendAlertPage",
    }
    rows = document["components"]["schemas"]["CreditBalancePage"]["properties"]["rows"]
    assert rows["items"] == {"$ref": "#/components/schemas/CreditBalanceRow"}


def test_export_reads_the_profiles_marts(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`irisx export` reads through the same factory as the API: Parquet when embedded, chDB in
    the server profile; --from/--to filter credit_balances on balance_date."""
    monkeypatch.setenv("IRISX_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("IRISX_PROFILE", settings.profile.value)
    monkeypatch.delenv("IRISX_CLICKHOUSE_DSN", raising=False)
    out = tmp_path / "credits.json"
    args = ["export", "credit_balances", "--tenant", "acme", "--format", "json"]
    args += ["--out", str(out), "--from", "2024-02-01", "--to", "2024-02-29"]

    result = CliRunner().invoke(cli, args)

    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())
    assert sorted((r["balance_date"], r["closing_balance"]) for r in rows) == [
        ("2024-02-28", "300.000000"), ("2024-02-29", "270.000000"),
    ]  # fmt: skip
    missing = CliRunner().invoke(cli, ["export", "nope", "--tenant", "acme", "--out", str(out)])
    assert missing.exit_code == 2
    assert "published marts: credit_balances, customer_ltv, mrr_movements_with_usage" in (
        missing.output
    )
