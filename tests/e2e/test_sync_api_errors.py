"""Every refusal a client can meet on the sync API, over HTTP on the local cloud: the status, the stable
code, a message, and the request id to quote to support."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import httpx
import pytest

from speech_core.keys import KeyLimits, Scope
from tests.e2e.conftest import b64, wav_bytes

EN = {"sourceLanguage": "en"}
NMT = {"input": [{"source": "Hello"}], "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}}}


def _asr(audio_b64: str, **config) -> dict:
    return {"audio": [{"audioContent": audio_b64}], "config": {"language": EN, **config}}


def _refusal(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (_asr("this is not base64!"), 400, "audio.invalid_base64"),
        (_asr(""), 400, "audio.empty"),
        (_asr(b64(b"RIFF\x10\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00")), 400, "audio.corrupt"),
        (_asr(b64(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 8)), 400, "audio.corrupt"),
        (_asr(b64(b"%PDF-1.7 definitely not audio")), 415, "audio.unsupported_format"),
        (
            {"audio": [{"audioContent": b64(b"x")}], "config": {"language": {"sourceLanguage": "ta"}}},
            400,
            "language.unsupported",
        ),
        (
            {"audio": [{"audioContent": b64(b"x")}], "config": {"language": {"sourceLanguage": "klingon"}}},
            400,
            "language.unsupported",
        ),
        (
            # the local stage allows http and loopback links, never a metadata address
            {"audio": [{"audioUri": "http://169.254.169.254/latest/meta-data"}], "config": {"language": EN}},
            400,
            "audio.uri_refused",
        ),
        ({"config": {"language": EN}}, 400, "request.invalid"),
    ],
)
def test_asr_refusals(api, body, status, code):
    error = _refusal(api.post("v1/asr", json=body), status, code)
    assert error["requestId"]


def test_truncated_wav_is_corrupt(api, goforward_wav):
    _refusal(api.post("v1/asr", json=_asr(b64(goforward_wav[: len(goforward_wav) // 2 + 1]))), 400, "audio.corrupt")


def test_over_long_audio_points_to_batch_jobs(api):
    long_wav = wav_bytes(b"\x00\x01" * 16_000 * 61)
    error = _refusal(api.post("v1/asr", json=_asr(b64(long_wav))), 413, "audio.too_long")
    assert error["details"]["batchApi"] == "POST /v1/jobs" and "60" in error["message"]


def test_three_hours_declared_by_a_header_alone_is_refused_cheaply(api):
    header = bytearray(wav_bytes(b""))
    data_bytes = 3 * 3600 * 16_000 * 2
    header[4:8] = (36 + data_bytes).to_bytes(4, "little")
    header[40:44] = data_bytes.to_bytes(4, "little")
    _refusal(api.post("v1/asr", json=_asr(b64(bytes(header)))), 413, "audio.too_long")


def test_text_and_pipeline_refusals(api):
    _refusal(
        api.post("v1/nmt", json={**NMT, "config": {"language": {"sourceLanguage": "en", "targetLanguage": "ta"}}}),
        400,
        "language.pair_unsupported",
    )
    _refusal(
        api.post("v1/tts", json={"input": [{"source": "   "}], "config": {"language": EN, "gender": "male"}}),
        400,
        "text.empty",
    )
    _refusal(
        api.post("v1/tts", json={"input": [{"source": "x" * 5001}], "config": {"language": EN, "gender": "male"}}),
        413,
        "text.too_long",
    )
    error = _refusal(
        api.post(
            "v1/pipeline",
            json={
                "pipelineTasks": [
                    {"taskType": "tts", "config": {"language": EN, "gender": "male"}},
                    {"taskType": "asr", "config": {"language": EN}},
                ],
                "inputData": {"input": [{"source": "hello"}]},
            },
        ),
        400,
        "pipeline.invalid_chain",
    )
    assert "asr" in error["message"] and "first" in error["message"]


def test_missing_key_is_401(local_cloud):
    response = httpx.post(local_cloud.api_url + "v1/nmt", json=NMT, timeout=30)
    _refusal(response, 401, "auth.missing_key")


@pytest.mark.parametrize("header", ["x-api-key", "Authorization"])
def test_unknown_key_is_403(local_cloud, header):
    response = httpx.post(
        local_cloud.api_url + "v1/nmt", json=NMT, timeout=30, headers={header: "spk_000000000000_" + "A" * 40}
    )
    _refusal(response, 403, "auth.invalid_key")


def test_revoked_key_is_refused(local_cloud, make_key):
    revoked = make_key(revoked=True)
    response = httpx.post(local_cloud.api_url + "v1/nmt", json=NMT, headers={"x-api-key": revoked}, timeout=30)
    _refusal(response, 403, "auth.revoked_key")


def test_key_without_the_scope_is_refused(local_cloud, make_key):
    with local_cloud.client(make_key([Scope.TTS])) as client:
        error = _refusal(client.post("v1/nmt", json=NMT), 403, "auth.insufficient_scope")
        assert error["details"]["required"] == "translation"


def test_rate_limit_allows_exactly_the_configured_count(local_cloud, make_key):
    # Given a key allowed 3 requests a minute (and not at the very end of a minute, so all land in one window)
    second = datetime.now(UTC).second
    if second >= 50:
        time.sleep(61 - second)
    with local_cloud.client(make_key(limits=KeyLimits(per_minute=3))) as client:
        # When it makes 4 requests
        statuses = [client.post("v1/nmt", json=NMT).status_code for _ in range(3)]
        refused = client.post("v1/nmt", json=NMT)
    # Then exactly 3 pass and the 4th is told when to retry
    assert statuses == [200, 200, 200]
    _refusal(refused, 429, "rate.limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_daily_quota_is_a_429_too(local_cloud, make_key):
    with local_cloud.client(make_key(limits=KeyLimits(per_day=1))) as client:
        assert client.post("v1/nmt", json=NMT).status_code == 200
        _refusal(client.post("v1/nmt", json=NMT), 429, "quota.exceeded")


def test_unknown_route_and_base64_padding_edge(api):
    response = api.get("v1/nothing")
    # API Gateway answers unknown paths itself (AWS: 403 "Missing Authentication Token")
    assert response.status_code in (403, 404)
    good = base64.b64encode(b"RIFF").decode().rstrip("=")
    assert api.post("v1/asr", json=_asr(good)).status_code in (400, 415)


def test_body_over_api_gateways_10_mb_is_413(api):
    oversized = '{"audio": [{"audioContent": "' + "A" * (10 * 1024 * 1024) + '"}]}'
    _refusal(
        api.post("v1/asr", content=oversized, headers={"content-type": "application/json"}), 413, "request.too_large"
    )
