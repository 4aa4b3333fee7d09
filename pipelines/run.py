"""Run the refresh job in this process (``irisx materialize``, ``irisx demo``, tests)."""

from __future__ import annotations

from dagster import DagsterInstance, ExecuteInProcessResult

from config import Settings


def run_refresh_in_process(settings: Settings, *, progress: bool = True) -> ExecuteInProcessResult:
    """Ingest pending inbox files and rebuild every model, with dbt tests as asset checks.

    The Definitions' resources read ``IRISX_DATA_DIR``; callers point it at ``settings.data_dir``
    before importing ``pipelines.definitions`` (one configuration path).
    """
    from pipelines.definitions import defs
    from pipelines.jobs import refresh_all_job

    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    instance = DagsterInstance.local_temp(tempdir=str(settings.dagster_home))
    job = defs.resolve_job_def(refresh_all_job.name)
    return job.execute_in_process(
        instance=instance,
        run_config={"loggers": {"progress": {}}} if progress else None,
        raise_on_error=False,
    )
