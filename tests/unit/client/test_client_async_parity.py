"""`AsyncSpeechClient` is `SpeechClient` method for method: the same HTTPS methods, parameters and docstrings, and
the same multi-call operations (upload, job polling, transcribe's sync-or-job choice and its fallback), run by
awaiting with the client's own sleep (fake transport)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

import httpx
import pytest

from speech_client import AsyncSpeechClient, ClientConfig, JobFailedError, NotFoundError, SpeechClient
from speech_client.transcripts import SYNC_MAX_AUDIO_SECONDS
from tests.unit.client.test_client_transcribe_choice import URL, FakeApi, job, write_wav

HTTPS_METHODS = [
    "recognize",
    "synthesize",
    "translate",
    "transliterate",
    "detect_language",
    "pipeline",
    "models",
    "usage",
    "health",
    "upload",
    "create_job",
    "submit_job",
    "get_job",
    "list_jobs",
    "cancel_job",
    "retry_job",
    "delete_job",
    "wait_for_job",
    "transcript",
    "download_outputs",
    "transcribe",
]


def async_client(handler: Callable[[httpx.Request], httpx.Response], sleeps: list[float]) -> AsyncSpeechClient:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    http = httpx.AsyncClient(base_url=URL, transport=httpx.MockTransport(handler))
    return AsyncSpeechClient(config=ClientConfig(URL, "spk_test"), http=http, sleep=sleep)


@pytest.mark.parametrize("name", HTTPS_METHODS)
def test_both_clients_have_each_https_method_with_the_same_parameters_and_docstring(name: str) -> None:
    sync_method, async_method = getattr(SpeechClient, name), getattr(AsyncSpeechClient, name)
    parameters = list(inspect.signature(sync_method).parameters)
    assert parameters[0] == "self" and parameters == list(inspect.signature(async_method).parameters)
    assert sync_method.__doc__ == async_method.__doc__
    assert inspect.iscoroutinefunction(async_method) and not inspect.iscoroutinefunction(sync_method)
    # bound to an instance, it is an ordinary method without `self`
    client = SpeechClient(config=ClientConfig(URL, "k"))
    assert list(inspect.signature(getattr(client, name)).parameters) == parameters[1:]
    client.close()


def test_the_public_docstrings_are_kept() -> None:
    assert SpeechClient.recognize.__doc__ == (
        "Speech to text in one call (up to the sync limits: 60 s, 7.5 MB). See `transcribe` for any length."
    )
    assert AsyncSpeechClient.transcribe.__doc__ == (
        "A file of any length to a transcript: one sync call when the audio fits the sync limits, else a job."
    )
    assert SpeechClient.wait_for_job.__doc__ and "JobFailedError" in SpeechClient.wait_for_job.__doc__


def test_the_async_client_runs_long_audio_as_a_job_with_upload_progress_and_its_own_sleep(tmp_path) -> None:
    # Given a recording longer than the sync limit and an async client with a recording sleep
    fake, sleeps = FakeApi(), []
    path = write_wav(tmp_path / "long.wav", SYNC_MAX_AUDIO_SECONDS + 30)
    uploaded: list[tuple[int, int]] = []
    seen: list[float] = []

    async def run() -> object:
        async with async_client(fake, sleeps) as client:
            return await client.transcribe(
                path,
                "en",
                "srt",
                on_upload=lambda s, t: uploaded.append((s, t)),
                on_job=lambda j: seen.append(j.progress.fraction),
                poll_s=0.25,
            )

    # When it is transcribed
    result = asyncio.run(run())
    # Then: an upload with progress, a job polled until it succeeded (sleeping poll_s between polls), the transcript
    assert result.via == "job" and result.content.endswith("long talk\n")
    assert ("POST", "/local/v1/asr") not in fake.calls
    assert uploaded[0] == (0, path.stat().st_size) and uploaded[-1] == (path.stat().st_size,) * 2
    assert seen == [0, 0.5, 1.0] and sleeps == [0.25, 0.25]


def test_the_async_client_falls_back_to_a_job_when_the_sync_call_is_refused_for_length(tmp_path) -> None:
    fake, sleeps = FakeApi(), []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/v1/asr"):
            fake.calls.append(("POST", request.url.path))
            return httpx.Response(413, json={"error": {"code": "audio.too_long", "message": "over 30 s"}})
        return fake(request)

    async def run() -> object:
        async with async_client(handler, sleeps) as client:
            return await client.transcribe(write_wav(tmp_path / "mid.wav", 40.0), "en", "srt")

    result = asyncio.run(run())
    assert result.via == "job" and fake.calls[0] == ("POST", "/local/v1/asr") and len(sleeps) == 2


def test_an_error_inside_an_operation_is_the_typed_error_in_both_clients() -> None:
    # Given jobs the fake does not know, and one that failed
    fake = FakeApi()
    fake.polls = [job("failed", 0.5), job("failed", 0.5)]
    client = SpeechClient(
        config=ClientConfig(URL, "k"), http=httpx.Client(base_url=URL, transport=httpx.MockTransport(fake))
    )
    # Then waiting for an unknown job raises NotFoundError, and for a failed one JobFailedError, sync and async
    with pytest.raises(NotFoundError):
        client.wait_for_job("unknown")
    with pytest.raises(JobFailedError):
        client.wait_for_job("j-1")

    async def run() -> None:
        async with async_client(fake, []) as aclient:
            with pytest.raises(NotFoundError):
                await aclient.wait_for_job("unknown")
            with pytest.raises(JobFailedError):
                await aclient.wait_for_job("j-1")

    asyncio.run(run())
