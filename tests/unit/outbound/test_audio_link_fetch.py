"""https audioUri fetched safely: a real TLS server on 127.0.0.1 (its certificate made by a test CA that the
fetcher trusts through its CA-bundle setting), names resolved by the test so that public, private and
rebinding answers can be played. Each refusal class has its own test and its own 4xx code."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from functions.asr.handle_transcribe_audio import handler as asr_handler
from speech_core.api import call_context
from speech_core.errors import AudioError, ErrorCode
from speech_core.outbound.audio_link import AudioLinkFetcher, AudioLinkPolicy, host_allowed
from speech_core.services.dependencies import ServiceDeps
from tests.unit.api.conftest import TENANT_ID, call, rest_event
from tests.unit.api.fakes import fake_deps
from tests.unit.outbound.tls_audio_server import AudioServer, tls_audio_server

LIMIT = 1_000_000


def wav(seconds: float = 1.0) -> bytes:
    buffer = io.BytesIO()
    signal = (0.1 * np.sin(np.linspace(0, 2 * np.pi * 440 * seconds, int(16_000 * seconds)))).astype(np.float32)
    sf.write(buffer, signal, 16_000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AudioServer]:
    with tls_audio_server(wav(), tmp_path_factory.mktemp("tls")) as running:
        yield running


class Dns:
    """The test's DNS: names → addresses, and every lookup made (the fetcher must look up once per hop)."""

    def __init__(self, **answers: list[str]) -> None:
        self.answers = {"audio.example.test": ["127.0.0.1"], **{k.replace("_", "."): v for k, v in answers.items()}}
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.answers:
            raise OSError(f"{host}: Name or service not known")
        return self.answers[host]


def fetcher(
    server: AudioServer,
    *,
    allow_local: bool = True,
    allowed: list[str] | None = None,
    dns: Dns | None = None,
    timeout_s: float = 5.0,
    trust: bool = True,
) -> AudioLinkFetcher:
    policy = AudioLinkPolicy(
        allow_local=allow_local, ca_bundle=str(server.ca_file) if trust else None, timeout_s=timeout_s, max_redirects=3
    )
    return AudioLinkFetcher(policy, lambda tenant_id: allowed or [], resolve=dns or Dns())


def refusal(fetch: AudioLinkFetcher, url: str, max_bytes: int = LIMIT) -> AudioError:
    with pytest.raises(AudioError) as caught:
        fetch.fetch(url, TENANT_ID, max_bytes)
    return caught.value


# --- success ---------------------------------------------------------------------------------------------------
def test_a_public_https_link_is_fetched_from_the_checked_address(server: AudioServer) -> None:
    dns = Dns()
    # audio.example.test exists only in the test's DNS: the connection can only have gone to the checked address
    assert fetcher(server, dns=dns).fetch(server.url(), TENANT_ID, LIMIT) == server.audio
    assert dns.lookups == ["audio.example.test"]  # resolved once


def test_a_chunked_body_and_a_redirect_within_the_limit_are_followed(server: AudioServer) -> None:
    fetch = fetcher(server)
    assert fetch.fetch(server.url("/chunked.wav"), TENANT_ID, LIMIT) == server.audio
    moved = server.url("/redirect?to=" + server.url("/audio.wav", host="cdn.example.test"))
    dns = Dns(cdn_example_test=["127.0.0.1"])
    assert fetcher(server, dns=dns).fetch(moved, TENANT_ID, LIMIT) == server.audio
    assert dns.lookups == ["audio.example.test", "cdn.example.test"]  # each hop checked again


def test_the_allow_list_admits_its_hosts_and_wildcards() -> None:
    assert host_allowed("audio.example.test", [])
    assert host_allowed("audio.example.test", ["audio.example.test"])
    assert host_allowed("a.b.example.test", ["*.example.test"])
    assert not host_allowed("example.test", ["*.example.test"])
    assert not host_allowed("evilexample.test", ["*.example.test"])
    assert not host_allowed("audio.example.test.evil.com", ["audio.example.test"])


# --- refusals, one class each -----------------------------------------------------------------------------------
def test_scheme_http_is_refused_outside_the_local_stage(server: AudioServer) -> None:
    error = refusal(fetcher(server, allow_local=False), f"http://audio.example.test:{server.port}/audio.wav")
    assert (error.code, error.http_status) == (ErrorCode.AUDIO_URI_REFUSED, 400)
    assert "scheme must be https" in error.details["reason"]
    assert refusal(fetcher(server), "ftp://audio.example.test/a.wav").code is ErrorCode.AUDIO_URI_REFUSED
    assert "credentials" in refusal(fetcher(server), server.url().replace("https://", "https://u:p@")).message


def test_loopback_is_refused_outside_the_local_stage(server: AudioServer) -> None:
    served = len(server.requested)
    error = refusal(fetcher(server, allow_local=False), server.url())
    assert (error.code, error.http_status) == (ErrorCode.AUDIO_URI_REFUSED, 400)
    assert "loopback" in error.details["reason"]
    assert len(server.requested) == served  # refused before any connection


@pytest.mark.parametrize("address", ["10.1.2.3", "172.16.0.9", "192.168.1.1"])
def test_private_addresses_are_refused_even_where_loopback_is_allowed(server: AudioServer, address: str) -> None:
    error = refusal(fetcher(server, dns=Dns(inner_example_test=[address])), "https://inner.example.test/a.wav")
    assert (error.code, error.http_status) == (ErrorCode.AUDIO_URI_REFUSED, 400)
    assert "private" in error.details["reason"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://169.254.170.2/v2/credentials", "metadata"),
        ("https://100.100.100.200/latest/meta-data", "metadata"),
        ("https://169.254.10.10/a.wav", "link-local"),
        ("https://100.64.0.1/a.wav", "CGNAT"),
        ("https://224.0.0.1/a.wav", "multicast"),
        ("https://0.0.0.0/a.wav", "unspecified"),
    ],
)
def test_link_local_metadata_and_other_ranges_are_refused(server: AudioServer, url: str, reason: str) -> None:
    error = refusal(fetcher(server), url)
    assert error.code is ErrorCode.AUDIO_URI_REFUSED and reason in error.details["reason"]


@pytest.mark.parametrize(
    ("host", "reason", "allow_local"),
    [
        ("[::1]", "loopback", False),
        ("[::ffff:127.0.0.1]", "IPv4-mapped", True),
        ("[::ffff:169.254.169.254]", "IPv4-mapped", True),
        ("[fd00:ec2::254]", "metadata", True),
        ("[fe80::1]", "link-local", True),
        ("[fd12:3456::1]", "private", True),
        ("[64:ff9b::a9fe:a9fe]", "NAT64", True),
        ("[ff02::1]", "multicast", True),
    ],
)
def test_ipv6_equivalents_are_refused(server: AudioServer, host: str, reason: str, allow_local: bool) -> None:
    error = refusal(fetcher(server, allow_local=allow_local), f"https://{host}:{server.port}/audio.wav")
    assert error.code is ErrorCode.AUDIO_URI_REFUSED and reason in error.details["reason"]


def test_a_redirect_to_a_private_address_is_refused(server: AudioServer) -> None:
    error = refusal(fetcher(server), server.url("/redirect?to=https://10.1.2.3/a.wav"))
    assert (error.code, error.http_status) == (ErrorCode.AUDIO_URI_REFUSED, 400)
    assert "redirect" in error.details["reason"] and "private" in error.details["reason"]


def test_a_redirect_to_a_name_resolving_to_metadata_is_refused(server: AudioServer) -> None:
    dns = Dns(sneaky_example_test=["169.254.169.254"])
    error = refusal(fetcher(server, dns=dns), server.url("/redirect?to=https://sneaky.example.test/x"))
    assert error.code is ErrorCode.AUDIO_URI_REFUSED and "metadata" in error.details["reason"]


def test_too_many_redirects_are_refused(server: AudioServer) -> None:
    error = refusal(fetcher(server), server.url("/loop/0"))
    assert error.code is ErrorCode.AUDIO_URI_REFUSED and "more than 3 redirects" in error.details["reason"]


def test_a_declared_length_over_the_limit_is_refused_before_reading(server: AudioServer) -> None:
    error = refusal(fetcher(server), server.url("/big"))
    assert (error.code, error.http_status) == (ErrorCode.AUDIO_TOO_LARGE, 413)
    assert error.details["bytes"] == 10**12 and error.details["maxBytes"] == LIMIT


def test_a_body_growing_past_the_limit_is_cut(server: AudioServer) -> None:
    error = refusal(fetcher(server), server.url("/endless"))
    assert (error.code, error.http_status) == (ErrorCode.AUDIO_TOO_LARGE, 413)
    assert refusal(fetcher(server), server.url(), max_bytes=1000).code is ErrorCode.AUDIO_TOO_LARGE


def test_a_body_trickling_past_the_deadline_is_cut(server: AudioServer) -> None:
    error = refusal(fetcher(server, timeout_s=1.0), server.url("/slow"))
    assert (error.code, error.http_status) == (ErrorCode.AUDIO_URI_TIMEOUT, 408)


def test_dns_answering_a_private_address_is_refused(server: AudioServer) -> None:
    # one public and one private answer: the name is refused, whichever address a connection would use
    dns = Dns(mixed_example_test=["93.184.215.14", "10.0.0.1"])
    error = refusal(fetcher(server, dns=dns), "https://mixed.example.test/a.wav")
    assert error.code is ErrorCode.AUDIO_URI_REFUSED and "private" in error.details["reason"]
    assert dns.lookups == ["mixed.example.test"]


def test_a_host_not_on_the_tenants_allow_list_is_refused(server: AudioServer) -> None:
    error = refusal(fetcher(server, allowed=["media.example.org"]), server.url())
    assert (error.code, error.http_status) == (ErrorCode.AUDIO_URI_HOST_NOT_ALLOWED, 403)
    assert error.details["host"] == "audio.example.test"
    assert fetcher(server, allowed=["*.example.test"]).fetch(server.url(), TENANT_ID, LIMIT) == server.audio


def test_a_redirect_off_the_allow_list_is_refused(server: AudioServer) -> None:
    dns = Dns(cdn_example_org=["127.0.0.1"])
    moved = server.url("/redirect?to=" + server.url(host="cdn.example.org"))
    error = refusal(fetcher(server, allowed=["audio.example.test"], dns=dns), moved)
    assert error.code is ErrorCode.AUDIO_URI_HOST_NOT_ALLOWED and "redirect" in error.message


def test_unreachable_links_are_a_400_naming_why(server: AudioServer) -> None:
    assert refusal(fetcher(server), "https://nowhere.example.test/a.wav").code is ErrorCode.AUDIO_URI_UNREACHABLE
    missing = refusal(fetcher(server), server.url("/status/404"))
    assert (missing.code, missing.http_status, missing.details["status"]) == (
        ErrorCode.AUDIO_URI_UNREACHABLE,
        400,
        404,
    )
    # a certificate no trusted CA signed
    untrusted = refusal(fetcher(server, trust=False), server.url())
    assert untrusted.code is ErrorCode.AUDIO_URI_UNREACHABLE and "TLS" in untrusted.details["reason"]


# --- through the API: the same audio validation as base64 ---------------------------------------------------------
@pytest.fixture
def link_deps(server: AudioServer, monkeypatch: pytest.MonkeyPatch) -> ServiceDeps:
    deps = fake_deps(audio_links=fetcher(server))
    monkeypatch.setattr(call_context, "deps_provider", lambda: deps)
    return deps


def asr_call(url: str) -> tuple[int, dict]:
    body = {"audio": [{"audioUri": url}], "config": {"language": {"sourceLanguage": "en"}}}
    status, answer, _ = call(asr_handler, rest_event("POST", "/services/inference/asr", body))
    return status, answer


def test_asr_transcribes_audio_fetched_by_link(link_deps: Any, server: AudioServer) -> None:
    status, answer = asr_call(server.url())
    assert status == 200, answer
    (entry,) = link_deps.request_log.entries
    assert entry.input_bytes == len(server.audio) and entry.audio_seconds == pytest.approx(1.0)


def test_a_linked_file_gets_the_same_validation_as_base64(
    link_deps: ServiceDeps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tls_audio_server(b"RIFF\x24\x00\x00\x00WAVEfmt garbage", tmp_path) as broken:
        monkeypatch.setattr(call_context, "deps_provider", lambda: fake_deps(audio_links=fetcher(broken)))
        by_link = asr_call(broken.url())
    inline = {
        "audio": [{"audioContent": base64.b64encode(broken.audio).decode()}],
        "config": {"language": {"sourceLanguage": "en"}},
    }
    by_content = call(asr_handler, rest_event("POST", "/v1/asr", inline))
    assert by_link[0] == by_content[0] == 400
    assert by_link[1]["error"]["code"] == by_content[1]["error"]["code"] == "audio.corrupt"


def test_a_refused_link_through_the_api_is_a_typed_4xx_and_recorded(link_deps: Any) -> None:
    status, answer = asr_call("https://169.254.169.254/latest/meta-data/")
    assert (status, answer["error"]["code"]) == (400, "audio.uri_refused")
    assert [(e.status, e.error_code) for e in link_deps.request_log.entries] == [(400, "audio.uri_refused")]
