"""Request dependencies: settings, key store, mart reader, and the caller's tenant.

The tenant comes only from the API key. No endpoint accepts a tenant from the request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from config import Settings
from serving.auth import ApiKey, ApiKeyStore
from warehouse.marts import MartReader

# auto_error=False: a missing header is our 401 problem, not the scheme's own error.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="BearerAuth",
    bearerFormat="irx_<key_id>_<secret>",
    description="`Authorization: Bearer <API key>` (create one with `irisx apikey create`).",
)
api_key_header_scheme = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="ApiKeyHeader",
    description="The same API key in an `X-API-Key` header.",
)

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="irisx"'}


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_key_store(request: Request) -> ApiKeyStore:
    store: ApiKeyStore = request.app.state.key_store
    return store


def get_mart_reader(request: Request) -> MartReader:
    reader: MartReader = request.app.state.mart_reader
    return reader


def get_api_key(
    store: Annotated[ApiKeyStore, Depends(get_key_store)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    header_key: Annotated[str | None, Depends(api_key_header_scheme)],
) -> ApiKey:
    """The active key presented in ``Authorization: Bearer`` or ``X-API-Key`` (else 401)."""
    presented = {value for value in (bearer and bearer.credentials, header_key) if value}
    if not presented:
        raise HTTPException(
            401,
            "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            headers=_CHALLENGE,
        )
    if len(presented) > 1:
        raise HTTPException(
            401, "two different API keys were sent; send exactly one", headers=_CHALLENGE
        )
    key = store.authenticate(presented.pop())
    if key is None:
        raise HTTPException(401, "invalid or revoked API key", headers=_CHALLENGE)
    return key


def get_current_tenant(key: Annotated[ApiKey, Depends(get_api_key)]) -> str:
    return key.tenant_id


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
KeyStoreDep = Annotated[ApiKeyStore, Depends(get_key_store)]
MartReaderDep = Annotated[MartReader, Depends(get_mart_reader)]
CurrentTenant = Annotated[str, Depends(get_current_tenant)]
