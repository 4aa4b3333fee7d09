"""``irisx materialize``: ingest pending inbox files and rebuild every asset, in-process."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def materialize() -> None:
        """Run the refresh job (lake ingest, all dbt models and their tests) once."""
        from config import get_settings
        from pipelines.run import run_refresh_in_process

        result, log_path = run_refresh_in_process(get_settings())
        typer.echo(f"log: {log_path}")
        raise typer.Exit(0 if result.success else 1)
