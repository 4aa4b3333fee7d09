"""API keys bound to tenants, kept in a small SQLite file (``Settings.auth_db_path``).

A key looks like ``irx_<key_id>_<secret>``: the prefix makes leaked keys easy to spot (secret
scanners, logs), the key id finds the row without scanning, and the secret is 32 random bytes
(``secrets.token_urlsafe(32)``). Only a SHA-256 digest of the whole key is stored.

Why plain SHA-256 and not bcrypt/argon2: slow, salted hashes protect low-entropy secrets that
people choose (passwords) against guessing. A 256-bit random secret cannot be guessed, so one
fast hash already makes a stolen database useless, and it keeps per-request authentication
cheap. Digests are compared with ``hmac.compare_digest`` (constant time).
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from ingest.contracts.common import TenantId
from serving.auth.database import AuthDatabase

KEY_PREFIX = "irx"
_KEY_ID_HEX_CHARS = 16
_SECRET_BYTES = 32
_KEY_PATTERN = re.compile(
    rf"^{KEY_PREFIX}_(?P<key_id>[0-9a-f]{{{_KEY_ID_HEX_CHARS}}})_(?P<secret>[A-Za-z0-9_-]{{43}})$"
)
_KEY_ID_PATTERN = re.compile(rf"^[0-9a-f]{{{_KEY_ID_HEX_CHARS}}}$")
_NAME_MAX_CHARS = 200
_TENANT_ID = TypeAdapter(TenantId)

_SCHEMA = """
create table if not exists api_keys (
    key_id      text primary key,
    tenant_id   text not null,
    name        text,
    key_sha256  text not null,
    created_at  text not null,
    revoked_at  text
);
create index if not exists api_keys_tenant on api_keys (tenant_id);
"""


class InvalidTenantIdError(ValueError):
    """The tenant id is not a valid tenant slug."""


class UnknownApiKeyError(KeyError):
    """No key with that key id exists."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What the store knows about a key (never the secret)."""

    key_id: str
    tenant_id: str
    name: str | None
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def validate_tenant_id(tenant_id: str) -> str:
    """The tenant slug (same rule as the event contracts' ``TenantId``) or InvalidTenantIdError."""
    try:
        return _TENANT_ID.validate_python(tenant_id, strict=True)
    except ValidationError as exc:
        raise InvalidTenantIdError(
            f"tenant_id {tenant_id!r}: lower-case letters, digits, '_' or '-', starting with a "
            f"letter or digit, at most 63 chars ({exc.errors()[0]['msg']})"
        ) from None


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class ApiKeyStore:
    """Create, authenticate, list and revoke API keys. The file is created on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._database = AuthDatabase(path, _SCHEMA)

    def create(self, tenant_id: str, name: str | None = None) -> tuple[str, str]:
        """A new key for ``tenant_id``: ``(key_id, plaintext_key)``; the plaintext is not kept."""
        tenant = validate_tenant_id(tenant_id)
        if name is not None:
            name = name.strip() or None
        if name is not None and len(name) > _NAME_MAX_CHARS:
            raise ValueError(f"name: at most {_NAME_MAX_CHARS} characters, got {len(name)}")
        key_id = secrets.token_hex(_KEY_ID_HEX_CHARS // 2)
        plaintext = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"
        with self._database.connection() as connection:
            connection.execute(
                "insert into api_keys (key_id, tenant_id, name, key_sha256, created_at) "
                "values (?, ?, ?, ?, ?)",
                (key_id, tenant, name, _digest(plaintext), _now().isoformat()),
            )
        return key_id, plaintext

    def authenticate(self, plaintext: str) -> ApiKey | None:
        """The active key matching ``plaintext``, or None (malformed, unknown or revoked)."""
        match = _KEY_PATTERN.match(plaintext.strip()) if isinstance(plaintext, str) else None
        if match is None:
            return None
        with self._database.connection() as connection:
            row = connection.execute(
                "select key_id, tenant_id, name, created_at, revoked_at, key_sha256 "
                "from api_keys where key_id = ?",
                (match["key_id"],),
            ).fetchone()
        if row is None:
            return None
        if not hmac.compare_digest(row["key_sha256"], _digest(match.group(0))):
            return None
        key = self._from_row(row)
        return key if key.active else None

    def revoke(self, key_id: str) -> bool:
        """Revoke ``key_id``: True if revoked now, False if it already was.

        Raises UnknownApiKeyError when no key has that id.
        """
        if not _KEY_ID_PATTERN.match(key_id):
            raise UnknownApiKeyError(key_id)
        with self._database.connection() as connection:
            updated = connection.execute(
                "update api_keys set revoked_at = ? where key_id = ? and revoked_at is null",
                (_now().isoformat(), key_id),
            ).rowcount
            if updated:
                return True
            exists = connection.execute(
                "select 1 from api_keys where key_id = ?", (key_id,)
            ).fetchone()
        if exists is None:
            raise UnknownApiKeyError(key_id)
        return False

    def get(self, key_id: str) -> ApiKey | None:
        """The key with ``key_id`` (active or revoked), or None."""
        with self._database.connection() as connection:
            row = connection.execute(
                "select key_id, tenant_id, name, created_at, revoked_at "
                "from api_keys where key_id = ?",
                (key_id,),
            ).fetchone()
        return None if row is None else self._from_row(row)

    # ``builtins.list``: inside the class body ``list`` names this method.
    def list(self, tenant_id: str | None = None) -> builtins.list[ApiKey]:
        """Every key (revoked ones included), oldest first, optionally of one tenant."""
        query = "select key_id, tenant_id, name, created_at, revoked_at from api_keys"
        params: tuple[str, ...] = ()
        if tenant_id is not None:
            query += " where tenant_id = ?"
            params = (validate_tenant_id(tenant_id),)
        with self._database.connection() as connection:
            rows = connection.execute(query + " order by created_at, key_id", params).fetchall()
        return [self._from_row(row) for row in rows]

    @staticmethod
    def _from_row(row: sqlite3.Row) -> ApiKey:
        created_at = _parse_time(row["created_at"])
        assert created_at is not None  # column is NOT NULL
        return ApiKey(
            key_id=row["key_id"],
            tenant_id=row["tenant_id"],
            name=row["name"],
            created_at=created_at,
            revoked_at=_parse_time(row["revoked_at"]),
        )
