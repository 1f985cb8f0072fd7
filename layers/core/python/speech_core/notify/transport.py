"""The HTTP POST of a webhook, made to an address the URL check passed (never to a fresh DNS answer).

Standard library only (http.client + ssl), through `speech_core.outbound.pinned_http`: a connection is opened
to the checked IP address while the Host header, the TLS SNI and certificate verification use the URL's host
name, so the certificate still has to match the name. Redirects are never followed (http.client does not
follow them; a 3xx is a failed try).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Protocol

from speech_core.outbound.pinned_http import pinned_connection

from .url_check import CheckedWebhookUrl


class WebhookTransport(Protocol):
    def post(self, target: CheckedWebhookUrl, headers: Mapping[str, str], body: bytes, timeout_s: float) -> int:
        """POSTs `body` to `target`; returns the HTTP status. Raises OSError on a transport failure."""
        ...


class PinnedHttpTransport:
    """POSTs over http.client to the checked addresses in turn (the next one only if connecting fails)."""

    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        self._tls_context = tls_context

    def post(self, target: CheckedWebhookUrl, headers: Mapping[str, str], body: bytes, timeout_s: float) -> int:
        error: OSError | None = None
        for address in target.addresses:
            connection = pinned_connection(target, address, timeout_s, self._tls_context)
            try:
                connection.connect()
            except OSError as exc:
                error = exc
                connection.close()
                continue
            try:
                connection.request("POST", target.target, body=body, headers=dict(headers))
                # the status is all a try needs: the body is never read, so a receiver cannot hold the try open
                # by trickling one
                return connection.getresponse().status
            finally:
                connection.close()
        raise error or OSError("no address to connect to")
