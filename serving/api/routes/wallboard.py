"""Live wallboards: ``GET /v1/live/calls``, ``GET /v1/live/queues``, ``GET /v1/live/quality``
and the WebSocket ``/v1/live/wallboard`` that pushes all three every few seconds.

All read per-minute rollups through ``warehouse.live.LiveRollups``: in the server profile the
PostgreSQL hot store's (``warehouse.hotstore``), which the stream worker refreshes after each
batch; in the embedded profile the same rollups computed by DuckDB from the lake's recent raw
events (``warehouse.live.LakeLiveRollups``). The window is the last ``minutes`` minute buckets up
to now, the current (partial) minute included. Definitions match the daily call KPIs (dbt
``fct_calls``) and, per queue, dbt's ``queue_interval_stats``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field

from serving.api.deps import CurrentTenant, LiveRollupsDep, NowDep, get_now
from serving.api.problems import ProblemError
from serving.api.recent_reads import RECENT_READ_ERRORS, read_recent
from serving.auth import ApiKeyStore
from warehouse.hotstore import QueueStats
from warehouse.live import LiveRollups

router = APIRouter(prefix="/v1/live", tags=["live"])

#: One day: the rollups keep whole days (IRISX_HOT_RETENTION_DAYS); wallboards look at minutes.
MAX_WINDOW_MINUTES = 1440

Minutes = Annotated[
    int,
    Query(ge=1, le=MAX_WINDOW_MINUTES, description="Window length in minutes, up to now"),
]


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


class QueueFigures(BaseModel):
    """One queue's calls over a span of minute buckets (a minute or the whole window)."""

    offered: int = Field(description="Calls that entered the queue (by their start minute)")
    answered: int = Field(description="Offered calls with an answer time")
    abandoned: int = Field(description="Offered calls never answered")
    answered_within_20s: int = Field(description="Offered calls answered within 20 s of waiting")
    handled: int = Field(description="Offered calls an agent answered")
    total_handle_sec: int = Field(description="Talk + hold + wrap-up seconds of the handled calls")
    total_handled_wait_sec: float = Field(
        description="Queue-wait seconds of the handled calls (a missing wait counts 0)"
    )
    longest_wait_sec: float | None = Field(
        description="Longest queue wait of any offered call, answered or abandoned (null when "
        "no call has a recorded wait)"
    )
    service_level_20s: float | None = Field(
        description="answered_within_20s / offered (null when nothing was offered)"
    )
    abandon_rate: float | None = Field(
        description="abandoned / offered (null when nothing was offered)"
    )
    asa_sec: float | None = Field(
        description="Average speed of answer: total_handled_wait_sec / handled (null when none "
        "handled)"
    )
    aht_sec: float | None = Field(
        description="Average handle time: total_handle_sec / handled (null when none handled)"
    )


class QueueMinute(QueueFigures):
    minute: datetime = Field(description="Start of the minute bucket (UTC)")


class LiveQueue(QueueFigures):
    """One queue's totals over the window, and its minutes that had calls."""

    queue_id: str = Field(description="ACD queue")
    per_minute: list[QueueMinute] = Field(
        description="The window's minute buckets with calls in this queue, oldest first "
        "(minutes without calls are left out)"
    )


class LiveQueues(LiveWindow):
    """Queue wallboard of the caller's tenant: each queue's calls over the window."""

    queues: list[LiveQueue] = Field(
        description="Queues with calls in the window, by queue id (only the one asked for "
        "with queue_id)"
    )


class LiveQueuesQuery(BaseModel):
    """Query parameters of ``GET /v1/live/queues``; unknown ones (``tenant_id`` included) are
    rejected with 422."""

    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(
        default=15, ge=1, le=MAX_WINDOW_MINUTES, description="Window length in minutes, up to now"
    )
    queue_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=r"^[\w.:@/-]+$",
        description="Only this queue",
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


def _ratio(numerator: float, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _queue_figures(stats: QueueStats) -> dict[str, object]:
    return {
        "offered": stats.offered,
        "answered": stats.answered,
        "abandoned": stats.abandoned,
        "answered_within_20s": stats.answered_within_20s,
        "handled": stats.handled,
        "total_handle_sec": stats.handle_sec,
        "total_handled_wait_sec": stats.handled_wait_sec,
        "longest_wait_sec": stats.longest_wait_sec,
        "service_level_20s": _ratio(stats.answered_within_20s, stats.offered),
        "abandon_rate": _ratio(stats.abandoned, stats.offered),
        "asa_sec": _ratio(stats.handled_wait_sec, stats.handled),
        "aht_sec": _ratio(stats.handle_sec, stats.handled),
    }


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


@router.get(
    "/calls",
    operation_id="getLiveCalls",
    summary="Live call totals (last N minutes)",
    response_model=LiveCalls,
    responses=RECENT_READ_ERRORS,
)
async def get_live_calls(
    tenant: CurrentTenant, store: LiveRollupsDep, now: NowDep, minutes: Minutes = 15
) -> LiveCalls:
    """Offered, answered, abandoned and answered-within-20-s calls of the caller's tenant over
    the last ``minutes`` minutes, with service level, AHT, ASR and average call duration."""
    return await _live_calls(store, tenant, minutes, now)


async def _live_calls(store: LiveRollups, tenant: str, minutes: int, now: datetime) -> LiveCalls:
    stats = await read_recent(lambda: store.live_call_stats(tenant, minutes, now=now))
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
    "/queues",
    operation_id="getLiveQueues",
    summary="Live queue wallboard (last N minutes, per queue and minute)",
    response_model=LiveQueues,
    responses=RECENT_READ_ERRORS,
)
async def get_live_queues(
    tenant: CurrentTenant,
    store: LiveRollupsDep,
    now: NowDep,
    query: Annotated[LiveQueuesQuery, Query()],
) -> LiveQueues:
    """Offered, answered, abandoned and answered-within-20-s calls, service level, abandon
    rate, ASA, AHT and longest wait of each queue of the caller's tenant, over the last
    ``minutes`` minutes and per minute."""
    return await _live_queues(store, tenant, query.minutes, now, query.queue_id)


async def _live_queues(
    store: LiveRollups, tenant: str, minutes: int, now: datetime, queue_id: str | None = None
) -> LiveQueues:
    rows = await read_recent(
        lambda: store.live_queue_stats(tenant, minutes, now=now, queue_id=queue_id)
    )
    queues: list[LiveQueue] = []
    for row in rows:  # each queue's window total (minute None), then its minutes
        if row.minute is None:
            queues.append(LiveQueue(queue_id=row.queue_id, per_minute=[], **_queue_figures(row)))
        else:
            queues[-1].per_minute.append(QueueMinute(minute=row.minute, **_queue_figures(row)))
    return LiveQueues(**_window(minutes, now), queues=queues)


@router.get(
    "/quality",
    operation_id="getLiveQuality",
    summary="Live RTCP quality per carrier (last N minutes)",
    response_model=LiveQuality,
    responses=RECENT_READ_ERRORS,
)
async def get_live_quality(
    tenant: CurrentTenant, store: LiveRollupsDep, now: NowDep, minutes: Minutes = 15
) -> LiveQuality:
    """Reports, mean jitter, loss and round-trip time per carrier of the caller's tenant."""
    return await _live_quality(store, tenant, minutes, now)


async def _live_quality(
    store: LiveRollups, tenant: str, minutes: int, now: datetime
) -> LiveQuality:
    rows = await read_recent(lambda: store.live_quality(tenant, minutes, now=now))
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


# WebSocket close codes (4000-4999 are the application's): the HTTP status they stand for + 4000.
CLOSE_UNAUTHORIZED = 4401
#: How long a connection without an API key header may take to send ``{"api_key": ...}``.
AUTH_MESSAGE_TIMEOUT_S = 10.0


class WallboardFrame(BaseModel):
    """One push of ``/v1/live/wallboard``: the same bodies as the GET endpoints."""

    type: Literal["wallboard"] = "wallboard"
    sequence: int = Field(description="1 for the first frame of the connection, then +1")
    calls: LiveCalls
    queues: list[LiveQueue] = Field(description="The ``queues`` of ``GET /v1/live/queues``")
    quality: LiveQuality


class WallboardProblemFrame(BaseModel):
    """A push that could not be read (e.g. the hot store is down); the stream goes on."""

    type: Literal["problem"] = "problem"
    sequence: int
    problem: dict[str, Any] = Field(description="RFC 9457 problem details")


def _presented_key(websocket: WebSocket) -> str | None:
    authorization = websocket.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return websocket.headers.get("x-api-key") or None


async def _authenticate(websocket: WebSocket) -> str | None:
    """The tenant of the key sent as a header or, for browsers (which cannot set headers on a
    WebSocket), in a first message ``{"api_key": "<key>"}``; None when missing or invalid. The
    key never goes in the URL, where proxies and access logs would keep it."""
    key = _presented_key(websocket)
    if key is None:
        try:
            text = await asyncio.wait_for(websocket.receive_text(), AUTH_MESSAGE_TIMEOUT_S)
            message = json.loads(text)
        except (TimeoutError, ValueError):
            return None
        key = message.get("api_key") if isinstance(message, dict) else None
        if not isinstance(key, str):
            return None
    keys: ApiKeyStore = websocket.app.state.key_store
    found = keys.authenticate(key)
    return None if found is None else found.tenant_id


async def _client_gone_within(websocket: WebSocket, seconds: float) -> bool:
    """Wait ``seconds``; True as soon as the client disconnects (its messages are ignored)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            message = await asyncio.wait_for(websocket.receive(), left)
        except TimeoutError:
            return False
        if message["type"] == "websocket.disconnect":
            return True
    return False


@router.websocket("/wallboard")
async def stream_wallboard(
    websocket: WebSocket,
    minutes: Annotated[int, Query(ge=1, le=MAX_WINDOW_MINUTES)] = 15,
    interval_s: Annotated[float, Query(ge=0.05, le=60)] = 5.0,
) -> None:
    """Push a :class:`WallboardFrame` (live calls, queues and quality of the caller's tenant over
    the last ``minutes`` minutes) every ``interval_s`` seconds until the client disconnects.

    Closes with 4401 when no valid API key comes (header, or first message ``{"api_key"}``
    within 10 s). A failed read is pushed as a
    :class:`WallboardProblemFrame` and retried at the next tick, so a wallboard shows the outage
    instead of dropping the connection.
    """
    await websocket.accept()
    store: LiveRollups = websocket.app.state.live_rollups
    tenant = await _authenticate(websocket)
    if tenant is None:
        await websocket.close(CLOSE_UNAUTHORIZED, "missing, invalid or revoked API key")
        return
    # The request clock, as for the GET endpoints (tests pin it through dependency_overrides).
    clock: Callable[[], datetime] = websocket.app.dependency_overrides.get(get_now, get_now)
    sequence = 0
    try:
        while True:
            sequence += 1
            now = clock()
            frame: BaseModel
            try:
                frame = WallboardFrame(
                    sequence=sequence,
                    calls=await _live_calls(store, tenant, minutes, now),
                    queues=(await _live_queues(store, tenant, minutes, now)).queues,
                    quality=await _live_quality(store, tenant, minutes, now),
                )
            except ProblemError as exc:
                frame = WallboardProblemFrame(
                    sequence=sequence,
                    problem={
                        "type": exc.type_,
                        "title": exc.title,
                        "status": exc.status,
                        "detail": exc.detail,
                    },
                )
            await websocket.send_text(frame.model_dump_json())
            if await _client_gone_within(websocket, interval_s):
                return
    except WebSocketDisconnect:
        return
