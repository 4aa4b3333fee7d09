"""``irisx simulate``: generate a realistic, deterministic traffic data set."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("simulate")
    def simulate_command(
        out: Annotated[Path, typer.Option("--out", help="Folder to write the files to")],
        days: Annotated[int, typer.Option(min=1, max=366, help="Days to simulate")] = 30,
        tenants: Annotated[int, typer.Option(min=1, max=200, help="Number of tenants")] = 5,
        seed: Annotated[int, typer.Option(min=0, help="Random seed")] = 7,
        output_format: Annotated[
            str, typer.Option("--format", help="parquet or ndjson", case_sensitive=False)
        ] = "parquet",
        start: Annotated[
            str | None,
            typer.Option(
                help="First day (YYYY-MM-DD, UTC). Default: today minus --days. Runs are "
                "identical for equal --seed, --start, --days, --tenants and --scale."
            ),
        ] = None,
        scale: Annotated[
            float,
            typer.Option(
                min=0.001, max=1000, help="Volume multiplier (1 = ~1,000 calls/tenant/day)"
            ),
        ] = 1.0,
    ) -> None:
        """Simulate calls, RTCP, messages, billing, campaigns, agents and transcripts."""
        import time

        from rich.console import Console
        from rich.table import Table

        from telephony.simulator import OutputFormat, SimulationConfig, simulate, write_result

        try:
            fmt = OutputFormat(output_format.lower())
        except ValueError:
            raise typer.BadParameter("must be parquet or ndjson", param_hint="--format") from None
        try:
            first_day = datetime.strptime(start, "%Y-%m-%d").date() if start else None
        except ValueError:
            raise typer.BadParameter(
                f"{start!r} is not a YYYY-MM-DD date", param_hint="--start"
            ) from None
        try:
            config = SimulationConfig(
                days=days, tenants=tenants, seed=seed, start=first_day, scale=scale
            )
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
        began = time.perf_counter()
        result = simulate(config)
        generated = time.perf_counter() - began
        written = write_result(result, out, fmt)
        elapsed = time.perf_counter() - began
        table = Table(
            title=f"Simulated {config.start_date} + {days} days, {tenants} tenants, seed {seed}"
        )
        table.add_column("family")
        table.add_column("events", justify="right")
        table.add_column("file")
        for family, count in result.counts.items():
            table.add_row(family, f"{count:,}", written[family].name)
        table.add_row("incidents", f"{len(result.ground_truth):,}", written["ground_truth"].name)
        console = Console()
        console.print(table)
        console.print(
            f"generated in {generated:.1f} s, written in {elapsed - generated:.1f} s to {out}"
        )
