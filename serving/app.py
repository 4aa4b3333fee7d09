"""The app factory: ``create_app(settings)`` builds the whole API (used by ``irisx serve``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from config import Profile, Settings, get_settings
from serving.api.deps import new_publisher
from serving.api.openapi import install_openapi
from serving.api.problems import install_problem_handlers
from serving.api.routes import (
    adherence,
    anomalies,
    campaigns,
    events,
    health,
    kpis,
    metrics,
    ops,
    quality,
    quality_carriers,
    revenue,
    wallboard,
    wfm,
)
from serving.auth import ApiKeyStore, WebhookSecretStore
from warehouse.agent_states import HotStoreAgentStates, LakeAgentStates
from warehouse.hotstore import PostgresHotStore
from warehouse.live import LakeLiveRollups
from warehouse.marts import ClickHouseMartReader, mart_reader_for

API_VERSION = "1.0.0"
#: Threads per API process validating ingest bodies at once (bodies over
#: ``routes.events.INLINE_BODY_BYTES``, and every body in the embedded profile; smaller server
#: bodies are validated on the event loop): validation is CPU-bound Python, so a second thread
#: only contends for the GIL (``irisx serve --workers`` adds processes instead).
INGEST_THREADS = 1


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The ingest limiter (``INGEST_THREADS``), made in the serving event loop. Server profile:
    one NATS publisher for all requests (connects on first use, so the API starts while NATS is
    down); the hot store's connection is closed on shutdown."""
    settings: Settings = app.state.settings
    app.state.ingest_limiter = anyio.CapacityLimiter(INGEST_THREADS)
    if settings.profile == Profile.SERVER:
        # Built here, not in create_app: tests set app.state.jetstream after create_app.
        app.state.publisher = new_publisher(app)
    try:
        yield
    finally:
        publisher = getattr(app.state, "publisher", None)
        if publisher is not None:
            await publisher.close()
            app.state.publisher = None
        mart_reader = getattr(app.state, "mart_reader", None)
        if isinstance(mart_reader, ClickHouseMartReader):
            mart_reader.close()
        hot_store = getattr(app.state, "hot_store", None)
        if isinstance(hot_store, PostgresHotStore):
            hot_store.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """A ready-to-serve app reading marts and keys from ``settings`` (default: the env)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="IRISX Analytics API",
        version=API_VERSION,
        summary="Tenant-scoped analytics marts for communications providers.",
        description=(
            "Authenticate with an API key (`irisx apikey create --tenant T`) sent as "
            "`Authorization: Bearer <key>` or `X-API-Key: <key>`. Every answer is scoped to "
            "the key's tenant. Errors are RFC 9457 problem details (application/problem+json)."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.key_store = ApiKeyStore(settings.auth_db_path)
    app.state.webhook_secrets = WebhookSecretStore(settings.auth_db_path)
    # Parquet files (embedded) or the dbt clickhouse targets' tables (server): warehouse.marts.
    app.state.mart_reader = mart_reader_for(settings)
    if settings.profile == Profile.SERVER:
        # Connects on first read; one connection shared by the threadpool (psycopg serialises).
        app.state.hot_store = PostgresHotStore(settings.postgres_dsn, settings.hot_retention_days)
    # Live wallboards: the hot store's minute rollups, or in the embedded profile the same
    # rollups computed from the lake's recent raw events (warehouse.live).
    app.state.live_rollups = (
        app.state.hot_store
        if settings.profile == Profile.SERVER
        else LakeLiveRollups(settings.lake_dir, lookback_days=settings.hot_retention_days)
    )
    # Real-time adherence: recent agent state events, from the same place (warehouse.agent_states).
    app.state.agent_states = (
        HotStoreAgentStates(app.state.hot_store)
        if settings.profile == Profile.SERVER
        else LakeAgentStates(settings.lake_dir, lookback_days=settings.hot_retention_days)
    )
    app.include_router(health.router)
    app.include_router(kpis.router)
    app.include_router(revenue.router)
    app.include_router(metrics.router)
    app.include_router(events.router)
    app.include_router(wallboard.router)
    app.include_router(quality.router)
    app.include_router(quality_carriers.router)
    app.include_router(ops.router)
    app.include_router(campaigns.router)
    app.include_router(wfm.router)
    app.include_router(adherence.router)
    app.include_router(anomalies.router)
    install_problem_handlers(app)
    install_openapi(app)
    return app
