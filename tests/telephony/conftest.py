"""Shared simulator runs for the telephony tests (small, built once per worker)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from telephony.simulator import SimulationConfig, SimulationResult, simulate, write_result

#: A Monday; the week crosses the US switch to daylight saving time (Sunday 2024-03-10).
WEEK_START = date(2024, 3, 4)


@dataclass(frozen=True)
class Run:
    result: SimulationResult
    folder: Path

    def db(self) -> duckdb.DuckDBPyConnection:
        """In-memory DuckDB with one view per family over the written Parquet files."""
        connection = duckdb.connect()
        connection.execute("set timezone = 'UTC'")
        for family in self.result.tables:
            path = self.folder / f"{family}.parquet"
            connection.execute(f"create view {family} as select * from read_parquet('{path}')")
        return connection

    @property
    def window_start(self) -> str:
        return self.result.manifest["window"]["start"]

    @property
    def window_end(self) -> str:
        return self.result.manifest["window"]["end"]


@pytest.fixture(scope="session")
def week_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """7 days x 2 tenants, all families, written as Parquet."""
    config = SimulationConfig(days=7, tenants=2, seed=11, start=WEEK_START, scale=0.6)
    result = simulate(config)
    folder = tmp_path_factory.mktemp("week")
    write_result(result, folder)
    return Run(result, folder)
