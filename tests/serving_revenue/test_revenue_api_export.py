"""/v1/revenue/* and `irisx export` over the revenue marts built by dbt (duckdb target) from the
hand-worked subscription histories of tests/revenue/mrr_hand_worked.py (as-of 2024-08-15).

Hand-worked churn figures (acme; customers at start = MRR > 0 at the previous month's end):
  April: at start c_new_exp, c_contract, c_churn, c_netting, c_two_subs = 5; no churn;
    c_react1 reactivated; revenue churn (0 + 80) / 600 = 0.133333; NRR (600 - 80) / 600 =
    0.866667; quick ratio (0 + 30 + 0) / (80 + 0) = 0.375.
  May: at start the five + c_react1 = 6; c_churn churned: logo churn 1/6 = 0.166667; revenue churn
    50 / 550 = 0.090909; NRR (550 + 20 - 50) / 550 = 0.945455; quick ratio 20 / 50 = 0.4.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from config import Settings
from ingest.subscriptions import read_subscription_periods
from irisx.cli import app as cli
from pipelines.dbt_cli import run_dbt
from serving.app import create_app
from tests.api_support import api_key as _key
from tests.revenue.mrr_hand_worked import ACME_CSV, AS_OF, BRIDGE, GLOBEX_CSV, MOVEMENTS, money
from warehouse import ParquetLake
from warehouse.subscription_periods import replace_tenant_periods

#: The marts the revenue API serves, built with their parents only (other marts built from the
#: same parents, and tests that need them, stay out of this build).
SERVED = ("mrr_by_customer_month", "mrr_movements", "mrr_bridge", "churn_and_retention")
SERVED += ("cohort_retention", "customer_ltv", "usage_aware_mrr", "mrr_movements_with_usage")
SERVED += ("payment_recovery", "credit_balances", "spend_alerts")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("revenue_api")
    built = Settings(data_dir=root / "irisx")
    built.ensure_dirs()
    ParquetLake(built.lake_dir).initialize()
    for tenant, text in (("acme", ACME_CSV), ("globex", GLOBEX_CSV)):
        result = read_subscription_periods(text.encode(), tenant_id=tenant, source="t.csv")
        replace_tenant_periods(built.lake_dir, tenant, result.to_table(), result.import_id)
    completed = run_dbt(
        [
            "build", "--target", "duckdb", "--select", *(f"+{mart}" for mart in SERVED),
            "--indirect-selection", "cautious",
            "--vars", f"{{as_of_date: '{AS_OF}'}}",
        ],
        built,
        target_path=root / "target",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-4000:]
    return built


def test_bridge_is_the_hand_worked_bridge_and_only_the_callers(
    client: TestClient, settings: Settings
) -> None:
    response = client.get(
        "/v1/revenue/bridge?from=2024-01&to=2024-08", headers=_key(settings, "acme")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["tenant_id"], body["month_from"], body["month_to"]) == (
        "acme", "2024-01-01", "2024-08-01",
    )  # fmt: skip
    got = [
        tuple(Decimal(row[name]) for name in (
            "opening_mrr", "new_mrr", "reactivation_mrr", "expansion_mrr",
            "contraction_mrr", "churn_mrr", "closing_mrr",
        ))
        for row in body["rows"]
    ]  # fmt: skip
    assert got == [tuple(money(v) for v in BRIDGE[("acme", n)]) for n in range(1, 9)]
    assert body["rows"][0]["closing_mrr"] == "570.000000"  # decimal strings, every digit
    globex = client.get("/v1/revenue/bridge?from=2024-01", headers=_key(settings, "globex"))
    assert [row["closing_mrr"] for row in globex.json()["rows"]] == ["10.500000", "10.500000"]


def test_movements_filter_by_kind_month_and_customer(
    client: TestClient, settings: Settings
) -> None:
    headers = _key(settings, "acme")
    response = client.get(
        "/v1/revenue/movements?from=2024-01&to=2024-08&movement=reactivation", headers=headers
    )
    rows = response.json()["rows"]
    assert [(r["customer_id"], r["month"], r["amount"]) for r in rows] == [
        ("c_react1", "2024-04-01", "30.000000"),
        ("c_react_many", "2024-06-01", "60.000000"),
    ]
    may = client.get("/v1/revenue/movements?from=2024-05&to=2024-05", headers=headers).json()
    expected = {
        (customer, str(MOVEMENTS[(tenant, customer, n)][2]))
        for (tenant, customer, n) in MOVEMENTS
        if tenant == "acme" and n == 5
    }
    assert {(r["customer_id"], r["movement"]) for r in may["rows"]} == expected
    one = client.get(
        "/v1/revenue/mrr?from=2024-01&to=2024-08&customer_id=c_react1", headers=headers
    )
    assert [r["mrr"] for r in one.json()["rows"]] == [
        "30.000000", "30.000000", "0.000000", "30.000000",
        "30.000000", "30.000000", "30.000000", "30.000000",
    ]  # fmt: skip
    assert one.json()["rows"][2]["is_active"] is False


def test_churn_and_cohorts_answer_the_hand_worked_ratios(
    client: TestClient, settings: Settings
) -> None:
    headers = _key(settings, "acme")
    rows = client.get("/v1/revenue/churn?from=2024-04&to=2024-05", headers=headers).json()["rows"]
    april, may = rows
    assert (april["customers_at_start"], april["churned_customers"]) == (5, 0)
    assert april["reactivated_customers"] == 1
    assert Decimal(april["logo_churn_rate"]) == 0
    assert Decimal(april["revenue_churn_rate"]) == Decimal("0.133333")
    assert Decimal(april["net_revenue_retention"]) == Decimal("0.866667")
    assert Decimal(april["quick_ratio"]) == Decimal("0.375")
    assert (may["customers_at_start"], may["churned_customers"]) == (6, 1)
    assert Decimal(may["logo_churn_rate"]) == Decimal("0.166667")
    assert Decimal(may["revenue_churn_rate"]) == Decimal("0.090909")
    assert Decimal(may["net_revenue_retention"]) == Decimal("0.945455")
    assert Decimal(may["quick_ratio"]) == Decimal("0.4")
    cohorts = client.get("/v1/revenue/cohorts?from=2024-01&to=2024-01", headers=headers).json()
    january = [r for r in cohorts["rows"] if r["cohort_month"] == "2024-01-01"]
    assert [r["months_since_signup"] for r in january] == list(range(8))  # Jan..Aug, no future
    assert (january[0]["cohort_customers"], january[0]["cohort_starting_mrr"]) == (6, "570.000000")


def test_default_window_ends_at_the_tenants_latest_month(
    client: TestClient, settings: Settings
) -> None:
    body = client.get("/v1/revenue/bridge", headers=_key(settings, "acme")).json()
    assert (body["month_from"], body["month_to"]) == ("2023-09-01", "2024-08-01")
    assert [row["month"] for row in body["rows"]][-1] == "2024-08-01"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2024-13", "from"),
        ("from=May-2024", "from"),
        ("from=2024-05&to=2024-04", "to"),
        ("from=2010-01&to=2024-01", "to"),
        ("tenant_id=globex", "tenant_id"),
        ("movement=upgrade", "movement"),
    ],
)
def test_bad_queries_are_validation_problems(
    client: TestClient, settings: Settings, query: str, field: str
) -> None:
    response = client.get(f"/v1/revenue/movements?{query}", headers=_key(settings, "acme"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


def test_revenue_needs_a_key_and_an_unpublished_mart_is_503(tmp_path: Path) -> None:
    empty = Settings(data_dir=tmp_path / "irisx")
    empty.ensure_dirs()
    with TestClient(create_app(empty)) as fresh:
        assert fresh.get("/v1/revenue/mrr").status_code == 401
        response = fresh.get("/v1/revenue/mrr", headers=_key(empty, "acme"))
    assert response.status_code == 503
    assert response.json()["type"] == "urn:irisx:problem:mart-not-published"


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "xlsx"])
def test_export_writes_only_the_tenants_rows_in_each_format(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setenv("IRISX_DATA_DIR", str(settings.data_dir))
    out = tmp_path / f"bridge.{fmt}"
    result = CliRunner().invoke(
        cli,
        ["export", "mrr_bridge", "--tenant", "acme", "--format", fmt, "--out", str(out),
         "--from", "2024-04-01", "--to", "2024-05-31"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    if fmt == "parquet":
        rows = pq.read_table(out).to_pylist()
        closing = [row["closing_mrr"] for row in rows]
        assert closing == [money(550), money(520)]  # decimals keep their type
    elif fmt == "csv":
        with out.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        closing = [Decimal(row["closing_mrr"]) for row in rows]
        assert closing == [money(550), money(520)]
    elif fmt == "json":
        rows = json.loads(out.read_text())
        assert [(r["month"], r["closing_mrr"]) for r in rows] == [
            ("2024-04-01", "550.000000"), ("2024-05-01", "520.000000"),
        ]  # fmt: skip
    else:
        sheet = load_workbook(out).active
        values = list(sheet.values)
        header, rows = values[0], values[1:]
        closing_at = header.index("closing_mrr")
        assert [float(row[closing_at]) for row in rows] == [550.0, 520.0]
    assert len(rows) == 2


def test_export_of_another_tenant_holds_only_its_rows(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IRISX_DATA_DIR", str(settings.data_dir))
    out = tmp_path / "mrr.parquet"
    args = ["export", "mrr_by_customer_month", "--tenant", "globex", "--format", "parquet"]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = pq.read_table(out).to_pylist()
    assert {(r["tenant_id"], r["customer_id"], r["mrr"]) for r in rows} == {
        ("globex", "gc1", money("10.5"))
    }
    assert len(rows) == 2  # July and August


def test_export_refuses_unknown_marts_and_formats(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IRISX_DATA_DIR", str(settings.data_dir))
    out = str(tmp_path / "x.csv")
    missing = CliRunner().invoke(cli, ["export", "nope", "--tenant", "acme", "--out", out])
    assert missing.exit_code == 2
    assert "mrr_bridge" in missing.output  # lists what is published
    bad = CliRunner().invoke(
        cli, ["export", "mrr_bridge", "--tenant", "acme", "--out", out, "--format", "xml"]
    )
    assert bad.exit_code == 2
    assert "csv, json, parquet, xlsx" in bad.output


def test_every_endpoint_answers_only_the_callers_tenant(
    client: TestClient, settings: Settings
) -> None:
    """globex has one customer, gc1, at 10.50 from 2024-07-01 (open-ended; as-of 2024-08-15):
    MRR July and August 10.50; one movement, July new 10.50; bridge July 0 -> 10.50, August
    10.50 -> 10.50; churn July 0 at start (every ratio null: nothing at start, nothing lost),
    August 1 at start, 0 churned: logo and revenue churn 0, GRR = NRR = 10.50 / 10.50 = 1, quick
    ratio null (nothing lost); cohort 2024-07 of 1 customer at 10.50, retained at ages 0 and 1."""
    headers = _key(settings, "globex")
    answers = {
        name: client.get(f"/v1/revenue/{name}?from=2024-01&to=2024-08", headers=headers).json()
        for name in ("mrr", "movements", "bridge", "churn", "cohorts")
    }
    assert {body["tenant_id"] for body in answers.values()} == {"globex"}
    mrr = answers["mrr"]["rows"]
    assert [(r["customer_id"], r["month"], r["mrr"]) for r in mrr] == [
        ("gc1", "2024-07-01", "10.500000"), ("gc1", "2024-08-01", "10.500000"),
    ]  # fmt: skip
    movements = answers["movements"]["rows"]
    assert [(r["customer_id"], r["month"], r["movement"], r["amount"]) for r in movements] == [
        ("gc1", "2024-07-01", "new", "10.500000")
    ]
    bridge = answers["bridge"]["rows"]
    assert [(r["month"], r["opening_mrr"], r["new_mrr"], r["closing_mrr"]) for r in bridge] == [
        ("2024-07-01", "0.000000", "10.500000", "10.500000"),
        ("2024-08-01", "10.500000", "0.000000", "10.500000"),
    ]
    july, august = answers["churn"]["rows"]
    ratios = ("logo_churn_rate", "revenue_churn_rate", "gross_revenue_retention")
    ratios += ("net_revenue_retention", "quick_ratio")
    assert (july["month"], july["customers_at_start"], july["new_customers"]) == (
        "2024-07-01", 0, 1,
    )  # fmt: skip
    assert [july[name] for name in ratios] == [None] * 5
    assert (august["customers_at_start"], august["churned_customers"]) == (1, 0)
    assert [None if august[n] is None else Decimal(august[n]) for n in ratios] == [
        0, 0, 1, 1, None,
    ]  # fmt: skip
    cohorts = answers["cohorts"]["rows"]
    assert [
        (r["cohort_month"], r["months_since_signup"], r["retained_customers"], r["retained_mrr"])
        for r in cohorts
    ] == [("2024-07-01", 0, 1, "10.500000"), ("2024-07-01", 1, 1, "10.500000")]
    # Another tenant's customer is not found through this key, even by name.
    other = client.get("/v1/revenue/mrr?customer_id=c_react1", headers=headers).json()
    assert other["rows"] == []


def test_month_parameters_are_documented_as_months(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    parameters = document["paths"]["/v1/revenue/churn"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["from", "to"]
    for parameter in parameters:
        schema = parameter["schema"]
        assert "format" not in schema  # not a date: a client must send YYYY-MM
        assert schema["type"] == "string"
        assert schema["pattern"] == r"^\d{4}-(0[1-9]|1[0-2])(-01)?$"
    accepted = client.get("/v1/revenue/churn?from=2024-05-01", headers={}).status_code
    assert accepted == 401  # the first day is a month too: only the key is missing


def test_newer_endpoints_read_the_dbt_built_marts(client: TestClient, settings: Settings) -> None:
    """Every column the newer endpoints read exists in the marts dbt builds, with a type their
    rows accept. globex (gc1 at 10.50 from 2024-07-01, as-of 2024-08-15, no usage, no billing
    events):
      LTV July: window July only, mrr 10.50 over 1 customer-month: ARPA 10.50; nobody at the
        start of July: no churn rate, LTV null (no_customers_at_start).
      LTV August: window July-August, mrr 21 over 2 customer-months: ARPA 10.50; 1 customer at
        the start of August, 0 churned: churn rate 0 / 1 = 0, LTV null (no_churn).
      Usage-aware MRR: committed 10.50 both months and no usage, so total 10.50; the only
        usage-aware movement is July's new 10.50.
      No billing events: no payment recovery, credit or spend alert rows."""
    headers = _key(settings, "globex")
    answers = {
        name: client.get(f"/v1/revenue/{name}?from=2024-01&to=2024-08", headers=headers)
        for name in (
            "ltv", "usage", "usage-movements", "payment-recovery", "credits", "spend-alerts",
        )
    }  # fmt: skip
    assert {name: response.status_code for name, response in answers.items()} == {
        name: 200 for name in answers
    }
    rows = {name: response.json()["rows"] for name, response in answers.items()}
    assert [
        (r["month"], r["window_months"], r["window_mrr"], r["arpa"],
         r["monthly_logo_churn_rate"], r["ltv"], r["ltv_status"])
        for r in rows["ltv"]
    ] == [
        ("2024-07-01", 1, "10.500000", "10.500000", None, None, "no_customers_at_start"),
        ("2024-08-01", 2, "21.000000", "10.500000", "0.000000", None, "no_churn"),
    ]  # fmt: skip
    assert [(r["month"], r["committed_mrr"], r["total_mrr"]) for r in rows["usage"]] == [
        ("2024-07-01", "10.500000", "10.500000"), ("2024-08-01", "10.500000", "10.500000"),
    ]  # fmt: skip
    assert [(r["month"], r["movement"], r["amount"]) for r in rows["usage-movements"]] == [
        ("2024-07-01", "new", "10.500000")
    ]
    assert rows["payment-recovery"] == rows["credits"] == rows["spend-alerts"] == []
