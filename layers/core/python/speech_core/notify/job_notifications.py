"""The notify step: an EventBridge event for every state change, then the job's webhook when it asked for one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from speech_core.db.records import JobRecord
from speech_core.observability import tracer
from speech_core.settings import NotifySettings

from .events import EventsClient, publish_job_event
from .job_event import JobStateChange
from .signing import tenant_webhook_secret
from .signing_key import stage_signing_key
from .url_check import Resolver, resolve_host
from .webhook import DeliveryLog, RetryPolicy, WebhookOutcome, deliver_webhook

if TYPE_CHECKING:
    from .transport import WebhookTransport


class NotificationOutcome(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    event_published: bool
    #: None when the job asked for no webhook
    webhook: WebhookOutcome | None = None


def retry_policy(settings: NotifySettings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.webhook_max_attempts,
        timeout_s=settings.webhook_timeout_s,
        first_backoff_s=settings.webhook_first_backoff_s,
        deadline_s=settings.webhook_deadline_s,
    )


@tracer.capture_method(capture_response=False)
def notify_job_state(
    change: JobStateChange,
    webhook_url: str | None,
    *,
    settings: NotifySettings,
    events: EventsClient,
    deliveries: DeliveryLog,
    transport: WebhookTransport | None = None,
    resolve: Resolver = resolve_host,
    sleep: Callable[[float], None] = time.sleep,
) -> NotificationOutcome:
    """Publishes the change on the stage's bus (raises `EventNotPublished` if EventBridge refuses it, so the
    step is retried), then delivers the webhook, if any, signed with the tenant's secret (its failures are
    recorded and returned, never raised: the job's state does not depend on the receiver)."""
    publish_job_event(change, events=events, bus_name=settings.event_bus_name)
    if not webhook_url:
        return NotificationOutcome(event_published=True)
    outcome = deliver_webhook(
        change,
        webhook_url,
        secret=tenant_webhook_secret(stage_signing_key(settings), change.tenant_id),
        deliveries=deliveries,
        policy=retry_policy(settings),
        allow_insecure_local=settings.webhook_allow_insecure_local,
        transport=transport,
        resolve=resolve,
        sleep=sleep,
    )
    return NotificationOutcome(event_published=True, webhook=outcome)


def notify_job(
    job: JobRecord, *, settings: NotifySettings, events: EventsClient, deliveries: DeliveryLog
) -> NotificationOutcome:
    """`notify_job_state` for the state a job row now shows, to the webhook the job asked for."""
    return notify_job_state(
        JobStateChange.from_job(job), job.webhook_url, settings=settings, events=events, deliveries=deliveries
    )
