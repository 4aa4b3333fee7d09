"""``irisx webhook-secret set|remove``: per-tenant secrets that source webhooks are signed with."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    secret_app = typer.Typer(
        help="Webhook signing secrets: once set, unsigned or wrongly signed webhooks of that "
        "tenant and source are refused.",
        no_args_is_help=True,
    )

    @secret_app.command("set")
    def set_secret(
        tenant: Annotated[str, typer.Option("--tenant", help="Tenant whose webhooks it signs")],
        source: Annotated[str, typer.Option("--source", help="Webhook source: stripe")],
        secret: Annotated[
            str,
            typer.Option(
                "--secret",
                prompt="Endpoint signing secret",
                hide_input=True,
                help="The secret (e.g. Stripe's whsec_...); prompted for when not given, so it "
                "stays out of the shell history",
            ),
        ],
    ) -> None:
        """Store the secret (in the auth SQLite file, as given: HMAC needs it)."""
        from config import get_settings
        from serving.auth import WebhookSecretStore

        try:
            WebhookSecretStore(get_settings().auth_db_path).set(tenant, source, secret)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"{source} webhooks of tenant {tenant} must now be signed with this secret")

    @secret_app.command("remove")
    def remove_secret(
        tenant: Annotated[str, typer.Option("--tenant", help="Tenant")],
        source: Annotated[str, typer.Option("--source", help="Webhook source: stripe")],
    ) -> None:
        """Forget the secret: signatures of that tenant and source are no longer checked."""
        from config import get_settings
        from serving.auth import WebhookSecretStore

        try:
            removed = WebhookSecretStore(get_settings().auth_db_path).remove(tenant, source)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"removed the {source} secret of {tenant}" if removed else "no secret was set")

    app.add_typer(secret_app, name="webhook-secret")
