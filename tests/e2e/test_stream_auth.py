"""How a WebSocket client hands the streaming API its key, on the local cloud with a real `websockets` client.

Given the local cloud (the WebSocket API played from the template, the $connect authorizer, the stream function)
When a client offers the subprotocols `speech.v1` and its key (what a browser's `new WebSocket(url, ["speech.v1",
key])` sends), Then the upgrade answers `Sec-WebSocket-Protocol: speech.v1` (never the key) and the stream works;
a wrong key offered that way is refused before any upgrade; the `x-api-key` header and `?key=` still work; and no
log of the local cloud holds a key offered in the subprotocol (docs/streaming.md "Connecting").
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from speech_core.keys import Scope
from tests.e2e.conftest import GOFORWARD_RAW, LocalCloud

pytestmark = pytest.mark.e2e

SPEECH_V1 = Subprotocol("speech.v1")
FRAME_BYTES = 8_000  # 250 ms of 16 kHz PCM16
TIMEOUT_S = 60


@pytest.fixture(scope="module")
def websocket_url(local_cloud: LocalCloud) -> str:
    assert local_cloud.websocket_url, "the stack has no WebSocket API"
    return local_cloud.websocket_url


async def _upgrade(
    url: str, subprotocols: Sequence[str] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str | None, dict[str, str]]:
    """(101 or the refusal's status, the subprotocol selected, the answer's headers), after a start -> ready."""
    offer = [Subprotocol(name) for name in subprotocols] if subprotocols is not None else None
    try:
        async with websockets.connect(url, subprotocols=offer, additional_headers=headers) as socket:
            assert socket.response is not None
            answer = dict(socket.response.headers.raw_items())
            # the connection is a working stream
            await socket.send(json.dumps({"action": "start", "language": "en", "sampleRate": 16000}))
            ready = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT_S))
            assert ready["type"] == "ready", ready
            return 101, socket.subprotocol, answer
    except InvalidStatus as refused:
        return refused.response.status_code, None, dict(refused.response.headers.raw_items())


async def _transcribe(url: str, key: str) -> list[dict[str, Any]]:
    """goforward.raw streamed over a connection authorized by the subprotocol offer; every message to `end`."""
    raw = GOFORWARD_RAW.read_bytes()
    received: list[dict[str, Any]] = []
    async with websockets.connect(url, subprotocols=[SPEECH_V1, Subprotocol(key)]) as socket:
        assert socket.subprotocol == SPEECH_V1
        await socket.send(json.dumps({"action": "start", "language": "en", "sampleRate": 16000}))
        for seq, offset in enumerate(range(0, len(raw), FRAME_BYTES)):
            audio = base64.b64encode(raw[offset : offset + FRAME_BYTES]).decode()
            await socket.send(json.dumps({"action": "audio", "seq": seq, "audio": audio}))
        await socket.send(json.dumps({"action": "stop"}))
        while not received or received[-1]["type"] != "end":
            received.append(json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT_S)))
    return received


def _assert_no_log_holds(local_cloud: LocalCloud, key: str) -> None:
    assert local_cloud.logs, "the local cloud names no logs"
    for name, log in local_cloud.logs:
        assert key not in Path(log).read_text(errors="replace"), f"the {name} log holds the key"


def test_a_key_offered_beside_speech_v1_upgrades_with_speech_v1_and_streams(
    websocket_url: str, make_key: Callable[..., str], local_cloud: LocalCloud
) -> None:
    key = make_key([Scope.STREAMING])
    # When the client offers speech.v1 and its key, in either order
    for offer in ([SPEECH_V1, key], [key, SPEECH_V1]):
        status, selected, answer = asyncio.run(_upgrade(websocket_url, offer))
        # Then the upgrade selects speech.v1, and the key is in none of the answer's headers
        assert (status, selected) == (101, SPEECH_V1)
        assert {k.lower(): v for k, v in answer.items()}["sec-websocket-protocol"] == SPEECH_V1
        assert all(key not in value for value in answer.values())
    # and a whole stream runs on such a connection: partials, a final, the end
    received = asyncio.run(_transcribe(websocket_url, key))
    kinds = [message["type"] for message in received]
    assert "partial" in kinds and kinds[-1] == "end" and "error" not in kinds, kinds
    finals = " ".join(message["text"] for message in received if message["type"] == "final")
    assert "forward" in finals, finals
    # and no log of the local cloud (gateway, authorizer, stream function...) holds the key
    _assert_no_log_holds(local_cloud, key)


def test_a_wrong_missing_or_unscoped_key_in_the_offer_is_refused_before_any_upgrade(
    websocket_url: str, make_key: Callable[..., str]
) -> None:
    cases: dict[str, tuple[list[str], int]] = {
        "unknown key": ([SPEECH_V1, "spk_doesnotexist_0000000000000000"], 403),
        "revoked key": ([SPEECH_V1, make_key([Scope.STREAMING], revoked=True)], 403),
        "no streaming scope": ([SPEECH_V1, make_key([Scope.ASR])], 403),
        "speech.v1 without a key": ([SPEECH_V1], 401),
        # offered names without speech.v1 are never read as a key
        "a key without speech.v1": ([make_key([Scope.STREAMING])], 401),
    }
    for case, (offer, expected) in cases.items():
        status, selected, _ = asyncio.run(_upgrade(websocket_url, offer))
        assert (status, selected) == (expected, None), case


def test_the_header_and_the_query_key_still_work(
    websocket_url: str, make_key: Callable[..., str], local_cloud: LocalCloud
) -> None:
    key, query_key = make_key([Scope.STREAMING]), make_key([Scope.STREAMING])
    assert asyncio.run(_upgrade(websocket_url, headers={"x-api-key": key}))[:2] == (101, None)
    assert asyncio.run(_upgrade(f"{websocket_url}?key={query_key}"))[:2] == (101, None)
    # a header wins over a wrong key in the offer, which then still selects speech.v1
    offer = [SPEECH_V1, "spk_doesnotexist_0000000000000000"]
    assert asyncio.run(_upgrade(websocket_url, offer, headers={"x-api-key": key}))[:2] == (101, SPEECH_V1)
    # and a client offering only some other subprotocol gets none back, as from API Gateway
    assert asyncio.run(_upgrade(websocket_url, ["chat"], headers={"x-api-key": key}))[:2] == (101, None)
    # no log of the local cloud holds a key sent either way (the gateway writes no access log with URLs)
    _assert_no_log_holds(local_cloud, key)
    _assert_no_log_holds(local_cloud, query_key)
