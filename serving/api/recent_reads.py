"""Reads of recent events from a route (``/v1/live/*``, ``/v1/wfm/adherence``): the PostgreSQL
hot store in the server profile, the lake standing in for it in the embedded one.

A read is blocking, so it runs in the threadpool; an unreachable or unmigrated hot store, or a
lake read that raced a batch rewrite (``warehouse.recent_lake.LakeReadUnavailable``), is a 503
problem with Retry-After, not a 500. ``RECENT_READ_ERRORS`` documents those responses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import psycopg
from starlette.concurrency import run_in_threadpool

from serving.api.problems import (
    HOT_STORE_UNAVAILABLE_TYPE,
    RETRY_AFTER_S,
    ProblemError,
    problem_responses,
)
from warehouse.recent_lake import LakeReadUnavailable

RECENT_READ_ERRORS = problem_responses(
    401,
    422,
    500,
    503,
    descriptions={
        503: (
            "The hot store is unreachable or not migrated yet (server profile), or the lake's "
            "files changed during the read (embedded); retry after Retry-After seconds"
        ),
    },
)

_Read = TypeVar("_Read")


async def read_recent(read: Callable[[], _Read], *, what: str = "hot store") -> _Read:
    """``read()`` in the threadpool; a failure worth a retry is a 503 problem whose detail
    starts with ``<what> unavailable``."""
    try:
        return await run_in_threadpool(read)
    except (
        psycopg.OperationalError,
        psycopg.errors.UndefinedTable,
        LakeReadUnavailable,
    ) as exc:
        raise ProblemError(
            503,
            f"{what} unavailable: {type(exc).__name__}",
            type_=HOT_STORE_UNAVAILABLE_TYPE,
            title="Hot store unavailable",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from exc
