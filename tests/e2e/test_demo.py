"""`irisx demo --no-serve` end to end on a small dataset, checked against the raw lake."""

from __future__ import annotations

import duckdb

from ingest.contracts import FAMILIES
from tests.e2e.conftest import DemoRun, run_irisx


def _lake_glob(run: DemoRun, family: str) -> str:
    return str(run.data_dir / "lake" / "raw" / family / "**" / "*.parquet")


def _mart_totals(run: DemoRun) -> tuple[int, int, int]:
    mart = run.data_dir / "marts" / "agg_call_kpis_daily.parquet"
    [(offered, answered, abandoned)] = duckdb.sql(
        f"select sum(offered), sum(answered), sum(abandoned) from read_parquet('{mart}')"
    ).fetchall()
    return int(offered), int(answered), int(abandoned)


def test_demo_prints_summary(demo_run: DemoRun) -> None:
    assert "calls:" in demo_run.stdout
    assert "ASR:" in demo_run.stdout
    assert "worst day:" in demo_run.stdout
    assert "API key for tenant" in demo_run.stdout


def test_every_family_reached_the_lake(demo_run: DemoRun) -> None:
    for family in FAMILIES:
        glob = _lake_glob(demo_run, family)
        [(rows,)] = duckdb.sql(
            f"select count(*) from read_parquet('{glob}', union_by_name=true)"
        ).fetchall()
        assert rows > 0, family


def test_mart_agrees_with_an_independent_count_over_the_lake(demo_run: DemoRun) -> None:
    offered, answered, abandoned = _mart_totals(demo_run)
    [(calls, answered_calls, abandoned_calls)] = duckdb.sql(
        f"""
        with calls as (
            select call_id, any_value(answer_at) as answer_at, any_value(queue_id) as queue_id
            from read_parquet('{_lake_glob(demo_run, "call")}', union_by_name=true)
            group by call_id
        )
        select count(*), count(answer_at),
               count(*) filter (where queue_id is not null and answer_at is null)
        from calls
        """
    ).fetchall()
    assert offered == calls > 1000
    assert answered == answered_calls
    assert abandoned == abandoned_calls


def test_reingesting_the_same_files_does_not_change_the_marts(demo_run: DemoRun) -> None:
    before = _mart_totals(demo_run)
    processed = demo_run.data_dir / "inbox" / "processed"
    again = run_irisx(["ingest", str(processed)], demo_run.env)
    assert again.returncode == 0, again.stdout + again.stderr
    rebuilt = run_irisx(["dbt", "build"], demo_run.env)
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    assert _mart_totals(demo_run) == before
