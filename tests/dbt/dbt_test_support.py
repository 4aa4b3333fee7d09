"""Helpers for the dbt project tests: a fresh data dir with a lake, lake writes, dbt build."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa

from config import Settings
from ingest.contracts import EventBase, models_to_table
from pipelines.dbt_cli import run_dbt
from warehouse import ParquetLake

#: The published mart's columns in order, as the API reads them (name, Arrow type).
AGG_CALL_KPIS_DAILY_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("tenant_id", pa.string()),
    ("call_date", pa.date32()),
    ("direction", pa.string()),
    *[
        (name, pa.int64())
        for name in (
            "offered",
            "answered",
            "queued",
            "abandoned",
            "answered_within_20s",
            "total_billsec",
        )
    ],
    *[
        (name, pa.float64())
        for name in ("asr", "acd_sec", "aht_sec", "abandon_rate", "service_level_20s")
    ],
]


def new_data_dir(root: Path) -> tuple[Settings, ParquetLake]:
    """Settings for a fresh data dir under ``root`` and its (initialised) lake."""
    settings = Settings(data_dir=root / "irisx")
    settings.ensure_dirs()
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    return settings, lake


def write_events(lake: ParquetLake, events: Iterable[EventBase], batch_id: str) -> None:
    """Write contract models (all of one family) as one lake batch, as ingest would."""
    events = list(events)
    model = type(events[0])
    lake.write_batch(model.family, models_to_table(events, model), batch_id)


def dbt_build(settings: Settings, target_path: Path, *extra: str) -> str:
    """Run ``dbt build`` with its own target path; fail the test with dbt's output if it fails."""
    completed = run_dbt(["build", *extra], settings, target_path=target_path)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-6000:]
    return output
