"""``irisx export MART --tenant T --format F --out FILE``: one tenant's rows of a published mart."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

#: Date columns a --from/--to range filters on, the first one a mart has.
DATE_COLUMNS = (
    "month",
    "call_date",
    "activity_date",
    "interval_date",
    "cohort_month",
    "failure_month",
    "balance_date",
)


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_command(
        mart: Annotated[str, typer.Argument(help="Published mart (dbt model name)")],
        tenant: Annotated[str, typer.Option(help="Tenant whose rows are exported")],
        out: Annotated[Path, typer.Option(help="File to write (replaced)")],
        fmt: Annotated[str, typer.Option("--format", help="csv, json, parquet or xlsx")] = "csv",
        date_from: Annotated[
            str | None,
            typer.Option("--from", help="First date (YYYY-MM-DD) of the mart's date column"),
        ] = None,
        date_to: Annotated[
            str | None, typer.Option("--to", help="Last date (YYYY-MM-DD, included)")
        ] = None,
    ) -> None:
        """Export a tenant's rows of any published mart (the same reads as the API: Parquet
        files in the embedded profile, ClickHouse tables in the server profile)."""
        from config import Settings
        from warehouse.export import ExportFormat, write_table
        from warehouse.marts import (
            DateRange,
            MartError,
            MartNotPublished,
            mart_reader_for,
            validate_mart_name,
        )

        try:
            export_format = ExportFormat(fmt.lower())
        except ValueError:
            raise typer.BadParameter(
                f"{fmt!r}: use one of {', '.join(f.value for f in ExportFormat)}",
                param_hint="--format",
            ) from None
        first, last = _day(date_from, "--from"), _day(date_to, "--to")
        try:
            validate_mart_name(mart)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="MART") from None
        settings = Settings()
        reader = mart_reader_for(settings)
        try:
            published = sorted(reader.published())
            names = set(reader.columns(mart)) if mart in published else set()
        except MartNotPublished as exc:  # removed between the listing and the columns
            typer.echo(str(exc), err=True)
            raise typer.Exit(code=2) from None
        except MartError as exc:
            typer.echo(f"export failed: {exc}", err=True)
            raise typer.Exit(code=1) from None
        if mart not in published:
            known = ", ".join(published) or "none yet (run `irisx demo` or `irisx materialize`)"
            typer.echo(f"mart {mart!r} is not published; published marts: {known}", err=True)
            raise typer.Exit(code=2)
        date_range = None
        if first is not None or last is not None:
            column = next((name for name in DATE_COLUMNS if name in names), None)
            if column is None:
                raise typer.BadParameter(
                    f"mart {mart!r} has no date column ({', '.join(DATE_COLUMNS)})",
                    param_hint="--from/--to",
                )
            date_range = DateRange(column, first, last)
        try:
            table = reader.read_for_tenant(mart, tenant, date_range=date_range)
        except MartNotPublished as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(code=2) from None
        except (MartError, ValueError) as exc:
            typer.echo(f"export failed: {exc}", err=True)
            raise typer.Exit(code=1) from None
        write_table(table, out, export_format, sheet=mart)
        typer.echo(f"{table.num_rows} rows of {mart} for {tenant} -> {out} ({export_format})")


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: expected YYYY-MM-DD", param_hint=option) from None
