"""``irisx ingest PATH...`` and ``irisx deadletter list``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ingest import FamilyCounts, IngestReport

_COLUMNS = ("read", "accepted", "duplicates", "rejected")


def _counts_line(label: str, counts: FamilyCounts) -> str:
    return f"{label:<12}" + "".join(f"{getattr(counts, name):>12}" for name in _COLUMNS)


def _print_report(report: IngestReport, deadletter_dir: Path) -> None:
    typer.echo(f"{'family':<12}" + "".join(f"{name:>12}" for name in _COLUMNS))
    for family, counts in report.by_family.items():
        typer.echo(_counts_line(family, counts))
    typer.echo(_counts_line("total", report.totals))
    files = len([b for b in report.batches if b.same_as is None])
    typer.echo(f"files: {files}, lake files written: {len(report.written)}")
    for batch in report.batches:
        if batch.same_as is not None:
            typer.echo(f"skipped {batch.source}: same content as {batch.same_as}")
    if report.totals.rejected:
        typer.echo(f"rejected records are in the dead-letter store: {deadletter_dir}")
    for source, reason in report.unreadable:
        typer.echo(f"unreadable {source}: {reason} (kept whole in the dead-letter store)", err=True)


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest_command(
        paths: Annotated[
            list[Path],
            typer.Argument(
                help="Files or folders (searched recursively) of NDJSON, CSV, Parquet or "
                "FreeSWITCH JSON CDRs; .gz allowed for text formats",
                exists=True,
            ),
        ],
        family: Annotated[
            str | None,
            typer.Option(
                help="Event family of every record (else: 'family' key, file name, shape)"
            ),
        ] = None,
        tenant: Annotated[
            str | None,
            typer.Option(
                help="Tenant of records without tenant_id (and FreeSWITCH CDRs without "
                "an irisx_tenant_id variable)"
            ),
        ] = None,
        default_country_code: Annotated[
            int | None,
            typer.Option(min=1, max=999, help="Country code to turn national numbers into E.164"),
        ] = None,
        workers: Annotated[
            int,
            typer.Option(min=1, max=64, help="Processes ingesting files in parallel"),
        ] = 1,
    ) -> None:
        """Validate files into the lake; rejects go to the dead-letter store.

        Exits 0 when every file could be read (even with rejected records), 1 when a file could
        not be read at all (that file is kept whole in the dead-letter store).
        """
        from config import Settings
        from ingest import DeadLetterStore, ingest_paths
        from ingest.contracts import FAMILIES
        from warehouse import ParquetLake

        if family is not None and family not in FAMILIES:
            raise typer.BadParameter(
                f"unknown event family {family!r} (known: {', '.join(sorted(FAMILIES))})",
                param_hint="--family",
            )
        # Built per call (not the cached get_settings()) so IRISX_* set by the caller apply.
        settings = Settings()
        settings.ensure_dirs()
        lake = ParquetLake(settings.lake_dir)
        lake.initialize()
        report = ingest_paths(
            paths,
            lake,
            DeadLetterStore(settings.deadletter_dir),
            family=family,
            tenant=tenant,
            default_country_code=default_country_code,
            workers=workers,
        )
        _print_report(report, settings.deadletter_dir)
        if not report.ok:
            raise typer.Exit(code=1)

    deadletter_app = typer.Typer(help="Rejected records and why.", no_args_is_help=True)

    @deadletter_app.command("list")
    def list_command(
        limit: Annotated[
            int, typer.Option(min=1, help="Show at most this many, newest first")
        ] = 20,
    ) -> None:
        """List dead letters: when, where from, family and reason."""
        from config import Settings
        from ingest import DeadLetterStore

        store = DeadLetterStore(Settings().deadletter_dir)
        total = store.count()
        for letter in store.read(limit=limit):
            when = letter.rejected_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            typer.echo(f"{when}  {letter.position}  {letter.family or '-'}  {letter.reason}")
        typer.echo(f"{min(limit, total)} of {total} dead letters")

    app.add_typer(deadletter_app, name="deadletter")
