"""usage_revenue, margin_by_carrier_route, usage_aware_mrr and mrr_movements_with_usage from
hand-made calls, messages and subscription periods, on both dbt targets (identical rows).

The same events go into the Parquet lake (duckdb target) and chDB's raw tables (clickhouse
target); dbt builds the marts and their parents once per target for the module. Expected values
are worked out by hand in ``usage_hand_worked`` (working in its docstring).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import clickhouse_connect
import duckdb
import pytest
from cdr_builder import at, cdr
from usage_hand_worked import (
    AS_OF,
    AWARE,
    AWARE_COLUMNS,
    C1_FIRST,
    C1_RERATED,
    CALLS,
    MARGIN,
    MARGIN_COLUMNS,
    MESSAGES,
    MOVEMENTS_WITH_USAGE,
    SUBSCRIPTIONS_CSV,
    TENANT,
    USAGE,
    USAGE_COLUMNS,
)

from config import Settings
from ingest.contracts import CallRecord, Direction, MessageEvent, models_to_table
from ingest.subscriptions import read_subscription_periods
from pipelines.dbt_cli import run_dbt
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore
from warehouse.subscription_periods import (
    replace_tenant_periods,
    replace_tenant_periods_clickhouse,
)

MARTS = (
    "usage_revenue",
    "margin_by_carrier_route",
    "usage_aware_mrr",
    "mrr_movements_with_usage",
    "mrr_movements",  # not ours: read to compare movements with and without usage
)
OWN_MARTS = MARTS[:4]
SELECT = [
    "--select",
    *(f"+{mart}" for mart in MARTS),
    "--vars",
    f"{{as_of_date: '{AS_OF}'}}",
    # tests of models outside the selection (e.g. mrr_bridge's relationships) stay out
    "--indirect-selection",
    "cautious",
]
#: DuckDB type -> ClickHouse type (Nullable stripped) the same column must have.
SAME_TYPE = {
    "VARCHAR": "String",
    "DATE": "Date",
    "BIGINT": "Int64",
    "DECIMAL(18,6)": "Decimal(18, 6)",
    "DECIMAL(38,6)": "Decimal(38, 6)",
}

CallPlan = tuple[str, str, str, dt.date, int, bool, str | None, str, str | None, str | None]


def _call(plan: CallPlan, event_id: str, emitted_after: dt.timedelta) -> CallRecord:
    name, customer, direction, day, billsec, answered, carrier, to_number, price, cost = plan
    record = cdr(
        name,
        TENANT,
        Direction(direction),
        at(day, "10:00:00"),
        billsec=billsec,
        answered=answered,
        price=price,
        event_id=event_id,
        emitted_after=emitted_after,
    )
    return CallRecord.model_validate(
        record.model_dump()
        | {
            "customer_id": customer,
            "carrier_id": carrier,
            "to_number": to_number,
            "cost": None if cost is None else Decimal(cost),
        }
    )


def _calls() -> list[CallRecord]:
    second = dt.timedelta(seconds=1)
    records = [_call(plan, f"{TENANT}-{plan[0]}", second) for plan in CALLS]
    # c1 twice: the re-rated CDR comes later under a new event_id and must win
    records.append(_call(C1_FIRST, "acme-c1-first", second))
    records.append(_call(C1_RERATED, "acme-c1-rerated", dt.timedelta(hours=1)))
    return records


def _messages() -> list[MessageEvent]:
    events = []
    for index, (message, customer, channel, status, day, segments, price) in enumerate(MESSAGES):
        email = channel == "email"
        events.append(
            MessageEvent(
                event_id=f"msg-{index}",
                tenant_id=TENANT,
                occurred_at=at(day, f"12:00:{index:02d}"),
                message_id=message,
                channel=channel,
                status=status,
                from_address="noreply@acme.example" if email else "+14155550100",
                to_address="someone@example.com" if email else "+447700900999",
                provider="prov-1",
                customer_id=customer,
                segments=segments,
                price=None if price is None else Decimal(price),
            )
        )
    return events


@dataclass(frozen=True)
class Relation:
    columns: list[tuple[str, str]]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        names = [name for name, _ in self.columns]
        return [dict(zip(names, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Built:
    duckdb: dict[str, Relation]
    clickhouse: dict[str, Relation]
    manifest: dict[str, Any]


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, "" if value is None else value) for value in row)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root: Path = tmp_path_factory.mktemp("usage_revenue")
    settings = Settings(data_dir=root / "irisx")
    settings.ensure_dirs()
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    calls = models_to_table(_calls(), CallRecord)
    messages = models_to_table(_messages(), MessageEvent)
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        store = ClickHouseRawStore(client)
        store.migrate()
        for family, table in (("call", calls), ("message", messages)):
            lake.write_batch(family, table, "usage")
            store.write_batch(family, table, "usage")
        periods = read_subscription_periods(
            SUBSCRIPTIONS_CSV.encode(), tenant_id=TENANT, source="t.csv"
        )
        assert periods.rejects == []
        table = periods.to_table()
        replace_tenant_periods(settings.lake_dir, TENANT, table, periods.import_id)
        replace_tenant_periods_clickhouse(client, store.database, TENANT, table, periods.import_id)
    finally:
        client.close()  # dbt's process takes the chDB folder next
    for target in ("duckdb", "clickhouse"):
        completed = run_dbt(
            ["build", "--target", target, *SELECT], settings, target_path=root / f"t-{target}"
        )
        assert completed.returncode == 0, (completed.stdout + completed.stderr)[-6000:]
    duck: dict[str, Relation] = {}
    with duckdb.connect() as con:
        for name in MARTS:
            cursor = con.execute(
                f"select * from read_parquet('{settings.marts_dir}/{name}.parquet')"
            )
            columns = [(column[0], str(column[1])) for column in cursor.description or []]
            duck[name] = Relation(columns, sorted(cursor.fetchall(), key=_sort_key))
    house: dict[str, Relation] = {}
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        for name in MARTS:
            result = client.query(f"select * from irisx.{name}")
            columns = [
                (column, kind.name)
                for column, kind in zip(result.column_names, result.column_types, strict=True)
            ]
            house[name] = Relation(columns, sorted(result.result_rows, key=_sort_key))
    finally:
        client.close()
    manifest = json.loads((root / "t-duckdb" / "manifest.json").read_text())
    return Built(duck, house, manifest)


def _by_key(
    relation: Relation, key: tuple[str, ...], values: tuple[str, ...]
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {
        tuple(row[name] for name in key): tuple(row[name] for name in values)
        for row in relation.dicts()
    }


def test_usage_revenue_equals_the_hand_worked_rows(built: Built) -> None:
    got = _by_key(
        built.duckdb["usage_revenue"],
        ("tenant_id", "customer_id", "month", "product", "currency"),
        USAGE_COLUMNS,
    )
    assert got == USAGE


def test_margin_by_carrier_route_equals_the_hand_worked_rows(built: Built) -> None:
    got = _by_key(
        built.duckdb["margin_by_carrier_route"],
        ("tenant_id", "month", "currency", "carrier_id", "route"),
        MARGIN_COLUMNS,
    )
    assert got == MARGIN


def test_usage_aware_mrr_equals_the_hand_worked_rows(built: Built) -> None:
    got = _by_key(
        built.duckdb["usage_aware_mrr"], ("tenant_id", "customer_id", "month"), AWARE_COLUMNS
    )
    assert got == AWARE


def test_movements_are_reported_with_and_without_usage(built: Built) -> None:
    key = ("tenant_id", "customer_id", "month")
    with_usage = _by_key(
        built.duckdb["mrr_movements_with_usage"],
        key,
        ("previous_total_mrr", "total_mrr", "movement", "amount"),
    )
    assert with_usage == MOVEMENTS_WITH_USAGE
    # without usage (mrr_movements): cust-a new 100 in Jan and nothing after; cust-b (usage
    # only) never appears; cust-c new 50, churn 50
    without_usage = _by_key(built.duckdb["mrr_movements"], key, ("movement", "amount"))
    assert without_usage == {
        (TENANT, "cust-a", dt.date(2024, 1, 1)): ("new", Decimal("100.000000")),
        (TENANT, "cust-c", dt.date(2024, 1, 1)): ("new", Decimal("50.000000")),
        (TENANT, "cust-c", dt.date(2024, 2, 1)): ("churn", Decimal("50.000000")),
    }


def test_usage_aware_bridge_closes_every_month(built: Built) -> None:
    """Opening (the month before's total) + signed movements = closing, per tenant and month."""
    totals: dict[dt.date, Decimal] = {}
    for row in built.duckdb["usage_aware_mrr"].dicts():
        totals[row["month"]] = totals.get(row["month"], Decimal(0)) + row["total_mrr"]
    net: dict[dt.date, Decimal] = {}
    for row in built.duckdb["mrr_movements_with_usage"].dicts():
        sign = -1 if row["movement"] in ("contraction", "churn") else 1
        net[row["month"]] = net.get(row["month"], Decimal(0)) + sign * row["amount"]
    opening = Decimal(0)
    for month in sorted(totals):
        assert opening + net.get(month, Decimal(0)) == totals[month], month
        opening = totals[month]


@pytest.mark.parametrize("mart", MARTS)
def test_both_targets_give_identical_rows_and_types(built: Built, mart: str) -> None:
    duck, house = built.duckdb[mart], built.clickhouse[mart]
    assert house.rows == duck.rows
    assert [name for name, _ in house.columns] == [name for name, _ in duck.columns]
    for (name, duck_type), (_, house_type) in zip(duck.columns, house.columns, strict=True):
        plain = house_type
        if house_type.startswith("Nullable("):
            plain = house_type[len("Nullable(") : -1]
        assert SAME_TYPE[duck_type] == plain, (mart, name, duck_type, house_type)


@pytest.mark.parametrize("mart", OWN_MARTS)
def test_each_mart_declares_versioned_metric_definitions(built: Built, mart: str) -> None:
    node = built.manifest["nodes"][f"model.irisx.{mart}"]
    metrics = node["config"]["meta"]["metrics"]
    assert metrics
    for metric in metrics:
        assert set(metric) == {"name", "version", "unit", "definition"}
        assert isinstance(metric["version"], int)
        assert metric["version"] >= 1
