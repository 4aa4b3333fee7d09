"""``irisx serve``: run the API with uvicorn (the app comes from ``serving.app.create_app``)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[
            str | None,
            typer.Option("--host", help="Bind address (default: IRISX_API_HOST, 127.0.0.1)"),
        ] = None,
        port: Annotated[
            int | None,
            typer.Option(
                "--port",
                min=0,
                max=65535,
                help="Port; 0 picks a free one (default: IRISX_API_PORT, 8000)",
            ),
        ] = None,
        workers: Annotated[
            int,
            typer.Option(
                "--workers",
                min=1,
                help="API processes sharing the port (one Python process uses at most about "
                "one core; the server profile's ingest edge is CPU-bound). Needs a fixed port.",
            ),
        ] = 1,
    ) -> None:
        """Serve the marts API (FastAPI) until interrupted."""
        import uvicorn

        from config import get_settings

        settings = get_settings()
        bind_port = settings.api_port if port is None else port
        if workers > 1 and bind_port == 0:
            raise typer.BadParameter("--workers > 1 needs a fixed port", param_hint="--port")
        uvicorn.run(
            "serving.app:create_app",
            factory=True,
            host=host or settings.api_host,
            port=bind_port,
            workers=workers,
        )
