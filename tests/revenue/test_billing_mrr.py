"""MRR from billing events (int_billing_subscription_periods → MRR marts), both targets.

Hand-worked (tenant initech, as-of 2024-08-15; MRR at each month's end):
  cy  yearly 1,200 from Jan 10                          -> 100 from January
  cw  weekly 10 from Feb 1: 10 × 52 / 12 = 43.333333     -> from February
  cq  every 3 months 300 from Jan 1: 300 / 3             -> 100
  cs  20 × 5 seats from Jan 1 = 100; 8 seats on Mar 15  -> 160 from March (expansion 60)
  cd  200 with 25 % off = 150; discount ends Apr 10      -> 200 from April (expansion 50)
  ca  100 with 30 off = 70                               -> 70
  ct  50/month created Feb 20 with a trial to Mar 5      -> 0 in February, new 50 in March
  cc  40 from Jan 1, cancelled Mar 20, reactivated Jun 2 -> churn 40 in March, reactivation June
  cx  trial May 1-15, cancelled May 10 during it         -> never any MRR, no rows
  cy's created event is delivered twice (same event_id): counted once.
acme has an imported CSV: its billing events (customer c_billing_only) are not counted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import clickhouse_connect
import duckdb
import pytest

from config import Settings
from ingest.contracts import BillingEvent, models_to_table
from ingest.subscriptions import read_subscription_periods
from pipelines.dbt_cli import run_dbt
from tests.revenue.mrr_hand_worked import ACME_CSV
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore
from warehouse.subscription_periods import (
    replace_tenant_periods,
    replace_tenant_periods_clickhouse,
)

AS_OF = "2024-08-15"
SELECT = [
    "--select",
    "+mrr_bridge",
    "--indirect-selection",
    "cautious",
    "--vars",
    f"{{as_of_date: '{AS_OF}'}}",
]
MARTS = ("mrr_by_customer_month", "mrr_movements")


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T12:00:00+00:00")


def _event(event_id: str, kind: str, customer: str, day: str, **terms: Any) -> BillingEvent:
    defaults: dict[str, Any] = {"interval": "month", "amount": None}
    if kind != "subscription_cancelled":
        defaults["amount"] = Decimal("0")
    return BillingEvent(
        event_id=event_id,
        tenant_id=terms.pop("tenant", "initech"),
        occurred_at=_at(day),
        event_type=kind,
        customer_id=customer,
        subscription_id=f"sub-{customer}",
        **{**defaults, **terms},
    )


C, U, X, R = (
    "subscription_created",
    "subscription_changed",
    "subscription_cancelled",
    "subscription_reactivated",
)
EVENTS = [
    _event("cy-1", C, "cy", "2024-01-10", interval="year", amount=Decimal(1200)),
    _event("cw-1", C, "cw", "2024-02-01", interval="week", amount=Decimal(10)),
    _event("cq-1", C, "cq", "2024-01-01", interval_count=3, amount=Decimal(300)),
    _event("cs-1", C, "cs", "2024-01-01", amount=Decimal(20), quantity=5),
    _event("cs-2", U, "cs", "2024-03-15", amount=Decimal(20), quantity=8),
    _event("cd-1", C, "cd", "2024-01-01", amount=Decimal(200), discount_percent=25),
    _event("cd-2", U, "cd", "2024-04-10", amount=Decimal(200)),
    _event("ca-1", C, "ca", "2024-01-01", amount=Decimal(100), discount_amount=Decimal(30)),
    _event("ct-1", C, "ct", "2024-02-20", amount=Decimal(50), trial_end=_at("2024-03-05")),
    _event("cc-1", C, "cc", "2024-01-01", amount=Decimal(40)),
    _event("cc-2", X, "cc", "2024-03-20", interval=None),
    _event("cc-3", R, "cc", "2024-06-02", amount=Decimal(40)),
    _event("cx-1", C, "cx", "2024-05-01", amount=Decimal(80), trial_end=_at("2024-05-15")),
    _event("cx-2", X, "cx", "2024-05-10", interval=None),
    _event("acme-b1", C, "c_billing_only", "2024-01-01", amount=Decimal(999), tenant="acme"),
]
REPLAYED = [EVENTS[0]]  # cy's created event again, in another batch


def _series(first: int, value: str) -> dict[int, Decimal]:
    return {month: Decimal(value) for month in range(first, 9)}


EXPECTED_MRR: dict[str, dict[int, Decimal]] = {
    "cy": _series(1, "100"),
    "cw": _series(2, "43.333333"),
    "cq": _series(1, "100"),
    "cs": {**_series(1, "100"), **_series(3, "160")},
    "cd": {**_series(1, "150"), **_series(4, "200")},
    "ca": _series(1, "70"),
    "ct": _series(3, "50"),
    "cc": {1: Decimal(40), 2: Decimal(40), 3: Decimal(0), 4: Decimal(0), 5: Decimal(0),
           **_series(6, "40")},
}  # fmt: skip
EXPECTED_MOVEMENTS = {
    ("cs", 3): ("expansion", Decimal(60)),
    ("cd", 4): ("expansion", Decimal(50)),
    ("ct", 3): ("new", Decimal(50)),
    ("cw", 2): ("new", Decimal("43.333333")),
    ("cc", 3): ("churn", Decimal(40)),
    ("cc", 6): ("reactivation", Decimal(40)),
}


def _rows(columns: list[str], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    found = [dict(zip(columns, row, strict=True)) for row in rows]
    return sorted(found, key=lambda r: tuple(str(v) for v in r.values()))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[dict[str, Any]]]]:
    root: Path = tmp_path_factory.mktemp("billing_mrr")
    settings = Settings(data_dir=root / "irisx")
    settings.ensure_dirs()
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    imported = read_subscription_periods(ACME_CSV.encode(), tenant_id="acme", source="t.csv")
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        store = ClickHouseRawStore(client)
        store.migrate()
        for batch_id, events in (("billing-1", EVENTS), ("billing-2", REPLAYED)):
            table = models_to_table(events, BillingEvent)
            lake.write_batch("billing", table, batch_id)
            store.write_batch("billing", table, batch_id)
        table = imported.to_table()
        replace_tenant_periods(settings.lake_dir, "acme", table, imported.import_id)
        replace_tenant_periods_clickhouse(client, store.database, "acme", table, imported.import_id)
    finally:
        client.close()
    for target in ("duckdb", "clickhouse"):
        completed = run_dbt(
            ["build", "--target", target, *SELECT], settings, target_path=root / f"t-{target}"
        )
        assert completed.returncode == 0, (completed.stdout + completed.stderr)[-6000:]
    result: dict[str, dict[str, list[dict[str, Any]]]] = {"duckdb": {}, "clickhouse": {}}
    with duckdb.connect() as con:
        for name in MARTS:
            cursor = con.execute(
                f"select * from read_parquet('{settings.marts_dir}/{name}.parquet')"
            )
            result["duckdb"][name] = _rows(
                [c[0] for c in cursor.description or []], cursor.fetchall()
            )
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        for name in MARTS:
            answer = client.query(f"select * from irisx.{name}")
            result["clickhouse"][name] = _rows(list(answer.column_names), answer.result_rows)
    finally:
        client.close()
    return result


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
