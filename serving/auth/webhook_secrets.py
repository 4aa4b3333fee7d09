"""Per-tenant webhook signing secrets, in the auth SQLite file next to the API keys.

Unlike API keys these are stored as given, not hashed: verifying an HMAC signature needs the
secret itself. The file is owner-only (see ``AuthDatabase``); protect it like the secrets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from serving.auth.database import AuthDatabase
from serving.auth.keys import validate_tenant_id

#: Sources whose webhooks carry a signature this API verifies.
SIGNED_SOURCES = ("stripe",)

_SCHEMA = """
create table if not exists webhook_secrets (
    tenant_id   text not null,
    source      text not null,
    secret      text not null,
    updated_at  text not null,
    primary key (tenant_id, source)
);
"""


class UnknownWebhookSourceError(ValueError):
    """No signature scheme for that source."""


def _checked_source(source: str) -> str:
    if source not in SIGNED_SOURCES:
        raise UnknownWebhookSourceError(
            f"source {source!r}: signatures are verified for {', '.join(SIGNED_SOURCES)} only"
        )
    return source


class WebhookSecretStore:
    """Set, read and remove the secret a tenant's ``source`` signs its webhooks with."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._database = AuthDatabase(path, _SCHEMA)

    def set(self, tenant_id: str, source: str, secret: str) -> None:
        """Store (or replace) the secret; from then on unsigned requests are refused."""
        tenant = validate_tenant_id(tenant_id)
        secret = secret.strip()
        if not secret:
            raise ValueError("secret: empty")
        with self._database.connection() as connection:
            connection.execute(
                "insert into webhook_secrets (tenant_id, source, secret, updated_at)"
                " values (?, ?, ?, ?) on conflict (tenant_id, source) do update set"
                " secret = excluded.secret, updated_at = excluded.updated_at",
                (tenant, _checked_source(source), secret, datetime.now(UTC).isoformat()),
            )

    def get(self, tenant_id: str, source: str) -> str | None:
        """The secret, or None when the tenant has not configured one (nothing is enforced)."""
        with self._database.connection() as connection:
            row = connection.execute(
                "select secret from webhook_secrets where tenant_id = ? and source = ?",
                (tenant_id, source),
            ).fetchone()
        return None if row is None else str(row["secret"])

    def remove(self, tenant_id: str, source: str) -> bool:
        """Forget the secret (signatures stop being checked); False when none was set."""
        with self._database.connection() as connection:
            deleted = connection.execute(
                "delete from webhook_secrets where tenant_id = ? and source = ?",
                (tenant_id, _checked_source(source)),
            ).rowcount
        return bool(deleted)
