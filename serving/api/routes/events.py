"""HTTP ingest: ``POST /v1/events/{family}`` and the source-shaped webhooks.

Bodies go through the same validation core as batch files (:mod:`ingest`). The tenant comes from
the API key only. Embedded profile: accepted events are written to the Parquet lake and rejects
to the dead-letter store before the answer. Server profile: the validated batch is published to
JetStream and the answer waits for the stream's ack (503 + Retry-After when it is not stored).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from itertools import islice
from typing import Annotated, Any, Literal

import anyio.to_thread
import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from config import Profile, Settings
from ingest import DeadLetterStore, RawRecord, read_bytes, read_objects
from ingest.contracts import FAMILIES
from ingest.fastpath import FastBatch, validate_json_array
from ingest.transport import BatchMessage
from ingest.webhooks import (
    CollectingSink,
    TenantBatchResult,
    WebhookMappingError,
    http_batch_id,
    ingest_tenant_batch,
    sendgrid_event_to_message,
    smpp_dlr_to_message,
    stripe_event_to_billing,
)
from ingest.webhooks.signatures import (
    MalformedSignatureError,
    SignatureError,
    verify_stripe_signature,
)
from serving.api.deps import (
    CurrentTenant,
    SettingsDep,
    WebhookSecretsDep,
    publish_batch_shared,
)
from serving.api.problems import WEBHOOK_SIGNATURE_TYPE, ProblemError, problem_responses
from warehouse import ParquetLake

MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_EVENTS = 10_000
#: Server profile: bodies up to this size (decompressed; ~1,500 calls) are validated on the
#: event loop, larger ones in the ingest thread so that one cannot hold up other requests long.
INLINE_BODY_BYTES = 1 << 20

JSON_TYPES = {"application/json"}
NDJSON_TYPES = {"application/x-ndjson", "application/ndjson", "application/jsonl"}

router = APIRouter(prefix="/v1", tags=["ingest"])


class EventRejection(BaseModel):
    index: int = Field(description="0-based item index (JSON array) or 1-based line (NDJSON)")
    unit: str = Field(description="'item' or 'line'")
    reason: str = Field(description="Why the event was rejected; names the field")


class IngestAnswer(BaseModel):
    batch_id: str = Field(description="Derived from tenant, family and body: a retry is the same")
    family: str
    accepted: int
    duplicates: int = Field(description="Events repeating an event_id earlier in the same body")
    rejected: int
    rejections: list[EventRejection]
    transport: Literal["lake", "jetstream"]
    duplicate_batch: bool = Field(
        default=False, description="Server profile: the stream had already stored this batch"
    )


async def _read_limited(stream: AsyncIterator[bytes]) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPException(413, f"body: larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _gunzip(data: bytes) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, MAX_DECOMPRESSED_BYTES + 1)
    except zlib.error as exc:
        raise HTTPException(400, f"body: not valid gzip: {exc}") from None
    if len(out) > MAX_DECOMPRESSED_BYTES:
        raise HTTPException(413, f"body: more than {MAX_DECOMPRESSED_BYTES} bytes decompressed")
    if not inflater.eof:
        raise HTTPException(400, "body: truncated gzip stream")
    return out


async def read_body(request: Request) -> bytes:
    data = await _read_limited(request.stream())
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        return _gunzip(data)
    if encoding not in ("identity", ""):
        raise HTTPException(415, f"Content-Encoding: {encoding!r} is not supported (use gzip)")
    return data


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "application/json").split(";")[0].strip().lower()


def parse_events(data: bytes, media_type: str, source: str) -> list[RawRecord]:
    """The body's records: a JSON array (or one object), or NDJSON (one reject per bad line)."""
    records: Iterator[RawRecord]
    if media_type in NDJSON_TYPES:
        records = read_bytes(data, "body.ndjson", source)
    elif media_type in JSON_TYPES:
        try:
            document: Any = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise HTTPException(400, f"body: invalid JSON: {exc}") from None
        if isinstance(document, dict):
            document = [document]
        if not isinstance(document, list):
            raise HTTPException(
                400, f"body: expected a JSON array of events, got {type(document).__name__}"
            )
        records = read_objects(document, source)
    else:
        raise HTTPException(
            415, f"Content-Type: {media_type!r} is not supported (application/json or x-ndjson)"
        )
    listed = list(islice(records, MAX_EVENTS + 1))
    if len(listed) > MAX_EVENTS:
        raise HTTPException(413, f"body: more than {MAX_EVENTS} events in one request")
    return listed


def _vouched_or_parsed(
    body: bytes, media_type: str, *, family: str, tenant: str
) -> list[RawRecord] | FastBatch:
    """The usual body (a JSON array of valid, distinct events of the key's tenant) vouched for
    straight from its bytes; anything else parsed into records, each then decided on its own."""
    if media_type in JSON_TYPES:
        vouched = validate_json_array(family, body, tenant)
        if vouched is not None and len(vouched.event_ids) <= MAX_EVENTS:
            return vouched
    return parse_events(body, media_type, f"http:/v1/events/{family}")


async def ingest_body(
    request: Request,
    body: bytes,
    records: Callable[[], list[RawRecord] | FastBatch],
    *,
    family: str,
    tenant: str,
    settings: Settings,
) -> IngestAnswer:
    """Parse (``records``, which may raise a 4xx), validate and store or publish ``body``; the
    CPU-bound part runs off the event loop."""
    batch_id = http_batch_id(body, family, tenant)
    source = f"http:{request.url.path}"
    deadletters = DeadLetterStore(settings.deadletter_dir)
    server = settings.profile == Profile.SERVER
    sink = CollectingSink() if server else ParquetLake(settings.lake_dir)

    def validated() -> TenantBatchResult:
        return ingest_tenant_batch(
            records(),
            family=family,
            tenant=tenant,
            batch_id=batch_id,
            source=source,
            sink=sink,
            deadletters=deadletters,
        )

    if server and len(body) <= INLINE_BODY_BYTES:
        # Validated on the event loop: a thread hop per body measured a third more API CPU
        # (200k calls in bodies of 1,000: 4.7 vs 3.1-3.3 core-s). A body this small holds the
        # loop for a few milliseconds; the server sink keeps the tables in memory (no I/O).
        outcome = validated()
    else:
        outcome = await anyio.to_thread.run_sync(
            validated,
            # serving.app.INGEST_THREADS bodies at a time (the limiter is made in the
            # lifespan): one thread measured ~10% less API CPU per event than anyio's 40.
            limiter=getattr(request.app.state, "ingest_limiter", None),
        )
    duplicate_batch = False
    if server and outcome.counts.accepted:
        assert isinstance(sink, CollectingSink)
        message = BatchMessage(family, tenant, batch_id, sink.tables[family])
        # TransportUnavailableError (NATS down, stream full, a worker too far behind) becomes a
        # 503 problem with Retry-After (serving.api.problems): nothing was published.
        ack = await publish_batch_shared(request, message)
        duplicate_batch = ack.duplicate
    return IngestAnswer(
        batch_id=batch_id,
        family=family,
        accepted=outcome.counts.accepted,
        duplicates=outcome.counts.duplicates,
        rejected=outcome.counts.rejected,
        rejections=[
            EventRejection(index=r.index, unit=r.unit, reason=r.reason) for r in outcome.rejections
        ],
        transport="jetstream" if server else "lake",
        duplicate_batch=duplicate_batch,
    )


_ERRORS = problem_responses(
    400,
    401,
    404,
    413,
    415,
    422,
    503,
    descriptions={
        503: "Server profile: the event stream is unreachable or full, or a stream worker is "
        "too far behind; nothing was stored, retry the same body after Retry-After seconds"
    },
)
# The body is read raw (size limits, gzip, NDJSON), so its shape is documented by hand.
_JSON_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"type": "object"}, "maxItems": MAX_EVENTS}
            }
        },
    }
}
_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            **_JSON_BODY_DOC["requestBody"]["content"],
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/events/{family}",
    operation_id="postEvents",
    response_model=IngestAnswer,
    responses=_ERRORS,
    openapi_extra=_BODY_DOC,
)
async def post_events(
    family: str, request: Request, tenant: CurrentTenant, settings: SettingsDep
) -> IngestAnswer:
    """Ingest a JSON array or NDJSON body (optionally gzip) of one family's events."""
    if family not in FAMILIES:
        known = ", ".join(sorted(FAMILIES))
        raise HTTPException(404, f"family: unknown event family {family!r} (known: {known})")
    body = await read_body(request)
    media_type = _media_type(request)
    return await ingest_body(
        request,
        body,
        lambda: _vouched_or_parsed(body, media_type, family=family, tenant=tenant),
        family=family,
        tenant=tenant,
        settings=settings,
    )


@router.post(
    "/webhooks/freeswitch",
    operation_id="postFreeswitchCdrs",
    response_model=IngestAnswer,
    responses=_ERRORS,
    openapi_extra=_JSON_BODY_DOC,
)
async def post_freeswitch_cdr(
    request: Request, tenant: CurrentTenant, settings: SettingsDep
) -> IngestAnswer:
    """mod_json_cdr posts (one CDR object or an array of them), mapped to call events."""
    body = await read_body(request)
    return await ingest_body(
        request,
        body,
        lambda: parse_events(body, "application/json", "http:/v1/webhooks/freeswitch"),
        family="call",
        tenant=tenant,
        settings=settings,
    )


def _mapped(
    records: list[RawRecord], mapper: Callable[[dict[str, Any]], dict[str, Any]]
) -> list[RawRecord]:
    """Source payloads → contract inputs; a payload the mapper refuses is a reject with why."""
    mapped: list[RawRecord] = []
    for raw in records:
        if raw.record is None:
            mapped.append(raw)
            continue
        try:
            mapped.append(RawRecord(raw.position, mapper(raw.record)))
        except WebhookMappingError as exc:
            text = orjson.dumps(raw.record, default=str).decode()
            mapped.append(RawRecord(raw.position, None, text, str(exc)))
    return mapped


@router.post(
    "/webhooks/sendgrid",
    operation_id="postSendgridEvents",
    response_model=IngestAnswer,
    responses=_ERRORS,
    openapi_extra=_JSON_BODY_DOC,
)
async def post_sendgrid_events(
    request: Request,
    tenant: CurrentTenant,
    settings: SettingsDep,
    sender: Annotated[
        str | None, Query(description="Sender address for events without an irisx_from arg")
    ] = None,
) -> IngestAnswer:
    """SendGrid Event Webhook array → message events (channel email)."""
    body = await read_body(request)
    return await ingest_body(
        request,
        body,
        lambda: _mapped(
            parse_events(body, "application/json", "http:/v1/webhooks/sendgrid"),
            lambda event: sendgrid_event_to_message(event, default_from=sender),
        ),
        family="message",
        tenant=tenant,
        settings=settings,
    )


@router.post(
    "/webhooks/smpp-dlr",
    operation_id="postSmppDeliveryReceipts",
    response_model=IngestAnswer,
    responses=_ERRORS,
    openapi_extra=_JSON_BODY_DOC,
)
async def post_smpp_delivery_receipts(
    request: Request, tenant: CurrentTenant, settings: SettingsDep
) -> IngestAnswer:
    """SMPP delivery receipts (object or array of ``{short_message, source_addr,
    destination_addr, provider?}``) → message events (channel sms)."""
    body = await read_body(request)
    return await ingest_body(
        request,
        body,
        lambda: _mapped(
            parse_events(body, "application/json", "http:/v1/webhooks/smpp-dlr"),
            smpp_dlr_to_message,
        ),
        family="message",
        tenant=tenant,
        settings=settings,
    )


async def _check_stripe_signature(
    request: Request, body: bytes, tenant: str, webhook_secrets: WebhookSecretsDep
) -> None:
    """Enforced only when the tenant configured a secret (``irisx webhook-secret set``)."""
    secret = await run_in_threadpool(webhook_secrets.get, tenant, "stripe")
    if secret is None:
        return
    try:
        verify_stripe_signature(
            request.headers.get("stripe-signature"), body, secret, now=time.time()
        )
    except SignatureError as exc:
        malformed = isinstance(exc, MalformedSignatureError)
        raise ProblemError(
            400 if malformed else 401,
            str(exc),
            type_=WEBHOOK_SIGNATURE_TYPE,
            title="Webhook signature rejected",
        ) from None


@router.post(
    "/webhooks/stripe",
    operation_id="postStripeEvents",
    response_model=IngestAnswer,
    responses=_ERRORS,
    openapi_extra=_JSON_BODY_DOC,
)
async def post_stripe_events(
    request: Request,
    tenant: CurrentTenant,
    settings: SettingsDep,
    webhook_secrets: WebhookSecretsDep,
) -> IngestAnswer:
    """Stripe webhook events (subscriptions, invoices, refunds) → billing events.

    When the key's tenant has a Stripe endpoint secret (``irisx webhook-secret set --tenant T
    --source stripe``), the ``Stripe-Signature`` header must sign the body (HMAC-SHA256, at most
    300 s old): 400 when it is missing or malformed, 401 when it does not match or is too old.
    """
    body = await read_body(request)
    await _check_stripe_signature(request, body, tenant, webhook_secrets)
    return await ingest_body(
        request,
        body,
        lambda: _mapped(
            parse_events(body, "application/json", "http:/v1/webhooks/stripe"),
            stripe_event_to_billing,
        ),
        family="billing",
        tenant=tenant,
        settings=settings,
    )
