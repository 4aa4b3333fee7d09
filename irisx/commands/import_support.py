"""What the CSV import commands share (``irisx import subscriptions``, ``irisx import fx-rates``,
``irisx wfm plan import``): reading the file with CLI errors, writing to the server profile's
ClickHouse, and filing the dead letters with the summary line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from config import Settings
    from ingest.deadletter import DeadLetter

ResultT = TypeVar("ResultT")


def read_import(read: Callable[[], ResultT]) -> ResultT:
    """``read()``; a bad tenant id is a ``--tenant`` usage error, a file that cannot be imported
    as a whole (bad encoding or header) exits with status 2."""
    from pydantic import ValidationError

    from ingest.csv_import import CsvFileError

    try:
        return read()
    except ValidationError as exc:
        raise typer.BadParameter(str(exc.errors()[0]["msg"]), param_hint="--tenant") from None
    except CsvFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def on_clickhouse(settings: Settings, write: Callable[[Any, str], None]) -> None:
    """Run ``write(client, raw_database)`` on the migrated raw database of the server profile."""
    import clickhouse_connect

    from warehouse.clickhouse import ClickHouseRawStore
    from warehouse.clickhouse.handoff import chdb_folder_requested

    def run() -> None:
        client = clickhouse_connect.get_client(dsn=settings.warehouse_dsn)
        try:
            store = ClickHouseRawStore(client)
            store.migrate()
            write(client, store.database)
        finally:
            client.close()

    if settings.warehouse_is_chdb:
        # The stream worker may hold chDB's folder: ask it to let go while we write.
        with chdb_folder_requested(settings.chdb_dir):
            run()
    else:
        run()


def file_rejects(
    settings: Settings, batch_id: str, rejects: Sequence[DeadLetter], summary: str
) -> None:
    """Write the import's dead letters, then print its summary and, if any row was rejected,
    where the rejected rows are."""
    from ingest import DeadLetterStore

    DeadLetterStore(settings.deadletter_dir).write(batch_id, rejects)
    typer.echo(summary)
    if rejects:
        typer.echo(f"rejected rows are in the dead-letter store: {settings.deadletter_dir}")
