"""Stripe-style webhook signatures: ``Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]``.

``v1`` is HMAC-SHA256 keyed with the endpoint secret over ``"<t>." + body`` (the raw bytes as
sent). The timestamp must be within ``tolerance_s`` of now, so a captured request cannot be
replayed later. Several ``v1`` entries are allowed (Stripe sends one per active secret while a
secret is being rolled); any one matching is enough. Pure functions: no I/O, ``now`` is passed in.
"""

from __future__ import annotations

import hashlib
import hmac

#: Stripe's own default tolerance.
DEFAULT_TOLERANCE_S = 300


class SignatureError(ValueError):
    """The request's signature cannot be accepted."""


class MalformedSignatureError(SignatureError):
    """The header is missing or not ``t=<int>,v1=<hex>``: a client error (400)."""


class InvalidSignatureError(SignatureError):
    """Well formed, but no ``v1`` matches or the timestamp is outside the tolerance (401)."""


def stripe_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` value for ``body`` sent at ``timestamp`` (hex HMAC-SHA256)."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def parse_stripe_signature(header: str | None) -> tuple[int, list[str]]:
    """``(timestamp, v1 signatures)`` of a ``Stripe-Signature`` header (other schemes ignored)."""
    if not header or not header.strip():
        raise MalformedSignatureError("Stripe-Signature header is missing")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            raise MalformedSignatureError(f"Stripe-Signature: {item.strip()!r} is not key=value")
        if name == "t":
            if not value.isdigit():
                raise MalformedSignatureError(f"Stripe-Signature: t={value!r} is not an integer")
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value.lower())
    if timestamp is None:
        raise MalformedSignatureError("Stripe-Signature: no t= timestamp")
    if not signatures:
        raise MalformedSignatureError("Stripe-Signature: no v1= signature")
    return timestamp, signatures


def verify_stripe_signature(
    header: str | None,
    body: bytes,
    secret: str,
    *,
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> int:
    """The signed timestamp when ``header`` signs ``body`` with ``secret``; else raises
    :class:`MalformedSignatureError` or :class:`InvalidSignatureError`."""
    timestamp, signatures = parse_stripe_signature(header)
    expected = stripe_signature(secret, timestamp, body)
    # Every candidate is compared (constant time each), so timing does not reveal which matched.
    matched = [hmac.compare_digest(expected, candidate) for candidate in signatures]
    if not any(matched):
        raise InvalidSignatureError("Stripe-Signature: no v1 signature matches the body")
    age = now - timestamp
    if abs(age) > tolerance_s:
        raise InvalidSignatureError(
            f"Stripe-Signature: signed {age:.0f} s from now, outside the {tolerance_s:.0f} s"
            " tolerance (replayed or clock skew)"
        )
    return timestamp
