"""Live wallboards (server profile): ``GET /v1/live/calls`` and ``GET /v1/live/quality``.

Both read the PostgreSQL hot store's per-minute rollups (``warehouse.hotstore``), which the stream
worker refreshes after each batch. The window is the last ``minutes`` minute buckets up to now,
the current (partial) minute included. Definitions match the daily call KPIs (dbt ``fct_calls``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, TypeVar

import psycopg
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from serving.api.deps import CurrentTenant, HotStoreDep, NowDep
from serving.api.problems import (
    HOT_STORE_UNAVAILABLE_TYPE,
    RETRY_AFTER_S,
    ProblemError,
    problem_responses,
)

router = APIRouter(prefix="/v1/live", tags=["live"])

#: One day: the rollups keep whole days (IRISX_HOT_RETENTION_DAYS); wallboards look at minutes.
MAX_WINDOW_MINUTES = 1440

_ERRORS = problem_responses(
    401,
    409,
    422,
    500,
    503,
    descriptions={
        409: "Embedded profile: live wallboards need the server profile (PostgreSQL hot store)",
        503: "The hot store is unreachable or not migrated yet; retry after Retry-After seconds",
    },
)

Minutes = Annotated[
    int,
    Query(ge=1, le=MAX_WINDOW_MINUTES, description="Window length in minutes, up to now"),
]

_Read = TypeVar("_Read")


class LiveWindow(BaseModel):
    minutes: int = Field(description="Window length asked for")
    window_start: datetime = Field(description="Start of the first minute counted (UTC)")
    window_end: datetime = Field(description="End of the window: when it was read (UTC)")
    as_of: datetime = Field(
        description="When the rollups were read; events accepted up to a few seconds earlier "
        "are included once the stream worker has written them"
    )


class LiveCalls(LiveWindow):
    """Call totals of the caller's tenant over the window (all directions and queues)."""

    offered: int = Field(description="Calls started in the window")
    answered: int = Field(description="Calls with an answer time")
    abandoned: int = Field(description="Queued calls never answered")
    answered_within_20s: int = Field(description="Queued calls answered within 20 s of waiting")
    total_billsec: int = Field(description="Billable seconds of the window's calls")
    total_handle_sec: int = Field(
        description="Talk + hold + wrap-up seconds of the calls an agent answered"
    )
    queued: int = Field(description="Calls that entered a queue")
    handled: int = Field(description="Calls an agent answered")
    service_level_20s: float | None = Field(
        description="answered_within_20s / queued (null when nothing was queued)"
    )
    aht_sec: float | None = Field(
        description="Average handle time: total_handle_sec / handled (null when none handled)"
    )
    asr: float | None = Field(description="answered / offered (null when nothing was offered)")
    acd_sec: float | None = Field(
        description="Average call duration: total_billsec / answered (null when none answered)"
    )


class CarrierQuality(BaseModel):
    carrier_id: str | None = Field(
        description="Carrier of the reports' calls; null when the call is not in the hot store"
    )
    reports: int = Field(description="RTCP reports in the window")
    mean_jitter_ms: float | None = Field(description="Mean interarrival jitter in milliseconds")
    mean_loss_fraction: float = Field(description="Mean fraction of packets lost (0..1)")
    mean_rtt_ms: float | None = Field(
        description="Mean round-trip time of the reports that carry one (null when none do)"
    )


class LiveQuality(LiveWindow):
    """RTCP quality of the caller's tenant per carrier over the window."""

    carriers: list[CarrierQuality] = Field(description="By carrier id; unknown carrier last")


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _window(minutes: int, now: datetime) -> dict[str, object]:
    # The hot store counts minute buckets in (now - minutes, now]: the first one counted is the
    # minute after the one holding now - minutes.
    first = (now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return {
        "minutes": minutes,
        "window_start": first + timedelta(minutes=1),
        "window_end": now,
        "as_of": now,
    }


async def _read(read: Callable[[], _Read]) -> _Read:
    """Run a blocking hot-store read in the threadpool; an unreachable or unmigrated store is a
    503 problem, not a 500."""
    try:
        return await run_in_threadpool(read)
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable) as exc:
        raise ProblemError(
            503,
            f"hot store unavailable: {type(exc).__name__}",
            type_=HOT_STORE_UNAVAILABLE_TYPE,
            title="Hot store unavailable",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from exc


@router.get(
    "/calls",
    operation_id="getLiveCalls",
    summary="Live call totals (last N minutes)",
    response_model=LiveCalls,
    responses=_ERRORS,
)
async def get_live_calls(
    tenant: CurrentTenant, store: HotStoreDep, now: NowDep, minutes: Minutes = 15
) -> LiveCalls:
    """Offered, answered, abandoned and answered-within-20-s calls of the caller's tenant over
    the last ``minutes`` minutes, with service level, AHT, ASR and average call duration."""
    stats = await _read(lambda: store.live_call_stats(tenant, minutes, now=now))
    return LiveCalls(
        **_window(minutes, now),
        offered=stats.offered,
        answered=stats.answered,
        abandoned=stats.abandoned,
        answered_within_20s=stats.answered_within_20s,
        total_billsec=stats.billsec,
        total_handle_sec=stats.handle_sec,
        queued=stats.queued,
        handled=stats.handled,
        service_level_20s=_ratio(stats.answered_within_20s, stats.queued),
        aht_sec=_ratio(stats.handle_sec, stats.handled),
        asr=_ratio(stats.answered, stats.offered),
        acd_sec=_ratio(stats.billsec, stats.answered),
    )


@router.get(
    "/quality",
    operation_id="getLiveQuality",
    summary="Live RTCP quality per carrier (last N minutes)",
    response_model=LiveQuality,
    responses=_ERRORS,
)
async def get_live_quality(
    tenant: CurrentTenant, store: HotStoreDep, now: NowDep, minutes: Minutes = 15
) -> LiveQuality:
    """Reports, mean jitter, loss and round-trip time per carrier of the caller's tenant."""
    rows = await _read(lambda: store.live_quality(tenant, minutes, now=now))
    return LiveQuality(
        **_window(minutes, now),
        carriers=[
            CarrierQuality(
                carrier_id=row.carrier_id,
                reports=row.reports,
                mean_jitter_ms=row.mean_jitter_ms,
                mean_loss_fraction=row.mean_loss_fraction,
                mean_rtt_ms=row.mean_rtt_ms,
            )
            for row in rows
        ],
    )
