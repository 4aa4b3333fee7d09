"""``irisx dbt``: prepare the dbt manifest and build the dbt project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

dbt_app = typer.Typer(
    name="dbt",
    help="Transform the lake with dbt (staging, intermediate, marts).",
    no_args_is_help=True,
)


@dbt_app.command("prepare")
def prepare(
    target_path: Annotated[
        Path | None,
        typer.Option(
            help="Where to write manifest.json (default: dbt/target, which Dagster reads)."
        ),
    ] = None,
) -> None:
    """Parse the dbt project into a manifest (needs no data; run at build time)."""
    from config import get_settings
    from pipelines.dbt_cli import DbtCommandError, prepare_manifest

    try:
        manifest = prepare_manifest(get_settings(), target_path=target_path)
    except DbtCommandError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=error.returncode or 1) from error
    typer.echo(f"dbt manifest: {manifest}")


@dbt_app.command("build")
def build(
    select: Annotated[
        list[str] | None,
        typer.Option("--select", "-s", help="dbt node selection; repeat for several."),
    ] = None,
    target_path: Annotated[
        Path | None,
        typer.Option(help="dbt target/log folder (default: dbt/target)."),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="dbt target: duckdb, clickhouse (chDB) or clickhouse_server (default: the "
            "profile's, see IRISX_PROFILE / IRISX_CLICKHOUSE_DSN)",
        ),
    ] = None,
) -> None:
    """Run dbt build (models, unit and data tests) against the configured data dir."""
    from contextlib import nullcontext

    from config import get_settings
    from pipelines.dbt_cli import CHDB_TARGET, dbt_target, run_dbt
    from warehouse import ParquetLake
    from warehouse.clickhouse.handoff import chdb_folder_requested

    settings = get_settings()
    settings.ensure_dirs()
    # Every source globs raw/<family>/**: the zero-row schema files make that match and typed.
    ParquetLake(settings.lake_dir).initialize()
    chosen = target or dbt_target(settings)
    args = ["build", "--target", chosen]
    if select:
        args += ["--select", *select]
    # On chDB a running `irisx worker` holds the folder: ask it to lend it for the run.
    lend = chdb_folder_requested(settings.chdb_dir) if chosen == CHDB_TARGET else nullcontext()
    with lend:
        completed = run_dbt(args, settings, target_path=target_path, capture_output=False)
    if completed.returncode != 0:
        raise typer.Exit(code=completed.returncode)


def register(app: typer.Typer) -> None:
    app.add_typer(dbt_app)
