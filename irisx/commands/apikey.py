"""``irisx apikey create|list|revoke``: API keys bound to tenants (hashed at rest)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    apikey_app = typer.Typer(
        help="API keys: each key reads one tenant's data.", no_args_is_help=True
    )

    @apikey_app.command("create")
    def create(
        tenant: Annotated[str, typer.Option("--tenant", help="Tenant the key reads (slug)")],
        name: Annotated[str | None, typer.Option("--name", help="Label, e.g. 'bi-tool'")] = None,
    ) -> None:
        """Create a key and print it once (only its hash is stored)."""
        from config import get_settings
        from serving.auth import ApiKeyStore

        try:
            key_id, plaintext = ApiKeyStore(get_settings().auth_db_path).create(tenant, name)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"key_id: {key_id}")
        typer.echo(f"tenant: {tenant}")
        typer.echo(f"api_key: {plaintext}")
        typer.echo("Store this key now: it will not be shown again.", err=True)

    @apikey_app.command("list")
    def list_keys(
        tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant")] = None,
    ) -> None:
        """List keys (id, tenant, name, created, revoked); never the secrets."""
        from rich.console import Console
        from rich.table import Table

        from config import get_settings
        from serving.auth import ApiKeyStore

        try:
            keys = ApiKeyStore(get_settings().auth_db_path).list(tenant)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        table = Table("key_id", "tenant", "name", "created_at", "revoked_at")
        for key in keys:
            table.add_row(
                key.key_id,
                key.tenant_id,
                key.name or "",
                key.created_at.isoformat(),
                key.revoked_at.isoformat() if key.revoked_at else "",
            )
        Console(width=160).print(table)

    @apikey_app.command("revoke")
    def revoke(key_id: Annotated[str, typer.Argument(help="The key_id printed by create")]) -> None:
        """Revoke a key: requests with it get 401 from then on."""
        from config import get_settings
        from serving.auth import ApiKeyStore, UnknownApiKeyError

        try:
            revoked_now = ApiKeyStore(get_settings().auth_db_path).revoke(key_id)
        except UnknownApiKeyError:
            typer.echo(f"error: no API key with key_id {key_id!r}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"revoked {key_id}" if revoked_now else f"{key_id} was already revoked")

    app.add_typer(apikey_app, name="apikey")
