"""Run the refresh job in this process (``irisx materialize``, ``irisx demo``, tests)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from pathlib import Path

from dagster import DagsterInstance, ExecuteInProcessResult

from config import Settings


def run_refresh_in_process(
    settings: Settings, *, progress: bool = True
) -> tuple[ExecuteInProcessResult, Path]:
    """Embedded profile: ingest pending inbox files and rebuild every model, with dbt tests as
    asset checks.

    Returns the result and the run's log file: dagster-dbt echoes every dbt log line to stdout,
    so the run's stdout goes to ``<data_dir>/logs/`` and only progress lines reach the terminal.
    The Definitions' resources read ``IRISX_DATA_DIR``; callers point it at
    ``settings.data_dir`` before importing ``pipelines.definitions`` (one configuration path).
    """
    from pipelines.jobs import refresh_all_job

    return _run_job_in_process(settings, refresh_all_job.name, "refresh", {}, progress)


def run_daily_marts_in_process(
    settings: Settings, first: date, last: date, *, progress: bool = True
) -> tuple[ExecuteInProcessResult, Path]:
    """Server profile: the daily marts of ``first``..``last`` (inclusive) in one incremental dbt
    run on ClickHouse (a single-run backfill of those partitions), plus the views on first use.
    """
    from pipelines.marts.daily import daily_marts_job
    from pipelines.marts.sensors import RANGE_END_TAG, RANGE_START_TAG

    if last < first:
        raise ValueError(f"last day {last} is before the first day {first}")
    tags = {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}
    return _run_job_in_process(settings, daily_marts_job.name, "daily-marts", tags, progress)


def _run_job_in_process(
    settings: Settings, job_name: str, log_prefix: str, tags: dict[str, str], progress: bool
) -> tuple[ExecuteInProcessResult, Path]:
    from pipelines.definitions import defs

    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    instance_config = settings.dagster_home / "dagster.yaml"
    if not instance_config.exists():
        # Defaults (SQLite storage in this folder), shared with `make dagster` (dagster dev).
        instance_config.write_text(
            "# Dagster instance of IRISX: defaults, stored in this folder.\n"
        )
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{log_prefix}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"
    instance = DagsterInstance.local_temp(tempdir=str(settings.dagster_home))
    job = defs.resolve_job_def(job_name)
    with open(log_path, "w") as log, contextlib.redirect_stdout(log):
        result = job.execute_in_process(
            instance=instance,
            run_config={"loggers": {"progress": {}}} if progress else None,
            tags=tags or None,
            raise_on_error=False,
        )
    return result, log_path
