"""One small demo run shared by the end-to-end tests of a module (real simulator, ingest, Dagster,
dbt, DuckDB; no servers)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

IRISX = str(Path(sys.executable).parent / "irisx")


@dataclass(frozen=True)
class DemoRun:
    data_dir: Path
    env: dict[str, str]
    stdout: str


def run_irisx(
    args: list[str], env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [IRISX, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    data_dir = tmp_path_factory.mktemp("demo") / "irisx"
    env = {**os.environ, "IRISX_DATA_DIR": str(data_dir), "COLUMNS": "120"}
    args = ["demo", "--no-serve", "--days", "3", "--tenants", "2", "--seed", "11"]
    done = run_irisx([*args, "--start", "2026-03-02"], env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return DemoRun(data_dir=data_dir, env=env, stdout=done.stdout)
