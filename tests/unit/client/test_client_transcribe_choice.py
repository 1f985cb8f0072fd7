"""`transcribe` picks one sync call for audio within the sync limits and an upload + job beyond them (fake
transport), and its limits are the server's own (the server's settings are imported only here, in the tests)."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import httpx
import pytest

from speech_client import ClientConfig, SpeechClient
from speech_client.transcripts import SYNC_MAX_AUDIO_BYTES, SYNC_MAX_AUDIO_SECONDS

URL = "http://api.test/local/"


def write_wav(path: Path, seconds: float, rate: int = 8_000) -> Path:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    path.write_bytes(buffer.getvalue())
    return path


def job(state: str, fraction: float) -> dict:
    return {
        "jobId": "j-1",
        "state": state,
        "source": "api",
        "attempt": 1,
        "audioUri": "s3://ingest/uploads/t/long.wav",
        "outputFormats": ["srt"],
        "progress": {"audioSeconds": 90 * fraction, "totalAudioSeconds": 90, "chunksDone": 1, "fraction": fraction},
        "createdAt": "2026-12-01T00:00:00Z",
    }


class FakeApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.polls = [job("queued", 0), job("running", 0.5), job("succeeded", 1.0)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        path = request.url.path
        if path.endswith("/v1/asr"):
            body = json.loads(request.content)
            fmt = body["config"]["transcriptionFormat"]["value"]
            source = "1\n00:00:00,000 --> 00:00:01,000\nhello\n" if fmt == "srt" else "hello"
            return httpx.Response(
                200, json={"output": [{"source": source, "segments": [{"start": 0, "end": 1, "text": "hello"}]}]}
            )
        if path.endswith("/v1/uploads"):
            ticket = {
                "uploadUrl": "http://s3.test/put",
                "audioUri": "s3://ingest/uploads/t/long.wav",
                "expiresInSeconds": 900,
                "headers": {"content-type": "audio/wav"},
            }
            return httpx.Response(200, json=ticket)
        if request.url.host == "s3.test":
            assert "x-api-key" not in request.headers  # a presigned URL never gets the key
            assert int(request.headers["content-length"]) == len(request.content)
            return httpx.Response(200)
        if path.endswith("/v1/jobs") and request.method == "POST":
            assert json.loads(request.content)["outputFormats"] == ["srt"]
            return httpx.Response(202, json=job("queued", 0))
        if path.endswith("/v1/jobs/j-1"):
            return httpx.Response(200, json=self.polls.pop(0))
        if path.endswith("/v1/jobs/j-1/transcript"):
            assert request.url.params["format"] == "srt"
            return httpx.Response(200, text="1\n00:00:00,000 --> 00:00:02,000\nlong talk\n")
        return httpx.Response(404, json={"error": {"code": "resource.not_found", "message": path}})


@pytest.fixture
def api() -> tuple[SpeechClient, FakeApi]:
    fake = FakeApi()
    config = ClientConfig(URL, "spk_test")
    return SpeechClient(
        config=config, http=httpx.Client(base_url=URL, transport=httpx.MockTransport(fake)), sleep=lambda s: None
    ), fake


def test_short_audio_is_one_sync_call(api, tmp_path):
    client, fake = api
    result = client.transcribe(write_wav(tmp_path / "short.wav", 5.0), "en", "srt")
    assert result.via == "sync" and result.content.startswith("1\n00:00:00,000") and result.duration_s == 5.0
    assert fake.calls == [("POST", "/local/v1/asr")]


def test_short_audio_as_json_has_the_jobs_document_shape(api, tmp_path):
    client, _ = api
    document = json.loads(client.transcribe(write_wav(tmp_path / "short.wav", 2.0), "en", "json").content)
    assert document["text"] == "hello" and document["complete"] is True and document["segments"][0]["end"] == 1


def test_audio_over_the_sync_limit_is_uploaded_with_progress_and_run_as_a_job(api, tmp_path):
    # Given a recording longer than the sync limit
    client, fake = api
    path = write_wav(tmp_path / "long.wav", SYNC_MAX_AUDIO_SECONDS + 30)
    uploaded: list[tuple[int, int]] = []
    seen: list[float] = []
    # When it is transcribed
    result = client.transcribe(
        path,
        "en",
        "srt",
        on_upload=lambda s, t: uploaded.append((s, t)),
        on_job=lambda j: seen.append(j.progress.fraction),
    )
    # Then no sync call was made: an upload (progress from 0 to the file's size), a job, polls, the transcript
    assert result.via == "job" and result.job and result.job.state == "succeeded"
    assert result.content.endswith("long talk\n")
    assert ("POST", "/local/v1/asr") not in fake.calls
    size = path.stat().st_size
    assert uploaded[0] == (0, size) and uploaded[-1] == (size, size) and len(uploaded) > 2
    assert [s for s, _ in uploaded] == sorted(s for s, _ in uploaded)
    assert seen == [0, 0.5, 1.0]


def test_a_sync_refusal_for_length_falls_back_to_a_job(tmp_path):
    # Given a server whose sync limit is lower than the client thinks (413 audio.too_long)
    fake = FakeApi()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/v1/asr"):
            fake.calls.append(("POST", request.url.path))
            return httpx.Response(413, json={"error": {"code": "audio.too_long", "message": "over 30 s"}})
        return fake(request)

    client = SpeechClient(
        config=ClientConfig(URL, "k"),
        http=httpx.Client(base_url=URL, transport=httpx.MockTransport(handler)),
        sleep=lambda s: None,
    )
    result = client.transcribe(write_wav(tmp_path / "mid.wav", 40.0), "en", "srt")
    assert result.via == "job" and fake.calls[0] == ("POST", "/local/v1/asr")


def test_the_clients_sync_limits_are_the_servers():
    from speech_core.settings import SyncLimits

    assert SyncLimits().max_audio_seconds == SYNC_MAX_AUDIO_SECONDS
    assert SyncLimits().max_audio_bytes == SYNC_MAX_AUDIO_BYTES
