"""``irisx import fx-rates``: row validation to the dead-letter store, accumulating imports, an
idempotent re-import, the zero-row lake file and the ClickHouse table (chDB)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import clickhouse_connect
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from config import Settings
from ingest import DeadLetterStore
from ingest.fx_rates import SCHEMA, read_fx_rates
from irisx.cli import app
from tests.revenue.raw_tables import assert_typed_zero_row_file, column_types
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore
from warehouse.fx_rates import fx_rates_dir, write_fx_rates_clickhouse

runner = CliRunner()

HEADER = "rate_date,currency,quote_currency,rate\n"
# line 1 is the header; lines 2, 3 and 9 are good ("eur" is upper-cased)
GOOD_AND_BAD = HEADER + (
    "2024-02-01,eur,USD,1.15\n"
    "2024-03-15,EUR,USD,1.05\n"
    "2024-02-30,EUR,USD,1.1\n"  # line 4: no such day
    "2024-02-01,EUR,USD,1.2\n"  # line 5: same key as line 2
    "2024-02-01,GBP,USD,0\n"  # line 6: a rate must be > 0
    "2024-02-01,USD,USD,1\n"  # line 7: a currency quoted in itself
    "2024-02-01,GBP,USD,1.2700001\n"  # line 8: more than 6 decimals
    "2024-02-01,GBP,USD,1.27\n"
    "2024-02-01,GBP,USD,1.27,extra\n"  # line 10: more cells than the header
)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IRISX_DATA_DIR", str(tmp_path / "irisx"))
    monkeypatch.setenv("IRISX_PROFILE", "embedded")
    return tmp_path / "irisx"


def _import(path: Path) -> str:
    done = runner.invoke(app, ["import", "fx-rates", str(path)])
    assert done.exit_code == 0, done.output
    return done.output


def _lake_rows(data_dir: Path) -> list[dict[str, object]]:
    files = sorted(fx_rates_dir(data_dir / "lake").glob("*.parquet"))
    return [row for path in files for row in pq.read_table(path).to_pylist()]


def test_bad_rows_are_dead_lettered_with_their_line(data_dir: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "rates.csv"
    csv_path.write_text(GOOD_AND_BAD)
    output = _import(csv_path)
    assert "3 exchange rates imported, 6 rejected" in output
    letters = DeadLetterStore(Settings().deadletter_dir).read()
    reasons = {letter.position.index: letter.reason for letter in letters}
    assert set(reasons) == {4, 5, 6, 7, 8, 10}
    assert reasons[4].startswith("rate_date:")
    assert reasons[5] == "EUR/USD on 2024-02-01: already on line 2"
    assert reasons[6].startswith("rate:")
    assert "greater than 0" in reasons[6]
    assert "currency and quote_currency are both USD" in reasons[7]
    assert reasons[8].startswith("rate:")
    assert "6 decimal places" in reasons[8]
    assert "5 cells, the header has 4" in reasons[10]
    assert {letter.family for letter in letters} == {"fx_rates"}
    assert all(letter.position.source == str(csv_path) for letter in letters)
    rows = sorted(_lake_rows(data_dir), key=lambda r: (str(r["currency"]), str(r["rate_date"])))
    assert [(r["rate_date"], r["currency"], r["quote_currency"], r["rate"]) for r in rows] == [
        (dt.date(2024, 2, 1), "EUR", "USD", Decimal("1.150000")),
        (dt.date(2024, 3, 15), "EUR", "USD", Decimal("1.050000")),
        (dt.date(2024, 2, 1), "GBP", "USD", Decimal("1.270000")),
    ]


def test_reimporting_a_file_changes_nothing_and_imports_accumulate(
    data_dir: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text(HEADER + "2024-02-01,EUR,USD,1.15\n")
    second = tmp_path / "second.csv"
    second.write_text(HEADER + "2024-02-01,EUR,USD,1.16\n2024-04-01,GBP,USD,1.3\n")
    _import(first)
    folder = fx_rates_dir(data_dir / "lake")
    (first_file,) = [path for path in folder.glob("*.parquet") if path.name != "_schema.parquet"]
    before = first_file.read_bytes()
    _import(second)
    output = _import(first)  # again, after another import
    assert "already imported: unchanged" in output
    # the same rows with the same imported_at, byte for byte: the second import still wins
    assert first_file.read_bytes() == before
    imports = sorted(path.name for path in folder.glob("*.parquet"))
    assert len(imports) == 3  # _schema.parquet + one file per distinct file imported
    rows = _lake_rows(data_dir)
    assert len(rows) == 3
    eur = sorted(
        (r["imported_at"], r["rate"]) for r in rows if r["currency"] == "EUR"
    )  # the later import of the key is the one staging keeps
    assert [rate for _, rate in eur] == [Decimal("1.150000"), Decimal("1.160000")]
    assert DeadLetterStore(Settings().deadletter_dir).count() == 0


def test_a_file_without_the_required_columns_is_refused(data_dir: Path, tmp_path: Path) -> None:
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("rate_date,currency,rate,tenant_id\n2024-01-01,EUR,1.1,acme\n")
    done = runner.invoke(app, ["import", "fx-rates", str(csv_path)])
    assert done.exit_code == 2
    assert "missing ['quote_currency'], unknown ['tenant_id']" in done.output
    assert _lake_rows(data_dir) == []


def test_lake_initialize_writes_the_typed_zero_row_file(tmp_path: Path) -> None:
    ParquetLake(tmp_path / "lake").initialize()
    assert_typed_zero_row_file(fx_rates_dir(tmp_path / "lake"), SCHEMA)


def test_clickhouse_table_has_the_schema_and_a_reimport_adds_no_row(
    raw_store: ClickHouseRawStore,
) -> None:
    columns = column_types(raw_store, "fx_rates")
    assert [name for name, _ in columns] == SCHEMA.names
    assert dict(columns)["rate_date"] == "Date32"
    assert dict(columns)["rate"] == "Decimal(18, 6)"
    data = (HEADER + "2024-02-01,EUR,USD,1.15\n").encode()
    first = read_fx_rates(data, source="r.csv")
    write_fx_rates_clickhouse(raw_store.client, raw_store.database, first.to_table())
    # the CLI passes the first import's time again (imported_at_of): identical rows
    again = read_fx_rates(data, source="r.csv", now=first.imported_at)
    write_fx_rates_clickhouse(raw_store.client, raw_store.database, again.to_table())
    rows = raw_store.client.query(
        "SELECT rate_date, currency, quote_currency, rate, import_id FROM irisx_raw.fx_rates FINAL"
    ).result_rows
    assert [tuple(row) for row in rows] == [
        (dt.date(2024, 2, 1), "EUR", "USD", Decimal("1.15"), first.import_id)
    ]


def test_server_profile_writes_the_lake_and_clickhouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Server profile without a ClickHouse DSN: chDB in <data_dir>/chdb gets the rows too, and a
    re-import leaves one row per key there (FINAL) as in the lake."""
    monkeypatch.setenv("IRISX_DATA_DIR", str(tmp_path / "irisx"))
    monkeypatch.setenv("IRISX_PROFILE", "server")
    monkeypatch.delenv("IRISX_CLICKHOUSE_DSN", raising=False)
    csv_path = tmp_path / "rates.csv"
    csv_path.write_text(HEADER + "2024-02-01,EUR,USD,1.15\n2024-02-01,GBP,USD,1.27\n")
    assert "2 exchange rates imported, 0 rejected" in _import(csv_path)
    assert "already imported: unchanged" in _import(csv_path)
    settings = Settings()
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        rows = client.query(
            "SELECT currency, rate FROM irisx_raw.fx_rates FINAL ORDER BY currency"
        ).result_rows
    finally:
        client.close()
    assert [tuple(row) for row in rows] == [("EUR", Decimal("1.15")), ("GBP", Decimal("1.27"))]
    assert len(_lake_rows(tmp_path / "irisx")) == 2
