"""ApiKeyStore on a real SQLite file."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest

from config import Settings
from serving.auth import ApiKeyStore, InvalidTenantIdError, UnknownApiKeyError

KEY_FORMAT = re.compile(r"^irx_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


def test_created_key_has_the_documented_shape_and_authenticates(key_store: ApiKeyStore) -> None:
    key_id, plaintext = key_store.create("acme", name="bi-tool")

    match = KEY_FORMAT.match(plaintext)
    assert match is not None
    assert match.group(1) == key_id
    key = key_store.authenticate(plaintext)
    assert key is not None
    assert (key.key_id, key.tenant_id, key.name, key.revoked_at) == (
        key_id,
        "acme",
        "bi-tool",
        None,
    )
    assert key.created_at.tzinfo is not None


def test_keys_are_unique(key_store: ApiKeyStore) -> None:
    created = [key_store.create("acme") for _ in range(20)]
    assert len({key_id for key_id, _ in created}) == 20
    assert len({plaintext for _, plaintext in created}) == 20


def test_file_is_created_on_first_use_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "auth.sqlite3"
    store = ApiKeyStore(path)
    assert not path.exists()

    store.create("acme")

    assert path.exists()
    assert path.stat().st_mode & 0o077 == 0  # owner-only
    with sqlite3.connect(path) as connection:
        assert connection.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_only_a_digest_is_stored(settings: Settings, key_store: ApiKeyStore) -> None:
    key_id, plaintext = key_store.create("acme")
    secret = plaintext.split("_", 2)[2]
    assert len(secret) == 43

    # WAL mode: recent writes may still sit in the -wal file; read every file of the database.
    stored = b"".join(p.read_bytes() for p in settings.auth_db_path.parent.glob("auth.sqlite3*"))
    assert key_id.encode() in stored  # the identifier is not secret
    assert secret.encode() not in stored
    assert plaintext.encode() not in stored
    assert hashlib.sha256(plaintext.encode()).hexdigest().encode() in stored


def test_wrong_secret_or_unknown_id_fails(key_store: ApiKeyStore) -> None:
    key_id, plaintext = key_store.create("acme")
    _, other = key_store.create("globex")

    swapped = f"irx_{key_id}_{other.split('_', 2)[2]}"  # a real secret under another key id
    assert key_store.authenticate(swapped) is None
    assert key_store.authenticate(f"irx_{'0' * 16}_{plaintext.split('_', 2)[2]}") is None
    assert key_store.authenticate(plaintext.upper()) is None
    assert key_store.authenticate("") is None
    assert key_store.authenticate(plaintext + "x") is None


def test_revoke_then_authenticate_fails_and_list_shows_it(key_store: ApiKeyStore) -> None:
    key_id, plaintext = key_store.create("acme")
    kept_id, kept = key_store.create("acme")

    assert key_store.revoke(key_id) is True
    assert key_store.revoke(key_id) is False  # idempotent
    assert key_store.authenticate(plaintext) is None
    assert key_store.authenticate(kept) is not None

    listed = {key.key_id: key for key in key_store.list()}
    assert set(listed) == {key_id, kept_id}
    assert listed[key_id].revoked_at is not None
    assert not listed[key_id].active
    assert listed[kept_id].active


def test_revoke_unknown_key_raises(key_store: ApiKeyStore) -> None:
    with pytest.raises(UnknownApiKeyError):
        key_store.revoke("0123456789abcdef")
    with pytest.raises(UnknownApiKeyError):
        key_store.revoke("'; drop table api_keys; --")


def test_list_filters_by_tenant(key_store: ApiKeyStore) -> None:
    acme_id, _ = key_store.create("acme")
    key_store.create("globex")

    assert [key.key_id for key in key_store.list("acme")] == [acme_id]
    assert len(key_store.list()) == 2
    assert key_store.list("initech") == []


@pytest.mark.parametrize("tenant", ["ACME", "", "-acme", "acme corp", "a" * 64, "acme/../x"])
def test_invalid_tenant_is_rejected_naming_the_field(key_store: ApiKeyStore, tenant: str) -> None:
    with pytest.raises(InvalidTenantIdError, match="tenant_id"):
        key_store.create(tenant)


def test_overlong_name_is_rejected(key_store: ApiKeyStore) -> None:
    with pytest.raises(ValueError, match="name"):
        key_store.create("acme", name="x" * 201)
    assert key_store.list() == []
