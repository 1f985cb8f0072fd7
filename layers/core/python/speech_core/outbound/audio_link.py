"""An `audio[].audioUri` https link fetched safely (ULCA clients send audio by link).

1. The URL is checked (`address_policy.check_url`): https only (http too where the stage allows local links),
   no credentials, the host resolved once and every address public (loopback too where the stage allows it;
   private, link-local, CGNAT, metadata, multicast and IPv4-mapped/NAT64 addresses never).
2. When the tenant has an allow-list of hosts (`tenants.audio_url_allowed_hosts`), the host must be on it
   (`example.com` is that host only; `*.example.com` any name below it).
3. The connection goes to a checked address (`pinned_http`): a later DNS answer cannot move it (rebinding);
   TLS verifies the URL's name.
4. A redirect (301, 302, 303, 307, 308) is followed only `max_redirects` times, its Location checked by 1 and
   2 again like a new link.
5. The body is streamed with the fetch deadline and the byte limit checked on every read: a `Content-Length`
   over the limit is refused before reading, and a body that grows past it or trickles past the deadline is cut.

The bytes then go through the same audio validation as base64 `audioContent`. Every refusal is a 4xx
`AudioError`: 400 `audio.uri_refused` (1, 4), 403 `audio.uri_host_not_allowed` (2), 400 `audio.uri_unreachable`
(no such host, connection or TLS failure, a non-2xx answer), 408 `audio.uri_timeout`, 413 `audio.too_large`.
"""

from __future__ import annotations

import http.client
import os
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from speech_core.errors import AudioError, ErrorCode
from speech_core.observability import logger

from .address_policy import CheckedUrl, Resolver, UrlRefused, check_url, resolve_host
from .pinned_http import default_tls_context, pinned_connection, tls_context_with

REDIRECTS = frozenset({301, 302, 303, 307, 308})
READ_CHUNK = 64 * 1024
USER_AGENT = "speech-platform-audio-fetch/1"


@dataclass(frozen=True)
class AudioLinkPolicy:
    """What a stage allows (speech_core.settings.AudioLinkSettings)."""

    allow_local: bool = False
    ca_bundle: str | None = None
    timeout_s: float = 10.0
    max_redirects: int = 3


def host_allowed(host: str, allowed_hosts: Sequence[str]) -> bool:
    """Whether `host` is on the allow-list (empty: every host); `*.example.com` matches names below it."""
    if not allowed_hosts:
        return True
    host = host.lower().rstrip(".")
    for entry in (e.strip().lower().rstrip(".") for e in allowed_hosts):
        if entry.startswith("*.") and host.endswith(entry[1:]) and host != entry[2:]:
            return True
        if host == entry:
            return True
    return False


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds

    def left(self, url: str) -> float:
        left = self._ends - time.monotonic()
        if left <= 0:
            raise self.expired(url)
        return left

    def expired(self, url: str) -> AudioError:
        return AudioError(
            ErrorCode.AUDIO_URI_TIMEOUT,
            f"the audioUri did not answer with the whole audio within {self.seconds:g} s",
            details={"timeoutS": self.seconds, "audioUri": url},
        )


def _refused(url: str, reason: str) -> AudioError:
    return AudioError(
        ErrorCode.AUDIO_URI_REFUSED, f"audioUri refused: {reason}", details={"reason": reason, "audioUri": url}
    )


def _unreachable(url: str, reason: str, status: int | None = None) -> AudioError:
    details: dict[str, object] = {"reason": reason, "audioUri": url}
    if status is not None:
        details["status"] = status
    return AudioError(ErrorCode.AUDIO_URI_UNREACHABLE, f"audioUri could not be fetched: {reason}", details=details)


def _too_large(url: str, size: int | None, max_bytes: int) -> AudioError:
    said = f"{size} bytes" if size is not None else f"more than {max_bytes} bytes"
    return AudioError(
        ErrorCode.AUDIO_TOO_LARGE,
        f"the audio at audioUri is {said}; at most {max_bytes}",
        details={"maxBytes": max_bytes, "audioUri": url} | ({"bytes": size} if size is not None else {}),
    )


class AudioLinkFetcher:
    """Fetches https audio links under one stage's policy; `allowed_hosts(tenant_id)` gives a tenant's list."""

    def __init__(
        self,
        policy: AudioLinkPolicy,
        allowed_hosts: Callable[[object], Sequence[str]],
        *,
        resolve: Resolver = resolve_host,
    ) -> None:
        self.policy = policy
        self._allowed_hosts = allowed_hosts
        self._resolve = resolve

    def _tls(self) -> ssl.SSLContext:
        bundle = self.policy.ca_bundle
        if not bundle:
            return default_tls_context()
        try:
            modified = os.stat(bundle).st_mtime_ns
        except OSError:
            return default_tls_context()  # no test CA written (yet): the system's CAs alone
        return tls_context_with(bundle, modified)

    def _check(self, url: str, allowed: Sequence[str], hop: int) -> CheckedUrl:
        local = self.policy.allow_local
        try:
            checked = check_url(
                url,
                schemes=("https", "http") if local else ("https",),
                allow_loopback=local,
                resolve=self._resolve,
            )
        except UrlRefused as refused:
            if refused.kind == UrlRefused.UNRESOLVED:
                raise _unreachable(url, refused.reason) from None
            reason = refused.reason if hop == 0 else f"a redirect to {url}: {refused.reason}"
            raise _refused(url, reason) from None
        if not host_allowed(checked.host, allowed):
            raise AudioError(
                ErrorCode.AUDIO_URI_HOST_NOT_ALLOWED,
                f"audioUri host {checked.host!r} is not on this tenant's allow-list"
                + (" (reached by a redirect)" if hop else ""),
                details={"host": checked.host, "allowedHosts": list(allowed), "audioUri": url},
            )
        return checked

    def _open(self, target: CheckedUrl, deadline: _Deadline) -> http.client.HTTPConnection:
        error: OSError | None = None
        for address in target.addresses:
            connection = pinned_connection(target, address, deadline.left(target.url), self._tls())
            try:
                connection.connect()
                return connection
            except TimeoutError:
                connection.close()
                raise deadline.expired(target.url) from None
            except ssl.SSLError as exc:
                connection.close()
                raise _unreachable(target.url, f"TLS failed ({exc.reason or exc})") from None
            except OSError as exc:
                connection.close()
                error = exc
        raise _unreachable(target.url, f"cannot connect ({error})")

    def fetch(self, url: str, tenant_id: object, max_bytes: int) -> bytes:
        """The bytes at `url` (at most `max_bytes`), or a 4xx `AudioError` saying why not."""
        deadline = _Deadline(self.policy.timeout_s)
        allowed = list(self._allowed_hosts(tenant_id))
        current = url
        for hop in range(self.policy.max_redirects + 1):
            target = self._check(current, allowed, hop)
            connection = self._open(target, deadline)
            try:
                connection.request(
                    "GET",
                    target.target,
                    headers={"User-Agent": USER_AGENT, "Accept": "audio/*, */*", "Accept-Encoding": "identity"},
                )
                response = connection.getresponse()
                if response.status in REDIRECTS:
                    location = response.getheader("Location")
                    if not location:
                        raise _unreachable(current, f"a {response.status} redirect without a Location", response.status)
                    current = urljoin(current, location)
                    continue
                if not 200 <= response.status < 300:
                    raise _unreachable(current, f"the server answered {response.status}", response.status)
                return self._read_body(response, connection, current, deadline, max_bytes)
            except TimeoutError:
                # every socket wait is bounded by what is left of the deadline: a timeout is the deadline's end
                raise deadline.expired(current) from None
            except ssl.SSLError as exc:
                raise _unreachable(current, f"TLS failed ({exc.reason or exc})") from None
            except (OSError, http.client.HTTPException) as exc:
                raise _unreachable(current, f"the connection failed ({exc.__class__.__name__})") from None
            finally:
                connection.close()
        raise _refused(current, f"more than {self.policy.max_redirects} redirects")

    @staticmethod
    def _read_body(
        response: http.client.HTTPResponse,
        connection: http.client.HTTPConnection,
        url: str,
        deadline: _Deadline,
        max_bytes: int,
    ) -> bytes:
        length = response.getheader("Content-Length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            raise _too_large(url, int(length), max_bytes)
        body = bytearray()
        while True:
            if connection.sock is not None:
                connection.sock.settimeout(deadline.left(url))
            chunk = response.read1(READ_CHUNK)
            if not chunk:
                break
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(url, None, max_bytes)
            deadline.left(url)
        logger.info("audioUri fetched", extra={"bytes": len(body), "host": url.split("/")[2][:253]})
        return bytes(body)
