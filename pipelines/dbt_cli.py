"""Running the dbt project as a subprocess (plain Python: Dagster and the CLI both build on this).

dbt reads the data directory from ``IRISX_DATA_DIR`` (see ``dbt/profiles.yml``) and its profile
from ``dbt/``. Every run that may overlap another one (tests under pytest-xdist, a Dagster run
next to a CLI run) must pass its own ``target_path``: dbt writes its manifest, compiled SQL,
partial-parse state and logs there, and two runs sharing one folder corrupt each other.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

from config import Profile, Settings

#: The dbt project (also holds profiles.yml). Its location does not depend on the environment,
#: so it is read from a default-built Settings without parsing IRISX_* variables at import.
DBT_PROJECT_DIR: Final[Path] = Settings.model_construct().dbt_project_dir

#: Where ``prepare_manifest`` writes the manifest that Dagster loads.
DEFAULT_TARGET_PATH: Final[Path] = DBT_PROJECT_DIR / "target"

#: The venv's dbt: the one installed next to this interpreter, whatever PATH says.
DBT_EXECUTABLE: Final[Path] = Path(sys.executable).parent / "dbt"


class DbtCommandError(RuntimeError):
    """A dbt command exited with a non-zero status; the message ends with dbt's output."""

    def __init__(self, args: list[str], completed: subprocess.CompletedProcess[str]) -> None:
        self.returncode = completed.returncode
        output = (completed.stdout or "") + (completed.stderr or "")
        tail = "\n".join(output.strip().splitlines()[-40:])
        super().__init__(f"dbt {' '.join(args)} failed with exit code {self.returncode}:\n{tail}")


#: dbt targets (dbt/profiles.yml): embedded, server on chDB, server on a ClickHouse server.
DUCKDB_TARGET: Final = "duckdb"
CHDB_TARGET: Final = "clickhouse"
CLICKHOUSE_SERVER_TARGET: Final = "clickhouse_server"


def dbt_target(settings: Settings) -> str:
    """The dbt target of a deployment: DuckDB when embedded; in the server profile ClickHouse,
    in-process (chDB) or the server that ``IRISX_CLICKHOUSE_DSN`` names."""
    if settings.profile is Profile.EMBEDDED:
        return DUCKDB_TARGET
    return CHDB_TARGET if settings.warehouse_is_chdb else CLICKHOUSE_SERVER_TARGET


def clickhouse_server_env(dsn: str) -> dict[str, str]:
    """The ``DBT_CLICKHOUSE_*`` variables that the ``clickhouse_server`` target reads, from a
    clickhouse-connect DSN such as ``https://user:secret@ch1:8443/``. They are derived here so
    that ``IRISX_CLICKHOUSE_DSN`` stays the one place a deployment names its warehouse."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("http", "https", "clickhouse", "clickhouses") or not parts.hostname:
        raise ValueError(
            f"clickhouse DSN: expected http(s)://[user[:password]@]host[:port]/, got {dsn!r}"
        )
    secure = parts.scheme in ("https", "clickhouses")
    return {
        "DBT_CLICKHOUSE_HOST": parts.hostname,
        "DBT_CLICKHOUSE_PORT": str(parts.port or (8443 if secure else 8123)),
        "DBT_CLICKHOUSE_USER": unquote(parts.username or "default"),
        "DBT_CLICKHOUSE_PASSWORD": unquote(parts.password or ""),
        "DBT_CLICKHOUSE_SECURE": "true" if secure else "false",
    }


def dbt_env_overrides(settings: Settings) -> dict[str, str]:
    """What a dbt subprocess needs on top of our environment: the data dir, the profiles dir and,
    with a ClickHouse server, its connection (see ``clickhouse_server_env``)."""
    overrides = {
        "IRISX_DATA_DIR": str(settings.data_dir.resolve()),
        "DBT_PROFILES_DIR": str(settings.dbt_project_dir),
    }
    if settings.clickhouse_dsn and not settings.warehouse_is_chdb:
        overrides |= clickhouse_server_env(settings.clickhouse_dsn)
    return overrides


def dbt_env(settings: Settings) -> dict[str, str]:
    """The environment a dbt subprocess needs: ours plus ``dbt_env_overrides``."""
    env = dict(os.environ) | dbt_env_overrides(settings)
    # No internet on our machines; never let dbt try to reach its tracking endpoint.
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def dbt_command(
    args: list[str], settings: Settings, *, target_path: Path | None = None
) -> list[str]:
    """The full argv of ``dbt <args>``; ``args`` starts with the dbt subcommand."""
    if not args:
        raise ValueError("args: give a dbt subcommand, e.g. ['build']")
    command = [str(DBT_EXECUTABLE), *args, "--profiles-dir", str(settings.dbt_project_dir)]
    if target_path is not None:
        command += ["--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    return command


def run_dbt(
    args: list[str],
    settings: Settings,
    *,
    target_path: Path | None = None,
    capture_output: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <args>`` in the project directory against ``settings.data_dir``.

    Returns the completed process whatever its exit status (dbt exits 1 when a model or test
    fails, 2 on an invalid invocation); callers decide what a failure means. With
    ``capture_output=False`` dbt's output goes straight to this process's stdout/stderr.
    """
    return subprocess.run(
        dbt_command(args, settings, target_path=target_path),
        cwd=settings.dbt_project_dir,
        env=dbt_env(settings),
        capture_output=capture_output,
        text=True,
        check=False,
    )


def prepare_manifest(settings: Settings, *, target_path: Path | None = None) -> Path:
    """Parse the project (no database, no data needed) and return the manifest.json path.

    Runs at build time (``irisx dbt prepare``, called by the Makefile), never at import.
    """
    target = target_path if target_path is not None else DEFAULT_TARGET_PATH
    args = ["parse"]
    completed = run_dbt(args, settings, target_path=target)
    if completed.returncode != 0:
        raise DbtCommandError(args, completed)
    manifest = target / "manifest.json"
    if not manifest.is_file():
        raise FileNotFoundError(f"dbt parse succeeded but wrote no manifest at {manifest}")
    return manifest
