"""Streaming ASR over the WebSocket API on the local cloud, with a real client and a real recording.

Given the local cloud is up (the WebSocket API played from the template, its $connect authorizer, the stream
function, PostgreSQL and Triton's `asr_streaming` behind the sequence batcher)
When a client streams goforward.raw (16 kHz PCM16) in 250 ms frames, Then partials come back while it speaks,
and the final equals the sync ASR of the same audio, whatever order or how often the frames arrive.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from speech_core.keys import Scope
from tests.e2e.conftest import GOFORWARD_RAW, b64, wav_bytes

pytestmark = pytest.mark.e2e

FRAME_BYTES = 8_000  # 250 ms of 16 kHz PCM16
FRAME_S = 0.25
TIMEOUT_S = 30
STOP = json.dumps({"action": "stop"})


def frames_of(raw: bytes) -> list[str]:
    return [base64.b64encode(raw[i : i + FRAME_BYTES]).decode() for i in range(0, len(raw), FRAME_BYTES)]


@dataclass
class StreamRun:
    """What a client saw: every message with its arrival time, and when it sent its last audio."""

    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    last_audio_sent_at: float = 0.0

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [message for _, message in self.received]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.messages if message["type"] == kind]

    @property
    def final_text(self) -> str:
        """The finals' texts in utterance order (a final may arrive after the next utterance's partials)."""
        finals = sorted(self.of_type("final"), key=lambda final: final["utterance"])
        return " ".join(final["text"] for final in finals if final["text"])


async def _stream(
    url: str,
    key: str,
    frames: list[str],
    order: Iterable[int],
    *,
    pace_s: float = 0.0,
    extra: dict[int, str] | None = None,
    start: dict[str, Any] | None = None,
    stop: str | None = STOP,
) -> StreamRun:
    """Connect, start (`start` adds options to the start message), send frames (`order` gives the seq of each
    send; `extra[i]` is a raw text sent before send i), `stop` (None: an `extra` sent it), and collect every
    answer until `end`."""
    run = StreamRun()
    async with websockets.connect(url, additional_headers={"x-api-key": key}, max_size=None) as socket:

        async def read() -> None:
            async for text in socket:
                message = json.loads(text)
                run.received.append((time.monotonic(), message))
                if message["type"] == "end":
                    return

        reader = asyncio.create_task(read())
        await socket.send(json.dumps({"action": "start", "language": "en", "sampleRate": 16000, **(start or {})}))
        for i, seq in enumerate(order):
            if extra and i in extra:
                await socket.send(extra[i])
            started = time.monotonic()
            await socket.send(json.dumps({"action": "audio", "seq": seq, "audio": frames[seq]}))
            run.last_audio_sent_at = time.monotonic()
            if pace_s:
                await asyncio.sleep(max(0.0, pace_s - (time.monotonic() - started)))
        if stop is not None:
            await socket.send(stop)
        await asyncio.wait_for(reader, TIMEOUT_S)
    return run


def stream(url: str, key: str, frames: list[str], order: Iterable[int], **options: Any) -> StreamRun:
    return asyncio.run(_stream(url, key, frames, list(order), **options))


@pytest.fixture(scope="module")
def goforward_frames() -> list[str]:
    return frames_of(GOFORWARD_RAW.read_bytes())


@pytest.fixture(scope="module")
def websocket_url(local_cloud) -> str:
    assert local_cloud.websocket_url, "the stack has no WebSocket API"
    return local_cloud.websocket_url


@pytest.fixture(scope="module")
def sync_text(api, goforward_wav) -> str:
    response = api.post(
        "v1/asr",
        json={"audio": [{"audioContent": b64(goforward_wav)}], "config": {"language": {"sourceLanguage": "en"}}},
    )
    assert response.status_code == 200, response.text
    return response.json()["output"][0]["source"]


def test_real_time_stream_gives_partials_before_the_audio_ends_and_the_sync_final(
    local_cloud, websocket_url, make_key, goforward_frames, sync_text
):
    # Given a key with the streaming scope, and the stream function warm (its cold start is not what is measured)
    key = make_key([Scope.STREAMING, Scope.ASR])
    stream(websocket_url, make_key([Scope.STREAMING]), goforward_frames[:2], range(2))
    # When the recording is streamed at real-time pace in 250 ms frames
    run = stream(websocket_url, key, goforward_frames, range(len(goforward_frames)), pace_s=FRAME_S)
    # Then `ready` comes first, partials arrive while audio is still being sent, each acknowledging its frame
    assert run.received[0][1]["type"] == "ready" and run.received[0][1]["resumeToken"]
    partials = run.of_type("partial")
    assert [p["ack"] for p in partials] == list(range(len(goforward_frames)))
    early = [p for at, p in run.received if p["type"] == "partial" and p["text"] and at < run.last_audio_sent_at]
    assert early, "no partial with text arrived before the audio ended"
    # And the final equals the sync ASR of the same audio, then `end` reports the seconds
    assert run.final_text == sync_text == "go forward ten meters"
    (end,) = run.of_type("end")
    seconds = len(GOFORWARD_RAW.read_bytes()) / 32_000
    assert end["audioSeconds"] == pytest.approx(seconds, abs=0.001)
    assert end["billedSeconds"] == math.ceil(seconds)
    assert not run.of_type("error")
    # And the key's usage counts the stream's audio seconds, like a REST call
    with local_cloud.client(key) as client:
        usage = client.get("v1/usage").json()
    by_task = {day["task"]: day for day in usage["days"]}
    assert by_task["streaming"]["requests"] == 1
    assert by_task["streaming"]["audioSeconds"] == pytest.approx(seconds, abs=0.01)


def test_out_of_order_and_duplicated_frames_give_the_same_final(websocket_url, make_key, goforward_frames, sync_text):
    # Given frames sent pairwise swapped, some twice (as concurrent invocations would deliver them)
    order: list[int] = []
    for seq in range(0, len(goforward_frames), 2):
        pair = [seq + 1, seq] if seq + 1 < len(goforward_frames) else [seq]
        order += pair + ([seq] if seq % 4 == 0 else [])
    assert sorted(set(order)) == list(range(len(goforward_frames))) and len(order) > len(goforward_frames)
    run = stream(websocket_url, make_key([Scope.STREAMING]), goforward_frames, order)
    # Then every frame was applied once, in order, and the final is the same
    assert run.final_text == sync_text
    assert run.of_type("end")[0]["ack"] == len(goforward_frames) - 1
    assert not run.of_type("error")


def test_malformed_and_oversized_frames_get_errors_while_the_stream_goes_on(
    websocket_url, make_key, goforward_frames, sync_text
):
    oversized = base64.b64encode(b"\0" * 64_000).decode()  # 2 s in one frame: ~85 KB, under the 128 KB message
    extra = {
        2: "this is not json",
        4: json.dumps({"action": "audio", "seq": 4, "audio": oversized}),
        6: json.dumps({"action": "audio", "seq": 6, "audio": "not base64!"}),
    }
    run = stream(
        websocket_url, make_key([Scope.STREAMING]), goforward_frames, range(len(goforward_frames)), extra=extra
    )
    errors = run.of_type("error")
    assert [(e["code"], e.get("seq")) for e in errors] == [
        ("request.invalid", None),
        ("audio.too_large", 4),
        ("audio.invalid_base64", 6),
    ]
    assert [e["ack"] for e in errors] == [1, 3, 5]
    assert run.final_text == sync_text


def test_bad_keys_are_refused_at_connect(websocket_url, make_key):
    async def status(url: str, headers: dict[str, str] | None = None) -> int:
        try:
            async with websockets.connect(url, additional_headers=headers):
                return 101
        except InvalidStatus as error:
            return error.response.status_code

    assert asyncio.run(status(websocket_url)) == 401
    assert asyncio.run(status(websocket_url + "?key=spk_notakey_0000")) == 403
    assert asyncio.run(status(websocket_url, {"x-api-key": make_key([Scope.STREAMING], revoked=True)})) == 403
    assert asyncio.run(status(websocket_url, {"x-api-key": make_key([Scope.ASR])})) == 403
    # the query parameter still works (clients that can set neither a header nor a subprotocol; see test_stream_auth.py)
    assert asyncio.run(status(websocket_url + "?key=" + make_key([Scope.STREAMING]))) == 101


def test_finalize_ends_an_utterance_and_keepalive_answers_with_the_ack(websocket_url, make_key, goforward_frames):
    async def session() -> list[dict[str, Any]]:
        async with websockets.connect(websocket_url + "?key=" + make_key([Scope.STREAMING])) as socket:
            await socket.send(json.dumps({"action": "start", "language": "en"}))
            for seq in range(6):
                await socket.send(json.dumps({"action": "audio", "seq": seq, "audio": goforward_frames[seq]}))
            await socket.send(json.dumps({"action": "finalize"}))
            await socket.send(json.dumps({"action": "keepalive"}))
            for seq in range(6, len(goforward_frames)):
                await socket.send(json.dumps({"action": "audio", "seq": seq, "audio": goforward_frames[seq]}))
            await socket.send(json.dumps({"action": "stop"}))
            answers: list[dict[str, Any]] = []
            # invocations may overlap (utterance 0's final is computed after finalize's ack), so the keepalive's
            # answer may come after `end`: read until both are in
            while {"end", "keepalive"} - {a["type"] for a in answers}:
                answers.append(json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT_S)))
            return answers

    answers = asyncio.run(session())
    first, second = [a for a in answers if a["type"] == "final"]
    (keepalive,) = [a for a in answers if a["type"] == "keepalive"]
    # Then the first utterance ends at 1.5 s (six frames), the second starts there and runs to the end
    assert (first["ack"], first["start"], first["end"]) == (5, 0.0, 1.5) and first["text"]
    assert keepalive["ack"] >= 5
    (ack,) = [a for a in answers if a["type"] == "ack"]
    assert ack["ack"] == 5  # finalize is acknowledged at once, its final follows
    assert second["start"] == 1.5 and second["ack"] == len(goforward_frames) - 1
    assert all(word["start"] >= 1.5 for word in second["words"])


def test_an_abandoned_stream_is_cleaned_up_and_its_audio_metered(
    local_cloud, websocket_url, make_key, goforward_frames
):
    key = make_key([Scope.STREAMING])

    async def abandon() -> None:
        async with websockets.connect(websocket_url, additional_headers={"x-api-key": key}) as socket:
            await socket.send(json.dumps({"action": "start", "language": "en"}))
            for seq in range(4):
                await socket.send(json.dumps({"action": "audio", "seq": seq, "audio": goforward_frames[seq]}))
            partials = 0
            while partials < 4:
                partials += json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT_S))["type"] == "partial"
        # the client goes away without `stop`

    asyncio.run(abandon())
    # Then $disconnect ends the stream: its 1 s of audio is in the key's usage, once
    deadline = time.monotonic() + TIMEOUT_S
    streamed: dict[str, Any] = {}
    with local_cloud.client(key) as client:
        while time.monotonic() < deadline and not streamed:
            days = client.get("v1/usage").json()["days"]
            streamed = next((day for day in days if day["task"] == "streaming"), {})
            time.sleep(0.5)
    assert streamed["requests"] == 1 and streamed["audioSeconds"] == pytest.approx(1.0, abs=0.001)


# --- resume, endpointing, live translation ----------------------------------------------------------------------
async def _collect_until(socket: Any, kinds: set[str], received: list[dict[str, Any]]) -> dict[str, Any]:
    """Read answers into `received` until one of `kinds` arrives (returned)."""
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT_S))
        received.append(message)
        if message["type"] in kinds:
            return message


def test_a_connection_cut_mid_stream_and_resumed_gives_the_same_final(
    local_cloud, websocket_url, make_key, goforward_frames, sync_text
):
    key = make_key([Scope.STREAMING])
    cut_after = len(goforward_frames) // 2

    async def session() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        first: list[dict[str, Any]] = []
        # Given a stream whose connection is cut (no close handshake) while frames are still in flight
        socket = await websockets.connect(websocket_url, additional_headers={"x-api-key": key})
        await socket.send(json.dumps({"action": "start", "language": "en"}))
        ready = await _collect_until(socket, {"ready"}, first)
        for seq in range(cut_after + 2):
            await socket.send(json.dumps({"action": "audio", "seq": seq, "audio": goforward_frames[seq]}))
        while not any(m["type"] == "partial" and m["ack"] >= cut_after for m in first):
            await _collect_until(socket, {"partial"}, first)
        last_ack = max(m["ack"] for m in first)
        assert socket.transport is not None
        socket.transport.abort()  # the network drops: no close frame, answers in flight are lost
        # When the client reconnects with its resume token and the last ack it saw
        second: list[dict[str, Any]] = []
        async with websockets.connect(websocket_url, additional_headers={"x-api-key": key}) as again:
            resume = {"sessionId": ready["sessionId"], "resumeToken": ready["resumeToken"], "lastAck": last_ack}
            await again.send(json.dumps({"action": "resume", **resume}))
            resumed = await _collect_until(again, {"ready", "error"}, second)
            assert resumed["type"] == "ready" and resumed["resumed"], resumed
            # Then it resends what the server has not applied (from ack + 1, frames it already sent included)
            for seq in range(resumed["ack"] + 1, len(goforward_frames)):
                await again.send(json.dumps({"action": "audio", "seq": seq, "audio": goforward_frames[seq]}))
            await again.send(json.dumps({"action": "stop"}))
            await _collect_until(again, {"end"}, second)
        return first, second, last_ack

    first, second, last_ack = asyncio.run(session())
    # Then the same recognition went on: the final equals the uninterrupted run's (the sync ASR), every frame
    # applied once (acks of the resumed connection follow on), and the seconds are the recording's
    (ready_again,) = [m for m in second if m["type"] == "ready"]
    assert ready_again["ack"] >= last_ack
    partial_acks = [m["ack"] for m in second if m["type"] == "partial"]
    assert partial_acks == list(range(ready_again["ack"] + 1, len(goforward_frames)))
    finals = [m["text"] for m in second if m["type"] == "final" and m["text"]]
    assert " ".join(finals) == sync_text
    (end,) = [m for m in second if m["type"] == "end"]
    seconds = len(GOFORWARD_RAW.read_bytes()) / 32_000
    assert end["audioSeconds"] == pytest.approx(seconds, abs=0.001) and end["ack"] == len(goforward_frames) - 1
    assert not [m for m in first + second if m["type"] == "error"]
    # And usage counts the session's seconds once, split between its two connections
    deadline = time.monotonic() + TIMEOUT_S
    streamed: dict[str, Any] = {}
    with local_cloud.client(key) as client:
        while time.monotonic() < deadline and streamed.get("requests") != 2:
            days = client.get("v1/usage").json()["days"]
            streamed = next((day for day in days if day["task"] == "streaming"), {})
            time.sleep(0.5)
    assert streamed["requests"] == 2 and streamed["audioSeconds"] == pytest.approx(seconds, abs=0.01)


def test_a_resume_with_a_wrong_token_is_refused(websocket_url, make_key, goforward_frames):
    key = make_key([Scope.STREAMING])

    async def session() -> dict[str, Any]:
        async with websockets.connect(websocket_url, additional_headers={"x-api-key": key}) as socket:
            await socket.send(json.dumps({"action": "start", "language": "en"}))
            ready = await _collect_until(socket, {"ready"}, [])
            await socket.send(json.dumps({"action": "audio", "seq": 0, "audio": goforward_frames[0]}))
            await _collect_until(socket, {"partial"}, [])
        async with websockets.connect(websocket_url, additional_headers={"x-api-key": key}) as again:
            wrong = {"sessionId": ready["sessionId"], "resumeToken": ready["resumeToken"][:-3] + "abc"}
            await again.send(json.dumps({"action": "resume", **wrong}))
            return await _collect_until(again, {"ready", "error"}, [])

    answer = asyncio.run(session())
    assert answer["type"] == "error" and answer["code"] == "stream.resume_refused"


def test_endpointing_gives_a_final_at_each_silence(websocket_url, make_key, goforward_frames, sync_text):
    # Given two sayings of the recording with a second of silence between them, streamed with endpointing
    silence = frames_of(bytes(32_000))
    frames = goforward_frames + silence + goforward_frames

    key = make_key([Scope.STREAMING])
    received = stream(websocket_url, key, frames, range(len(frames)), start={"endpointing": 500}).messages
    # Then each saying ends in its own final before `stop`, equal to the sync ASR of the recording
    finals = [m for m in received if m["type"] == "final"]
    spoken = [m for m in finals if m["text"]]
    assert [m["text"] for m in spoken] == [sync_text, sync_text]
    assert spoken[0]["ack"] < len(goforward_frames) + len(silence) - 1  # at the silence, not at `stop`
    assert spoken[0]["end"] <= spoken[1]["start"]
    assert not [m for m in received if m["type"] == "error"]


def test_translate_to_gives_the_nmt_of_each_final(api, websocket_url, make_key, goforward_frames, sync_text):
    key = make_key([Scope.STREAMING])
    order = range(len(goforward_frames))
    received = stream(websocket_url, key, goforward_frames, order, start={"translateTo": "es"}).messages
    (final,) = [m for m in received if m["type"] == "final"]
    (translation,) = [m for m in received if m["type"] == "translation"]
    assert final["text"] == sync_text and translation["text"] == final["text"]
    response = api.post(
        "v1/nmt",
        json={
            "input": [{"source": final["text"]}],
            "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
        },
    )
    assert response.status_code == 200, response.text
    assert translation["translation"] == response.json()["output"][0]["target"]
    assert [m["type"] for m in received[-3:]] == ["final", "translation", "end"]


def test_without_interim_results_every_frame_is_acknowledged_and_the_final_is_the_same(
    websocket_url, make_key, goforward_frames, sync_text
):
    key = make_key([Scope.STREAMING])
    order = range(len(goforward_frames))
    received = stream(websocket_url, key, goforward_frames, order, start={"interimResults": False}).messages
    assert not [m for m in received if m["type"] == "partial"]
    acks = [m["ack"] for m in received if m["type"] == "ack"]
    assert acks == list(range(len(goforward_frames)))
    (final,) = [m for m in received if m["type"] == "final"]
    assert final["text"] == sync_text
    assert "partialLatencyP50Ms" not in received[-1] and received[-1]["type"] == "end"


def test_partials_keep_flowing_while_a_final_is_computed_and_a_late_final_precedes_end(api, websocket_url, make_key):
    # Given an 11 s utterance (the recording four times) ended by `finalize`, whose final (the batch ASR of
    # 11 s) takes a while, then more speech and `stop` sent right away, while that final is still computed
    first_raw = GOFORWARD_RAW.read_bytes() * 4
    first, second = frames_of(first_raw), frames_of(GOFORWARD_RAW.read_bytes())
    response = api.post(
        "v1/asr",
        json={"audio": [{"audioContent": b64(wav_bytes(first_raw))}], "config": {"language": {"sourceLanguage": "en"}}},
    )
    assert response.status_code == 200, response.text
    first_sync = response.json()["output"][0]["source"]

    async def session() -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        async with websockets.connect(websocket_url + "?key=" + make_key([Scope.STREAMING])) as socket:
            await socket.send(json.dumps({"action": "start", "language": "en"}))
            for seq, frame in enumerate(first):
                await socket.send(json.dumps({"action": "audio", "seq": seq, "audio": frame}))
            await socket.send(json.dumps({"action": "finalize"}))
            for seq, frame in enumerate(second, start=len(first)):
                await socket.send(json.dumps({"action": "audio", "seq": seq, "audio": frame}))
            await socket.send(json.dumps({"action": "stop"}))
            await _collect_until(socket, {"end"}, received)
        return received

    received = asyncio.run(session())
    kinds = [(m["type"], m.get("utterance")) for m in received]
    final_0 = kinds.index(("final", 0))
    # Then the next utterance's frames were answered while utterance 0's final was computed
    early = [m for m in received[:final_0] if m["type"] == "partial" and m["utterance"] == 1]
    assert early, f"no partial of utterance 1 before utterance 0's final: {kinds}"
    # And both finals came before `end`, each once, the first equal to the sync ASR of its audio
    assert kinds.count(("final", 0)) == 1 and kinds.count(("final", 1)) == 1
    assert kinds[-1] == ("end", None) and final_0 < kinds.index(("final", 1))
    assert received[final_0]["text"] == first_sync and received[final_0]["end"] == pytest.approx(
        len(first_raw) / 32_000
    )
    assert not [m for m in received if m["type"] == "error"]


def test_the_asyncapi_document_is_served_beside_the_openapi_one(local_cloud, make_key):
    from speech_core.contracts.streaming_asyncapi import build_asyncapi

    with local_cloud.client(make_key([Scope.STREAMING])) as client:
        response = client.get("v1/asyncapi.json")
        openapi = client.get("v1/openapi.json").json()
    assert response.status_code == 200, response.text
    assert response.json() == build_asyncapi()
    assert "/v1/asyncapi.json" in openapi["paths"]
