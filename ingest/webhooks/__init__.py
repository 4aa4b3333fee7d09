"""HTTP ingest helpers: source-shaped payload mappers and the tenant-scoped batch core."""

from ingest.webhooks.errors import WebhookMappingError
from ingest.webhooks.sendgrid import SENDGRID_EVENTS, sendgrid_event_to_message
from ingest.webhooks.smpp import SMPP_STATES, parse_delivery_receipt, smpp_dlr_to_message
from ingest.webhooks.stripe import STRIPE_EVENT_TYPES, minor_to_major, stripe_event_to_billing
from ingest.webhooks.tenant_batch import (
    CollectingSink,
    Rejection,
    TenantBatchResult,
    guard_tenant,
    http_batch_id,
    ingest_tenant_batch,
    record_tenant,
)

__all__ = [
    "SENDGRID_EVENTS",
    "SMPP_STATES",
    "STRIPE_EVENT_TYPES",
    "CollectingSink",
    "Rejection",
    "TenantBatchResult",
    "WebhookMappingError",
    "guard_tenant",
    "http_batch_id",
    "ingest_tenant_batch",
    "minor_to_major",
    "parse_delivery_receipt",
    "record_tenant",
    "sendgrid_event_to_message",
    "smpp_dlr_to_message",
    "stripe_event_to_billing",
]
