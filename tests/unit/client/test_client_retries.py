"""Retries with a fake transport (httpx.MockTransport): which answers are tried again, how long the client waits
(Retry-After honoured), and that non-idempotent calls are never repeated after a 5xx or a dropped connection."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from speech_client import (
    AsyncSpeechClient,
    ClientConfig,
    RateLimitedError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    SpeechClient,
    TransportError,
)
from speech_client.retry_policy import parse_retry_after

URL = "http://api.test/local/"
TRANSLATION = {"taskType": "translation", "output": [{"source": "hello", "target": "hola"}]}
JOB = {
    "jobId": "j1",
    "state": "cancelled",
    "source": "api",
    "attempt": 1,
    "audioUri": "s3://b/uploads/t/a.wav",
    "outputFormats": ["txt"],
    "progress": {"audioSeconds": 0, "chunksDone": 0, "fraction": 0},
    "createdAt": "2026-12-01T00:00:00Z",
}


def error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"code": code, "message": f"{code} message", "requestId": f"req-{status}"}}
    return httpx.Response(status, json=body, headers=headers)


def client_answering(
    answers: list[httpx.Response | Exception], policy: RetryPolicy | None = None
) -> tuple[SpeechClient, list[httpx.Request], list[float]]:
    """A client whose every request gets the next answer (an exception is raised as the transport's)."""
    seen: list[httpx.Request] = []
    waits: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    config = ClientConfig(URL, "spk_test", retry=policy or RetryPolicy(jitter=0))
    http = httpx.Client(base_url=config.api_url, transport=httpx.MockTransport(handler))
    return SpeechClient(config=config, http=http, sleep=waits.append), seen, waits


def test_429_is_retried_after_the_servers_retry_after_then_succeeds():
    # Given the API refuses twice with 429 and Retry-After 3 and 1, then answers
    client, seen, waits = client_answering(
        [
            error(429, "rate.limited", {"Retry-After": "3"}),
            error(429, "rate.limited", {"Retry-After": "1"}),
            httpx.Response(200, json=TRANSLATION),
        ]
    )
    # When a translation is asked for
    result = client.translate("hello", "en", "es")
    # Then the client waited exactly what the server said, and got the answer on the third try
    assert result.output[0].target == "hola"
    assert waits == [3.0, 1.0]
    assert len(seen) == 3 and all(r.headers["x-api-key"] == "spk_test" for r in seen)


def test_429_without_retry_after_backs_off_exponentially():
    client, _, waits = client_answering([error(429, "rate.limited")] * 3 + [httpx.Response(200, json=TRANSLATION)])
    client.translate("hello", "en", "es")
    assert waits == [0.5, 1.0, 2.0]


def test_429_is_retried_even_for_a_call_that_is_not_idempotent():
    # a refused request was neither run nor counted, so repeating a cancel is safe
    answers = [error(429, "rate.limited", {"Retry-After": "2"}), httpx.Response(200, json=JOB)]
    client, seen, waits = client_answering(answers)
    assert client.cancel_job("j1").state == "cancelled"
    assert waits == [2.0] and [r.url.path for r in seen] == ["/local/v1/jobs/j1/cancel"] * 2


def test_a_retry_after_longer_than_the_policy_allows_is_raised_at_once_with_its_value():
    # Given a daily quota: Retry-After of an hour
    client, seen, waits = client_answering([error(429, "quota.exceeded", {"Retry-After": "3600"})])
    # Then the client does not sleep an hour: it raises, carrying the code, request id and the wait
    with pytest.raises(RateLimitedError) as raised:
        client.usage()
    assert raised.value.code == "quota.exceeded" and raised.value.retry_after == 3600.0
    assert raised.value.request_id == "req-429" and raised.value.status == 429
    assert waits == [] and len(seen) == 1


def test_429_gives_up_after_max_attempts_with_the_last_error():
    client, seen, waits = client_answering(
        [error(429, "rate.limited", {"Retry-After": "1"})] * 3, RetryPolicy(max_attempts=3, jitter=0)
    )
    with pytest.raises(RateLimitedError):
        client.models()
    assert len(seen) == 3 and waits == [1.0, 1.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_for_idempotent_calls(status):
    client, seen, waits = client_answering([error(status, "model.unavailable"), httpx.Response(200, json=TRANSLATION)])
    assert client.translate("hello", "en", "es").output[0].target == "hola"
    assert len(seen) == 2 and waits == [0.5]


def test_5xx_is_not_retried_for_a_call_that_is_not_idempotent():
    # Given retry (POST /v1/jobs/{id}/retry) answers 503 once
    client, seen, waits = client_answering([error(503, "model.unavailable"), httpx.Response(202, json=JOB)])
    # Then it is raised as a ServerError with the API's code and request id, after one try
    with pytest.raises(ServerError) as raised:
        client.retry_job("j1")
    assert (raised.value.code, raised.value.request_id, raised.value.status) == ("model.unavailable", "req-503", 503)
    assert len(seen) == 1 and waits == []


def test_a_dropped_connection_is_retried_for_idempotent_calls_and_raised_after_max_attempts():
    dropped = httpx.ConnectError("connection refused")
    client, seen, waits = client_answering([dropped, dropped, httpx.Response(200, json=TRANSLATION)])
    assert client.translate("hello", "en", "es").output[0].target == "hola"
    assert waits == [0.5, 1.0]
    client, seen, _ = client_answering([dropped] * 4)
    with pytest.raises(TransportError, match="after 4 tries"):
        client.models()
    assert len(seen) == 4


def test_a_timeout_is_a_request_timeout_error_and_not_repeated_for_cancel():
    client, seen, waits = client_answering([httpx.ReadTimeout("slow")])
    with pytest.raises(RequestTimeoutError):
        client.cancel_job("j1")
    assert len(seen) == 1 and waits == []


def test_job_creation_is_retried_with_the_same_idempotency_key():
    # Given the first create is lost (the server may have made the job)
    created = httpx.Response(202, json={**JOB, "state": "queued"})
    client, seen, _ = client_answering([httpx.ReadTimeout("lost"), created])
    client.create_job("s3://b/uploads/t/a.wav", "en")
    # Then the repeat carries the same idempotency key, so the server answers the same job
    keys = [httpx.Response(200, content=r.content).json()["idempotencyKey"] for r in seen]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0].startswith("speech-client-")


def test_the_async_client_retries_the_same_way():
    answers = [error(429, "rate.limited", {"Retry-After": "2"}), error(502, "x"), httpx.Response(200, json=TRANSLATION)]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def run() -> str:
        config = ClientConfig(URL, "spk_test", retry=RetryPolicy(jitter=0))
        http = httpx.AsyncClient(base_url=config.api_url, transport=httpx.MockTransport(lambda r: answers.pop(0)))
        async with AsyncSpeechClient(config=config, http=http, sleep=sleep) as client:
            return (await client.translate("hello", "en", "es")).output[0].target

    assert asyncio.run(run()) == "hola"
    assert waits == [2.0, 1.0]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), ("0", 0.0), ("1.5", 1.5), ("Tue, 01 Dec 2026 00:00:30 GMT", 30.0), ("soon", None), (None, None)],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(value, seconds):
    from datetime import UTC, datetime

    now = datetime(2026, 12, 1, 0, 0, 0, tzinfo=UTC)
    assert parse_retry_after(value, now) == seconds


def test_backoff_is_capped_and_jitter_only_adds():
    policy = RetryPolicy(base_delay_s=1, max_delay_s=4, jitter=0.25)
    for attempt, base in [(1, 1), (2, 2), (3, 4), (6, 4)]:
        delay = policy.backoff_s(attempt)
        assert base <= delay <= base * 1.25
