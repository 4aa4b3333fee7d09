"""One harness for "the same raw events, dbt build on both targets, the same mart rows".

Every mart test that checks hand-worked values and target parity used to repeat the same steps:
write raw batches into the Parquet lake (duckdb target) and into chDB's raw tables (clickhouse
target), release the chDB folder (dbt's process takes it next), run ``dbt build`` on each target
into its own target path, then read each mart back from Parquet and from chDB. This module does
those steps once.

    warehouse = BothTargets(tmp_path_factory.mktemp("my_marts"))
    with warehouse.loading() as load:
        load.write("call", calls_table, "calls")
    warehouse.build(["--select", "+my_mart", "--indirect-selection", "cautious"], vars={...})
    marts = warehouse.read(["my_mart"])         # {"duckdb": {...}, "clickhouse": {...}}
    assert marts["clickhouse"]["my_mart"] == marts["duckdb"]["my_mart"]
    assert_same_column_types(warehouse.column_types(["my_mart"]), "my_mart")
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import clickhouse_connect
import duckdb
import pyarrow as pa

from config import Settings
from pipelines.dbt_cli import run_dbt
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore

TARGETS = ("duckdb", "clickhouse")
Rows = list[dict[str, Any]]
Columns = list[tuple[str, str]]

#: DuckDB type -> the ClickHouse type the same column must have (wrappers stripped); decimals
#: map by their precision and scale (``clickhouse_type_for``).
SAME_TYPE = {
    "VARCHAR": "String",
    "DATE": "Date",
    "BIGINT": "Int64",
    "INTEGER": "Int32",
    "BOOLEAN": "Bool",
    "DOUBLE": "Float64",
}


def clickhouse_type_for(duckdb_type: str) -> str:
    """The ClickHouse type of a column DuckDB reads as ``duckdb_type`` (KeyError if unknown)."""
    decimal = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", duckdb_type)
    if decimal:
        return f"Decimal({decimal.group(1)}, {decimal.group(2)})"
    return SAME_TYPE[duckdb_type]


def value_type(clickhouse_type: str) -> str:
    """A ClickHouse type without its Nullable(...) / LowCardinality(...) wrappers."""
    while wrapped := re.fullmatch(r"(?:Nullable|LowCardinality)\((.*)\)", clickhouse_type):
        clickhouse_type = wrapped.group(1)
    return clickhouse_type


def assert_same_column_types(types: dict[str, dict[str, Columns]], name: str) -> None:
    """Both targets give ``name`` the same column names in the same order, with matching types."""
    duck, house = types["duckdb"][name], types["clickhouse"][name]
    assert [column for column, _ in house] == [column for column, _ in duck], name
    for (column, duck_type), (_, house_type) in zip(duck, house, strict=True):
        assert clickhouse_type_for(duck_type) == value_type(house_type), (name, column, house_type)


def normalise(value: Any) -> Any:
    """Values as both targets should agree on them: naive datetimes are UTC."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value


def _sort_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple((value is None, "" if value is None else str(value)) for value in row.values())


def as_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Rows:
    """Dicts in a stable order (so two targets' answers compare with ``==``)."""
    found = [dict(zip(columns, map(normalise, row), strict=True)) for row in rows]
    return sorted(found, key=_sort_key)


@dataclass
class RawLoader:
    """Writes each raw batch to both stores; ``client``/``store`` for anything else (imports)."""

    lake: ParquetLake
    client: Any
    store: ClickHouseRawStore

    def write(self, family: str, table: pa.Table, batch_id: str) -> None:
        self.lake.write_batch(family, table, batch_id)
        self.store.write_batch(family, table, batch_id)


@dataclass
class BothTargets:
    root: Path
    settings: Settings = field(init=False)

    def __post_init__(self) -> None:
        self.settings = Settings(data_dir=self.root / "irisx")
        self.settings.ensure_dirs()
        self.lake = ParquetLake(self.settings.lake_dir)
        self.lake.initialize()

    def target_path(self, target: str) -> Path:
        return self.root / f"target-{target}"

    @contextmanager
    def clickhouse(self) -> Iterator[Any]:
        """A chDB client on the warehouse folder, closed after (one process may hold it)."""
        client = clickhouse_connect.get_client(interface="chdb", path=str(self.settings.chdb_dir))
        try:
            yield client
        finally:
            client.close()

    @contextmanager
    def loading(self) -> Iterator[RawLoader]:
        with self.clickhouse() as client:
            store = ClickHouseRawStore(client)
            store.migrate()
            yield RawLoader(self.lake, client, store)

    def build(self, selection: Sequence[str], vars: dict[str, Any] | None = None) -> None:
        """``dbt build`` on both targets; fails with dbt's output if either run fails."""
        extra = ["--vars", json.dumps(vars, default=str)] if vars else []
        for target in TARGETS:
            completed = run_dbt(
                ["build", "--target", target, *selection, *extra],
                self.settings,
                target_path=self.target_path(target),
            )
            assert completed.returncode == 0, (completed.stdout + completed.stderr)[-6000:]
            results = json.loads((self.target_path(target) / "run_results.json").read_text())
            failed = [r for r in results["results"] if r["status"] not in ("success", "pass")]
            assert not failed, failed

    def manifest(self, target: str = "duckdb") -> dict[str, Any]:
        return json.loads((self.target_path(target) / "manifest.json").read_text())

    def run_results(self, target: str) -> list[dict[str, Any]]:
        """The last build's results on ``target`` (one per model, seed and data test)."""
        results: list[dict[str, Any]] = json.loads(
            (self.target_path(target) / "run_results.json").read_text()
        )["results"]
        return results

    def read_duckdb(self, name: str) -> Rows:
        with duckdb.connect() as con:
            cursor = con.execute(
                f"select * from read_parquet('{self.settings.marts_dir}/{name}.parquet')"
            )
            columns = [column[0] for column in cursor.description or []]
            return as_rows(columns, cursor.fetchall())

    def query_clickhouse(self, client: Any, sql: str) -> Rows:
        result = client.query(sql)
        return as_rows(list(result.column_names), result.result_rows)

    def column_types(self, marts: Sequence[str]) -> dict[str, dict[str, Columns]]:
        """Each mart's (column, type) list per target, as each target names its types."""
        answer: dict[str, dict[str, Columns]] = {"duckdb": {}, "clickhouse": {}}
        with duckdb.connect() as con:
            for name in marts:
                cursor = con.execute(
                    f"select * from read_parquet('{self.settings.marts_dir}/{name}.parquet') "
                    "limit 0"
                )
                answer["duckdb"][name] = [
                    (column[0], str(column[1])) for column in cursor.description or []
                ]
        with self.clickhouse() as client:
            for name in marts:
                result = client.query(f"select * from irisx.{name} limit 0")
                answer["clickhouse"][name] = [
                    (column, kind.name)
                    for column, kind in zip(result.column_names, result.column_types, strict=True)
                ]
        return answer

    def read(self, marts: Sequence[str]) -> dict[str, dict[str, Rows]]:
        """Each mart's rows from each target: ``{"duckdb": {mart: rows}, "clickhouse": {...}}``."""
        answer: dict[str, dict[str, Rows]] = {
            "duckdb": {name: self.read_duckdb(name) for name in marts}
        }
        with self.clickhouse() as client:
            answer["clickhouse"] = {
                name: self.query_clickhouse(client, f"select * from irisx.{name}") for name in marts
            }
        return answer
