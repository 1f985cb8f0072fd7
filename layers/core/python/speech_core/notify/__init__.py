"""Job notifications: an EventBridge event per state change, and signed, retried, recorded webhooks.

    notify_job_state(JobStateChange.from_job(job), job.webhook_url, settings=get_notify_settings(),
                     events=get_events_client(), deliveries=repositories.webhook_deliveries)
    check_webhook_url(url, allow_insecure_local=settings.webhook_allow_insecure_local)   # at job create
    verify_signature(secret, request.headers, raw_body)                                   # in a receiver

Modules: job_event (the payload), events (EventBridge), signing (Standard Webhooks HMAC, per-tenant
secrets), signing_key (the stage's key: Secrets Manager in AWS, WEBHOOK_SIGNING_KEY locally), url_check
(SSRF guard), transport (POST to the checked address), webhook (retries, records), job_notifications (the
two together). Only the standard library and pydantic load at import.

Names load on first access (PEP 562): the jobs API checking a URL loads url_check alone, not http.client.
"""

from typing import TYPE_CHECKING

from speech_core.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from .events import EventNotPublished, EventsClient, get_events_client, job_event_entry, publish_job_event
    from .job_event import EVENT_DETAIL_TYPE, EVENT_SOURCE, JobStateChange
    from .job_notifications import NotificationOutcome, notify_job, notify_job_state, retry_policy
    from .signing import WebhookSignatureInvalid, sign, signed_headers, tenant_webhook_secret, verify_signature
    from .signing_key import SigningKeyUnavailable, forget_signing_keys, stage_signing_key
    from .transport import PinnedHttpTransport, WebhookTransport
    from .url_check import CheckedWebhookUrl, WebhookUrlRefused, address_refusal, check_webhook_url, resolve_host
    from .webhook import DeliveryLog, RetryPolicy, WebhookOutcome, deliver_webhook

#: module -> the names it exports here, each imported on first access
_EXPORTS: dict[str, tuple[str, ...]] = {
    "events": ("EventNotPublished", "EventsClient", "get_events_client", "job_event_entry", "publish_job_event"),
    "job_event": ("EVENT_DETAIL_TYPE", "EVENT_SOURCE", "JobStateChange"),
    "job_notifications": ("NotificationOutcome", "notify_job", "notify_job_state", "retry_policy"),
    "signing": ("WebhookSignatureInvalid", "sign", "signed_headers", "tenant_webhook_secret", "verify_signature"),
    "signing_key": ("SigningKeyUnavailable", "forget_signing_keys", "stage_signing_key"),
    "transport": ("PinnedHttpTransport", "WebhookTransport"),
    "url_check": ("CheckedWebhookUrl", "WebhookUrlRefused", "address_refusal", "check_webhook_url", "resolve_host"),
    "webhook": ("DeliveryLog", "RetryPolicy", "WebhookOutcome", "deliver_webhook"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "CheckedWebhookUrl",
    "DeliveryLog",
    "EVENT_DETAIL_TYPE",
    "EVENT_SOURCE",
    "EventNotPublished",
    "EventsClient",
    "JobStateChange",
    "NotificationOutcome",
    "PinnedHttpTransport",
    "RetryPolicy",
    "SigningKeyUnavailable",
    "WebhookOutcome",
    "WebhookSignatureInvalid",
    "WebhookTransport",
    "WebhookUrlRefused",
    "address_refusal",
    "check_webhook_url",
    "deliver_webhook",
    "forget_signing_keys",
    "get_events_client",
    "job_event_entry",
    "notify_job",
    "notify_job_state",
    "publish_job_event",
    "resolve_host",
    "retry_policy",
    "sign",
    "signed_headers",
    "stage_signing_key",
    "tenant_webhook_secret",
    "verify_signature",
]

__getattr__ = lazy_getattr(__name__, _MODULE_OF, globals())
