"""A job's webhook: signed, sent to the checked address, retried with backoff, every try recorded.

A try succeeds on any 2xx. A transport error, a timeout, 408, 429 or 5xx is retried after a backoff that
triples (1 s, 3 s, 9 s by default, with up to 25 % jitter) until `max_attempts` tries or `deadline_s`
seconds are spent, so a delivery fits inside one Lambda invocation. Any other answer (3xx — redirects are
not followed — or 4xx) ends the delivery at once. The delivery id is the same on every try (and on a
redelivery of the same change), so a receiver deduplicates on `webhook-id`.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field

from speech_core.db.records import NewWebhookDelivery
from speech_core.observability import logger, tracer

from .job_event import JobStateChange
from .signing import signed_headers
from .url_check import Resolver, WebhookUrlRefused, check_webhook_url, resolve_host

if TYPE_CHECKING:  # http.client and ssl load only when a webhook is sent
    from .transport import WebhookTransport

RETRYABLE_STATUSES = frozenset({408, 429})
MAX_ERROR_CHARS = 500


class DeliveryLog(Protocol):
    """Where every try is recorded (the `webhook_deliveries` repository)."""

    def record_delivery(self, delivery: NewWebhookDelivery) -> object: ...


class RetryPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    max_attempts: int = Field(default=4, ge=1, le=10)
    #: per try: connect, send and read the status
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    #: the wait before the second try; each next wait is `backoff_factor` times longer
    first_backoff_s: float = Field(default=1.0, ge=0, le=60)
    backoff_factor: float = Field(default=3.0, ge=1, le=10)
    #: no try starts after this many seconds from the first
    deadline_s: float = Field(default=60.0, gt=0, le=900)


class WebhookOutcome(BaseModel):
    """What became of one delivery."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    delivery_id: uuid.UUID
    delivered: bool
    attempts: int
    status_code: int | None = None
    error: str | None = None


def _retryable(status: int) -> bool:
    return status >= 500 or status in RETRYABLE_STATUSES


@tracer.capture_method(capture_response=False)
def deliver_webhook(
    change: JobStateChange,
    url: str,
    *,
    secret: str,
    deliveries: DeliveryLog,
    policy: RetryPolicy | None = None,
    allow_insecure_local: bool = False,
    transport: WebhookTransport | None = None,
    resolve: Resolver = resolve_host,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> WebhookOutcome:
    """Sends `change` to `url` signed with the tenant's `secret` (see the module docstring); never raises for
    the receiver's failures: they are recorded and returned. The URL is checked again here (DNS may have
    changed since the job was created); a refused URL is recorded as a failed first try."""
    policy = policy or RetryPolicy()
    if transport is None:
        from .transport import PinnedHttpTransport  # cold start: http.client and ssl only when a webhook is sent

        transport = PinnedHttpTransport()
    delivery_id = change.delivery_id
    body = change.webhook_body()

    def record(attempt: int, status: int | None, error: str | None, delivered: bool) -> WebhookOutcome:
        error = error[:MAX_ERROR_CHARS] if error else None
        logger.info(
            "webhook try",
            extra={
                "job_id": str(change.job_id),
                "delivery_id": str(delivery_id),
                "attempt": attempt,
                "status_code": status,
                "error": error,
                "delivered": delivered,
            },
        )
        deliveries.record_delivery(
            NewWebhookDelivery(
                id=delivery_id,
                job_id=change.job_id,
                event=change.state.value,
                url=url,
                attempt=attempt,
                status_code=status,
                error=error,
                delivered=delivered,
            )
        )
        return WebhookOutcome(
            delivery_id=delivery_id, delivered=delivered, attempts=attempt, status_code=status, error=error
        )

    try:
        target = check_webhook_url(url, allow_insecure_local=allow_insecure_local, resolve=resolve)
    except WebhookUrlRefused as exc:
        return record(1, None, exc.message, False)

    started = clock()
    backoff = policy.first_backoff_s
    attempt = 0
    while True:
        attempt += 1
        headers = signed_headers(secret, str(delivery_id), int(wall_clock()), body)
        status: int | None = None
        error: str | None = None
        try:
            status = transport.post(target, headers, body, policy.timeout_s)
        except OSError as exc:  # refused, reset, timed out, TLS failure
            error = f"{type(exc).__name__}: {exc}"
        if status is not None and 200 <= status < 300:
            return record(attempt, status, None, True)
        retry = status is None or _retryable(status)
        if status is not None and error is None:
            error = f"HTTP {status}" + ("" if retry else " (not retried)")
        wait = backoff * (1 + random.uniform(0, 0.25))  # noqa: S311 - jitter, not a secret
        out_of_time = clock() - started + wait >= policy.deadline_s
        if not retry or attempt >= policy.max_attempts or out_of_time:
            return record(attempt, status, error, False)
        record(attempt, status, error, False)
        sleep(wait)
        backoff *= policy.backoff_factor
