"""The OpenAPI document, adjusted so client generators see what the API really sends."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from serving.api.problems import PROBLEM_MEDIA_TYPE


def problem_media_types(document: dict[str, Any]) -> dict[str, Any]:
    """Declare error responses (4xx/5xx) as ``application/problem+json``.

    FastAPI documents every response model under the route's media type (application/json);
    error bodies are sent as problem+json, so their schema is moved there.
    """
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if not (status[:1] in {"4", "5"} or status == "default"):
                    continue
                content = response.get("content", {})
                if "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    return document


def plain_optional_parameters(document: dict[str, Any]) -> dict[str, Any]:
    """Drop the ``null`` branch of optional parameters (``anyOf: [X, {type: null}]`` → X).

    An absent query parameter is how a client says "none"; it cannot send null. The null branch
    only makes generated clients use awkward union types.
    """
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                branches = schema.get("anyOf")
                if parameter.get("required") or not isinstance(branches, list):
                    continue
                concrete = [branch for branch in branches if branch != {"type": "null"}]
                if len(concrete) == 1 and len(branches) == 2:
                    del schema["anyOf"]
                    schema.update(concrete[0])
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the adjusted document at /openapi.json (FastAPI caches it after the first call)."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        # Both rewrites are idempotent: safe to apply again to FastAPI's cached copy.
        return plain_optional_parameters(problem_media_types(default_openapi()))

    app.openapi = openapi  # type: ignore[method-assign]
