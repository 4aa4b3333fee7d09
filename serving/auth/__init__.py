"""API keys: hashed at rest, each bound to one tenant."""

from serving.auth.keys import (
    KEY_PREFIX,
    ApiKey,
    ApiKeyStore,
    InvalidTenantIdError,
    UnknownApiKeyError,
    validate_tenant_id,
)

__all__ = [
    "KEY_PREFIX",
    "ApiKey",
    "ApiKeyStore",
    "InvalidTenantIdError",
    "UnknownApiKeyError",
    "validate_tenant_id",
]
