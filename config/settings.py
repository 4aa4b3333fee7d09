"""One configuration path for the whole platform.

Every value comes from an ``IRISX_``-prefixed environment variable (or a ``.env`` file in the
working directory); nothing else reads the environment for configuration. Paths under the data
directory are derived here so that all components agree on where things live.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The repository root (the project is installed in editable mode; dbt/ lives here).
PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Profile(StrEnum):
    """Deployment profile: embedded (no servers) or server (NATS, ClickHouse, PostgreSQL)."""

    EMBEDDED = "embedded"
    SERVER = "server"


class Settings(BaseSettings):
    """Settings for every IRISX component (env prefix ``IRISX_``)."""

    model_config = SettingsConfigDict(
        env_prefix="IRISX_", env_file=".env", extra="ignore", frozen=True
    )

    profile: Profile = Field(default=Profile.EMBEDDED, description="embedded or server")
    data_dir: Path = Field(
        default=Path(".irisx"), description="Root of the lake, marts, warehouse file and keys"
    )
    postgres_dsn: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        description="Hot store (server profile)",
    )
    nats_url: str = Field(default="nats://127.0.0.1:4222", description="JetStream (server)")
    stream_prefix: str = Field(
        default="IRISX",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="JetStream streams are <prefix>_<FAMILY> (API and workers must agree)",
    )
    subject_root: str = Field(
        default="irisx",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Subjects are <root>.<tenant>.<family>",
    )
    stream_max_bytes: int = Field(
        default=1024**3,
        ge=1024**2,
        description="Size of each family stream the platform creates (JetStream reserves it)",
    )
    clickhouse_dsn: str | None = Field(
        default=None,
        description=(
            "ClickHouse warehouse (server profile): http(s)://user:password@host:8123/ for a "
            "server; unset = chDB (in-process ClickHouse) in <data_dir>/chdb"
        ),
    )
    dbt_manifest_file: Path | None = Field(
        default=None,
        description=(
            "dbt manifest the API reads metric definitions from; unset = dbt/target/manifest.json"
            " (written by `irisx dbt prepare`)"
        ),
    )
    hot_retention_days: int = Field(
        default=7, ge=1, description="Days of raw calls/RTCP/agent states the hot store keeps"
    )
    max_backlog_batches: int = Field(
        default=2_000,
        ge=0,
        description=(
            "Server profile: POST /v1/events answers 503 + Retry-After while a stream worker's"
            " consumer has more batches pending than this (0 = no check)"
        ),
    )
    api_host: str = Field(default="127.0.0.1", description="Address the API binds to")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port the API binds to")

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        # Resolve once so that subprocesses (dbt, Dagster) see the same absolute folder.
        return value.expanduser().resolve()

    # Derived locations: one place decides the on-disk layout.
    @property
    def lake_dir(self) -> Path:
        """Raw events as Parquet, ``raw/<family>/month=YYYY-MM/<batch>.parquet``."""
        return self.data_dir / "lake"

    @property
    def marts_dir(self) -> Path:
        """Marts published as Parquet (atomic replace) for the API and BI tools."""
        return self.data_dir / "marts"

    @property
    def deadletter_dir(self) -> Path:
        """Rejected records with reason and source position."""
        return self.data_dir / "deadletter"

    @property
    def inbox_dir(self) -> Path:
        """Drop folder watched by the Dagster sensor for new files to ingest."""
        return self.data_dir / "inbox"

    @property
    def duckdb_path(self) -> Path:
        """The pipeline's DuckDB file (locked while dbt runs: the API never opens it)."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def auth_db_path(self) -> Path:
        """API keys (hashed) bound to tenants."""
        return self.data_dir / "auth.sqlite3"

    @property
    def dbt_project_dir(self) -> Path:
        """The dbt project (also holds profiles.yml)."""
        return PROJECT_ROOT / "dbt"

    @property
    def dbt_manifest_path(self) -> Path:
        """The dbt manifest written at build time (`irisx dbt prepare`): metric definitions."""
        if self.dbt_manifest_file is not None:
            return self.dbt_manifest_file
        return self.dbt_project_dir / "target" / "manifest.json"

    @property
    def chdb_dir(self) -> Path:
        """chDB's folder when no ClickHouse server is configured (one process at a time)."""
        return self.data_dir / "chdb"

    @property
    def warehouse_dsn(self) -> str:
        """The clickhouse-connect DSN of the warehouse: the server, or chDB in ``chdb_dir``."""
        return self.clickhouse_dsn or f"chdb://{self.chdb_dir}"

    @property
    def warehouse_is_chdb(self) -> bool:
        return self.warehouse_dsn.startswith("chdb:")

    @property
    def landing_dir(self) -> Path:
        """Which event days got new raw data (written by the worker, read by the sensor)."""
        return self.data_dir / "landing"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"

    def ensure_dirs(self) -> None:
        for folder in (self.lake_dir, self.marts_dir, self.deadletter_dir, self.inbox_dir):
            folder.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (cached). Tests build ``Settings(...)`` directly instead."""
    return Settings()
