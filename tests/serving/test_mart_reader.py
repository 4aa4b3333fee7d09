"""MartReader: tenant-scoped, parameterised reads of published marts, on both implementations.

Every test that takes ``reader`` runs twice over the same rows (tests/serving/kpi_data.py): once
on the Parquet file (embedded profile) and once on the ClickHouse table ``irisx.<mart>`` in chDB
(server profile), each reader built by ``mart_reader_for`` as the API and ``irisx export`` build
it. The expected values are written once, so both readers must give the same answers.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from config import Profile, Settings
from tests.chdb_marts import publish_to_chdb
from tests.serving.kpi_data import ACME_ROWS, KPI_SCHEMA, MART
from warehouse import (
    ClickHouseMartReader,
    DateRange,
    MartNotPublished,
    MartReader,
    MartReadError,
    ParquetMartReader,
    mart_reader_for,
)
from warehouse.marts import InvalidMartNameError


def _reader(kind: str, settings: Settings) -> MartReader:
    """The reader ``mart_reader_for`` picks for the profile of ``kind`` on this data dir."""
    profile = Profile.EMBEDDED if kind == "parquet" else Profile.SERVER
    chosen = mart_reader_for(Settings(data_dir=settings.data_dir, profile=profile))
    assert isinstance(chosen, ParquetMartReader if kind == "parquet" else ClickHouseMartReader)
    return chosen


@pytest.fixture(params=["parquet", "clickhouse"])
def reader(request: pytest.FixtureRequest, settings: Settings, published: Path) -> MartReader:
    """The same rows as a Parquet file and as a chDB table; the reader of one of them."""
    if request.param == "clickhouse":
        publish_to_chdb(settings.chdb_dir, {MART: pq.read_table(published)})
    return _reader(request.param, settings)


def test_reads_only_the_given_tenant(reader: MartReader) -> None:
    table = reader.read_for_tenant(MART, "acme")

    assert table.num_rows == len(ACME_ROWS)
    assert set(table.column("tenant_id").to_pylist()) == {"acme"}
    assert sorted(table.column("offered").to_pylist()) == [1, 4, 5, 10, 20]
    assert table.schema.field("call_date").type == pa.date32()
    # The mart's own column types, nullable as in Parquet, whichever store holds it.
    assert table.schema == pa.schema([field.with_nullable(True) for field in KPI_SCHEMA])


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


def test_equality_filters_of_every_value_type(reader: MartReader) -> None:
    """Integer, float and date equality filters are bound with their own types: acme's
    2024-03-01 inbound row has offered 10 and asr 8 / 10 = 0.8."""
    rows = reader.read_for_tenant(
        MART,
        "acme",
        columns=["direction", "answered"],
        equals={"offered": 10, "asr": 0.8, "call_date": date(2024, 3, 1)},
    ).to_pylist()

    assert rows == [{"direction": "inbound", "answered": 8}]


def test_unknown_tenant_reads_nothing(reader: MartReader) -> None:
    assert reader.read_for_tenant(MART, "initech").num_rows == 0
    assert reader.latest_for_tenant(MART, "initech", "call_date") is None


def test_latest_for_tenant(reader: MartReader) -> None:
    assert reader.latest_for_tenant(MART, "acme", "call_date") == date(2024, 3, 3)
    assert reader.latest_for_tenant(MART, "globex", "call_date") == date(2024, 3, 2)
    assert reader.latest_for_tenant(MART, "acme", "offered") == 20


def test_published_and_columns(reader: MartReader) -> None:
    assert list(reader.published()) == [MART]
    assert reader.columns(MART) == KPI_SCHEMA.names
    with pytest.raises(MartNotPublished):
        reader.columns("agg_revenue_monthly")


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


def test_missing_mart_raises_mart_not_published(reader: MartReader) -> None:
    with pytest.raises(MartNotPublished) as raised:
        reader.read_for_tenant("agg_revenue_monthly", "acme")

    assert str(raised.value) == (
        "mart 'agg_revenue_monthly' has not been published yet; run the pipeline"
    )
    assert raised.value.mart == "agg_revenue_monthly"


@pytest.mark.parametrize("kind", ["parquet", "clickhouse"])
def test_nothing_published_yet(settings: Settings, kind: str) -> None:
    """A fresh data dir: no mart, and the ClickHouse reader does not create the chDB folder."""
    reader = _reader(kind, settings)

    assert reader.published() == {}
    with pytest.raises(MartNotPublished):
        reader.read_for_tenant(MART, "acme")
    assert not settings.chdb_dir.exists()


def test_no_file_stays_open_after_a_read(settings: Settings, published: Path) -> None:
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

    ParquetMartReader(settings.marts_dir).read_for_tenant(MART, "acme")
    assert open_marts() == []
