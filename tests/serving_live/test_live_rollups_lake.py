"""Embedded live wallboards: ``warehouse.live.LakeLiveRollups`` computes the hot store's minute
rollups from the Parquet lake with DuckDB.

- Same events, same numbers: a simulated day (two tenants, ~1,200 calls, ~9,700 RTCP reports,
  one batch of calls delivered twice in part) goes into a real PostgreSQL hot store and into the
  lake; both implementations answer every window alike (calls, per-queue figures per minute and
  over the window, quality per carrier).
- The embedded API answers ``/v1/live/calls``, ``/v1/live/quality`` and the WebSocket from the
  lake with the hand-worked figures of live_hand_worked (same events, same clock).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from config import Settings
from serving.app import create_app
from telephony.simulator.config import SimulationConfig
from telephony.simulator.engine import simulate
from tests.api_support import api_key
from tests.serving_live.live_hand_worked import LIVE_CALLS_5, hand_worked_events, pinned_client
from warehouse import ParquetLake
from warehouse.hotstore import PostgresHotStore, QueueStats
from warehouse.live import LakeLiveRollups

DAY = date(2024, 5, 1)


@pytest.fixture(scope="module")
def simulated_day() -> dict[str, pa.Table]:
    config = SimulationConfig(
        days=1, tenants=2, scale=0.3, start=DAY, families=frozenset({"call", "rtcp"})
    )
    return dict(simulate(config).tables)


def _same_queue_stats(ours: list[QueueStats], theirs: list[QueueStats]) -> None:
    """Equal row for row; the sums of queue waits (doubles) to the last bits only, as PostgreSQL
    and DuckDB add them in different orders."""
    assert len(ours) == len(theirs)
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.handled_wait_sec == pytest.approx(other.handled_wait_sec, rel=1e-12)
        assert replace(mine, handled_wait_sec=0.0) == replace(other, handled_wait_sec=0.0)


def _batches(table: pa.Table) -> list[pa.Table]:
    """Two overlapping batches: rows 100..199 are delivered twice (a retried batch)."""
    return [table.slice(0, 200), table.slice(100)]


def test_lake_and_hot_store_give_the_same_rollups_on_the_same_events(
    simulated_day: dict[str, pa.Table], settings: Settings, plain_dsn: str
) -> None:
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    with PostgresHotStore(plain_dsn) as store:
        store.migrate()
        for family, table in simulated_day.items():
            for number, batch in enumerate(_batches(table)):
                store.insert(family, batch)
                lake.write_batch(family, batch, f"{family}-{number}")
        store.refresh_rollups()
        from_lake = LakeLiveRollups(settings.lake_dir)
        tenants = sorted(set(simulated_day["call"].column("tenant_id").to_pylist()))
        start = datetime.combine(DAY, datetime.min.time(), UTC)
        # Whole minutes, seconds into a minute, the day's end and past it.
        clocks = [start + offset for offset in (
            timedelta(hours=10), timedelta(hours=14, minutes=37, seconds=21),
            timedelta(hours=23, minutes=59, seconds=59), timedelta(days=1, minutes=10),
        )]  # fmt: skip
        compared_calls = compared_reports = compared_queued = 0
        for tenant in [*tenants, "initech"]:
            for now in clocks:
                for minutes in (1, 15, 240, 1440):
                    hot_calls = store.live_call_stats(tenant, minutes, now=now)
                    assert from_lake.live_call_stats(tenant, minutes, now=now) == hot_calls
                    compared_calls += hot_calls.offered
                    hot_queues = store.live_queue_stats(tenant, minutes, now=now)
                    _same_queue_stats(
                        from_lake.live_queue_stats(tenant, minutes, now=now), hot_queues
                    )
                    totals = [row for row in hot_queues if row.minute is None]
                    # The queues' window totals add up to the tenant's queued calls.
                    assert sum(row.offered for row in totals) == hot_calls.queued
                    compared_queued += hot_calls.queued
                    if totals:  # one queue alone: the same rows as in the full answer
                        one = totals[-1].queue_id
                        alone = from_lake.live_queue_stats(tenant, minutes, now=now, queue_id=one)
                        _same_queue_stats(alone, [r for r in hot_queues if r.queue_id == one])
                    hot = store.live_quality(tenant, minutes, now=now)
                    lake_rows = from_lake.live_quality(tenant, minutes, now=now)
                    assert [(q.carrier_id, q.reports) for q in lake_rows] == [
                        (q.carrier_id, q.reports) for q in hot
                    ]
                    for ours, theirs in zip(lake_rows, hot, strict=True):
                        # PostgreSQL sums numerics, DuckDB doubles: equal to the last bits only.
                        assert ours.mean_jitter_ms == pytest.approx(theirs.mean_jitter_ms, 1e-12)
                        assert ours.mean_loss_fraction == pytest.approx(
                            theirs.mean_loss_fraction, 1e-12
                        )
                        assert ours.mean_rtt_ms == pytest.approx(theirs.mean_rtt_ms, 1e-12)
                    compared_reports += sum(q.reports for q in hot)
    # The comparison saw real traffic, not only empty windows.
    assert compared_calls > 1000
    assert compared_reports > 5000
    assert compared_queued > 500


@pytest.fixture
def embedded(settings: Settings) -> Iterator[TestClient]:
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    for family, table in hand_worked_events().items():
        lake.write_batch(family, table, f"hand-{family}")
        lake.write_batch(family, table, f"again-{family}")  # delivered twice: counted once
    with pinned_client(settings) as client:
        yield client


def test_embedded_live_calls_are_the_hand_worked_totals(
    embedded: TestClient, settings: Settings
) -> None:
    response = embedded.get("/v1/live/calls?minutes=5", headers=api_key(settings, "acme"))
    assert response.status_code == 200, response.text
    # Hand-worked in live_hand_worked's docstring (buckets 10:01..10:05).
    assert response.json() == LIVE_CALLS_5
    wider = embedded.get("/v1/live/calls?minutes=6", headers=api_key(settings, "acme")).json()
    assert (wider["offered"], wider["answered"]) == (4, 3)  # + w0 at 10:00
    globex = embedded.get("/v1/live/calls?minutes=5", headers=api_key(settings, "globex")).json()
    assert (globex["offered"], globex["total_billsec"]) == (1, 25)


def test_embedded_live_quality_per_carrier(embedded: TestClient, settings: Settings) -> None:
    response = embedded.get("/v1/live/quality?minutes=5", headers=api_key(settings, "acme"))
    assert response.status_code == 200, response.text
    # carrier-a: jitter (20 + 10) / 2 ms, loss (0.25 + 0) / 2, rtt (40 + 60) / 2; the report on
    # a call not in the lake: carrier null, 30 ms, 0.5, no rtt.
    assert response.json()["carriers"] == [
        {
            "carrier_id": "carrier-a",
            "reports": 2,
            "mean_jitter_ms": 15.0,
            "mean_loss_fraction": 0.125,
            "mean_rtt_ms": 50.0,
        },
        {
            "carrier_id": None,
            "reports": 1,
            "mean_jitter_ms": 30.0,
            "mean_loss_fraction": 0.5,
            "mean_rtt_ms": None,
        },
    ]
    later = embedded.get("/v1/live/quality?minutes=3", headers=api_key(settings, "acme"))
    assert later.json()["carriers"] == []


def test_embedded_wallboard_streams_from_the_lake(embedded: TestClient, settings: Settings) -> None:
    headers = api_key(settings, "acme")
    with embedded.websocket_connect(
        "/v1/live/wallboard?minutes=5&interval_s=0.05", headers=headers
    ) as socket:
        frame = socket.receive_json()
    assert frame["type"] == "wallboard"
    assert (frame["calls"]["offered"], frame["calls"]["abandoned"]) == (3, 1)
    assert [c["carrier_id"] for c in frame["quality"]["carriers"]] == ["carrier-a", None]
    assert frame["calls"] == embedded.get("/v1/live/calls?minutes=5", headers=headers).json()


def test_an_empty_lake_answers_zeros(settings: Settings) -> None:
    """No event was ever ingested (the lake folder is not even initialised)."""
    with TestClient(create_app(settings)) as client:
        headers = api_key(settings, "acme")
        calls = client.get("/v1/live/calls", headers=headers)
        quality = client.get("/v1/live/quality", headers=headers)
    assert calls.status_code == 200, calls.text
    assert (calls.json()["offered"], calls.json()["asr"]) == (0, None)
    assert quality.json()["carriers"] == []
