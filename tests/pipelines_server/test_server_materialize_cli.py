"""``irisx materialize`` in the server profile: the daily marts of a day range on chDB, through
the real CLI, Dagster and dbt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import clickhouse_connect

from config import Settings
from tests.event_samples import call_record
from tests.stream_support import validated_batch
from warehouse.sinks import ClickHouseWarehouseSink


def test_materialize_builds_the_requested_days(settings: Settings) -> None:
    day_one = [call_record(i) for i in range(3)]  # 2024-05-01, answered, 25 s
    day_two = [
        call_record(
            10 + i,
            start_at="2024-05-02T09:00:00Z",
            answer_at=None,
            end_at="2024-05-02T09:00:40Z",
            occurred_at="2024-05-02T09:00:40Z",
            billsec=0,
            hangup_cause="NO_ANSWER",
        )
        for i in range(2)
    ]
    sink = ClickHouseWarehouseSink(settings.warehouse_dsn)
    sink.write_batch(
        "call", validated_batch(day_one + day_two, "b", settings.deadletter_dir).table, "b"
    )
    sink.close()

    env = dict(os.environ, IRISX_PROFILE="server", IRISX_DATA_DIR=str(settings.data_dir))
    irisx = str(Path(sys.executable).parent / "irisx")
    done = subprocess.run(
        [irisx, "materialize", "--from", "2024-05-02", "--to", "2024-05-02"],
        env=env,
        capture_output=True,
        text=True,
        # a hang guard, not a speed target: the views step builds and tests every non-daily
        # model on chDB (minutes on a loaded 2-core machine)
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    client = clickhouse_connect.get_client(dsn=settings.warehouse_dsn)
    try:
        rows = client.query(
            "select call_date, offered, answered from irisx.agg_call_kpis_daily order by call_date"
        ).result_rows
    finally:
        client.close()
    # Only the requested day was built: 2 offered, none answered.
    assert [(str(day), offered, answered) for day, offered, answered in rows] == [
        ("2024-05-02", 2, 0)
    ]
