"""``irisx materialize``: build the marts once, in-process (the profile decides what runs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def materialize(
        first_day: Annotated[
            datetime | None,
            typer.Option(
                "--from",
                formats=["%Y-%m-%d"],
                help="Server profile: first day of the daily marts to rebuild (default: "
                "yesterday, UTC)",
            ),
        ] = None,
        last_day: Annotated[
            datetime | None,
            typer.Option(
                "--to",
                formats=["%Y-%m-%d"],
                help="Server profile: last day, inclusive (default: today, UTC)",
            ),
        ] = None,
    ) -> None:
        """Embedded: ingest pending inbox files, rebuild every model and run its tests.
        Server: rebuild the daily marts of --from..--to on ClickHouse in one incremental run."""
        from datetime import UTC, timedelta

        from config import Profile, get_settings
        from pipelines.run import run_daily_marts_in_process, run_refresh_in_process

        settings = get_settings()
        if settings.profile == Profile.SERVER:
            today = datetime.now(UTC).date()
            first = first_day.date() if first_day else today - timedelta(days=1)
            last = last_day.date() if last_day else today
            result, log_path = run_daily_marts_in_process(settings, first, last)
        else:
            if first_day or last_day:
                raise typer.BadParameter("--from/--to apply to the server profile only")
            result, log_path = run_refresh_in_process(settings)
        typer.echo(f"log: {log_path}")
        raise typer.Exit(0 if result.success else 1)
