"""How long the revenue marts take to build, on each dbt target (issue 4's closing figure).

Simulates 5 tenants × 12 months (calls, messages and billing: the families the revenue marts
read; billing history starts two years before the window), ingests the same files into the
Parquet lake (duckdb target) and into chDB's raw tables (clickhouse target), then times
``dbt build --select +path:models/marts/revenue`` (every revenue mart, its parents and their dbt
tests) on each target with the as-of date pinned to the window's last day. The baseline, run in
the same process on the same data, is ``dbt build`` of the staging models the marts read (parse,
connection and scan of the raw data), so the ratio shows what the revenue logic itself adds.

``IRISX_BENCH_REVENUE_DAYS`` / ``IRISX_BENCH_REVENUE_TENANTS`` / ``IRISX_BENCH_REVENUE_SCALE``
shrink the run (defaults 365, 5, 1.0 = ~1,000 calls per tenant-day).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import clickhouse_connect
import duckdb

from bench import BenchResult
from config import Settings
from ingest import DeadLetterStore, ingest_paths
from pipelines.dbt_cli import run_dbt
from warehouse import ParquetLake
from warehouse.clickhouse import ClickHouseRawStore

FAMILIES = frozenset({"call", "message", "billing"})
TARGETS = ("duckdb", "clickhouse")
REVENUE = "+path:models/marts/revenue"
STAGING = "stg_irisx__calls stg_irisx__messages stg_irisx__billing_events"


def _setting(name: str, default: float) -> float:
    return float(os.environ.get(f"IRISX_BENCH_REVENUE_{name}", default))


def _simulate(out_dir: Path, days: int, tenants: int, scale: float) -> tuple[Path, date]:
    from telephony.simulator import SimulationConfig, simulate, write_result

    start = date(2025, 1, 1)
    config = SimulationConfig(
        days=days, tenants=tenants, seed=7, start=start, scale=scale, families=FAMILIES
    )
    write_result(simulate(config), out_dir, fmt="parquet")
    return out_dir, start + timedelta(days=days - 1)


def _load(settings: Settings, files: Path) -> dict[str, float]:
    """Ingest the files into both stores; seconds per store."""
    seconds: dict[str, float] = {}
    lake = ParquetLake(settings.lake_dir)
    lake.initialize()
    began = time.perf_counter()
    report = ingest_paths([files], lake, DeadLetterStore(settings.deadletter_dir / "lake"))
    seconds["duckdb"] = time.perf_counter() - began
    assert report.ok, "simulated files must ingest"
    client = clickhouse_connect.get_client(interface="chdb", path=str(settings.chdb_dir))
    try:
        store = ClickHouseRawStore(client)
        store.migrate()
        began = time.perf_counter()
        report = ingest_paths([files], store, DeadLetterStore(settings.deadletter_dir / "ch"))
        seconds["clickhouse"] = time.perf_counter() - began
        assert report.ok, "simulated files must ingest"
    finally:
        client.close()  # dbt's process opens the chDB folder next
    return seconds


def _build(settings: Settings, target: str, select: str, as_of: date, root: Path) -> float:
    args = ["build", "--target", target, "--select", *select.split()]
    args += ["--vars", json.dumps({"as_of_date": as_of.isoformat()})]
    began = time.perf_counter()
    completed = run_dbt(args, settings, target_path=root / f"target-{target}")
    elapsed = time.perf_counter() - began
    if completed.returncode != 0:
        raise RuntimeError(f"dbt build on {target} failed:\n{completed.stdout[-4000:]}")
    return elapsed


def run() -> BenchResult:
    days = int(_setting("DAYS", 365))
    tenants = int(_setting("TENANTS", 5))
    scale = _setting("SCALE", 1.0)
    with tempfile.TemporaryDirectory(prefix="irisx-bench-revenue-") as tmp:
        root = Path(tmp)
        settings = Settings(data_dir=root / "irisx")
        settings.ensure_dirs()
        began = time.perf_counter()
        files, as_of = _simulate(root / "sim", days, tenants, scale)
        simulate_s = time.perf_counter() - began
        load_s = _load(settings, files)
        rows: list[list[str]] = []
        for target in TARGETS:
            staging_s = _build(settings, target, STAGING, as_of, root / "staging")
            revenue_s = _build(settings, target, REVENUE, as_of, root)
            rows.append(
                [
                    target,
                    f"{load_s[target]:.1f}",
                    f"{staging_s:.1f}",
                    f"{revenue_s:.1f}",
                    f"{revenue_s / staging_s:.2f}",
                ]
            )
        counts = _published_revenue_rows(settings)
    notes = [
        f"{tenants} tenants × {days} days (scale {scale}), calls/messages/billing simulated in "
        f"{simulate_s:.0f} s; as-of {as_of.isoformat()}",
        "build = dbt build --select +path:models/marts/revenue (models and their tests); "
        "baseline = dbt build of the three staging models it reads",
        "rows (duckdb): " + ", ".join(f"{name} {count:,}" for name, count in counts.items()),
    ]
    return BenchResult(
        title="Revenue marts build time per dbt target",
        columns=["target", "ingest s", "baseline (staging) s", "revenue build s", "ratio"],
        rows=rows,
        notes=notes,
    )


def _published_revenue_rows(settings: Settings) -> dict[str, int]:
    """Rows of each revenue mart published as Parquet (the duckdb target's output)."""
    project = settings.dbt_project_dir / "models" / "marts" / "revenue"
    names = sorted(path.stem for path in project.glob("*.sql"))
    counts: dict[str, int] = {}
    with duckdb.connect() as con:
        for name in names:
            path = settings.marts_dir / f"{name}.parquet"
            if not path.exists():
                continue
            row = con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()
            counts[name] = int(row[0]) if row else 0
    return counts
