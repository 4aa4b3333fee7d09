"""``irisx simulate`` end to end (real files) and its input errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from irisx.cli import app

runner = CliRunner()
SMALL = ["--days", "1", "--tenants", "1", "--scale", "0.2", "--seed", "5"]


def test_simulate_writes_every_family_and_a_matching_manifest(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    done = runner.invoke(app, ["simulate", "--out", str(out), *SMALL, "--start", "2024-03-04"])
    assert done.exit_code == 0, done.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["start"] == "2024-03-04"
    assert manifest["window"] == {"start": "2024-03-04T00:00:00Z", "end": "2024-03-05T00:00:00Z"}
    assert set(manifest["counts"]) == {
        "call", "rtcp", "message", "billing", "campaign", "agent", "transcript",
    }  # fmt: skip
    for family, count in manifest["counts"].items():
        assert pq.read_metadata(out / f"{family}.parquet").num_rows == count > 0
    assert len(json.loads((out / "ground_truth.json").read_text())) >= 5
    assert manifest["tenants"][0]["tenant_id"] in done.output or "call" in done.output


def test_ndjson_format(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    done = runner.invoke(
        app, ["simulate", "--out", str(out), *SMALL, "--start", "2024-03-04", "--format", "ndjson"]
    )
    assert done.exit_code == 0, done.output
    first = json.loads((out / "call.ndjson").read_text().splitlines()[0])
    assert first["occurred_at"].endswith("+00:00")
    assert isinstance(first["cost"], str)


def test_default_start_is_today_minus_days(tmp_path: Path) -> None:
    before = datetime.now(UTC).date()
    done = runner.invoke(app, ["simulate", "--out", str(tmp_path), *SMALL])
    after = datetime.now(UTC).date()
    assert done.exit_code == 0, done.output
    start = json.loads((tmp_path / "manifest.json").read_text())["config"]["start"]
    assert start in {str(before - timedelta(days=1)), str(after - timedelta(days=1))}


def test_bad_inputs_name_the_option(tmp_path: Path) -> None:
    cases = {
        "--format": ["--format", "xml"],
        "--start": ["--start", "2024-13-01"],
        "--days": ["--days", "0"],
    }
    for option, args in cases.items():
        done = runner.invoke(app, ["simulate", "--out", str(tmp_path), *args])
        assert done.exit_code == 2, (option, done.output)
        assert option in done.output, (option, done.output)
