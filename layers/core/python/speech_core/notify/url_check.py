"""Webhook URLs checked before anything is sent to them (SSRF guard).

A URL passes when its scheme is https (http too with `allow_insecure_local`, the local stage only), it
carries no credentials, and its host resolves — once — to addresses that are all public. Refused, always:
cloud metadata endpoints (169.254.169.254, 169.254.170.2, fd00:ec2::254), unspecified, multicast,
link-local, IPv4-mapped IPv6 and NAT64 addresses, and anything else that is not globally routable. Refused
outside the local stage: loopback, private (RFC 1918, IPv6 ULA fc00::/7) and CGNAT (100.64.0.0/10).

The result carries the checked addresses; the transport connects to one of those, never to a fresh lookup
of the name, so a DNS answer that changes between the check and the request (rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from speech_core.errors import ErrorCode, RequestError

MAX_WEBHOOK_URL_CHARS = 2048

type IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: host, port → the addresses it resolves to (tests pass their own)
type Resolver = Callable[[str, int], Sequence[str]]

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class WebhookUrlRefused(RequestError):
    """A webhook URL the platform will not call; `reason` says why (also in the message)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            ErrorCode.JOB_WEBHOOK_URL_REFUSED, f"webhook URL refused: {reason}", details={"reason": reason}
        )
        self.url = url
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CheckedWebhookUrl:
    """A webhook URL that passed the check, and the addresses it may be called at."""

    url: str
    scheme: str
    #: the host name as sent in Host and SNI (IDNA-encoded)
    host: str
    port: int
    #: path and query, as sent on the request line
    target: str
    addresses: tuple[str, ...]


def address_refusal(address: IpAddress, *, allow_local: bool) -> str | None:
    """Why a webhook may not be sent to `address`, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "IPv4-mapped IPv6 address"
        if any(address in net for net in _NAT64):
            return "NAT64 address"
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and (refused := address_refusal(embedded, allow_local=False)):
            return f"6to4/Teredo address embedding a refused one ({refused})"
    if address in METADATA_ADDRESSES:
        return "cloud metadata address"
    if address.is_unspecified:
        return "unspecified address"
    if address.is_multicast:
        return "multicast address"
    if address.is_link_local:
        return "link-local address"
    if address.is_loopback:
        return None if allow_local else "loopback address"
    if any(address in net for net in _PRIVATE):
        return None if allow_local else "private address"
    if address in _CGNAT:
        return None if allow_local else "shared (CGNAT) address"
    if not address.is_global:
        return "reserved (not globally routable) address"
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to for a TCP connection, in resolver order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _parse(url: str, allow_insecure_local: bool) -> tuple[str, str, int, str]:
    if len(url) > MAX_WEBHOOK_URL_CHARS:
        raise WebhookUrlRefused(url, f"longer than {MAX_WEBHOOK_URL_CHARS} characters")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise WebhookUrlRefused(url, "contains whitespace or control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if allow_insecure_local else ("https",)
    if scheme not in allowed:
        raise WebhookUrlRefused(url, "scheme must be https" if scheme != "https" else f"scheme {scheme!r}")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefused(url, "credentials in the URL are not allowed (the payload is signed instead)")
    if not parts.hostname:
        raise WebhookUrlRefused(url, "no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
        host = parts.hostname.encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise WebhookUrlRefused(url, f"malformed host or port ({exc})") from None
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    return scheme, host.rstrip("."), port, target


def check_webhook_url(
    url: str, *, allow_insecure_local: bool = False, resolve: Resolver = resolve_host
) -> CheckedWebhookUrl:
    """`url` checked and resolved once (see the module docstring); raises `WebhookUrlRefused` (400
    `job.webhook_url_refused`) naming the reason. `allow_insecure_local` is the local stage's setting."""
    scheme, host, port, target = _parse(url, allow_insecure_local)
    try:
        literal: IpAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = list(resolve(host, port))
        except (OSError, UnicodeError) as exc:
            raise WebhookUrlRefused(url, f"host {host!r} does not resolve ({exc})") from None
    if not addresses:
        raise WebhookUrlRefused(url, f"host {host!r} does not resolve")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # a scope id (fe80::1%eth0) names no other host
        if reason := address_refusal(address, allow_local=allow_insecure_local):
            raise WebhookUrlRefused(url, f"{host} resolves to a {reason} ({address})")
    return CheckedWebhookUrl(url=url, scheme=scheme, host=host, port=port, target=target, addresses=tuple(addresses))
