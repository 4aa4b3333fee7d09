"""The dbt project Dagster loads. Its manifest is prepared at build time (``irisx dbt prepare``,
run by ``make``), never at import: importing only reads ``dbt/target/manifest.json``."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.dbt_cli import DBT_EXECUTABLE, DBT_PROJECT_DIR

__all__ = ["DBT_EXECUTABLE", "DBT_PROJECT_DIR", "dbt_project", "manifest_path"]

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, target="duckdb")


class ManifestMissingError(RuntimeError):
    pass


def manifest_path() -> Path:
    if not dbt_project.manifest_path.exists():
        raise ManifestMissingError(
            f"{dbt_project.manifest_path} does not exist: run `irisx dbt prepare` "
            "(`make demo` and `make test` do it) before loading the Dagster definitions."
        )
    return dbt_project.manifest_path
