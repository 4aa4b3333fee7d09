"""``irisx import subscriptions``: row validation to the dead-letter store, replace semantics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from config import Settings
from ingest import DeadLetterStore
from irisx.cli import app
from warehouse.subscription_periods import periods_dir

runner = CliRunner()

GOOD_AND_BAD = """subscription_id,customer_id,start_date,end_date,monthly_amount,currency
s1,c1,2024-01-01,,100,usd
s2,c2,2024-02-01,2024-01-01,5,USD
s3,c3,2024-01-10,2024-03-01,abc,USD
s1,c1,2024-02-01,,10,USD
s4,c4,2024-01-01,,-3,USD
s5,c5,2024-01-01,,10,EUR
s6,c6,2024-01-01,2024-02-01,20.25,
s6,c9,2024-05-01,,10,USD
s7,c7,2024-01-01,,10,USD,extra
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IRISX_DATA_DIR", str(tmp_path / "irisx"))
    monkeypatch.setenv("IRISX_PROFILE", "embedded")
    return tmp_path / "irisx"


def _import(path: Path, tenant: str = "acme") -> str:
    done = runner.invoke(app, ["import", "subscriptions", str(path), "--tenant", tenant])
    assert done.exit_code == 0, done.output
    return done.output


def _tenant_rows(data_dir: Path, tenant: str) -> list[dict[str, object]]:
    files = sorted((periods_dir(data_dir / "lake") / tenant).glob("*.parquet"))
    return [row for path in files for row in pq.read_table(path).to_pylist()]


def test_bad_rows_are_dead_lettered_with_their_line(data_dir: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "periods.csv"
    csv_path.write_text(GOOD_AND_BAD)
    output = _import(csv_path)
    assert "3 periods imported" in output
    assert "6 rejected" in output
    letters = DeadLetterStore(Settings().deadletter_dir).read()
    reasons = {letter.position.index: letter.reason for letter in letters}
    assert set(reasons) == {3, 4, 5, 6, 9, 10}  # header is line 1 (line 7, EUR, is accepted)
    assert "end_date 2024-01-01 must be after start_date 2024-02-01" in reasons[3]
    assert reasons[4].startswith("monthly_amount:")
    assert "overlaps the one on line 2" in reasons[5]
    assert reasons[6].startswith("monthly_amount:")  # negative
    assert "customer c9 differs from line 8's" in reasons[9]
    assert "7 cells, the header has 6" in reasons[10]
    assert {letter.family for letter in letters} == {"subscription_periods"}
    assert all(letter.position.source == str(csv_path) for letter in letters)
    rows = sorted(_tenant_rows(data_dir, "acme"), key=lambda row: str(row["subscription_id"]))
    assert [(r["subscription_id"], r["currency"], r["end_date"]) for r in rows] == [
        ("s1", "USD", None),  # "usd" upper-cased
        ("s5", "EUR", None),  # another currency in the same file: kept, converted by dbt
        ("s6", "USD", dt.date(2024, 2, 1)),  # empty currency = USD
    ]
    assert rows[2]["monthly_amount"] == Decimal("20.250000")


def test_reimport_is_idempotent_and_a_new_file_replaces_the_tenant(
    data_dir: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text(
        "subscription_id,customer_id,start_date,end_date,monthly_amount\ns1,c1,2024-01-01,,100\ns2,c2,2024-01-01,,5\n"
    )
    other = tmp_path / "other.csv"
    other.write_text(
        "subscription_id,customer_id,start_date,end_date,monthly_amount\ng1,g1,2024-03-01,,7\n"
    )
    _import(other, tenant="globex")
    _import(first)
    _import(first)
    assert sorted(r["subscription_id"] for r in _tenant_rows(data_dir, "acme")) == ["s1", "s2"]
    second = tmp_path / "second.csv"
    second.write_text(
        "subscription_id,customer_id,start_date,end_date,monthly_amount\ns1,c1,2024-01-01,,120\n"
    )
    _import(second)
    rows = _tenant_rows(data_dir, "acme")
    assert [(r["subscription_id"], r["monthly_amount"]) for r in rows] == [
        ("s1", Decimal("120.000000"))
    ]
    # another tenant's periods are untouched
    assert [r["subscription_id"] for r in _tenant_rows(data_dir, "globex")] == ["g1"]
    assert DeadLetterStore(Settings().deadletter_dir).count() == 0


def test_a_file_without_the_required_columns_is_refused(data_dir: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("subscription_id,customer,start_date\ns1,c1,2024-01-01\n")
    done = runner.invoke(app, ["import", "subscriptions", str(csv_path), "--tenant", "acme"])
    assert done.exit_code == 2
    assert "missing ['customer_id', 'end_date', 'monthly_amount'], unknown ['customer']" in (
        done.output
    )
    assert not (periods_dir(data_dir / "lake") / "acme").exists()


def test_a_bad_tenant_slug_is_refused(data_dir: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "p.csv"
    csv_path.write_text(GOOD_AND_BAD)
    done = runner.invoke(app, ["import", "subscriptions", str(csv_path), "--tenant", "Acme Corp"])
    assert done.exit_code == 2
    assert not (periods_dir(data_dir / "lake") / "Acme Corp").exists()
