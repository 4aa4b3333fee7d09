"""The warehouse dbt builds in, as a Dagster resource: DuckDB (embedded) or ClickHouse (server).

In the server profile the warehouse is ClickHouse: a server when ``IRISX_CLICKHOUSE_DSN`` is set,
otherwise chDB in ``<data_dir>/chdb``. chDB allows one process per folder and the stream worker
keeps it open, so every dbt run on chDB files a request (``chdb_folder_requested``): the worker
lets go between batches and dbt's chdb adapter retries the open until it gets the folder.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from dagster import ConfigurableResource

from config import Profile, Settings
from pipelines.dbt_cli import dbt_env_overrides, dbt_target
from warehouse.clickhouse.handoff import chdb_folder_requested


class WarehouseResource(ConfigurableResource):
    """Which warehouse this deployment's dbt runs use; derived like ``config.Settings``."""

    data_dir: str
    profile: str = Profile.EMBEDDED.value
    #: A ClickHouse server's clickhouse-connect DSN; None: chDB in ``<data_dir>/chdb``.
    clickhouse_dsn: str | None = None

    def settings(self) -> Settings:
        return Settings(
            data_dir=Path(self.data_dir),
            profile=Profile(self.profile),
            clickhouse_dsn=self.clickhouse_dsn,
        )

    @property
    def dbt_target(self) -> str:
        """``duckdb``, ``clickhouse`` (chDB) or ``clickhouse_server`` (dbt/profiles.yml)."""
        return dbt_target(self.settings())

    @contextlib.contextmanager
    def dbt_session(self) -> Iterator[None]:
        """Wrap one dbt invocation: the profile's variables (data dir, ClickHouse server) go into
        this process's environment, which dagster-dbt passes to dbt; on chDB the folder is
        requested from its holder for the duration."""
        settings = self.settings()
        os.environ.update(dbt_env_overrides(settings))
        if settings.profile is Profile.SERVER and settings.warehouse_is_chdb:
            with chdb_folder_requested(settings.chdb_dir):
                yield
        else:
            yield
