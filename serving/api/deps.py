"""Request dependencies: settings, key store, mart reader, hot store, live rollups, agent state
events, event publisher, and the caller's tenant.

The tenant comes only from the API key. No endpoint accepts a tenant from the request.

Dependencies that only read ``app.state`` are ``async def``: FastAPI runs a plain ``def``
dependency on a worker thread, one thread hop per dependency per request, which under ingest
load cost the event loop more than the work itself. The key lookup is ``async def`` too: it is
one indexed read of a local SQLite file on an open connection (~5 µs; WAL readers wait for no
writer), less than the hop would cost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from config import Profile, Settings
from ingest.transport import BatchMessage, JetStreamConfig, JetStreamPublisher, PublishAck
from serving.api.problems import SERVER_PROFILE_REQUIRED_TYPE, ProblemError
from serving.auth import ApiKey, ApiKeyStore, WebhookSecretStore
from warehouse.agent_states import AgentStateEvents
from warehouse.hotstore import PostgresHotStore
from warehouse.live import LiveRollups
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


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_key_store(request: Request) -> ApiKeyStore:
    store: ApiKeyStore = request.app.state.key_store
    return store


async def get_webhook_secrets(request: Request) -> WebhookSecretStore:
    store: WebhookSecretStore = request.app.state.webhook_secrets
    return store


async def get_mart_reader(request: Request) -> MartReader:
    reader: MartReader = request.app.state.mart_reader
    return reader


def jetstream_config(app: FastAPI) -> JetStreamConfig:
    """``app.state.jetstream`` when set (tests), else the settings' streams."""
    configured = getattr(app.state, "jetstream", None)
    if isinstance(configured, JetStreamConfig):
        return configured
    settings: Settings = app.state.settings
    return JetStreamConfig(
        url=settings.nats_url,
        stream_prefix=settings.stream_prefix,
        subject_root=settings.subject_root,
        max_bytes=settings.stream_max_bytes,
    )


def new_publisher(app: FastAPI) -> JetStreamPublisher:
    settings: Settings = app.state.settings
    return JetStreamPublisher(
        jetstream_config(app), max_backlog_batches=settings.max_backlog_batches
    )


async def publish_batch_shared(request: Request, message: BatchMessage) -> PublishAck:
    """Publish over the app's shared connection (opened by the lifespan)."""
    shared = getattr(request.app.state, "publisher", None)
    if isinstance(shared, JetStreamPublisher):
        return await shared.publish(message)
    # The app runs without its lifespan (e.g. a TestClient outside ``with``): requests may each
    # run on their own event loop, so a connection cannot outlive the request.
    async with new_publisher(request.app) as publisher:
        return await publisher.publish(message)


async def get_hot_store(request: Request) -> PostgresHotStore:
    """The app's hot store (server profile); a 409 problem in the embedded profile."""
    settings: Settings = request.app.state.settings
    store = getattr(request.app.state, "hot_store", None)
    if settings.profile != Profile.SERVER or not isinstance(store, PostgresHotStore):
        raise ProblemError(
            409,
            "live wallboards need the server profile (PostgreSQL hot store): set "
            "IRISX_PROFILE=server and IRISX_POSTGRES_DSN, and run `irisx worker`",
            type_=SERVER_PROFILE_REQUIRED_TYPE,
            title="Server profile required",
        )
    return store


async def get_live_rollups(request: Request) -> LiveRollups:
    """The per-minute rollups live wallboards read: the hot store (server profile) or the lake
    (embedded), as ``create_app`` chose."""
    rollups: LiveRollups = request.app.state.live_rollups
    return rollups


async def get_agent_states(request: Request) -> AgentStateEvents:
    """The app's agent state reader: the hot store (server) or the lake (embedded)."""
    reader: AgentStateEvents = request.app.state.agent_states
    return reader


def get_now() -> datetime:
    """The time a request reads "live" data at (a dependency, so tests can pin it)."""
    return datetime.now(UTC)


async def get_api_key(
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


async def get_current_tenant(key: Annotated[ApiKey, Depends(get_api_key)]) -> str:
    return key.tenant_id


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
KeyStoreDep = Annotated[ApiKeyStore, Depends(get_key_store)]
WebhookSecretsDep = Annotated[WebhookSecretStore, Depends(get_webhook_secrets)]
MartReaderDep = Annotated[MartReader, Depends(get_mart_reader)]
CurrentTenant = Annotated[str, Depends(get_current_tenant)]
HotStoreDep = Annotated[PostgresHotStore, Depends(get_hot_store)]
LiveRollupsDep = Annotated[LiveRollups, Depends(get_live_rollups)]
AgentStatesDep = Annotated[AgentStateEvents, Depends(get_agent_states)]
NowDep = Annotated[datetime, Depends(get_now)]
