"""``irisx import subscriptions FILE.csv --tenant T``: reference data the marts need."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pyarrow as pa

    from config import Settings


def register(app: typer.Typer) -> None:
    import_app = typer.Typer(
        help="Import reference data (subscription periods) into the warehouse.",
        no_args_is_help=True,
    )

    @import_app.command("subscriptions")
    def subscriptions(
        path: Annotated[
            Path,
            typer.Argument(
                help="CSV with subscription_id, customer_id, start_date, end_date (exclusive, "
                "empty = still active), monthly_amount[, currency (default USD)]",
                exists=True,
                dir_okay=False,
            ),
        ],
        tenant: Annotated[str, typer.Option("--tenant", help="Tenant the periods belong to")],
    ) -> None:
        """Replace the tenant's subscription periods with the file's (it is the full current
        state); rejected rows go to the dead-letter store with their line and reason.

        Embedded profile: the lake. Server profile: the lake and ClickHouse
        (irisx_raw.subscription_periods).
        """
        from pydantic import ValidationError

        from config import Profile, Settings
        from ingest import DeadLetterStore
        from ingest.subscriptions import SubscriptionFileError, read_subscription_periods
        from warehouse import ParquetLake
        from warehouse.subscription_periods import replace_tenant_periods

        # Built per call (not the cached get_settings()) so IRISX_* set by the caller apply.
        settings = Settings()
        settings.ensure_dirs()
        try:
            result = read_subscription_periods(
                path.read_bytes(), tenant_id=tenant, source=str(path)
            )
        except ValidationError as exc:
            raise typer.BadParameter(str(exc.errors()[0]["msg"]), param_hint="--tenant") from None
        except SubscriptionFileError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        ParquetLake(settings.lake_dir).initialize()
        table = result.to_table()
        replace_tenant_periods(settings.lake_dir, result.tenant_id, table, result.import_id)
        if settings.profile == Profile.SERVER:
            _write_clickhouse(settings, result.tenant_id, table, result.import_id)
        DeadLetterStore(settings.deadletter_dir).write(result.import_id, result.rejects)
        typer.echo(
            f"tenant {result.tenant_id}: {len(result.periods)} periods imported "
            f"(replacing earlier imports), {len(result.rejects)} rejected"
        )
        if result.rejects:
            typer.echo(f"rejected rows are in the dead-letter store: {settings.deadletter_dir}")

    app.add_typer(import_app, name="import")


def _write_clickhouse(settings: Settings, tenant_id: str, table: pa.Table, import_id: str) -> None:
    import clickhouse_connect

    from warehouse.clickhouse import ClickHouseRawStore
    from warehouse.clickhouse.handoff import chdb_folder_requested
    from warehouse.subscription_periods import replace_tenant_periods_clickhouse

    def write() -> None:
        client = clickhouse_connect.get_client(dsn=settings.warehouse_dsn)
        try:
            store = ClickHouseRawStore(client)
            store.migrate()
            replace_tenant_periods_clickhouse(client, store.database, tenant_id, table, import_id)
        finally:
            client.close()

    if settings.warehouse_is_chdb:
        # The stream worker may hold chDB's folder: ask it to let go while we write.
        with chdb_folder_requested(settings.chdb_dir):
            write()
    else:
        write()
