"""MRR from billing events (int_billing_subscription_periods → MRR marts), both targets.

The histories and the hand-worked MRR are in tests/revenue/billing_hand_worked.py. The shared
harness (tests/both_targets.py) loads the same events and acme's import into the Parquet lake and
chDB's raw tables and builds once per target for the module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from both_targets import BothTargets

from ingest.contracts import BillingEvent, models_to_table
from ingest.subscriptions import read_subscription_periods
from pipelines.dbt_cli import run_dbt
from tests.revenue.billing_hand_worked import (
    AS_OF,
    EVENTS,
    EXPECTED_GLOBEX_MOVEMENTS,
    EXPECTED_GLOBEX_MRR,
    EXPECTED_MOVEMENTS,
    EXPECTED_MRR,
    REPLAYED,
)
from tests.revenue.mrr_hand_worked import ACME_CSV
from warehouse.subscription_periods import (
    replace_tenant_periods,
    replace_tenant_periods_clickhouse,
)

SELECTION = ["--select", "+mrr_bridge", "--indirect-selection", "cautious"]
MARTS = ("mrr_by_customer_month", "mrr_movements")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> BothTargets:
    """The lake and chDB raw tables holding the hand-worked billing events and acme's import."""
    warehouse = BothTargets(tmp_path_factory.mktemp("billing_mrr"))
    imported = read_subscription_periods(ACME_CSV.encode(), tenant_id="acme", source="t.csv")
    with warehouse.loading() as load:
        for batch_id, events in (("billing-1", EVENTS), ("billing-2", REPLAYED)):
            load.write("billing", models_to_table(events, BillingEvent), batch_id)
        table = imported.to_table()
        replace_tenant_periods(warehouse.settings.lake_dir, "acme", table, imported.import_id)
        replace_tenant_periods_clickhouse(
            load.client, load.store.database, "acme", table, imported.import_id
        )
    return warehouse


@pytest.fixture(scope="module")
def built(loaded: BothTargets) -> dict[str, dict[str, list[dict[str, Any]]]]:
    loaded.build(SELECTION, vars={"as_of_date": AS_OF})
    return loaded.read(MARTS)


@pytest.mark.parametrize("name", MARTS)
def test_both_targets_give_identical_rows(built: dict[str, Any], name: str) -> None:
    assert built["duckdb"][name]
    assert built["clickhouse"][name] == built["duckdb"][name]


def test_mrr_from_billing_events_is_the_hand_worked_mrr(built: dict[str, Any]) -> None:
    got = {
        (r["customer_id"], r["month"].month): r["mrr"]
        for r in built["duckdb"]["mrr_by_customer_month"]
        if r["tenant_id"] == "initech"
    }
    expected = {
        (customer, month): mrr
        for customer, series in EXPECTED_MRR.items()
        for month, mrr in series.items()
    }
    assert got == expected


def test_movements_from_billing_events(built: dict[str, Any]) -> None:
    # every non-new movement, plus the two customers whose first month is a hand-worked case
    initech = [r for r in built["duckdb"]["mrr_movements"] if r["tenant_id"] == "initech"]
    got = {
        (r["customer_id"], r["month"].month): (r["movement"], r["amount"])
        for r in initech
        if r["movement"] != "new" or r["customer_id"] in ("ct", "cw")
    }
    assert got == EXPECTED_MOVEMENTS


def test_a_tenant_with_an_import_ignores_its_billing_events(built: dict[str, Any]) -> None:
    acme = {
        r["customer_id"]
        for r in built["duckdb"]["mrr_by_customer_month"]
        if r["tenant_id"] == "acme"
    }
    assert "c_billing_only" not in acme
    assert "c_new_exp" in acme  # from the import


def test_other_currencies_convert_at_the_month_end_rate(built: dict[str, Any]) -> None:
    mrr = {
        (r["customer_id"], r["month"].month): r["mrr"]
        for r in built["duckdb"]["mrr_by_customer_month"]
        if r["tenant_id"] == "globex"
    }
    assert mrr == EXPECTED_GLOBEX_MRR
    movements = {
        (r["customer_id"], r["month"].month): (r["movement"], r["amount"])
        for r in built["duckdb"]["mrr_movements"]
        if r["tenant_id"] == "globex" and r["movement"] != "new"
    }
    assert movements == EXPECTED_GLOBEX_MOVEMENTS


def test_a_missing_rate_fails_the_build(
    loaded: BothTargets, built: dict[str, Any], tmp_path: Path
) -> None:
    # The seed has no rate into CHF: reporting in CHF must stop the build at the rate test,
    # not publish MRR without the periods it cannot convert. (DuckDB only: same SQL and test.)
    completed = run_dbt(
        [
            "build", "--target", "duckdb", "--select", "+int_month_end_fx_rates",
            "--vars", f"{{as_of_date: '{AS_OF}', reporting_currency: CHF}}",
        ],
        loaded.settings,
        target_path=tmp_path / "t-chf",
    )  # fmt: skip
    assert completed.returncode == 1, completed.stdout[-3000:]
    assert "not_null_int_month_end_fx_rates_rate" in completed.stdout
