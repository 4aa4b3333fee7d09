"""``irisx ingest`` and ``irisx deadletter list`` via CliRunner, IRISX_DATA_DIR in tmp."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from ingest_test_support import FREESWITCH_DIR, call_record
from typer.testing import CliRunner, Result

from irisx.commands import ingest as ingest_commands
from warehouse import ParquetLake

WriteNdjson = Callable[[str, list[Any]], Path]


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Result]:
    # Only this area's commands: the test does not depend on other areas' modules.
    app = typer.Typer()
    ingest_commands.register(app)
    runner = CliRunner()
    env = {"IRISX_DATA_DIR": str(tmp_path / "data")}

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), env=env)

    return invoke


def _row(output: str, label: str) -> list[int]:
    match = re.search(rf"^{label}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", output, re.MULTILINE)
    assert match, f"no {label} row in:\n{output}"
    return [int(value) for value in match.groups()]


def test_ingest_prints_counts_and_exits_zero_with_rejects(
    run: Callable[..., Result], write_ndjson: WriteNdjson, tmp_path: Path
) -> None:
    path = write_ndjson(
        "calls.ndjson", [call_record(1), call_record(2), call_record(2), call_record(3, billsec=-1)]
    )
    result = run("ingest", str(path))
    assert result.exit_code == 0, result.output
    # read, accepted, duplicates, rejected
    assert _row(result.output, "call") == [4, 2, 1, 1]
    assert _row(result.output, "total") == [4, 2, 1, 1]
    assert "dead-letter store" in result.output
    lake = ParquetLake(tmp_path / "data" / "lake")
    assert lake.row_count("call") == 2
    # The lake was initialised: every family has its schema file.
    assert (tmp_path / "data" / "lake" / "raw" / "rtcp" / "_schema.parquet").exists()

    again = run("ingest", str(path))
    assert again.exit_code == 0
    assert lake.row_count("call") == 2

    listing = run("deadletter", "list")
    assert listing.exit_code == 0, listing.output
    assert f"{path} line 4  call  billsec: Input should be greater than or equal to 0" in (
        listing.output
    )
    assert listing.output.rstrip().endswith("1 of 1 dead letters")


def test_freeswitch_folder_with_tenant_and_country_code(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    result = run("ingest", str(FREESWITCH_DIR), "--tenant", "acme", "--default-country-code", "1")
    assert result.exit_code == 0, result.output
    assert _row(result.output, "call") == [4, 3, 0, 1]
    assert "files: 3" in result.output


def test_corrupt_file_exits_non_zero_and_is_kept(
    run: Callable[..., Result], write_ndjson: WriteNdjson, tmp_path: Path
) -> None:
    good = write_ndjson("calls.ndjson", [call_record(1)])
    corrupt = tmp_path / "input" / "agents.ndjson.gz"
    corrupt.write_bytes(gzip.compress(b'{"event_id": "a"}\n' * 500)[:-30])
    result = run("ingest", str(good), str(corrupt))
    assert result.exit_code == 1
    assert _row(result.output, "call") == [1, 1, 0, 0]
    assert f"unreadable {corrupt}: corrupt gzip data" in result.output
    assert "kept whole in the dead-letter store" in result.output
    kept = tmp_path / "data" / "deadletter" / "files"
    assert [p.read_bytes() for p in kept.rglob("agents.ndjson.gz")] == [corrupt.read_bytes()]


def test_limit_on_deadletter_list(run: Callable[..., Result], write_ndjson: WriteNdjson) -> None:
    path = write_ndjson("calls.ndjson", [call_record(i, billsec=-1) for i in range(5)])
    run("ingest", str(path))
    listing = run("deadletter", "list", "--limit", "2")
    assert listing.output.count("billsec:") == 2
    assert listing.output.rstrip().endswith("2 of 5 dead letters")


def test_bad_arguments_exit_2(run: Callable[..., Result], write_ndjson: WriteNdjson) -> None:
    path = write_ndjson("calls.ndjson", [call_record(1)])
    unknown_family = run("ingest", str(path), "--family", "calls")
    assert unknown_family.exit_code == 2
    assert "unknown event family 'calls'" in unknown_family.output
    missing = run("ingest", str(path.parent / "nope.ndjson"))
    assert missing.exit_code == 2
