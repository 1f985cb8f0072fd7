"""Webhook signatures, after the Standard Webhooks scheme (https://www.standardwebhooks.com).

Each request carries `webhook-id` (the delivery's id, the same on every retry), `webhook-timestamp` (Unix
seconds of this attempt) and `webhook-signature: v1,<base64 HMAC-SHA256>` computed with the tenant's secret
over `<webhook-id>.<webhook-timestamp>.<body>`: the timestamp and the body, bound to the delivery id so a
captured request cannot be replayed as a different delivery. Any Standard Webhooks library verifies it.

A tenant's secret is derived, not stored: HMAC-SHA256(key=the stage's signing key, msg=tenant id), shown as
`whsec_<base64>`. Rotating the stage key rotates every tenant's secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Mapping
from typing import Protocol

SIGNATURE_VERSION = "v1"
SECRET_PREFIX = "whsec_"
#: how far a receiver lets `webhook-timestamp` stray from its clock by default
DEFAULT_TOLERANCE_S = 300


class Secret(Protocol):
    """A secret setting (pydantic's or the settings module's `SecretStr`)."""

    def get_secret_value(self) -> str: ...


class WebhookSignatureInvalid(ValueError):
    """A webhook request whose signature, timestamp or headers do not check out."""


def tenant_webhook_secret(signing_key: Secret | str, tenant_id: uuid.UUID) -> str:
    """The tenant's webhook secret (`whsec_<base64>`), derived from the stage's signing key."""
    key = signing_key if isinstance(signing_key, str) else signing_key.get_secret_value()
    digest = hmac.new(key.encode(), f"webhook-secret:{tenant_id}".encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(digest).decode("ascii")


def _secret_bytes(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError as exc:
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from exc


def sign(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one request: `v1,<base64 HMAC-SHA256>`."""
    message = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_bytes(secret), message, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signed_headers(secret: str, delivery_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one webhook request (signature included)."""
    return {
        "content-type": "application/json",
        "user-agent": "speech-platform-webhooks/1",
        "webhook-id": delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, delivery_id, timestamp, body),
    }


def verify_signature(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> str:
    """Checks a received webhook; returns its delivery id (deduplicate on it) or raises `WebhookSignatureInvalid`.

    `headers` as received (any case); `body` the raw bytes, before any JSON parsing. The timestamp must be
    within `tolerance_s` of now. Several space-separated signatures are accepted (one matching is enough).
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        delivery_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        signatures = lowered["webhook-signature"].split()
    except (KeyError, ValueError) as exc:
        raise WebhookSignatureInvalid(f"missing or malformed webhook header ({exc})") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise WebhookSignatureInvalid("timestamp outside the tolerance (replayed or clock skew)")
    expected = sign(secret, delivery_id, timestamp, body).encode()
    if not any(hmac.compare_digest(expected, candidate.encode()) for candidate in signatures):
        raise WebhookSignatureInvalid("no signature matches")
    return delivery_id
