"""Run the refresh job in this process (``irisx materialize``, ``irisx demo``, tests)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

from dagster import DagsterInstance, ExecuteInProcessResult

from config import Settings


def run_refresh_in_process(
    settings: Settings, *, progress: bool = True
) -> tuple[ExecuteInProcessResult, Path]:
    """Ingest pending inbox files and rebuild every model, with dbt tests as asset checks.

    Returns the result and the run's log file: dagster-dbt echoes every dbt log line to stdout,
    so the run's stdout goes to ``<data_dir>/logs/`` and only progress lines reach the terminal.
    The Definitions' resources read ``IRISX_DATA_DIR``; callers point it at
    ``settings.data_dir`` before importing ``pipelines.definitions`` (one configuration path).
    """
    from pipelines.definitions import defs
    from pipelines.jobs import refresh_all_job

    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    instance_config = settings.dagster_home / "dagster.yaml"
    if not instance_config.exists():
        # Defaults (SQLite storage in this folder), shared with `make dagster` (dagster dev).
        instance_config.write_text(
            "# Dagster instance of IRISX: defaults, stored in this folder.\n"
        )
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"refresh-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"
    instance = DagsterInstance.local_temp(tempdir=str(settings.dagster_home))
    job = defs.resolve_job_def(refresh_all_job.name)
    with open(log_path, "w") as log, contextlib.redirect_stdout(log):
        result = job.execute_in_process(
            instance=instance,
            run_config={"loggers": {"progress": {}}} if progress else None,
            raise_on_error=False,
        )
    return result, log_path
