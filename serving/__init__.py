"""The IRISX API (FastAPI). Build it with ``serving.app.create_app(settings)``."""
