"""http.client connections made to an address the URL check passed (never to a fresh DNS answer).

A connection is opened to the checked IP address while the Host header, the TLS SNI and certificate
verification use the URL's host name, so the certificate still has to match the name. http.client follows
no redirects: a caller that follows them checks each Location again (`address_policy.check_url`).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from functools import cache, lru_cache

from .address_policy import CheckedUrl


class PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


@cache
def default_tls_context() -> ssl.SSLContext:
    """The system's trusted CAs, hostname checks on."""
    return ssl.create_default_context()


@lru_cache(maxsize=4)
def tls_context_with(ca_bundle: str, _modified_ns: int) -> ssl.SSLContext:
    """The system's CAs plus those of `ca_bundle` (a PEM file; a stage or test setting). Keyed by the file's
    modification time, so a bundle rewritten while the process runs is read again."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=ca_bundle)
    return context


def pinned_connection(
    target: CheckedUrl, address: str, timeout_s: float, tls_context: ssl.SSLContext | None = None
) -> http.client.HTTPConnection:
    """A connection to `address` (one of `target.addresses`) speaking to `target.host`; not yet connected."""
    if target.scheme == "https":
        return PinnedHTTPSConnection(target.host, target.port, address, timeout_s, tls_context or default_tls_context())
    return PinnedHTTPConnection(target.host, target.port, address, timeout_s)
