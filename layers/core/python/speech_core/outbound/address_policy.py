"""Which addresses a tenant-supplied URL may reach, and a URL checked and resolved once (SSRF guard).

A URL passes when its scheme is one the caller allows, it carries no credentials, and its host resolves — once
— to addresses that are all allowed. Refused, always: cloud metadata endpoints (169.254.169.254,
169.254.170.2, fd00:ec2::254, 100.100.100.200), unspecified, multicast, link-local, IPv4-mapped IPv6, NAT64,
6to4/Teredo addresses wrapping a refused one, and anything else that is not globally routable. Refused unless
the caller's stage allows them: loopback (`allow_loopback`), private (RFC 1918, IPv6 ULA fc00::/7) and CGNAT
(100.64.0.0/10) (`allow_private`).

The result carries the checked addresses; a connection is made to one of those (`pinned_http`), never to a
fresh lookup of the name, so a DNS answer that changes between the check and the request (rebinding) cannot
redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

type IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: host, port → the addresses it resolves to (tests pass their own)
type Resolver = Callable[[str, int], Sequence[str]]

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class UrlRefused(Exception):  # noqa: N818 - a verdict, raised: callers turn it into their own 4xx
    """A URL the platform will not call. `kind` is the class of refusal, `reason` says why in words."""

    #: the URL itself (scheme, credentials, length, characters, host syntax)
    URL = "url"
    #: the host does not resolve
    UNRESOLVED = "unresolved"
    #: the host resolves to an address of a refused class
    ADDRESS = "address"

    def __init__(self, url: str, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.url = url
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CheckedUrl:
    """A URL that passed the check, and the addresses it may be called at."""

    url: str
    scheme: str
    #: the host name as sent in Host and SNI (IDNA-encoded, lower case, no trailing dot)
    host: str
    port: int
    #: path and query, as sent on the request line
    target: str
    addresses: tuple[str, ...]


def address_refusal(address: IpAddress, *, allow_loopback: bool = False, allow_private: bool = False) -> str | None:
    """Why a URL may not be called at `address`, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "IPv4-mapped IPv6 address"
        if any(address in net for net in _NAT64):
            return "NAT64 address"
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and (refused := address_refusal(embedded)):
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
        return None if allow_loopback else "loopback address"
    if any(address in net for net in _PRIVATE):
        return None if allow_private else "private address"
    if address in _CGNAT:
        return None if allow_private else "shared (CGNAT) address"
    if not address.is_global:
        return "reserved (not globally routable) address"
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to for a TCP connection, in resolver order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _parse(url: str, schemes: Sequence[str], max_chars: int, credentials_hint: str) -> tuple[str, str, int, str]:
    if len(url) > max_chars:
        raise UrlRefused(url, UrlRefused.URL, f"longer than {max_chars} characters")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise UrlRefused(url, UrlRefused.URL, "contains whitespace or control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        allowed = " or ".join(schemes)
        raise UrlRefused(url, UrlRefused.URL, f"scheme must be {allowed}" + (f", not {scheme!r}" if scheme else ""))
    if parts.username is not None or parts.password is not None:
        raise UrlRefused(url, UrlRefused.URL, f"credentials in the URL are not allowed{credentials_hint}")
    if not parts.hostname:
        raise UrlRefused(url, UrlRefused.URL, "no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
        host = parts.hostname.encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise UrlRefused(url, UrlRefused.URL, f"malformed host or port ({exc})") from None
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    return scheme, host.rstrip(".").lower(), port, target


def check_url(
    url: str,
    *,
    schemes: Sequence[str] = ("https",),
    allow_loopback: bool = False,
    allow_private: bool = False,
    resolve: Resolver = resolve_host,
    max_chars: int = 2048,
    credentials_hint: str = "",
) -> CheckedUrl:
    """`url` checked and its host resolved once (see the module docstring); raises `UrlRefused`."""
    scheme, host, port, target = _parse(url, schemes, max_chars, credentials_hint)
    try:
        literal: IpAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = list(resolve(host, port))
        except (OSError, UnicodeError) as exc:
            raise UrlRefused(url, UrlRefused.UNRESOLVED, f"host {host!r} does not resolve ({exc})") from None
    if not addresses:
        raise UrlRefused(url, UrlRefused.UNRESOLVED, f"host {host!r} does not resolve")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # a scope id (fe80::1%eth0) names no other host
        if reason := address_refusal(address, allow_loopback=allow_loopback, allow_private=allow_private):
            raise UrlRefused(url, UrlRefused.ADDRESS, f"{host} resolves to a {reason} ({address})")
    return CheckedUrl(url=url, scheme=scheme, host=host, port=port, target=target, addresses=tuple(addresses))
