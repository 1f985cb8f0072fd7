"""Streaming TTS over the WebSocket API on the local cloud, with a real WebSocket client (docs/streaming-tts.md).

Given the local cloud is up (the WebSocket API played from the template, the stream function, PostgreSQL and
Triton's `tts` model), When a client sends a multi-sentence text, Then audio comes back sentence by sentence
(the first before the rest is synthesized) and lasts what the sync TTS of the same text lasts; a `clear` sent
when the first audio arrives stops the queued text.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json

import pytest
import soundfile as sf
import websockets

from speech_core.keys import Scope
from tests.e2e.tts_stream_client import RATE, SENTENCES, TIMEOUT_S, speak

pytestmark = pytest.mark.e2e

TEXT = " ".join(SENTENCES)
#: a text long enough that a clear sent at the first audio finds most of it queued
LONG_TEXT = " ".join(SENTENCES * 4)


@pytest.fixture(scope="module")
def websocket_url(local_cloud) -> str:
    assert local_cloud.websocket_url, "the stack has no WebSocket API"
    return local_cloud.websocket_url


@pytest.fixture(scope="module")
def warm(websocket_url, make_key) -> None:
    """Both environments of the stream function started (a clear runs beside a synthesizing invocation): cold
    starts are not what these tests look at."""
    speak(websocket_url, make_key([Scope.STREAMING]), TEXT, clear_after_first_audio=True)


def sync_seconds(api, text: str) -> float:
    response = api.post(
        "v1/tts",
        json={
            "input": [{"source": text}],
            "config": {"language": {"sourceLanguage": "en"}, "gender": "female", "samplingRate": RATE},
        },
    )
    assert response.status_code == 200, response.text
    audio, rate = sf.read(io.BytesIO(base64.b64decode(response.json()["audio"][0]["audioContent"])))
    assert rate == RATE
    return len(audio) / rate


def test_audio_streams_sentence_by_sentence_and_lasts_what_the_sync_tts_lasts(
    local_cloud, websocket_url, make_key, api, warm
):
    # Given a key with the streaming scope
    key = make_key([Scope.STREAMING])
    # When a ten-sentence text is streamed and the stream stopped
    run = speak(websocket_url, key, TEXT)
    assert not run.of_type("error"), run.of_type("error")
    # Then the first audio arrived well before the last: sentence by sentence, not after the whole text
    audio = run.of_type("audio")
    assert [m["seq"] for m in audio] == list(range(len(audio)))
    assert sum(m["final"] for m in audio) == len(SENTENCES)
    assert run.first_audio_s < run.last_audio_s / 2, (run.first_audio_s, run.last_audio_s)
    # And every answer fits API Gateway's 32 KB frame
    assert max(len(json.dumps(m)) for m in audio) < 32 * 1024
    # And the audio joined lasts what the sync TTS of the same text lasts (within 5 %)
    expected = sync_seconds(api, TEXT)
    assert run.audio_seconds == pytest.approx(expected, rel=0.05), (run.audio_seconds, expected)
    # And `end` reports it, metered per key and day under tts like the sync TTS
    (end,) = run.of_type("end")
    assert end["audioSeconds"] == pytest.approx(run.audio_seconds, abs=0.01)
    assert end["characters"] == sum(len(s) for s in SENTENCES) and end["droppedCharacters"] == 0
    with local_cloud.client(key) as client:
        days = {day["task"]: day for day in client.get("v1/usage").json()["days"]}
    assert days["tts"]["requests"] == 1 and days["tts"]["characters"] == end["characters"]
    assert days["tts"]["audioSeconds"] == pytest.approx(end["audioSeconds"], abs=0.01)


def test_clear_stops_the_queued_text(websocket_url, make_key, warm):
    # Given the same long text streamed twice, once to the end and once with a clear at the first audio
    full = speak(websocket_url, make_key([Scope.STREAMING]), LONG_TEXT)
    cut = speak(websocket_url, make_key([Scope.STREAMING]), LONG_TEXT, clear_after_first_audio=True)
    # Then the clear dropped queued text: less audio, the dropped characters reported and not billed
    (cleared,) = cut.of_type("cleared")
    (end,) = cut.of_type("end")
    assert cleared["droppedCharacters"] > 0 and end["droppedCharacters"] >= cleared["droppedCharacters"]
    assert cut.audio_seconds < full.audio_seconds / 2, (cut.audio_seconds, full.audio_seconds)
    assert end["characters"] + end["droppedCharacters"] >= len(LONG_TEXT) - LONG_TEXT.count(" ")
    assert not cut.of_type("error") and not full.of_type("error")


def test_refused_messages_get_errors_and_the_stream_goes_on(websocket_url, make_key):
    async def session() -> list[dict]:
        async with websockets.connect(websocket_url + "?key=" + make_key([Scope.STREAMING])) as socket:

            async def ask(message: str) -> dict:
                await socket.send(message)
                return json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT_S))

            answers = [await ask(json.dumps({"action": "text", "seq": 0, "text": "Too early."}))]
            answers.append(await ask(json.dumps({"action": "start", "task": "tts", "language": "zz"})))
            answers.append(await ask(json.dumps({"action": "start", "task": "tts", "language": "en"})))
            answers.append(await ask(json.dumps({"action": "text", "seq": 0, "text": "x" * 5_000})))
            answers.append(await ask(json.dumps({"action": "text", "seq": 0, "text": "Now it works.", "flush": True})))
            return answers

    too_early, language, ready, too_long, audio = asyncio.run(session())
    assert too_early["code"] == "stream.not_started"
    assert language["code"] == "language.unsupported"
    assert ready["type"] == "ready"
    assert too_long["code"] == "request.invalid"
    assert audio["type"] == "audio" and audio["textSeq"] == 0


def test_a_stop_sent_before_its_last_text_waits_for_it(websocket_url, make_key):
    """API Gateway may carry out `stop` before the `text` sent ahead of it: with `lastSeq` nothing is lost."""
    first, second = "The train leaves at seven. ", "Passengers wait on the"  # the second ends mid-sentence

    async def session() -> list[dict]:
        async with websockets.connect(
            websocket_url, additional_headers={"x-api-key": make_key([Scope.STREAMING])}
        ) as socket:
            await socket.send(json.dumps({"action": "start", "task": "tts", "language": "en", "sampleRate": RATE}))
            answers = [json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT_S))]
            # When `stop {lastSeq: 1}` goes out before text 1 (text 0 first), no answer waited for
            await socket.send(json.dumps({"action": "text", "seq": 0, "text": first}))
            await socket.send(json.dumps({"action": "stop", "lastSeq": 1}))
            await socket.send(json.dumps({"action": "text", "seq": 1, "text": second}))
            while answers[-1]["type"] != "end":
                answers.append(json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT_S)))
            return answers

    answers = asyncio.run(session())
    # Then nothing was refused, both texts were spoken (the unfinished sentence too), and `end` came last
    assert [a for a in answers if a["type"] == "error"] == []
    assert answers[0]["type"] == "ready" and answers[-1]["type"] == "end"
    audio = [a for a in answers if a["type"] == "audio"]
    assert {a["textSeq"] for a in audio} == {0, 1}
    assert [a["final"] for a in audio].count(True) == 2  # two sentences: "... seven." and "Passengers wait on the"
    assert answers[-1]["characters"] == len(first.strip()) + len(second)
