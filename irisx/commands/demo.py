"""``irisx demo``: the whole path end to end on the embedded default."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        days: Annotated[int, typer.Option(min=1, max=400, help="Days of traffic")] = 30,
        tenants: Annotated[int, typer.Option(min=1, max=50, help="Tenants")] = 5,
        seed: Annotated[int, typer.Option(help="Random seed (same seed, same data)")] = 7,
        start: Annotated[
            datetime | None,
            typer.Option(formats=["%Y-%m-%d"], help="First day (default: today minus --days)"),
        ] = None,
        serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API")] = True,
    ) -> None:
        """Simulate traffic, ingest it, build every asset, print a summary and serve the API."""
        from config import get_settings
        from irisx.demo import DemoOptions, run_demo

        run_demo(
            get_settings(),
            DemoOptions(
                days=days,
                tenants=tenants,
                seed=seed,
                start=start.date() if start else None,
                serve=serve,
            ),
        )
