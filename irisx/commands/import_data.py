"""``irisx import subscriptions FILE.csv --tenant T`` and ``irisx import fx-rates FILE.csv``:
reference data the marts need."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from irisx.commands.import_support import file_rejects, on_clickhouse, read_import


def register(app: typer.Typer) -> None:
    import_app = typer.Typer(
        help="Import reference data (subscription periods, exchange rates) into the warehouse.",
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
        from config import Profile, Settings
        from ingest.subscriptions import read_subscription_periods
        from warehouse import ParquetLake
        from warehouse.subscription_periods import (
            replace_tenant_periods,
            replace_tenant_periods_clickhouse,
        )

        # Built per call (not the cached get_settings()) so IRISX_* set by the caller apply.
        settings = Settings()
        settings.ensure_dirs()
        result = read_import(
            lambda: read_subscription_periods(path.read_bytes(), tenant_id=tenant, source=str(path))
        )
        ParquetLake(settings.lake_dir).initialize()
        table = result.to_table()
        replace_tenant_periods(settings.lake_dir, result.tenant_id, table, result.import_id)
        if settings.profile == Profile.SERVER:
            on_clickhouse(
                settings,
                lambda client, database: replace_tenant_periods_clickhouse(
                    client, database, result.tenant_id, table, result.import_id
                ),
            )
        file_rejects(
            settings,
            result.import_id,
            result.rejects,
            f"tenant {result.tenant_id}: {len(result.periods)} periods imported "
            f"(replacing earlier imports), {len(result.rejects)} rejected",
        )

    @import_app.command("fx-rates")
    def fx_rates(
        path: Annotated[
            Path,
            typer.Argument(
                help="CSV with rate_date (YYYY-MM-DD), currency, quote_currency (ISO 4217), "
                "rate (units of quote_currency per unit of currency, > 0, at most 6 decimals)",
                exists=True,
                dir_okay=False,
            ),
        ],
    ) -> None:
        """Add the file's exchange rates (global, every tenant's MRR converts with them). For the
        same rate_date and pair an imported rate wins over the dbt seed's and a later import
        over an earlier one; re-importing a file changes nothing. Rejected rows go to the
        dead-letter store with their line and reason.

        Embedded profile: the lake. Server profile: the lake and ClickHouse
        (irisx_raw.fx_rates).
        """
        from config import Profile, Settings
        from ingest.fx_rates import fx_import_id, read_fx_rates
        from warehouse import ParquetLake
        from warehouse.fx_rates import (
            imported_at_of,
            write_fx_rates,
            write_fx_rates_clickhouse,
        )

        settings = Settings()  # per call, so IRISX_* set by the caller apply
        settings.ensure_dirs()
        data = path.read_bytes()
        # The same file again keeps its first import time, so it rewrites identical rows.
        first_imported_at = imported_at_of(settings.lake_dir, fx_import_id(data))
        result = read_import(lambda: read_fx_rates(data, source=str(path), now=first_imported_at))
        ParquetLake(settings.lake_dir).initialize()
        table = result.to_table()
        write_fx_rates(settings.lake_dir, table, result.import_id)
        if settings.profile == Profile.SERVER:
            on_clickhouse(
                settings,
                lambda client, database: write_fx_rates_clickhouse(client, database, table),
            )
        again = " (already imported: unchanged)" if first_imported_at is not None else ""
        file_rejects(
            settings,
            result.import_id,
            result.rejects,
            f"{len(result.rates)} exchange rates imported{again}, {len(result.rejects)} rejected",
        )

    app.add_typer(import_app, name="import")
