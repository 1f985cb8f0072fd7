"""Webhook URLs checked before anything is sent to them (SSRF guard): `speech_core.outbound.address_policy`
with the webhooks' rules.

A URL passes when its scheme is https (http too with `allow_insecure_local`, the local stage only), it
carries no credentials, and its host resolves — once — to addresses that are all public. Refused, always:
cloud metadata endpoints, unspecified, multicast, link-local, IPv4-mapped IPv6 and NAT64 addresses, and
anything else that is not globally routable. Refused outside the local stage: loopback, private (RFC 1918,
IPv6 ULA fc00::/7) and CGNAT (100.64.0.0/10). The transport connects to a checked address, never to a fresh
lookup of the name (no DNS rebinding).
"""

from __future__ import annotations

from speech_core.errors import ErrorCode, RequestError
from speech_core.outbound.address_policy import (
    METADATA_ADDRESSES,
    CheckedUrl,
    IpAddress,
    Resolver,
    UrlRefused,
    check_url,
    resolve_host,
)
from speech_core.outbound.address_policy import address_refusal as _address_refusal

__all__ = [
    "MAX_WEBHOOK_URL_CHARS",
    "METADATA_ADDRESSES",
    "CheckedWebhookUrl",
    "Resolver",
    "WebhookUrlRefused",
    "address_refusal",
    "check_webhook_url",
    "resolve_host",
]

MAX_WEBHOOK_URL_CHARS = 2048

#: a webhook URL that passed the check, and the addresses it may be called at
CheckedWebhookUrl = CheckedUrl


class WebhookUrlRefused(RequestError):
    """A webhook URL the platform will not call; `reason` says why (also in the message)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            ErrorCode.JOB_WEBHOOK_URL_REFUSED, f"webhook URL refused: {reason}", details={"reason": reason}
        )
        self.url = url
        self.reason = reason


def address_refusal(address: IpAddress, *, allow_local: bool) -> str | None:
    """Why a webhook may not be sent to `address`, or None when it may (`allow_local`: the local stage)."""
    return _address_refusal(address, allow_loopback=allow_local, allow_private=allow_local)


def check_webhook_url(
    url: str, *, allow_insecure_local: bool = False, resolve: Resolver = resolve_host
) -> CheckedWebhookUrl:
    """`url` checked and resolved once (see the module docstring); raises `WebhookUrlRefused` (400
    `job.webhook_url_refused`) naming the reason. `allow_insecure_local` is the local stage's setting."""
    try:
        return check_url(
            url,
            schemes=("https", "http") if allow_insecure_local else ("https",),
            allow_loopback=allow_insecure_local,
            allow_private=allow_insecure_local,
            resolve=resolve,
            max_chars=MAX_WEBHOOK_URL_CHARS,
            credentials_hint=" (the payload is signed instead)",
        )
    except UrlRefused as refused:
        raise WebhookUrlRefused(url, refused.reason) from None
