"""The inbox sensor: run requests, run keys, settle time; the inbox archive."""

from __future__ import annotations

import os
import time
from pathlib import Path

from dagster import SkipReason, build_sensor_context

from config import Settings
from pipelines.lake.inbox import PROCESSED, archive, pending_files
from pipelines.lake.sensors import inbox_sensor
from pipelines.resources import IrisxResource


def _age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def _evaluate(settings: Settings):
    context = build_sensor_context(
        resources={"irisx": IrisxResource(data_dir=str(settings.data_dir))}
    )
    return inbox_sensor(context)


def test_empty_inbox_skips(settings: Settings) -> None:
    assert isinstance(_evaluate(settings), SkipReason)


def test_new_settled_files_request_one_run_with_their_paths(settings: Settings) -> None:
    first = settings.inbox_dir / "batch1" / "call.ndjson"
    first.parent.mkdir(parents=True)
    first.write_text('{"x": 1}\n')
    side = settings.inbox_dir / "batch1" / "ground_truth.json"
    side.write_text("[]")
    fresh = settings.inbox_dir / "message.ndjson"
    fresh.write_text('{"x": 2}\n')
    _age(first, 60)
    _age(side, 60)

    result = _evaluate(settings)
    [request] = result.run_requests
    paths = request.run_config["ops"]["raw_events"]["config"]["paths"]
    # The fresh file is still settling and the side file is not an event file.
    assert paths == [str(first)]

    again = _evaluate(settings)
    assert again.run_requests[0].run_key == request.run_key

    _age(fresh, 60)
    grown = _evaluate(settings)
    assert sorted(
        grown.run_requests[0].run_config["ops"]["raw_events"]["config"]["paths"]
    ) == sorted([str(first), str(fresh)])
    assert grown.run_requests[0].run_key != request.run_key


def test_archive_moves_file_and_its_side_files(settings: Settings) -> None:
    folder = settings.inbox_dir / "sim"
    folder.mkdir()
    data = folder / "call.parquet"
    data.write_bytes(b"PAR1")
    (folder / "manifest.json").write_text("{}")
    _age(data, 60)
    assert [f.path for f in pending_files(settings.inbox_dir)] == [data]

    moved = archive(settings.inbox_dir, data)
    assert moved == settings.inbox_dir / PROCESSED / "sim" / "call.parquet"
    assert moved.exists()
    assert (settings.inbox_dir / PROCESSED / "sim" / "manifest.json").exists()
    assert not folder.exists()
    assert pending_files(settings.inbox_dir) == []
