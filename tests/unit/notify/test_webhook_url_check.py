"""check_webhook_url: https only outside the local stage, every resolved address public, one resolution."""

from __future__ import annotations

import pytest

from speech_core.errors import ErrorCode
from speech_core.notify import WebhookUrlRefused, check_webhook_url


def resolver(*addresses: str):
    calls: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return list(addresses)

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def refused(url: str, *addresses: str, local: bool = False) -> str:
    with pytest.raises(WebhookUrlRefused) as caught:
        check_webhook_url(url, allow_insecure_local=local, resolve=resolver(*addresses))
    assert caught.value.code is ErrorCode.JOB_WEBHOOK_URL_REFUSED
    return caught.value.reason


def test_a_public_https_url_passes_with_its_checked_addresses():
    resolve = resolver("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    checked = check_webhook_url("https://Hooks.Example.com/in?x=1#frag", resolve=resolve)
    assert checked.host == "hooks.example.com" and checked.port == 443 and checked.target == "/in?x=1"
    assert checked.addresses == ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert resolve.calls == [("hooks.example.com", 443)]  # resolved once


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),  # IPv6 unique local (fc00::/7)
        ("100.64.0.1", "CGNAT"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("::ffff:8.8.8.8", "IPv4-mapped"),
        ("64:ff9b::a9fe:a9fe", "NAT64"),
        ("2002:7f00:1::1", "6to4"),  # 6to4 wrapping 127.0.0.1
        ("192.0.2.10", "reserved"),  # documentation range
        ("240.0.0.1", "reserved"),
    ],
)
def test_each_refused_address_class(address: str, reason: str):
    assert reason in refused("https://hooks.example.com/", address)


def test_one_bad_address_among_good_ones_refuses_the_url():
    assert "private" in refused("https://hooks.example.com/", "93.184.215.14", "10.0.0.1")


def test_ip_literals_are_checked_without_resolving():
    assert "metadata" in refused("https://169.254.169.254/latest/meta-data/")
    assert "loopback" in refused("https://[::1]:8443/")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/", "https"),
        ("ftp://hooks.example.com/", "https"),
        ("https://user:pw@hooks.example.com/", "credentials"),
        ("https:///path", "no host"),
        ("https://hooks.example.com:99999/", "port"),
        ("https://hooks.example.com/a b", "whitespace"),
        ("https://hooks.example.com/" + "a" * 2100, "longer"),
    ],
)
def test_malformed_or_insecure_urls(url: str, reason: str):
    assert reason in refused(url, "93.184.215.14")


def test_a_name_that_does_not_resolve():
    def fail(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(WebhookUrlRefused, match="does not resolve"):
        check_webhook_url("https://nowhere.invalid/", resolve=fail)


def test_the_local_stage_allows_http_loopback_and_private_but_never_metadata():
    checked = check_webhook_url("http://localhost:8080/hook", allow_insecure_local=True, resolve=resolver("127.0.0.1"))
    assert checked.scheme == "http" and checked.addresses == ("127.0.0.1",)
    check_webhook_url("http://receiver/", allow_insecure_local=True, resolve=resolver("10.0.0.5", "fd00::5"))
    assert "metadata" in refused("http://169.254.169.254/", local=True)
    assert "link-local" in refused("http://x/", "169.254.1.1", local=True)
    assert "unspecified" in refused("http://0.0.0.0:80/", local=True)


def test_refusal_is_a_400():
    from speech_core.errors import HTTP_STATUS

    assert HTTP_STATUS[ErrorCode.JOB_WEBHOOK_URL_REFUSED] == 400


def test_the_system_resolver_is_used_by_default():
    # localhost resolves from /etc/hosts (no network): loopback, refused outside the local stage
    with pytest.raises(WebhookUrlRefused, match="loopback"):
        check_webhook_url("https://localhost/hook")
