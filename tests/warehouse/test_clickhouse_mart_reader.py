"""ClickHouseMartReader on chDB shares the folder with its holder (the stream worker) and says
when the warehouse cannot be reached. Same-answer tests over both readers are in
tests/serving/test_mart_reader.py and tests/serving_revenue/test_revenue_usage_billing_api.py."""

from __future__ import annotations

import time
from datetime import date

import pyarrow as pa
import pytest

from config import Settings
from tests.chdb_marts import chdb_folder_held, publish_to_chdb
from warehouse import ClickHouseMartReader, MartsUnavailable
from warehouse.clickhouse.handoff import live_requests

MART = "mrr_bridge"
ROWS = pa.Table.from_pylist(
    [
        {"tenant_id": "acme", "month": date(2024, 1, 1), "closing_mrr": 570},
        {"tenant_id": "globex", "month": date(2024, 1, 1), "closing_mrr": 10},
    ],
    schema=pa.schema(
        [("tenant_id", pa.string()), ("month", pa.date32()), ("closing_mrr", pa.int64())]
    ),
)


def _reader(settings: Settings, open_timeout_s: float) -> ClickHouseMartReader:
    return ClickHouseMartReader(
        f"chdb://{settings.chdb_dir}", chdb_folder=settings.chdb_dir, open_timeout_s=open_timeout_s
    )


def test_a_read_asks_the_holder_to_let_go_and_gives_the_folder_back(settings: Settings) -> None:
    publish_to_chdb(settings.chdb_dir, {MART: ROWS})
    with chdb_folder_held(settings.chdb_dir, yields=True) as holder:
        rows = _reader(settings, open_timeout_s=30).read_for_tenant(MART, "acme").to_pylist()

        assert rows == [{"tenant_id": "acme", "month": date(2024, 1, 1), "closing_mrr": 570}]
        assert live_requests(settings.chdb_dir) == []  # the request is withdrawn after the read
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "yielded"
        assert holder.stdout.readline().strip() == "reopened"  # the holder has it again


def test_a_holder_that_keeps_the_folder_makes_the_marts_unavailable(settings: Settings) -> None:
    publish_to_chdb(settings.chdb_dir, {MART: ROWS})
    with chdb_folder_held(settings.chdb_dir, yields=False):
        started = time.monotonic()
        with pytest.raises(MartsUnavailable, match="stayed busy for 1 s"):
            _reader(settings, open_timeout_s=1).read_for_tenant(MART, "acme")
        waited = time.monotonic() - started

    assert 1 <= waited < 10  # gave up after its timeout, not at once and not never
    assert live_requests(settings.chdb_dir) == []


def test_an_unreachable_server_makes_the_marts_unavailable() -> None:
    reader = ClickHouseMartReader("http://default:secret@127.0.0.1:1/")

    with pytest.raises(MartsUnavailable) as raised:
        reader.read_for_tenant(MART, "acme")
    assert "secret" not in str(raised.value)  # the DSN's password never reaches a message
