"""The HTTP POST of a webhook, made to an address the URL check passed (never to a fresh DNS answer).

Standard library only (http.client + ssl): a connection is opened to the checked IP address while the Host
header, the TLS SNI and certificate verification use the URL's host name, so the certificate still has to
match the name. Redirects are never followed (http.client does not follow them; a 3xx is a failed try).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Mapping
from functools import cache
from typing import Protocol

from .url_check import CheckedWebhookUrl


class WebhookTransport(Protocol):
    def post(self, target: CheckedWebhookUrl, headers: Mapping[str, str], body: bytes, timeout_s: float) -> int:
        """POSTs `body` to `target`; returns the HTTP status. Raises OSError on a transport failure."""
        ...


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class PinnedHttpTransport:
    """POSTs over http.client to the checked addresses in turn (the next one only if connecting fails)."""

    def __init__(self, tls_context: ssl.SSLContext | None = None) -> None:
        self._tls_context = tls_context

    def post(self, target: CheckedWebhookUrl, headers: Mapping[str, str], body: bytes, timeout_s: float) -> int:
        error: OSError | None = None
        for address in target.addresses:
            connection = self._connection(target, address, timeout_s)
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

    def _connection(self, target: CheckedWebhookUrl, address: str, timeout_s: float) -> http.client.HTTPConnection:
        if target.scheme == "https":
            context = self._tls_context or _tls_context()
            return _PinnedHTTPSConnection(target.host, target.port, address, timeout_s, context)
        return _PinnedHTTPConnection(target.host, target.port, address, timeout_s)
