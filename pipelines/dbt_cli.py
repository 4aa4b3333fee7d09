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

from config import Settings

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


def dbt_env(settings: Settings) -> dict[str, str]:
    """The environment a dbt subprocess needs: ours plus the data dir and profiles dir."""
    env = dict(os.environ)
    env["IRISX_DATA_DIR"] = str(settings.data_dir.resolve())
    env["DBT_PROFILES_DIR"] = str(settings.dbt_project_dir)
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
