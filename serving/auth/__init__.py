"""API keys (hashed at rest, each bound to one tenant) and per-tenant webhook secrets."""

from serving.auth.keys import (
    KEY_PREFIX,
    ApiKey,
    ApiKeyStore,
    InvalidTenantIdError,
    UnknownApiKeyError,
    validate_tenant_id,
)
from serving.auth.webhook_secrets import (
    SIGNED_SOURCES,
    UnknownWebhookSourceError,
    WebhookSecretStore,
)

__all__ = [
    "KEY_PREFIX",
    "SIGNED_SOURCES",
    "ApiKey",
    "ApiKeyStore",
    "InvalidTenantIdError",
    "UnknownApiKeyError",
    "UnknownWebhookSourceError",
    "WebhookSecretStore",
    "validate_tenant_id",
]
