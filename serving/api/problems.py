"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the API returns, including FastAPI's own validation errors, unknown routes and
unexpected failures, has the same shape: ``type``, ``title``, ``status``, ``detail``,
``instance`` and, for validation errors, ``errors`` (one entry per invalid field).
``type`` is ``about:blank`` when the HTTP status says it all (RFC 9457 §4.2.1); problems that
carry extra members or need their own explanation get a ``urn:irisx:problem:<slug>`` type.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.transport import BacklogTooLargeError, TransportUnavailableError
from warehouse.marts import MartNotPublished, MartsUnavailable

PROBLEM_MEDIA_TYPE = "application/problem+json"
VALIDATION_PROBLEM_TYPE = "urn:irisx:problem:validation-error"
MART_NOT_PUBLISHED_TYPE = "urn:irisx:problem:mart-not-published"
MARTS_UNAVAILABLE_TYPE = "urn:irisx:problem:marts-unavailable"
INGEST_UNAVAILABLE_TYPE = "urn:irisx:problem:ingest-unavailable"
INGEST_BACKPRESSURE_TYPE = "urn:irisx:problem:ingest-backpressure"
SERVER_PROFILE_REQUIRED_TYPE = "urn:irisx:problem:server-profile-required"
HOT_STORE_UNAVAILABLE_TYPE = "urn:irisx:problem:hot-store-unavailable"
WEBHOOK_SIGNATURE_TYPE = "urn:irisx:problem:webhook-signature"
DEFINITIONS_UNAVAILABLE_TYPE = "urn:irisx:problem:definitions-unavailable"
#: Seconds a client is told to wait before retrying a 503 of the server profile.
RETRY_AFTER_S = 5

_log = logging.getLogger(__name__)


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(default="about:blank", description="URI identifying the problem type")
    title: str = Field(description="Short summary of the problem type")
    status: int = Field(description="HTTP status code", ge=400, le=599)
    detail: str | None = Field(default=None, description="What went wrong this time")
    instance: str | None = Field(default=None, description="The request path that failed")


class ValidationIssue(BaseModel):
    """One invalid input: where it is, what is wrong."""

    loc: list[str | int] = Field(description="Where: e.g. ['query', 'from']")
    field: str = Field(description="The parameter name, e.g. 'from'")
    msg: str = Field(description="What is wrong with it")
    type: str = Field(description="Machine-readable error kind, e.g. 'date_from_datetime_parsing'")


class ValidationProblem(Problem):
    """A 422 problem listing every invalid field."""

    type: str = VALIDATION_PROBLEM_TYPE
    errors: list[ValidationIssue] = Field(description="One entry per invalid input")


class ProblemError(Exception):
    """Raised by routes for a problem with its own ``type`` (HTTPException's are about:blank)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str,
        title: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type_ = type_
        self.title = title
        self.headers = headers


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_response(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    errors: Sequence[ValidationIssue] | None = None,
) -> ProblemResponse:
    fields: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    body: Problem = (
        ValidationProblem(**fields, errors=list(errors))
        if errors is not None
        else Problem(**fields)
    )
    return ProblemResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers
    )


def _issue(error: Mapping[str, Any]) -> ValidationIssue:
    loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
    names = [part for part in loc[1:] if isinstance(part, str)] if len(loc) > 1 else loc
    return ValidationIssue(
        loc=loc,
        field=".".join(str(part) for part in names) or "request",
        msg=str(error.get("msg", "invalid value")),
        type=str(error.get("type", "value_error")),
    )


async def _http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    if exc.status_code == 404 and detail is None:
        detail = f"no resource at {request.url.path}"
    return problem_response(request, exc.status_code, detail, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    issues = [_issue(error) for error in exc.errors()]
    summary = "; ".join(f"{issue.field}: {issue.msg}" for issue in issues)
    return problem_response(
        request,
        422,
        f"invalid request: {summary}",
        type_=VALIDATION_PROBLEM_TYPE,
        title="Request validation failed",
        errors=issues,
    )


async def _mart_not_published(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, MartNotPublished)
    return problem_response(
        request, 503, str(exc), type_=MART_NOT_PUBLISHED_TYPE, title="Mart not published"
    )


async def _marts_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    # Server profile: ClickHouse is down or chDB's folder is held by a dbt run. The cause may
    # name hosts or folders: the client only learns that a retry is worth it.
    assert isinstance(exc, MartsUnavailable)
    _log.warning("marts unavailable: %s", exc)
    return problem_response(
        request,
        503,
        "the marts' warehouse cannot be reached right now; retry later",
        type_=MARTS_UNAVAILABLE_TYPE,
        title="Marts unavailable",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request, exc.status, exc.detail, type_=exc.type_, title=exc.title, headers=exc.headers
    )


async def _transport_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    # Nothing was published: the client retries the same body (same batch id, deduplicated).
    assert isinstance(exc, TransportUnavailableError)
    backpressure = isinstance(exc, BacklogTooLargeError)
    return problem_response(
        request,
        503,
        f"events not accepted, retry later: {exc}",
        type_=INGEST_BACKPRESSURE_TYPE if backpressure else INGEST_UNAVAILABLE_TYPE,
        title="Ingest backpressure" if backpressure else "Event stream unavailable",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    # The cause never reaches the client (it may name files or queries). Starlette re-raises
    # the exception after this response is sent, so the server logs it with its traceback.
    return problem_response(request, 500, "unexpected error; it has been logged")


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error the app can raise to a problem+json response."""
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(MartNotPublished, _mart_not_published)
    app.add_exception_handler(MartsUnavailable, _marts_unavailable)
    app.add_exception_handler(ProblemError, _problem)
    app.add_exception_handler(TransportUnavailableError, _transport_unavailable)
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(
    *statuses: int, descriptions: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses (see ``openapi.py``);
    ``descriptions`` replaces the default text of some statuses."""
    described = {
        401: "Missing, malformed, unknown or revoked API key",
        403: "The key may not access this resource",
        404: "No such resource",
        422: "Invalid parameters; `errors` lists each one",
        500: "Unexpected server error",
        503: (
            "The mart has not been published yet (run the pipeline), or its warehouse cannot be"
            " reached now (retry after Retry-After seconds)"
        ),
        **(descriptions or {}),
    }
    return {
        status: {
            "model": ValidationProblem if status == 422 else Problem,
            "description": described.get(status, HTTPStatus(status).phrase),
        }
        for status in statuses
    }
