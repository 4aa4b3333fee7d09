"""The app factory: ``create_app(settings)`` builds the whole API (used by ``irisx serve``)."""

from __future__ import annotations

from fastapi import FastAPI

from config import Settings, get_settings
from serving.api.openapi import install_openapi
from serving.api.problems import install_problem_handlers
from serving.api.routes import events, health, kpis
from serving.auth import ApiKeyStore
from warehouse.marts import MartReader

API_VERSION = "1.0.0"


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
    )
    app.state.settings = settings
    app.state.key_store = ApiKeyStore(settings.auth_db_path)
    app.state.mart_reader = MartReader(settings.marts_dir)
    app.include_router(health.router)
    app.include_router(kpis.router)
    app.include_router(events.router)
    install_problem_handlers(app)
    install_openapi(app)
    return app
