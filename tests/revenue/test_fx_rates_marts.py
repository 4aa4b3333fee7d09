"""Imported exchange rates win over the seed's in the MRR marts, on both dbt targets.

acme imports three subscriptions (as of 2024-06-15): 100 EUR, 50 USD and 50 GBP a month, all
still active, EUR and USD from 2024-01-01, GBP from 2024-05-01. The marts are built once with the
seed's rates only, then again after two ``irisx import fx-rates`` files (the same rows the CLI
writes, into the lake and chDB's ``irisx_raw.fx_rates``)::

    older import:  2024-03-15 EUR USD 1.00
    newer import:  2024-02-01 EUR USD 1.15   (a date the seed lacks)
                   2024-03-15 EUR USD 1.05   (the seed's key: seed 1.08; older import 1.00)

A month converts at the pair's latest rate dated on or before its last day. 100 EUR a month:

    month   seed only               with the imports
    Jan     2024-01-01 1.10 -> 110  2024-01-01 1.10 (seed; 02-01 is after Jan 31) -> 110
    Feb     2024-01-01 1.10 -> 110  2024-02-01 1.15 (import)                      -> 115
    Mar     2024-03-15 1.08 -> 108  2024-03-15 1.05 (newer import over seed 1.08
                                    and older import 1.00)                        -> 105
    Apr-Jun 2024-03-15 1.08 -> 108  2024-03-15 1.05                               -> 105

so the imports change the EUR customer's MRR by +5 in February and -3 from March on (each
product exact: 100 x 1.15 = 115, 100 x 1.05 = 105). USD converts at 1 (50) and GBP, which no
import names, keeps the seed's rates: 50 x 1.27 = 63.50 in May, 50 x 1.28 = 64.00 in June (seed
rate of 2024-06-01). Movements of the EUR customer with the imports: new 110 in January,
expansion 5 in February, contraction 10 (115 -> 105) in March; with the seed only: new 110,
contraction 2 (110 -> 108) in March.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from both_targets import BothTargets, Rows, assert_same_column_types

from ingest.fx_rates import read_fx_rates
from ingest.subscriptions import read_subscription_periods
from warehouse.fx_rates import write_fx_rates, write_fx_rates_clickhouse
from warehouse.subscription_periods import (
    replace_tenant_periods,
    replace_tenant_periods_clickhouse,
)

TENANT = "acme"
AS_OF = "2024-06-15"
SUBSCRIPTIONS_CSV = """subscription_id,customer_id,start_date,end_date,monthly_amount,currency
s-eur,c-eur,2024-01-01,,100,EUR
s-usd,c-usd,2024-01-01,,50,USD
s-gbp,c-gbp,2024-05-01,,50,GBP
"""
HEADER = "rate_date,currency,quote_currency,rate\n"
OLDER_RATES = HEADER + "2024-03-15,EUR,USD,1.00\n"
NEWER_RATES = HEADER + "2024-02-01,EUR,USD,1.15\n2024-03-15,EUR,USD,1.05\n"
MARTS = ("mrr_by_customer_month", "mrr_movements")
SELECTION = ["--select", "+mrr_movements", "+mrr_by_customer_month"]
SELECTION += ["--indirect-selection", "cautious"]


def _m(month: int) -> dt.date:
    return dt.date(2024, month, 1)


def _money(value: str) -> Decimal:
    return Decimal(value).quantize(Decimal("0.000001"))


SEED_ONLY_EUR_MRR = {_m(1): "110", _m(2): "110", _m(3): "108", _m(4): "108"} | {
    _m(5): "108",
    _m(6): "108",
}
IMPORTED_EUR_MRR = {_m(1): "110", _m(2): "115", _m(3): "105", _m(4): "105"} | {
    _m(5): "105",
    _m(6): "105",
}
GBP_MRR = {_m(5): "63.5", _m(6): "64"}
USD_MRR = {_m(month): "50" for month in range(1, 7)}

Built = dict[str, Any]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    warehouse = BothTargets(tmp_path_factory.mktemp("fx_rates_marts"))
    periods = read_subscription_periods(
        SUBSCRIPTIONS_CSV.encode(), tenant_id=TENANT, source="s.csv"
    )
    assert periods.rejects == []
    with warehouse.loading() as load:
        table = periods.to_table()
        replace_tenant_periods(warehouse.settings.lake_dir, TENANT, table, periods.import_id)
        replace_tenant_periods_clickhouse(
            load.client, load.store.database, TENANT, table, periods.import_id
        )
    warehouse.build(SELECTION, vars={"as_of_date": AS_OF})
    seed_only = warehouse.read(MARTS)

    first_import = dt.datetime(2024, 7, 1, 9, tzinfo=dt.UTC)
    with warehouse.loading() as load:
        for text, imported_at in (
            (OLDER_RATES, first_import),
            (NEWER_RATES, first_import + dt.timedelta(hours=1)),
        ):
            rates = read_fx_rates(text.encode(), source="r.csv", now=imported_at)
            assert rates.rejects == []
            write_fx_rates(warehouse.settings.lake_dir, rates.to_table(), rates.import_id)
            write_fx_rates_clickhouse(load.client, load.store.database, rates.to_table())
    warehouse.build(SELECTION, vars={"as_of_date": AS_OF})
    return {
        "seed_only": seed_only,
        "imported": warehouse.read(MARTS),
        "types": warehouse.column_types(MARTS),
    }


def _mrr(rows: Rows, customer: str) -> dict[dt.date, Decimal]:
    return {row["month"]: row["mrr"] for row in rows if row["customer_id"] == customer}


def _expected(series: dict[dt.date, str]) -> dict[dt.date, Decimal]:
    return {month: _money(value) for month, value in series.items()}


@pytest.mark.parametrize("target", ["duckdb", "clickhouse"])
def test_the_seed_converts_when_nothing_is_imported(built: Built, target: str) -> None:
    rows = built["seed_only"][target]["mrr_by_customer_month"]
    assert _mrr(rows, "c-eur") == _expected(SEED_ONLY_EUR_MRR)


@pytest.mark.parametrize("target", ["duckdb", "clickhouse"])
def test_imported_rates_win_over_the_seed(built: Built, target: str) -> None:
    rows = built["imported"][target]["mrr_by_customer_month"]
    assert _mrr(rows, "c-eur") == _expected(IMPORTED_EUR_MRR)
    # the change the imports make, month by month: +5 in February, -3 from March on
    change = {
        month: _mrr(rows, "c-eur")[month]
        - _mrr(built["seed_only"][target]["mrr_by_customer_month"], "c-eur")[month]
        for month in IMPORTED_EUR_MRR
    }
    assert change == {_m(1): 0, _m(2): 5, _m(3): -3, _m(4): -3, _m(5): -3, _m(6): -3}
    # pairs no import names keep the seed's rates; the reporting currency converts at 1
    assert _mrr(rows, "c-gbp") == _expected(GBP_MRR)
    assert _mrr(rows, "c-usd") == _expected(USD_MRR)


@pytest.mark.parametrize("target", ["duckdb", "clickhouse"])
def test_movements_follow_the_imported_rates(built: Built, target: str) -> None:
    def movements(rows: Rows) -> dict[dt.date, tuple[str, Decimal]]:
        return {
            row["month"]: (row["movement"], row["amount"])
            for row in rows
            if row["customer_id"] == "c-eur"
        }

    assert movements(built["seed_only"][target]["mrr_movements"]) == {
        _m(1): ("new", _money("110")),
        _m(3): ("contraction", _money("2")),
    }
    assert movements(built["imported"][target]["mrr_movements"]) == {
        _m(1): ("new", _money("110")),
        _m(2): ("expansion", _money("5")),
        _m(3): ("contraction", _money("10")),
    }


@pytest.mark.parametrize("mart", MARTS)
def test_both_targets_give_identical_rows_and_types(built: Built, mart: str) -> None:
    for state in ("seed_only", "imported"):
        rows = built[state]
        assert rows["duckdb"][mart]  # two empty results would prove nothing
        assert rows["clickhouse"][mart] == rows["duckdb"][mart], state
    assert_same_column_types(built["types"], mart)
