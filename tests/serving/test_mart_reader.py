"""MartReader: tenant-scoped, parameterised reads of published Parquet marts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from config import Settings
from tests.serving.kpi_data import ACME_ROWS, MART
from warehouse import DateRange, MartNotPublished, MartReader, MartReadError
from warehouse.marts import InvalidMartNameError


@pytest.fixture
def reader(settings: Settings, published: Path) -> MartReader:
    return MartReader(settings.marts_dir)


def test_reads_only_the_given_tenant(reader: MartReader) -> None:
    table = reader.read_for_tenant(MART, "acme")

    assert table.num_rows == len(ACME_ROWS)
    assert set(table.column("tenant_id").to_pylist()) == {"acme"}
    assert sorted(table.column("offered").to_pylist()) == [1, 4, 5, 10, 20]
    assert table.schema.field("call_date").type == pa.date32()


def test_date_range_equals_columns_order(reader: MartReader) -> None:
    rows = reader.read_for_tenant(
        MART,
        "acme",
        columns=["call_date", "offered"],
        date_range=DateRange("call_date", date(2024, 3, 1), None),
        equals={"direction": "inbound"},
        order_by=["call_date"],
    ).to_pylist()

    assert rows == [
        {"call_date": date(2024, 3, 1), "offered": 10},
        {"call_date": date(2024, 3, 2), "offered": 5},
        {"call_date": date(2024, 3, 3), "offered": 1},
    ]
    upto = reader.read_for_tenant(
        MART,
        "acme",
        columns=["offered"],
        date_range=DateRange("call_date", None, date(2024, 2, 29)),
    ).to_pylist()
    assert upto == [{"offered": 4}]
    assert reader.read_for_tenant(MART, "acme", limit=2).num_rows == 2


def test_unknown_tenant_reads_nothing(reader: MartReader) -> None:
    assert reader.read_for_tenant(MART, "initech").num_rows == 0
    assert reader.latest_for_tenant(MART, "initech", "call_date") is None


def test_latest_for_tenant(reader: MartReader) -> None:
    assert reader.latest_for_tenant(MART, "acme", "call_date") == date(2024, 3, 3)
    assert reader.latest_for_tenant(MART, "globex", "call_date") == date(2024, 3, 2)
    assert reader.latest_for_tenant(MART, "acme", "offered") == 20


@pytest.mark.parametrize("tenant", ["' or '1'='1", "acme' --", "ACME", "", " acme"])
def test_malformed_tenant_is_an_error_not_a_wider_read(reader: MartReader, tenant: str) -> None:
    with pytest.raises(ValueError, match="tenant_id"):
        reader.read_for_tenant(MART, tenant)


@pytest.mark.parametrize(
    "name", ["../marts/agg_call_kpis_daily", "/etc/passwd", "Agg", "a-b", "", "a.parquet", "x;y"]
)
def test_mart_names_are_plain_identifiers(reader: MartReader, name: str) -> None:
    with pytest.raises(InvalidMartNameError, match="mart name"):
        reader.read_for_tenant(name, "acme")


@pytest.mark.parametrize("column", ['offered" or 1=1 --', "a b", "1x"])
def test_column_names_are_validated(reader: MartReader, column: str) -> None:
    with pytest.raises(InvalidMartNameError, match="column"):
        reader.read_for_tenant(MART, "acme", columns=[column])


def test_unknown_column_is_a_read_error_naming_the_mart(reader: MartReader) -> None:
    with pytest.raises(MartReadError, match="agg_call_kpis_daily"):
        reader.read_for_tenant(MART, "acme", equals={"no_such_column": 1})


def test_missing_mart_raises_mart_not_published(settings: Settings) -> None:
    reader = MartReader(settings.marts_dir)
    with pytest.raises(MartNotPublished) as raised:
        reader.read_for_tenant("agg_revenue_monthly", "acme")

    assert str(raised.value) == (
        "mart 'agg_revenue_monthly' has not been published yet; run the pipeline"
    )
    assert raised.value.mart == "agg_revenue_monthly"
    assert reader.published() == {}


def test_no_file_stays_open_after_a_read(reader: MartReader, published: Path) -> None:
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        pytest.skip("needs /proc")

    def open_marts() -> list[str]:
        targets = []
        for entry in fd_dir.iterdir():
            try:
                targets.append(str(entry.readlink()))
            except OSError:
                continue
        return [target for target in targets if target.startswith(str(published.parent))]

    reader.read_for_tenant(MART, "acme")
    assert open_marts() == []
